"""Census of left bags (issue 12): per staged bag of a kept measurement, how far
:class:`~pipeline.danger.rules.AbandonedBagRule` got with the object tracks on its spot, so a
round sorts its misses by class instead of reading tracks one by one.

Replays ``ROOT/measured/<seed>.pkl`` through the rules as
:func:`experiments.danger_tracker_compare.judge_scene` does and, every frame from the bag set
down to ``GRACE_S`` after it is taken, looks at the observations and object tracks within
``RADIUS_M`` of its spot. A bag's class is the furthest step any object track there reached:

- ``no blob``: no observation of any kind there;
- ``no object``: observations, but no object track (the bag stayed in someone's blob);
- ``refused``: object tracks, none the rule judges (too small a figure, clipped, in a waiting
  area, off the floor);
- ``no owner``: judged, but nobody upright by it when it first showed (nor
  ``owner_recent_s`` before); ``self`` says whether its own lineage read upright within
  ``owner_recent_s`` before it first read as an object;
- ``not settled`` / ``not bag-sized``: moved, or read too short / tall;
- ``dwell <n> s``: unattended at most n s (passers took its blob, or the owner's lineage
  stayed within ``owner_radius_m``);
- ``taken for a person down``: dwell reached, the fall rule's :class:`PersonDown` claimed it;
- ``alerted``.

    python -m experiments.danger_bag_census ROOT SEEDS [--config JSON]
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
from pathlib import Path

from pipeline.danger.config import DangerConfig
from pipeline.danger.memory import dist
from pipeline.danger.observe import OBJECT, PERSON

RADIUS_M = 1.5  # the bag stands 0.45 m beside the staged spot
GRACE_S = 30.0
STEPS = ("no blob", "no object", "refused", "no owner", "not settled", "not bag-sized", "dwell",
         "taken for a person down", "alerted")


def staged_bags(root, seed) -> list[dict]:
    """The seed's staged bags (near misses included): index, spot, set down, taken, distance."""
    from sim.loader import load_scenario

    folder = Path(root) / "scenes" / str(seed)
    s = load_scenario(folder / f"scene_{seed}.yaml")
    info = json.loads((folder / "scenes.json").read_text())[str(seed)]
    facts = {f["index"]: f for f in info["incidents"]}
    out = []
    for i, inc in enumerate(s.incidents):
        if inc.kind != "abandoned_bag":
            continue
        f = facts.get(i, {})
        near = bool(f.get("near_miss", False))
        out.append({"seed": seed, "index": i, "xy": (float(inc.params["x"]), float(inc.params["y"])),
                    "t0": inc.time_s, "t1": inc.time_s + (20.0 if near else inc.duration_s),
                    "near_miss": near, "distance_m": f.get("distance_m", math.nan)})
    return out


def census(root, seed, config: DangerConfig = DangerConfig()) -> list[dict]:
    """One row a staged bag: its class (``STEPS``), the longest unattended stretch, the object
    lineages judged there and the details behind the class."""
    from experiments.danger_tracker_compare import kept_frames, scene_stream
    from pipeline.danger.rules import AbandonedBagRule

    bags = staged_bags(root, seed)
    if not bags:
        return []
    m = pickle.loads((Path(root) / "measured" / f"{seed}.pkl").read_bytes())
    _, _, st = scene_stream(root, seed, config)
    rule = next(r for r in st.rules if isinstance(r, AbandonedBagRule))
    seen: list = []
    inner = rule.update

    def update(sc):
        out = inner(sc)
        seen.append((sc, out))
        return out

    rule.update = update
    rows = [dict(b, step=0, dwell=0.0, roots=set(), owner_self=None, detail="") for b in bags]
    p = rule.p
    for t, obs, density in kept_frames(m, st):
        seen.clear()
        st.judge(t, obs, density)
        if not seen:
            continue
        sc, alerts = seen[0]
        for r in rows:
            if not r["t0"] <= t <= r["t1"] + GRACE_S:
                continue
            if any(dist(o.xy, r["xy"]) <= RADIUS_M for o in obs):
                r["step"] = max(r["step"], 1)
            for bag in sc.tracks:
                if bag.kind != OBJECT or dist(bag.xy, r["xy"]) > RADIUS_M:
                    continue
                r["step"] = max(r["step"], 2)
                if (not sc.shapely(bag, p.min_shape_px) or sc.geometry.in_waiting_area(bag.xy)
                        or not sc.on_floor(bag)):
                    continue
                r["step"] = max(r["step"], 3)
                r["roots"].add(bag.root)
                if rule._owner.get(bag.root) is None:
                    if r["owner_self"] is None and bag.root in rule._owner:
                        r["owner_self"] = rule._down.upright_before(
                            bag, p.owner_self_s or p.owner_recent_s, p.owner_radius_m)
                        r["detail"] = _who_was_by(sc, bag, r["t0"], p.owner_radius_m)
                    continue
                r["step"] = max(r["step"], 4)
                if sc.t - bag.since < p.settle_s or bag.displacement(10.0, sc.t) > p.static_m:
                    continue
                r["step"] = max(r["step"], 5)
                if not rule._bag_sized(bag, sc.t):
                    continue
                r["step"] = max(r["step"], 6)
                away = rule._away_since.get(bag.root)
                if away is not None:
                    r["dwell"] = max(r["dwell"], sc.t - away)
                if bag.root in rule._done:
                    hit = any(bag.id in a.track_ids for a in alerts)
                    r["step"] = max(r["step"], 8 if hit else 7)
    out = []
    for r in rows:
        step = STEPS[r["step"]]
        if step == "dwell":
            step = f"dwell {r['dwell']:.0f} s"
        out.append({"seed": r["seed"], "index": r["index"], "near_miss": r["near_miss"],
                    "distance_m": r["distance_m"], "class": step,
                    "self_upright": r["owner_self"], "lineages": sorted(r["roots"]),
                    "detail": r["detail"]})
    return out


def _who_was_by(sc, bag, t0: float, radius: float, back_s: float = 30.0) -> str:
    """When an unowned bag's track first showed: how long after the bag was set down, how old
    its track was, and the last upright sighting of anyone within ``radius`` in the
    ``back_s`` before (seconds before, metres off)."""
    from pipeline.danger.person_down import first_object_t

    first = first_object_t(bag)
    last = None
    for tr in sc.tracks:
        if tr.kind == OBJECT or tr.root == bag.root:
            continue
        for q in reversed(tr.recent(back_s, sc.t)):
            if q.kind == PERSON and dist((q.x, q.y), bag.xy) <= radius:
                if last is None or q.t > last[0]:
                    last = (q.t, dist((q.x, q.y), bag.xy), tr.root)
                break
    by = "nobody" if last is None else f"{sc.t - last[0]:.1f} s before ({last[1]:.1f} m, {last[2]})"
    return (f"first object {first - t0:+.1f} s after set down, track born {bag.since - t0:+.1f} s;"
            f" last upright within {radius:g} m: {by}")


def main(argv=None) -> None:
    from experiments.danger_tracker_compare import _seeds

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("seeds")
    ap.add_argument("--config", default="{}")
    a = ap.parse_args(argv)
    cfg = DangerConfig.model_validate(json.loads(a.config))
    for s in _seeds(a.seeds):
        if not (Path(a.root) / "measured" / f"{s}.pkl").is_file():
            continue
        for r in census(a.root, s, cfg):
            print(f"{r['seed']} #{r['index']}{' near' if r['near_miss'] else ''} "
                  f"{r['distance_m']:.1f} m: {r['class']} (self upright {r['self_upright']}, "
                  f"lineages {r['lineages']}) {r['detail']}", flush=True)


if __name__ == "__main__":
    main()
