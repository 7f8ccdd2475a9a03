"""Danger trackers side by side on the procedural benchmark's scenes (issue 12): the floor
tracker's own association against ByteTrack, OC-SORT (``trackers``) and ``norfair``
(:mod:`pipeline.danger.association`; the floor Kalman filter, speeds and their error bars are
the same in all four).

Each scene is rendered and detected once (MOG2, :meth:`CameraStream.measure`) and kept
(:func:`measure_scene`: observations and window densities per frame); every tracker's stream
then tracks the same observations and runs the same rules (:func:`judge_scene`,
:meth:`CameraStream.judge`). Per tracker the scenes are scored as the benchmark scores them
(:func:`experiments.danger_bench.score_split`: recall, precision, false alarms per
camera-hour), and person tracks are scored against the renderer's ground truth with
:func:`pipeline.cctv.metrics.mot_metrics` (HOTA, IDF1), over the people a rule may judge (box
at least ``min_person_px`` tall, under half hidden). Kept measurements depend on the detector,
body model and overcrowding tile settings; every other rule setting can be judged again from
them in seconds.

    OMP_NUM_THREADS=1 taskset -c 1 python -m experiments.danger_tracker_compare \\
        --seeds 0-19 --out runs/danger-trackers --workers 2

Resumable: measured scenes and judged run folders are kept and not run again. The table goes to
``OUT/compare`` (Parquet + ``danger_tracker_compare.md``) through :mod:`outputs`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.danger_run import with_overlay
from pipeline.danger.association import ASSOCIATIONS
from pipeline.danger.config import DangerConfig

PERSON_KINDS = ("person", "group", "lying")
MOT_MAX_OCCLUDED = 0.5


def measure_scene(seed: int, root: str | Path, config: DangerConfig = DangerConfig(),
                  max_s: float | None = None) -> Path:
    """Render and detect one scene once (MOG2, :meth:`CameraStream.measure`); keep per frame
    the observations and window densities, the people a rule may judge (ground truth for
    HOTA/IDF1) and the sim's records in ``root/measured/<seed>.pkl``, so any tracker or rule
    setting can judge it again in seconds (:func:`judge_scene`). Kept if already there. The
    scene is ``root/scenes/<seed>``'s when kept there (a staged batch,
    :mod:`experiments.danger_stage`), else the benchmark's (generated there).
    ``max_s``: stop this long after the analysed stretch starts (a smoke run)."""
    import pickle

    import cv2

    from experiments.danger_scenes import PREROLL_S, generate
    from outputs.atomic import write_bytes
    from pipeline.danger.stream import CameraStream
    from sim.feeds import OVERLAY_BOX, CctvFeed, frame_times, simulate_run
    from sim.layout import floor_plan
    from sim.loader import load_scenario

    root = Path(root)
    out = root / "measured" / f"{seed}.pkl"
    if out.is_file():
        return out
    cv2.setNumThreads(1)
    scenes = root / "scenes" / str(seed)
    path = scenes / f"scene_{seed}.yaml"
    if not (scenes / "scenes.json").is_file():  # a kept scene (a staged batch's) is measured
        path = generate([seed], scenes)[0]
    info = json.loads((scenes / "scenes.json").read_text(encoding="utf-8"))[str(seed)]
    s = load_scenario(path)
    t0 = time.perf_counter()
    records = simulate_run(s, s.seed)
    feed = CctvFeed(s, "cam", records=records, seed=s.seed, faces=False)
    cfg = with_overlay(config, OVERLAY_BOX)
    measure = CameraStream.from_plan(floor_plan(s), "cam", cfg)
    measure.prepare()
    t_from = info["analyse_from_s"]
    t_to = s.horizon_s if max_s is None else min(s.horizon_s, t_from + max_s)
    min_px = cfg.rules.min_person_px
    frames, gt = [], []
    for t in frame_times(cfg.analysis_fps, max(0.0, t_from - PREROLL_S), t_to):
        t = float(t)
        frame = feed.render(t)
        obs, density = measure.measure(frame.image, t)
        if measure.tracker_cfg.hold_still_s > 0:  # its tracks tell the detector who stands still
            measure.tracker.update(t, obs)
        frames.append((t, obs, density))
        if t >= t_from:
            gt += [(t, p.track_id, *p.box) for p in frame.persons
                   if p.box[3] - p.box[1] >= min_px and p.occluded < MOT_MAX_OCCLUDED]
    out.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(out, pickle.dumps({"seed": seed, "info": info, "records": records,
                                   "frames": frames, "gt": gt, "t_to": t_to,
                                   "crowd_factors": measure.crowd_factors,
                                   "wall_s": time.perf_counter() - t0}, protocol=5))
    return out


def scene_stream(root: str | Path, seed: int, config: DangerConfig = DangerConfig()):
    """The kept scene ``root/scenes/<seed>`` (scenario, floor plan) and a prepared stream of
    its camera as the benchmark judges it (``config`` with the overlay box)."""
    from experiments.danger_run import with_overlay
    from pipeline.danger.stream import CameraStream
    from sim.feeds import OVERLAY_BOX
    from sim.layout import floor_plan
    from sim.loader import load_scenario

    s = load_scenario(Path(root) / "scenes" / str(seed) / f"scene_{seed}.yaml")
    plan = floor_plan(s)
    st = CameraStream.from_plan(plan, "cam", with_overlay(config, OVERLAY_BOX))
    st.prepare()
    return s, plan, st


def kept_factors(m: dict, st) -> dict:
    """The per-window crowd factors a kept measurement was taken with (older measurements kept
    one constant ``crowd_factor``)."""
    return (m.get("crowd_factors")
            or dict.fromkeys(st.crowd_factors, m.get("crowd_factor", 1.0)))


def kept_frames(m: dict, st):
    """A kept measurement's frames ``(t, observations, window densities)`` for stream ``st``:
    window densities scale with the count model's crowd factor (both the foreground count and
    the window's capacity do), so new factors are judged from the kept measurement."""
    kept = kept_factors(m, st)
    scale = {k: f / kept[k] for k, f in st.crowd_factors.items()}
    for t, obs, density in m["frames"]:
        yield t, obs, None if density is None else {k: v * scale[k]
                                                     for k, v in density.items()}


def judge_scene(seed: int, root: str | Path, out: str | Path,
                config: DangerConfig = DangerConfig(), mot: bool = True) -> Path:
    """Track and judge a measured scene (``root/measured/<seed>.pkl``) with ``config``'s
    association and rules; writes the benchmark's tables (plus ``mot``: HOTA, IDF1 of the
    person tracks) to ``out/runs/<seed>``. Score with :func:`experiments.danger_bench.score_split`."""
    import pickle

    from experiments.danger_bench import bench_tables
    from experiments.danger_run import ALERT_COLUMNS
    from outputs.run import write_run
    from pipeline.cctv.metrics import mot_metrics
    from sim.loader import scenario_json

    root = Path(root)
    m = pickle.loads((root / "measured" / f"{seed}.pkl").read_bytes())
    info = m["info"]
    s, _, st = scene_stream(root, seed, config)
    t_from = info["analyse_from_s"]
    rows, hyp = [], []
    feed = None
    if st.looks_at_pixels:  # a rule looks at pixels: render the frames it asks for
        from sim.feeds import CctvFeed, simulate_run

        feed = CctvFeed(s, "cam", records=simulate_run(s, s.seed), seed=s.seed, faces=False)
    t0 = time.perf_counter()
    for t, obs, density in kept_frames(m, st):
        res = st.judge(t, obs, density, image=None if feed is None else
                       (lambda t=t: feed.render(t).image))
        if t >= t_from:
            rows += [("cam", al.t, al.kind, al.zone, ",".join(map(str, al.track_ids)),
                      al.confidence, *al.box, al.detail) for al in res.alerts]
            hyp += [(t, o.track_id, *o.box) for o in res.objects if o.kind in PERSON_KINDS]
    judge_s = time.perf_counter() - t0
    tables = bench_tables(seed, s, info, pd.DataFrame(rows, columns=ALERT_COLUMNS),
                          m["records"], m["wall_s"] + judge_s)
    tables["bench_coverage"]["t_to"] = m["t_to"]
    cols = ["frame", "id", "x1", "y1", "x2", "y2"]
    gt, h = pd.DataFrame(m["gt"], columns=cols), pd.DataFrame(hyp, columns=cols)
    scores = mot_metrics(gt, h) if mot and len(gt) and len(h) else {}
    tables["mot"] = pd.DataFrame([{"scene": seed, "association": config.association,
                                   "judge_s": judge_s, "frames": len(m["frames"]), **scores}])
    return write_run(Path(out) / "runs" / str(seed), tables,
                     {"seed": seed, "measured": str(root / "measured" / f"{seed}.pkl"),
                      "config": config.model_dump()}, scenario_json(s))


def _measure_job(args):
    seed, root = args
    measure_scene(seed, root)
    return seed


def _judge_job(args):
    seed, root, out, cfg_json = args
    judge_scene(seed, root, out, DangerConfig.model_validate_json(cfg_json))
    return seed


def compare(seeds, root: str | Path, config: DangerConfig = DangerConfig(),
            associations=ASSOCIATIONS, workers: int = 1, command: str = "") -> pd.DataFrame:
    """Run every scene (resumable), score each association; returns one row per tracker."""
    from experiments.danger_bench import run_pool, score_split
    from outputs.run import add_report, load_run, write_run

    root = Path(root)
    seeds = [int(s) for s in seeds]
    run_pool(_measure_job, [(s, str(root)) for s in seeds], workers, "scenes measured")
    judge_jobs = [(s, str(root), str(root / a),
                   config.model_copy(update={"association": a}).model_dump_json())
                  for a in associations for s in seeds
                  if not (root / a / "runs" / str(s) / "summary.json").is_file()]
    run_pool(_judge_job, judge_jobs, workers, "scenes judged")
    rows = []
    for a in associations:
        table, _, _ = score_split(root / a, seeds, "tune", command)
        al = table.set_index("kind").loc["all"]
        mot = pd.concat([load_run(root / a / "runs" / str(s), tables=["mot"])["mot"]
                         for s in seeds], ignore_index=True)
        rows.append({"tracker": a, "scenes": len(seeds), "incidents": int(al["incidents"]),
                     "detected": int(al["detected"]), "recall": al["recall"],
                     "recall_lo": al["recall_lo"], "recall_hi": al["recall_hi"],
                     "episodes": int(al["episodes"]), "false_alarms": int(al["false_alarms"]),
                     "precision": al["precision"], "precision_lo": al["precision_lo"],
                     "precision_hi": al["precision_hi"],
                     "fa_per_camera_hour": al["false_alarms_per_camera_hour"],
                     "baseline_fa_per_camera_hour": al["baseline_false_alarms_per_camera_hour"],
                     "HOTA": mot["HOTA"].mean() if "HOTA" in mot else np.nan,
                     "IDF1": mot["IDF1"].mean() if "IDF1" in mot else np.nan,
                     "ID_switches": mot["ID_switches"].sum() if "ID_switches" in mot else np.nan,
                     "judge_s": mot["judge_s"].sum()})
    out = pd.DataFrame(rows)
    text = report(out, seeds, command)
    folder = write_run(root / "compare", {"danger_tracker_compare": out},
                       {"seeds": seeds, "command": command}, json.dumps({"seeds": seeds}))
    add_report(folder, "danger_tracker_compare.md", text)
    return out


def report(table: pd.DataFrame, seeds, command: str) -> str:
    lines = [f"# Danger trackers compared (tune seeds {', '.join(map(str, seeds))})", "",
             f"Command: `{command}`", "",
             "| tracker | incidents | detected | recall [95% CI] | episodes | false | "
             "precision [95% CI] | FA / cam-h | baseline FA / cam-h | HOTA | IDF1 | ID sw |",
             "|---|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.tracker} | {r.incidents} | {r.detected} | {r.recall:.2f} "
            f"[{r.recall_lo:.2f}, {r.recall_hi:.2f}] | {r.episodes} | {r.false_alarms} | "
            f"{r.precision:.2f} [{r.precision_lo:.2f}, {r.precision_hi:.2f}] | "
            f"{r.fa_per_camera_hour:.2f} | {r.baseline_fa_per_camera_hour:.2f} | "
            f"{r.HOTA:.3f} | {r.IDF1:.3f} | {r.ID_switches:.0f} |")
    return "\n".join(lines) + "\n"


def _seeds(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    return out


def main(argv=None) -> None:
    import sys

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0-19", help="tune seeds, e.g. 0-19 or 0,3,6")
    ap.add_argument("--out", required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--trackers", default=",".join(ASSOCIATIONS))
    a = ap.parse_args(argv)
    seeds = _seeds(a.seeds)
    if any(s >= 1000 for s in seeds):
        raise SystemExit(f"--seeds: tune seeds only (0-19), got {a.seeds}: the test split is "
                         f"held out")
    cmd = "python -m experiments.danger_tracker_compare " + " ".join(sys.argv[1:] if argv is None
                                                                      else argv)
    table = compare(seeds, a.out, DangerConfig(), a.trackers.split(","), a.workers, cmd)
    print(report(table, seeds, cmd))


if __name__ == "__main__":
    main()
