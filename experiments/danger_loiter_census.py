"""Loitering on kept measurements (issue 12): judge several loitering settings on one tracking
pass a scene, and census what the spot bookkeeping saw of each staged loiterer.

    python -m experiments.danger_loiter_census ROOT OUT --seeds 630-634 \\
        --variant shipped '{}' --variant no_keeps '{"rules": {"loitering": {"spot_merged_keeps": false}}}'

For each seed measured under ``ROOT`` (:func:`experiments.danger_tracker_compare.measure_scene`;
a staged batch of :mod:`experiments.danger_stage` or benchmark seeds) the stream tracks the kept
detections once with only the loitering rule enabled (the other rules neither feed nor read it),
and every variant's own :class:`pipeline.danger.rules.LoiteringRule` judges the same scenes; its
alerts are written as a benchmark run to ``OUT/<variant>/runs/<seed>`` and scored
(:func:`experiments.danger_bench.score_split`; loitering's rows only mean anything). The census
(``OUT/census.jsonl``, first variant) gives per loitering incident, staged or near miss, from the
moment the actor arrives to the moment they leave: the longest dwell of a spot within
``NEAR_M`` of the staged spot, how many such spots ended unseen, and per frame the best reason a
track seen within ``NEAR_M`` of the spot held nothing (:meth:`LoiteringRule.sighting`: "holds"
where one could; "none" where no track was seen there): round 16's classes (merged, half hidden
or "short", nothing sighted).
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
from collections import Counter
from pathlib import Path

import pandas as pd

from experiments.danger_scenes import TEST_SEEDS
from pipeline.danger.config import DangerConfig

NEAR_M = 3.0  # a track or spot this near the staged spot is the loiterer's (the rule's radius)
# best first: the reason a frame's sightings near the spot count under
ORDER = ("holds", "merged", "young", "moving", "short", "unreadable", "not a person", "crowd",
         "waiting", "zone")


def _loiterers(scenario, info) -> list[dict]:
    """The scene's loitering incidents: where, and from arrival to leaving (the sim's actor:
    ``threshold_s`` before the start, half of it for a near miss, else to the end)."""
    out = []
    for fact, inc in zip(info["incidents"], scenario.incidents):
        if fact["kind"] != "loitering":
            continue
        thr = float(inc.params.get("threshold_s", 60.0))
        enter = max(0.0, inc.time_s - thr)
        leave = enter + 0.5 * thr if fact["near_miss"] else inc.time_s + inc.duration_s
        out.append({"incident": fact["index"], "near_miss": fact["near_miss"],
                    "distance_m": fact["distance_m"], "x": fact["x"], "y": fact["y"],
                    "enter": enter, "leave": leave, "frames": Counter(), "best_dwell_s": 0.0,
                    "unseen_ends": 0})
    return out


class _Judges:
    """Stands in the stream's rule list: runs each variant's loitering rule on the scene, keeps
    its alerts apart, and censuses the first around each loiterer."""

    kind = "loitering"

    def __init__(self, rules: dict, loiterers: list[dict], t_from: float):
        self.rules, self.loiterers, self.t_from = rules, loiterers, t_from
        self.rows = {name: [] for name in rules}

    def update(self, sc) -> list:
        for name, rule in self.rules.items():
            for al in rule.update(sc):
                if al.t >= self.t_from:
                    self.rows[name].append(("cam", al.t, al.kind, al.zone,
                                            ",".join(map(str, al.track_ids)), al.confidence,
                                            *al.box, al.detail))
        self._census(sc, next(iter(self.rules.values())))
        return []

    def _census(self, sc, rule) -> None:
        for lo in self.loiterers:
            if not lo["enter"] <= sc.t <= lo["leave"]:
                continue
            why = [rule.sighting(sc, tr)[1] for tr in sc.tracks
                   if tr.seen and math.hypot(tr.xy[0] - lo["x"], tr.xy[1] - lo["y"]) <= NEAR_M]
            lo["frames"][min(why, key=ORDER.index) if why else "none"] += 1
            if rule._spots is None:
                continue
            for sp in rule._spots.spots:
                if math.hypot(sp.x - lo["x"], sp.y - lo["y"]) <= NEAR_M:
                    lo["best_dwell_s"] = max(lo["best_dwell_s"], sc.t - sp.since)
            lo["unseen_ends"] += sum(why_end == "unseen" and math.hypot(
                sp.x - lo["x"], sp.y - lo["y"]) <= NEAR_M for sp, why_end in rule._spots.ended)


def judge_variants(seed: int, root, out, variants: dict[str, DangerConfig]) -> list[dict]:
    """Judge the kept measurement of ``seed`` with each variant's loitering rule into
    ``out/<variant>/runs/<seed>``; returns the census of its loiterers (first variant)."""
    from experiments.danger_bench import bench_tables
    from experiments.danger_run import ALERT_COLUMNS
    from experiments.danger_tracker_compare import kept_frames, scene_stream
    from outputs.run import write_run
    from pipeline.danger.rules import LoiteringRule
    from sim.loader import scenario_json

    root, out = Path(root), Path(out)
    m = pickle.loads((root / "measured" / f"{seed}.pkl").read_bytes())
    first = next(iter(variants.values()))
    s, _, st = scene_stream(root, seed, first.model_copy(update={"enabled": ["loitering"]}))
    loiterers = _loiterers(s, m["info"])
    judges = _Judges({k: LoiteringRule(c.rules.loitering) for k, c in variants.items()},
                     loiterers, m["info"]["analyse_from_s"])
    st.rules = [judges]
    for t, obs, density in kept_frames(m, st):
        st.judge(t, obs, density)
    for name, rows in judges.rows.items():
        tables = bench_tables(seed, s, m["info"], pd.DataFrame(rows, columns=ALERT_COLUMNS),
                              m["records"], m["wall_s"])
        tables["bench_coverage"]["t_to"] = m["t_to"]
        write_run(out / name / "runs" / str(seed), tables,
                  {"seed": seed, "measured": str(root / "measured" / f"{seed}.pkl"),
                   "config": variants[name].model_dump()}, scenario_json(s))
    return [{"seed": seed, "crowd": m["info"]["crowd"], "whole": m["t_to"] >= s.horizon_s,
             **{k: v for k, v in lo.items() if k != "frames"},
             "frames": dict(lo["frames"].most_common())} for lo in loiterers]


def main(argv=None) -> None:
    from experiments.danger_bench import score_split
    from experiments.danger_sweep import kind_summary
    from experiments.danger_tracker_compare import _seeds
    from outputs.atomic import write_text

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("--seeds", required=True)
    ap.add_argument("--variant", nargs=2, action="append", metavar=("NAME", "JSON"),
                    help="a loitering setting to judge (DangerConfig overrides); the first is "
                         "censused")
    a = ap.parse_args(argv)
    seeds = _seeds(a.seeds)
    if set(seeds) & set(TEST_SEEDS):
        raise SystemExit(f"--seeds: the test split {TEST_SEEDS[0]}-{TEST_SEEDS[-1]} is held out")
    variants = {n: DangerConfig.model_validate(json.loads(j))
                for n, j in (a.variant or [("before", "{}")])}
    out = Path(a.out)
    done = [s for s in seeds if (Path(a.root) / "measured" / f"{s}.pkl").is_file()]
    if not done:
        raise SystemExit(f"{a.root}: no seed of {a.seeds} measured")
    census = []
    for s in done:
        census += judge_variants(s, a.root, out, variants)
    write_text(out / "census.jsonl", "".join(json.dumps(c) + "\n" for c in census))
    for c in census:
        print(f"census {c['seed']} #{c['incident']}{' near' if c['near_miss'] else ''} "
              f"{c['distance_m']:.1f} m {c['crowd']}: best dwell {c['best_dwell_s']:.0f} s, "
              f"{c['unseen_ends']} unseen ends, frames {c['frames']}")
    for name in variants:
        _, _, folder = score_split(out / name, done, name, n_boot=10)
        r = kind_summary(folder, done, "loitering", a.root)
        print("\n".join(f"{name}: {line}" for line in r["lines"]))
        print(f"{name}: loitering {r['caught']} / {r['staged']} caught, {r['false']} false "
              f"episodes, {r['near']} near-miss episodes, seeds {','.join(map(str, done))}")


if __name__ == "__main__":
    main()
