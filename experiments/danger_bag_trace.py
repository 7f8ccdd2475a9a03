"""Trace the abandoned-bag rule at one spot (issue 12): replay a measured scene
(:func:`experiments.danger_tracker_compare.measure_scene`) through the rules with a config and,
every frame of a time window, print the tracks within ``--radius`` of a floor point (track,
lineage, kind, distance, the bag rule's owner and unattended clock for object tracks), the
bags it keeps through a break (``spot_keep_s``), the lineages the fall rule's memory
(:class:`~pipeline.danger.person_down.PersonDown`) last saw upright there, and the alerts. For
a false bag or a missed one on choose seeds (never on check seeds).

    python -m experiments.danger_bag_trace ROOT SEED X Y T0 T1 [--config JSON] [--radius M]
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

from experiments.danger_tracker_compare import kept_frames, scene_stream
from pipeline.danger.config import DangerConfig
from pipeline.danger.memory import dist


def trace(root, seed: int, xy: tuple[float, float], t0: float, t1: float,
          config: DangerConfig = DangerConfig(), radius: float = 3.0) -> list[str]:
    """One line a frame of [t0, t1] with anything near ``xy``, and one per alert of the frame
    (any kind, anywhere)."""
    from pipeline.danger.rules import AbandonedBagRule

    m = pickle.loads((Path(root) / "measured" / f"{seed}.pkl").read_bytes())
    _, _, st = scene_stream(root, seed, config)
    rule = next(r for r in st.rules if isinstance(r, AbandonedBagRule))
    out = []
    for t, obs, density in kept_frames(m, st):
        if t > t1:
            break
        res = st.judge(t, obs, density)
        if t < t0:
            continue
        tracks = [tr for tr in st.tracker.tracks
                  if tr.confirmed and tr.seen and dist(tr.xy, xy) <= radius]
        parts = []
        for tr in sorted(tracks, key=lambda tr: dist(tr.xy, xy)):
            s = f"{tr.id}/{tr.root} {tr.kind} {dist(tr.xy, xy):.1f}m"
            if tr.root in rule._owner:
                away = rule._away_since.get(tr.root)
                s += f" own={rule._owner[tr.root]}"
                s += "" if away is None else f" away={t - away:.0f}s"
            parts.append(s)
        lost = [f"lost {r}@{dist(v[1], xy):.1f}m own={v[2]} {t - v[0]:.0f}s ago"
                for r, v in rule._lost.items() if dist(v[1], xy) <= radius]
        up = [f"up {r} {dist((u.x, u.y), xy):.1f}m {t - u.t:.0f}s ago"
              for r, u in rule._down._upright.items()
              if dist((u.x, u.y), xy) <= 1.5 and t - u.t <= 60]
        if parts or lost:
            out.append(f"{t:7.1f} " + "; ".join(parts + lost + up))
        for a in res.alerts:
            out.append(f"{t:7.1f} ALERT {a.kind} {a.track_ids} {a.detail}")
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("seed", type=int)
    ap.add_argument("x", type=float)
    ap.add_argument("y", type=float)
    ap.add_argument("t0", type=float)
    ap.add_argument("t1", type=float)
    ap.add_argument("--config", default="{}")
    ap.add_argument("--radius", type=float, default=3.0)
    a = ap.parse_args(argv)
    cfg = DangerConfig.model_validate(json.loads(a.config))
    for line in trace(a.root, a.seed, (a.x, a.y), a.t0, a.t1, cfg, a.radius):
        print(line)


if __name__ == "__main__":
    main()
