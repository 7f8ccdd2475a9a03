"""Rank-1 at IPD >= 40 px (issue 11's identification target) measured where such faces occur.

A one-minute window of all five cameras holds only 2-3 mated searches at IPD >= 40 px per seed:
too few to call rank-1 >= 0.95 (59 of 59 are needed for a 95 % lower bound of 0.95). Nearly all
of them come from ``corridor_far``: everyone off the pier walks straight at it and passes under
it, and its narrow lens (30 degrees) shows a face at 40-57 px IPD over the last 1.5 m before the
head leaves the frame; the other cameras reach 40 px only in their bottom rows, where few faces
are turned to them. So the measurement is ``identify-cctv`` on ``corridor_far`` alone, over
minutes of a flight's walk, with the whole manifest enrolled (``--holdout 0``: every search is
mated, twice the mated searches per CPU minute of ``--holdout 0.5``).

    python -m experiments.cctv_rank1 run scenarios/cctv_identification.yaml --seed 1 \\
        --from 1270 --to 1510 --out RUN1 --faces RUN1.npz     # records the templates (scratch)
    python -m experiments.cctv_rank1 report RUN1:RUN1.npz RUN2:RUN2.npz   # or plain RUN folders

``run`` is ``airtwin identify-cctv SCENARIO --gallery manifest --backend insightface --holdout 0
--cameras corridor_far --fps 5`` through the same code, evaluated; with ``--faces`` it also keeps
every template the stream's embedder returned (face box, quality as the gate measured it) and the
gallery's in a scratch file beside the run, never in the run folder. It refuses the held-out
seeds unless ``--held-out-report`` (the lead's: a frozen setting scored once). ``report``: rank-1
per IPD band of the stream's searches per run and pooled, rank-1 at >= 40 px with its exact 95 %
lower bound, and the cost (mated searches at >= 40 px per minute of wall time, of stream CPU, of
footage); with a run's recording also the 40 px probe: each track's own template when its first
face of 40 px joins it, searched once (:func:`experiments.cctv_rank1_trace.at_ipd`; the stream
itself searches again only for a face 1.4 x the searched quality, so most tracks never search
with their 40 px faces), its misses by class, and the replay's check against the run's searches.
Failures traced and other probes: ``experiments.cctv_rank1_trace`` (tune seeds only).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from pipeline.cctv.metrics import IPD_LABELS as BANDS  # the evaluation's own IPD bands

from experiments.cctv_track_tune import HELD_OUT

CAMERA = "corridor_far"


class RecordingEmbedder:
    """Wraps the stream's embedder and keeps every template it returns with the frame's shape,
    the face box and its quality as the stream's gate measures it (scratch research data; the
    run folder keeps no template)."""

    def __init__(self, inner):
        from pipeline.cctv.quality import QualityGate

        self.inner, self.gate = inner, QualityGate()
        self.name = inner.name
        self.calls: list[tuple[tuple, tuple, np.ndarray, tuple]] = []

    def __getattr__(self, attr):
        return getattr(self.inner, attr)

    def embed(self, image, detections):
        from pipeline.cctv.quality import measure_face

        out = self.inner.embed(image, detections)
        for d, e in zip(detections, out):
            q = measure_face(image, d, self.gate)
            self.calls.append((tuple(image.shape[:2]), tuple(map(float, d.box)),
                               np.asarray(e.vector, np.float32),
                               (q.ipd_px, q.yaw_deg, q.pitch_deg, q.sharpness, q.score)))
        return out


def run(scenario: str, seed: int, window, out: Path, faces: Path | None, fps: float = 5.0,
        holdout: float = 0.0, held_out: bool = False, follow_size: bool | None = None) -> Path:
    """``identify-cctv`` on :data:`CAMERA` over ``window`` (manifest, insightface, ``holdout``),
    written to ``out`` and evaluated; ``faces``: the recording's scratch .npz (module docstring);
    ``follow_size``: the CCTV threshold follows the gallery's size (None: the shipped default,
    :data:`pipeline.cctv.operating.FOLLOW_GALLERY_SIZE`)."""
    from dataclasses import replace

    from experiments.cctv_evaluate import evaluate_run, headline
    from experiments.cctv_identify import identify_cctv, prepare_backend
    from experiments.cctv_sources import scenario_source
    from outputs.run import write_run

    if seed in HELD_OUT and not held_out:
        raise SystemExit(f"--seed {seed} is held out: only the lead measures it, with "
                         f"--held-out-report (a frozen setting scored once)")
    source = scenario_source(scenario, seed, window, [CAMERA], fps)
    parts = prepare_backend("insightface", frame_sizes=[c.size for c in
                                                       source.cameras.values()],
                            follow_size=follow_size)
    rec = RecordingEmbedder(parts.embedder) if faces is not None else None
    tables, meta = identify_cctv(source, "manifest",
                                 parts if rec is None else replace(parts, embedder=rec), 0, seed,
                                 None, True, holdout=holdout)
    path = write_run(out, tables, {"seed": seed, "gallery_policy": "manifest",
                                   "mass_enrolment_policy": meta["marked"], "cctv": meta},
                     source.describe_json())
    res, _ = evaluate_run(path)
    print(path, headline(res))
    if rec is not None:  # frames are the camera's size; the rest are enrolment photos
        frame = [k for k, call in enumerate(rec.calls) if call[0] == source.cameras[
            CAMERA].size[::-1]]
        in_frame = set(frame)
        enrol = [k for k in range(len(rec.calls)) if k not in in_frame]
        np.savez_compressed(faces, frame_boxes=np.array([rec.calls[k][1] for k in frame]),
                            frame_vectors=np.stack([rec.calls[k][2] for k in frame]),
                            frame_quality=np.array([rec.calls[k][3] for k in frame]),
                            enrol_vectors=np.stack([rec.calls[k][2] for k in enrol]))
    return path




def lower_bound(k: int, n: int, level: float = 0.95) -> float:
    """One-sided exact (Clopper-Pearson) lower bound of a rate seen ``k`` times in ``n``."""
    from scipy.stats import beta

    return float(beta.ppf(1 - level, k, n - k + 1)) if k else 0.0


def run_rows(run: Path) -> dict:
    """One evaluated run's mated searches per IPD band (rank-1 hits / searches), its searches
    at IPD >= 40 px (mated, their tracks, non-mated) and its cost (wall seconds of the run, CPU
    seconds of the camera stream, minutes of footage)."""
    from outputs.run import load_run

    r = load_run(run, tables=["cctv_search_truth", "cctv_frames"])
    s, f = r["cctv_search_truth"], r["cctv_frames"]
    m = s[s["mated"]]
    ge40 = m[m["best_ipd_px"] >= 40]
    row = {"run": str(run), "seed": int(r.summary.get("seed", -1)),
           "cameras": ",".join(sorted(f["camera"].unique())),
           "footage_min": float(f.groupby("camera")["t"].agg(
               lambda t: len(t) * np.median(np.diff(np.sort(t)))).sum() / 60),
           "wall_s": float(r.summary.get("cctv", {}).get("wall_time_s", np.nan)),
           "stream_cpu_s": float(f["cpu_s"].sum()),
           "ge40_hits": int((ge40["mate_rank"] == 1).sum()), "ge40": len(ge40),
           "ge40_tracks": int(ge40[["camera", "track_id"]].drop_duplicates().shape[0]),
           "ge40_nonmated": int(((~s["mated"]) & (s["best_ipd_px"] >= 40)).sum())}
    for band in BANDS:
        b = m[m["ipd_band"] == band]
        row[band] = f"{int((b['mate_rank'] == 1).sum())}/{len(b)}"
    row["all"] = f"{int((m['mate_rank'] == 1).sum())}/{len(m)}"
    return row


def probe_rows(run: Path, faces: Path, min_ipd: float = 40.0) -> dict:
    """The run's tracks probed once with their template when their first face of ``min_ipd``
    px joins it (:func:`experiments.cctv_rank1_trace.at_ipd`, from the recorded templates)."""
    from experiments.cctv_rank1_trace import (at_ipd, check_replay, classes_of_misses,
                                              load_recorded)

    d = load_recorded(run, faces, held_out=True)  # scoring only: nothing is tuned here
    a = at_ipd(d, min_ipd)
    m = a[a["mated"]]
    miss = classes_of_misses(d, a)
    return {"probe_hits": int((m["rank"] == 1).sum()), "probe": len(m),
            "probe_track": int((miss == "track").sum()),
            "probe_misses": ", ".join(f"{k} {v}" for k, v in
                                      miss.value_counts().items()),
            "replay": check_replay(d)}


def report(runs: list[Path], faces: list[Path | None] | None = None) -> str:
    """Rank-1 per IPD band per run and pooled, the pooled rank-1 at IPD >= 40 px with its 95 %
    lower bound, and what the measurement cost; with a run's recorded templates (``faces``),
    also each track probed once at its first 40 px face (``probe``)."""
    import pandas as pd

    faces = faces or [None] * len(runs)
    t = pd.DataFrame([{**run_rows(p), **(probe_rows(p, f) if f is not None else
                                          {"probe_hits": 0, "probe": 0, "probe_track": 0,
                                                           "probe_misses": "",
                                                           "replay": ""})}
                      for p, f in zip(runs, faces)])
    replays = [f"{r}: {x}" for r, x in zip(t["run"], t.pop("replay")) if x]
    pooled = {"run": "pooled", "seed": -1, "cameras": "", **{
        c: t[c].sum() for c in ("footage_min", "wall_s", "stream_cpu_s", "ge40_hits", "ge40",
                                "ge40_tracks", "ge40_nonmated", "probe_hits", "probe",
                                "probe_track")},
        "probe_misses": ""}
    for band in (*BANDS, "all"):
        k, n = zip(*(map(int, v.split("/")) for v in t[band]))
        pooled[band] = f"{sum(k)}/{sum(n)}"
    t = pd.concat([t, pd.DataFrame([pooled])], ignore_index=True)
    k, n = int(pooled["ge40_hits"]), int(pooled["ge40"])
    kp, np_ = int(pooled["probe_hits"]), int(pooled["probe"])
    lines = [t.drop(columns=["ge40_hits", "probe_hits", "probe_track"]).to_string(index=False),
             "",
             f"rank-1 at IPD >= 40 px (the stream's searches): {_rate(k, n)}",
             f"mated searches at IPD >= 40 px per minute of run wall time: "
             f"{n / (pooled['wall_s'] / 60):.2f}; per CPU minute of the camera stream: "
             f"{n / (pooled['stream_cpu_s'] / 60):.2f}; per minute of footage: "
             f"{n / pooled['footage_min']:.2f}"]
    if np_:
        lines += [f"rank-1 at IPD >= 40 px (each track's template at its first 40 px face, "
                  f"recorded runs): {_rate(kp, np_)}",
                  f"  the same without the misses whose faces are another traveler's (class "
                  f"track: the run's truth follows body boxes): "
                  f"{_rate(kp, np_ - int(pooled['probe_track']))}", *replays]
    return "\n".join(lines)


def _rate(k: int, n: int) -> str:
    return f"{k} of {n}" + (f" = {k / n:.3f}, 95 % lower bound {lower_bound(k, n):.3f}"
                            if n else "")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m experiments.cctv_rank1", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="identify-cctv on corridor_far, whole manifest enrolled")
    r.add_argument("scenario")
    r.add_argument("--seed", type=int, required=True)
    r.add_argument("--from", dest="t_from", type=float, required=True)
    r.add_argument("--to", dest="t_to", type=float, required=True)
    r.add_argument("--fps", type=float, default=5.0)
    r.add_argument("--holdout", type=float, default=0.0)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--faces", type=Path, help="scratch .npz for the templates (for `report` "
                   "and, on tune seeds, `experiments.cctv_rank1_trace`)")
    size = r.add_mutually_exclusive_group()
    size.add_argument("--threshold-follows-size", dest="follow_size", action="store_true",
                      default=None, help="the CCTV threshold set for the gallery's size "
                      "(pipeline.cctv.operating.SizedThreshold; default: the shipped setting)")
    size.add_argument("--threshold-fixed", dest="follow_size", action="store_false",
                      help="the CCTV threshold where it was chosen, whatever the size")
    r.add_argument("--held-out-report", action="store_true",
                   help="the lead's: run a held-out seed (101-110) to score a frozen setting")
    rp = sub.add_parser("report", help="rank-1 per IPD band, pooled, with bounds and cost")
    rp.add_argument("runs", nargs="+", help="RUN or RUN:FACES.npz (the run's recording)")
    a = p.parse_args(argv)
    if a.cmd == "run":
        run(a.scenario, a.seed, (a.t_from, a.t_to), a.out, a.faces, a.fps, a.holdout,
            a.held_out_report, a.follow_size)
    elif a.cmd == "report":
        pairs = [x.split(":", 1) for x in a.runs]
        print(report([Path(x[0]) for x in pairs],
                     [Path(x[1]) if len(x) > 1 else None for x in pairs]))


if __name__ == "__main__":
    main()
