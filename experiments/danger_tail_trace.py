"""Trace the tailgating rule at staged tailgating incidents (issue 12): replay a measured scene
(:func:`experiments.danger_tracker_compare.measure_scene`) through the rules with a config and,
for every staged tailgating incident (near misses too), print what the tracks in its gate's
lane looked like frame by frame from 4 s before it to its end (track, lineage, place along and
across the lane, bodies as one reads at that spot, box size, speed), the walk-ups and passages
the rule recorded at that gate and the alerts. For choosing what to change, on choose seeds
only (never on check seeds).

    python -m experiments.danger_tail_trace ROOT SEED [--config JSON] [--frames] [--incident K]
        [--window T0 T1 GATE]

Without ``--frames`` one summary line per incident: caught or not, walk-ups (median bodies),
passages (persons), and the largest blob's bodies and box width in body widths.
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
from pathlib import Path


from experiments.danger_tracker_compare import kept_frames, scene_stream
from pipeline.danger.config import DangerConfig


def trace(root, seed: int, config: DangerConfig = DangerConfig(), frames: bool = False,
          only: int | None = None, window: tuple[float, float, int] | None = None
          ) -> list[dict]:
    """``window``: (t0, t1, gate index) traced instead of the staged incidents (an alert on a
    seed with no staged tailgating)."""
    from pipeline.danger.tailgating import TailgatingRule, _gate_coords

    root = Path(root)
    m = pickle.loads((root / "measured" / f"{seed}.pkl").read_bytes())
    info = m["info"]
    s, _, st = scene_stream(root, seed, config)
    rule = next(r for r in st.rules if isinstance(r, TailgatingRule))
    gates = st.geometry.gates
    incs = []
    for f in info["incidents"]:
        if f["kind"] != "tailgating" or (only is not None and f["index"] != only):
            continue
        e = s.incidents[f["index"]]
        gi = next(i for i, g in enumerate(gates) if g.index == e.params["gate"])
        incs.append({"index": f["index"], "gate": gi, "t0": e.time_s, "t1": e.time_s
                     + e.duration_s, "near": f["near_miss"], "d": f["distance_m"],
                     "rows": [], "walkups": [], "passages": [], "alerts": []})
    if window is not None:
        gi = next(i for i, g in enumerate(gates) if g.index == int(window[2]))
        incs = [{"index": -1, "gate": gi, "t0": window[0] + 4, "t1": window[1] - 4,
                 "near": False, "d": math.nan, "rows": [], "walkups": [], "passages": [],
                 "alerts": []}]
    w_share = rule._width_share
    for t, obs, density in kept_frames(m, st):
        live = [c for c in incs if c["t0"] - 4 <= t <= c["t1"] + 4]
        res = st.judge(t, obs, density)
        for c in live:
            g = gates[c["gate"]]
            wq = list(rule._walkups.get(c["gate"], ()))
            pq = list(rule._passages.get(c["gate"], ()))
            c["walkups"] += [w for w in wq if w.t == t]
            c["passages"] += [p for p in pq if p.t == t]
            c["alerts"] += [a for a in res.alerts if f"[{g.index}]" in a.detail]
            for tr in st.tracker.tracks if hasattr(st.tracker, "tracks") else []:
                if not tr.confirmed:
                    continue
                a, lat = _gate_coords(g, tr.xy)
                if not (-4.0 <= a <= 4.0 and abs(lat) <= 1.5):
                    continue
                q = tr.samples[-1]
                bw = (q.box[2] - q.box[0]) / max(w_share * q.person_px, 1.0)
                v = tr.speed(1.0, t)
                c["rows"].append((t, tr.id, tr.root, a, lat, rule._bodies(q), q.person_px,
                                  q.box[3] - q.box[1], q.box[2] - q.box[0], bw, q.persons,
                                  v, tr.seen, q.sigma_m))
    out = []
    for c in incs:
        caught = bool(c["alerts"])
        rows = c["rows"]
        top = max((r[5] for r in rows if -3 <= r[3] <= 1 and abs(r[4]) <= 0.8), default=math.nan)
        topw = max((r[9] for r in rows if -3 <= r[3] <= 1 and abs(r[4]) <= 0.8), default=math.nan)
        line = {"seed": seed, "incident": c["index"], "gate": c["gate"], "d": c["d"],
                "near": c["near"], "caught": caught,
                "walkups": [round(w.persons, 2) for w in c["walkups"]],
                "passages": [(round(p.t, 1), p.track_id, p.persons) for p in c["passages"]],
                "max_bodies": round(top, 2), "max_width_bodies": round(topw, 2)}
        out.append(line)
        print(json.dumps(line))
        if frames:
            print("  t id root along lat bodies person_px box_h box_w width_in_bodies persons "
                  "speed seen sigma")
            for r in rows:
                print("  " + " ".join(f"{x:.2f}" if isinstance(x, float) else str(x)
                                      for x in r))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("seed", type=int)
    ap.add_argument("--config", default="{}")
    ap.add_argument("--frames", action="store_true")
    ap.add_argument("--incident", type=int)
    ap.add_argument("--window", nargs=3, type=float, metavar=("T0", "T1", "GATE"),
                    help="trace this stretch at this gate instead of the staged incidents")
    a = ap.parse_args(argv)
    trace(a.root, a.seed, DangerConfig.model_validate(json.loads(a.config)), a.frames,
          a.incident, tuple(a.window) if a.window else None)


if __name__ == "__main__":
    main()
