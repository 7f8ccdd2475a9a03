"""Judge kept measurements with a rule setting and score them like the benchmark (issue 12):
the round's sweep, from :func:`experiments.danger_tracker_compare.measure_scene`'s kept scenes
(benchmark seeds or a staged batch, :mod:`experiments.danger_stage`), in seconds a scene.

    python -m experiments.danger_sweep ROOT OUT --seeds 600-609 [--config JSON] [--kind tailgating]

Judges every seed of ``--seeds`` measured under ``ROOT`` (``ROOT/measured/<seed>.pkl``) with
``DangerConfig`` overrides ``--config`` into ``OUT/runs/<seed>`` (kept: delete OUT to judge
again), scores them (:func:`experiments.danger_bench.score_split`, ``OUT/result``) and prints,
for ``--kind``: caught / staged, false episodes, and one line per staged incident (caught or
missed, distance, crowd) and per episode that matched none (false or near miss), so two
settings' lines can be diffed.

    python -m experiments.danger_sweep ROOT OUT --seeds 0-119 --kind tailgating --plan

``--plan`` judges nothing: one line per benchmark seed of ``--seeds`` that stages ``--kind``
(:func:`kind_seeds`, from the generator alone: incidents and near misses, distance, crowd) and
whether ``ROOT`` keeps its measurement whole, in part (to where) or not at all: what is left to
measure before a setting can be judged on every seed of a set.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from experiments.danger_scenes import TEST_SEEDS
from pipeline.danger.config import DangerConfig


def judge_kept(root, out, seeds, config: DangerConfig = DangerConfig(), label: str = "sweep",
               n_boot: int = 10) -> tuple[list[int], pd.DataFrame, Path]:
    """Judge every seed of ``seeds`` measured under ``root`` with ``config`` into
    ``out/runs/<seed>`` (a judged folder is kept), then score them together
    (:func:`experiments.danger_bench.score_split`): the seeds judged, the kind table, the
    result folder."""
    from experiments.danger_bench import score_split
    from experiments.danger_tracker_compare import judge_scene

    root, out = Path(root), Path(out)
    done = [s for s in seeds if (root / "measured" / f"{s}.pkl").is_file()]
    for s in done:
        if not (out / "runs" / str(s) / "summary.json").is_file():
            judge_scene(s, root, out, config, mot=False)
    table, _, folder = score_split(out, done, label, n_boot=n_boot)
    return done, table, folder


def sweep(root, out, seeds, config: DangerConfig = DangerConfig(), kind: str = "tailgating"
          ) -> dict:
    """Judge and score; returns {seeds, caught, staged, false, near, lines, partial}."""
    done, _, folder = judge_kept(root, out, seeds, config)
    return kind_summary(folder, done, kind, root)


def kind_summary(folder, seeds, kind: str, root=None) -> dict:
    """From a scored result folder (:func:`experiments.danger_bench.score_split`'s), ``kind``'s
    {seeds, caught, staged, false, near, lines, partial}: one line per staged incident and per
    episode that matched none. With ``root`` (the kept measurements), a measurement cut short
    (``measure_scene``'s ``max_s``) counts only up to where it stops: staged incidents that
    start after it are left out of caught / staged (``partial``: seed -> the measurement's end,
    for those seeds)."""
    from outputs.run import load_run

    r = load_run(folder, tables=["danger_bench_episodes", "danger_bench_incidents"])
    ep, inc = r["danger_bench_episodes"], r["danger_bench_incidents"]
    ep, inc = ep[ep["kind"] == kind], inc[(inc["kind"] == kind) & ~inc["natural"]]
    partial = {}
    if root is not None:
        ends = measured_until(root, seeds)
        partial = {s: t for s, t in ends.items() if t is not None}
        inc = inc[inc["t_start"] < inc["scene"].map(lambda s: partial.get(s, float("inf")))]
    staged = inc[~inc["near_miss"]]
    lines = [f"incident {i.scene} #{i.incident} {'CAUGHT' if i.detected else 'missed'} "
             f"{i.distance_m:.1f} m {i.crowd}" for i in staged.itertuples()]
    lines += [f"episode {e.scene} at {e.t:.1f} s {e.outcome}" for e in ep.itertuples()
              if e.outcome in ("false", "near_miss")]
    return {"seeds": list(seeds), "caught": int(staged["detected"].sum()), "staged": len(staged),
            "false": int((ep["outcome"] == "false").sum()),
            "near": int((ep["outcome"] == "near_miss").sum()), "lines": lines,
            "partial": partial}


def measured_until(root, seeds) -> dict:
    """Per seed, where its kept measurement stops (s), or None where it runs to the scene's
    horizon (measured whole)."""
    import pickle

    from sim.loader import load_scenario

    out = {}
    for s in seeds:
        m = pickle.loads((Path(root) / "measured" / f"{s}.pkl").read_bytes())
        horizon = load_scenario(Path(root) / "scenes" / str(s) / f"scene_{s}.yaml").horizon_s
        out[s] = None if m["t_to"] >= horizon else float(m["t_to"])
    return out


def kind_seeds(seeds, kind: str = "tailgating") -> dict[int, list[dict]]:
    """Benchmark seeds of ``seeds`` whose scene stages ``kind`` (an incident or a near miss),
    each with those incidents' facts (:func:`experiments.danger_scenes.scene`: index,
    near_miss, distance_m) and the scene's crowd under ``"crowd"`` in each; deterministic, no
    rendering."""
    from experiments.danger_scenes import scene

    out = {}
    for s in seeds:
        _, info = scene(int(s))
        hits = [dict(f, crowd=info["crowd"]) for f in info["incidents"] if f["kind"] == kind]
        if hits:
            out[int(s)] = hits
    return out


def plan_lines(root, seeds, kind: str = "tailgating") -> list[str]:
    """``--plan``: per seed staging ``kind``, its incidents and its kept measurement under
    ``root`` (whole, to where, or none)."""
    lines = []
    for s, hits in kind_seeds(seeds, kind).items():
        kept = (Path(root) / "measured" / f"{s}.pkl").is_file()
        state = "not measured"
        if kept:
            t = measured_until(root, [s])[s]
            state = "measured whole" if t is None else f"measured to {t:.0f} s"
        incs = ", ".join(f"#{f['index']}{' near' if f['near_miss'] else ''} "
                         f"{f['distance_m']:.1f} m" for f in hits)
        lines.append(f"seed {s} {hits[0]['crowd']}: {incs}; {state}")
    return lines


def main(argv=None) -> None:
    from experiments.danger_tracker_compare import _seeds

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("--seeds", required=True)
    ap.add_argument("--config", default="{}")
    ap.add_argument("--kind", default="tailgating")
    ap.add_argument("--plan", action="store_true",
                    help="list the seeds staging --kind and what ROOT keeps; judge nothing")
    a = ap.parse_args(argv)
    seeds = _seeds(a.seeds)
    if set(seeds) & set(TEST_SEEDS):
        raise SystemExit(f"--seeds: the test split {TEST_SEEDS[0]}-{TEST_SEEDS[-1]} is held out")
    if a.plan:
        print("\n".join(plan_lines(a.root, seeds, a.kind)))
        return
    r = sweep(a.root, a.out, seeds, DangerConfig.model_validate(json.loads(a.config)), a.kind)
    print("\n".join(r["lines"]))
    print(f"{a.kind}: {r['caught']} / {r['staged']} caught, {r['false']} false episodes, "
          f"{r['near']} near-miss episodes, seeds {','.join(map(str, r['seeds']))}")
    if r["partial"]:  # measured part of the way: incidents after the end are not counted
        print("measured in part (to s): " + ", ".join(f"{s} ({t:.0f})"
                                                       for s, t in r["partial"].items()))


if __name__ == "__main__":
    main()
