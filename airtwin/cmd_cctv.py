"""CCTV identification commands: ``airtwin identify-cctv`` (frames through the pipeline under a
gallery policy, into a run folder), ``airtwin evaluate-tracking`` (identification, tracking,
reach and real-time metrics plus cctv_report.md) and ``airtwin bench cctv``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from airtwin.app import app, bench_app


def _fail(msg: str) -> None:
    typer.echo(msg, err=True)
    raise typer.Exit(2)


@app.command("identify-cctv")
def identify_cctv_cmd(
    scenario: Optional[Path] = typer.Argument(None, help="scenario YAML with face-capable CCTV "
                                              "cameras (omit with --composite)"),
    out: Path = typer.Option(..., help="run folder to write (replaced whole if it exists)"),
    gallery: str = typer.Option("watchlist", help="gallery policy: watchlist (default), manifest "
                                "or population; the last two are marked in every report"),
    backend: str = typer.Option("dlib", help="recognition backend: dlib or insightface "
                                "(models from $AIRTWIN_MODEL_DIR or ~/.insightface)"),
    seed: int = typer.Option(0, min=0, help="seed of the source (travelers, walks, faces)"),
    extra: int = typer.Option(0, min=0, help="extra enrolled identities (population only; "
                              ">= 100000)"),
    composite: bool = typer.Option(False, help="composite 1080p frames with real synthetic faces "
                                   "instead of a scenario (until face cameras exist)"),
    travelers: int = typer.Option(12, min=1, help="--composite: travelers (some on no manifest)"),
    chain: int = typer.Option(3, min=1, help="--composite: cameras in a chain, 25 m apart"),
    seconds: float = typer.Option(6.0, min=0.1, help="--composite: seconds of footage per camera"),
    t_from: Optional[float] = typer.Option(None, "--from", min=0, help="scenario: first second "
                                           "of footage (default: the start of the run)"),
    t_to: Optional[float] = typer.Option(None, "--to", min=0, help="scenario: end of the "
                                         "footage, s (default: the horizon)"),
    camera_ids: Optional[str] = typer.Option(None, "--cameras", help="scenario: only these "
                                             "face cameras, comma-separated (default: all)"),
    fps: Optional[float] = typer.Option(None, min=0.1, help="scenario: process this many frames "
                                        "per second of each camera (every k-th frame, k = "
                                        "camera fps / FPS rounded) instead of all of them; for "
                                        "long windows at a lower cost"),
    holdout: float = typer.Option(0.0, min=0.0, max=0.95, help="share of the non-watchlist "
                                  "travelers left out of the gallery (seeded), so a manifest "
                                  "run has non-mated searches to measure FPIR on"),
    threshold: Optional[float] = typer.Option(None, help="1:N threshold (cosine) instead of "
                                              "the recogniser's CCTV operating point"),
    follow_size: Optional[bool] = typer.Option(None, "--threshold-follows-size/--threshold-fixed",
                                               help="the CCTV operating point rises with the "
                                               "gallery's size N to hold its FPIR (default: "
                                               "pipeline.cctv.operating.FOLLOW_GALLERY_SIZE)"),
    persons: str = typer.Option("heads", help="person boxes for tracking: heads (the default: "
                                "the head-and-shoulders detector trained on synthetic frames, "
                                "airtwin train heads), faces (bodies implied by detected faces "
                                "only), mog2 or knn (background subtraction from the camera's "
                                "clean plate, merged blobs split by their faces) or onnx (a "
                                "person detector model, --person-model)"),
    person_model: Optional[Path] = typer.Option(None, help="--persons onnx: the model file; "
                                                "--persons heads: a .svm other than the "
                                                "shipped pipeline/vision/models/heads_hog.svm"),
    person_format: str = typer.Option("boxes", help="--persons onnx: output format, boxes or "
                                      "yolo"),
    head_resize: str = typer.Option("area", help="--persons heads: how the frame is shrunk to "
                                    "810 rows, area (the default) or linear (11 ms less CPU "
                                    "per frame; docs/cctv.md: CCTV speed)"),
    head_band: Optional[List[str]] = typer.Option(
        None, help="--persons heads: CAMERA=ROWS (repeatable) sets the head detector's far "
        "band on that camera over the scenario's (its camera's faces.head_band): the frame's "
        "top ROWS + 60 rows (of 1080) again at 1080 rows for heads in its top ROWS rows, e.g. "
        "hall_exit=300; 0 turns it off (docs/cctv.md: a cheap far band)"),
    identity_segments: Optional[float] = typer.Option(
        None, min=-1.0, max=1.0, help="end a track where a new face's cosine with the track's "
        "faces falls below this (identity segments, off by default; 0.5 chosen for insightface "
        "on tune seeds) and check each track's identity once a second"),
    one_person: Optional[float] = typer.Option(
        None, min=-1.0, max=1.0, help="search with a track's largest group of faces whose "
        "cosine with one of them reaches this (default 0.45, chosen for insightface on tune "
        "seeds; 0.55 gained on tune and lost held out; docs/cctv.md: one person per search); "
        "-1 keeps every face, the old rule"),
    claim_conflict: Optional[float] = typer.Option(
        None, min=-1.0, max=1.0, help="a search claims nobody when an earlier search of its "
        "track named another person first at this score or above (default off: 0.60 gained "
        "on tune seeds and not held out; docs/cctv.md: a claim against the track's earlier "
        "searches); -1 turns it off"),
    swaps: bool = typer.Option(True, help="end a track where the clothes under its box change "
                               "and continue that person's own id, and veto a re-link whose "
                               "faces disagree (docs/cctv.md: tracker swaps)"),
    fill_gaps: Optional[float] = typer.Option(
        None, min=0.0, help="after the run, fill each track's gaps up to this many seconds "
        "(between the boxes before and after) by linear interpolation, rows marked "
        "cctv_tracks.filled and scored beside the tracker's own; never a face or an "
        "identification (default: pipeline.cctv.gaps.MAX_GAP_S; 0: off; docs/cctv.md: a person "
        "hidden for a moment)"),
    stitch: bool = typer.Option(False, help="after the run (and the gap filling), stitch each "
                                "camera's track fragments by one global assignment on time "
                                "gap, place, scale, clothes and face claims, the stitched id "
                                "in cctv_tracks.stitched_id beside the tracker's own, journeys "
                                "linked again on the stitched tracks, scored beside the own "
                                "and filled ones; never a face or an identification (off by "
                                "default; docs/cctv.md: fragments stitched offline)"),
    audit: Optional[Path] = typer.Option(None, help="hash-chained audit log to append every "
                                         "identification to"),
    evaluate: bool = typer.Option(True, help="evaluate and write cctv_report.md too"),
    quiet: bool = typer.Option(False, help="no progress bars"),
) -> None:
    """Identify travelers in CCTV frames: per camera, tracks, faces through the quality gate,
    one 1:N search per track under the gallery policy, journeys across cameras. Writes the
    record tables (Parquet) into RUN, then (by default) the evaluation and cctv_report.md."""
    from experiments.cctv_identify import identify_cctv
    from experiments.cctv_sources import SourceError, composite_source, scenario_source
    from outputs.run import write_run
    from pipeline.cctv.galleries import GalleryError, check_policy
    from pipeline.registry import BackendError, backend_info

    try:
        check_policy(gallery)
        backend_info(backend)
    except (GalleryError, BackendError) as exc:
        _fail(f"--gallery/--backend: {exc}")
    if composite == (scenario is not None):
        _fail("give a SCENARIO or --composite (exactly one)")
    try:
        source = (composite_source(seed, travelers, chain, seconds) if composite
                  else scenario_source(scenario, seed, _window(t_from, t_to),
                                       camera_ids.split(",") if camera_ids else None, fps))
    except SourceError as exc:
        _fail(str(exc))
    person_options = None
    if persons == "onnx":
        if person_model is None:
            _fail("--persons onnx needs --person-model FILE (an ONNX person detector); without "
                  "one use --persons faces or mog2")
        person_options = {"model_path": person_model, "output_format": person_format}
    elif persons == "heads":
        person_options = {**({"model_path": person_model} if person_model is not None else {}),
                          **({"resize": head_resize} if head_resize != "area" else {})} or None
    if head_resize != "area" and persons != "heads":
        _fail(f"--head-resize sets the head detector; --persons {persons} does not run it")
    camera_options = {}
    for item in head_band or []:
        cam, sep, rows = item.partition("=")
        if not sep or not cam or not rows.strip().isdigit() or int(rows) > 1080:
            _fail(f"--head-band: expected CAMERA=ROWS with ROWS a whole number of rows 0-1080 "
                  f"(e.g. hall_exit=300; 0: off where the scenario's camera turns it on), got "
                  f"{item!r}")
        camera_options[cam.strip()] = {"band": int(rows)}
    log = None
    if audit is not None:
        from pipeline.service.audit import AuditLog
        log = AuditLog(audit)
    from pipeline.cctv.aggregate import AggregationConfig
    from pipeline.cctv.stitch import StitchConfig
    from pipeline.models import ModelPackError

    over = {}  # the aggregation settings given on the command line
    if identity_segments is not None:
        over.update(segment_min_cosine=identity_segments, verify_interval_s=1.0)
    if one_person is not None:
        over["consistent_min_cosine"] = None if one_person <= -1 else one_person
    if claim_conflict is not None:
        over["claim_conflict_score"] = None if claim_conflict <= -1 else claim_conflict
    aggregation = AggregationConfig(**over) if over else None
    try:
        tables, meta = identify_cctv(source, gallery, backend, extra, seed, log, quiet,
                                     holdout=holdout, threshold=threshold,
                                     follow_size=follow_size, persons=persons,
                                     person_options=person_options, aggregation=aggregation,
                                     swaps=swaps, person_camera_options=camera_options,
                                     **({} if fill_gaps is None else {"max_gap_s": fill_gaps}),
                                     stitching=StitchConfig() if stitch else None)
    except (ValueError, BackendError, ModelPackError) as exc:
        _fail(str(exc))
    path = write_run(out, tables, {"seed": seed, "gallery_policy": gallery,
                                   "mass_enrolment_policy": meta["marked"], "cctv": meta},
                     source.describe_json())
    s = tables["cctv_searches"]
    typer.echo(f"{path}: {len(s)} searches, {int(s['matched'].sum())} identifications on "
               f"{len(meta['cameras'])} cameras; gallery {meta['gallery_label']}")
    if evaluate:
        _evaluate(path)


def _evaluate(run: Path) -> dict:
    from experiments.cctv_evaluate import REPORT, evaluate_run, headline

    out, _ = evaluate_run(run)
    h = headline(out)
    typer.echo(f"rank-1 {h['rank1']:.3f}, FNIR@FPIR1e-2 {h['fnir_at_fpir_1e-2']:.3f} "
               f"({h['n_mated']} mated / {h['n_nonmated']} non-mated searches); reach "
               f"{h['share_identified']:.2f} of {h['travelers']} travelers; false "
               f"identifications {h['false_identifications']}; cross-camera IDF1 "
               f"{h['cross_camera_idf1']:.3f} ({h['cross_camera_idf1_filled']:.3f} with "
               f"{h['filled_rows']} rows of short gaps filled"
               + (f"; {h['cross_camera_idf1_stitched']:.3f} with {h['joins']} fragments "
                  f"stitched" if "cross_camera_idf1_stitched" in h else "") + ")")
    typer.echo(f"report: {Path(run) / REPORT}")
    return h


@app.command("evaluate-tracking")
def evaluate_tracking_cmd(
    runs: list[Path] = typer.Argument(..., help="run folder(s) written by airtwin "
                                      "identify-cctv; several are compared side by side"),
    pool: Path = typer.Option(None, "--pool", help="also pool the runs (one source and gallery "
                              "policy, e.g. several seeds) into this new folder: one FPIR "
                              "threshold over all their non-mated searches, tracking per camera "
                              "over the runs, cctv_pooled_report.md"),
) -> None:
    """Identification (FNIR at FPIR 1e-2/1e-3, rank-1 per camera, IPD band, group, gallery
    size), tracking (HOTA/IDF1/MOTA per camera, cross-camera IDF1), surveillance reach,
    latency and real-time factor: tables and cctv_report.md in each RUN; with several runs
    (e.g. one per gallery policy) a side-by-side table."""
    from outputs.run import RunFolderError, read_run_summary

    for run in runs:
        if not run.is_dir():
            _fail(f"{run}: run folder not found (make one with: airtwin identify-cctv SCENARIO "
                  f"--out {run})")
    rows = []
    for run in runs:
        try:
            h = _evaluate(run)
            meta = read_run_summary(run)["cctv"]
        except RunFolderError as exc:
            _fail(str(exc))
        rows.append((run.name, meta["gallery_label"], h))
    if len(rows) > 1:
        _compare(rows)
    if pool is not None:
        from experiments.cctv_pool import REPORT, write_pooled

        try:
            path, sec = write_pooled(runs, pool)
        except RunFolderError as exc:
            _fail(str(exc))
        r40, n40 = sec["rank1_ipd_ge40"]
        ok, windows = sec["camera_windows_idf1_ge_0.8"]
        typer.echo(f"pooled {len(runs)} runs: {sec['n_mated']} mated / {sec['n_nonmated']} "
                   f"non-mated searches, rank-1 {sec['rank1']:.3f} (IPD >= 40 px: {r40} of "
                   f"{n40}); camera-windows with IDF1 >= 0.8: {ok} of {windows}"
                   + (" ({} of {} with short gaps filled)".format(
                       *sec["camera_windows_idf1_ge_0.8_filled"])
                      if "camera_windows_idf1_ge_0.8_filled" in sec else ""))
        typer.echo(f"report: {path / REPORT}")


def _print_table(title: str, columns, rows) -> None:
    """A rich table: ``columns`` as (name, justify) pairs, ``rows`` of strings."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for name, justify in columns:
        t.add_column(name, justify=justify)
    for row in rows:
        t.add_row(*row)
    Console().print(t)


def _compare(rows) -> None:
    cols = [("share_identified", "reach", ".2f"), ("false_identifications", "false ids", "d"),
            ("false_ids_per_hour", "false ids/h", ".1f"), ("rank1", "rank-1", ".3f"),
            ("fnir_at_fpir_1e-2", "FNIR@1e-2", ".3f"), ("fnir_at_fpir_1e-3", "FNIR@1e-3", ".3f"),
            ("cross_camera_idf1", "cross-cam IDF1", ".3f")]
    _print_table("CCTV identification by gallery policy (compare runs of one source)",
                 [("run", "left"), ("gallery", "left")] + [(head, "right") for _, head, _ in cols],
                 [(run, label, *(format(h[k], f) if h[k] == h[k] else "–" for k, _, f in cols))
                  for run, label, h in rows])


@bench_app.command("cctv")
def bench_cctv_cmd(
    backend: str = typer.Option("dlib", help="recognition backend: dlib or insightface"),
    frames: int = typer.Option(10, min=1, help="1080p frames timed (about 20 people each)"),
    people: int = typer.Option(20, min=1, help="people in view per frame"),
    search_size: int = typer.Option(1_000_000, min=1, help="templates in the 1:N search test"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    persons: str = typer.Option("heads", help="person boxes: heads (the default: the "
                                "head-and-shoulders detector run on every frame too) or faces"),
    head_height: int = typer.Option(None, min=100, help="--persons heads: rows to detect at "
                                    "(default 810)"),
    head_every: int = typer.Option(None, min=1, help="--persons heads: detect every N frames "
                                   "(default 1)"),
    head_resize: str = typer.Option(None, help="--persons heads: area (default) or linear "
                                    "shrinking of the frame"),
    head_band: int = typer.Option(None, min=0, max=1080, help="--persons heads: the far band "
                                  "on every frame, heads in the top ROWS rows of 1080 looked for "
                                  "again at 1080 rows (default 0, off; docs/cctv.md: a cheap far "
                                  "band)"),
    baseline: bool = typer.Option(False, "--baseline", help="insightface: also time the "
                                  "recogniser settings of before the speed work (onnxruntime's "
                                  "default threads, PRelu as shipped) on the same frames, the "
                                  "two streams taking turns"),
) -> None:
    """Faces/s per core through detect -> embed -> search, cameras per core at 10 fps, 1:N
    search at 1M templates, frames/s per core at 1080p with about 20 people in view."""
    from experiments.bench_cctv import bench_cctv
    from pipeline.models import ModelPackError
    from pipeline.registry import BackendError

    head_options = {k: v for k, v in (("height", head_height), ("every", head_every),
                                      ("resize", head_resize), ("band", head_band))
                    if v is not None}
    try:
        r = bench_cctv(backend, frames, people, search_size, quiet=as_json, persons=persons,
                       head_options=head_options, baseline=baseline)
    except (ValueError, BackendError, ModelPackError, MemoryError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(r))
        return
    heads = (f" (rows {r['head_options']['height']}, every {r['head_options']['every']}, "
             f"resize {r['head_options']['resize']}, edge pass {r['head_options']['edge_strip']} px "
             f"strips mirrored {r['head_options']['edge_pad']} px, far band "
             f"{r['head_options']['band'] or 'off'})"
             if r["persons"] == "heads" else "")
    _print_table(f"airtwin bench cctv — {r['backend']}, persons {r['persons']}{heads}, 1080p "
                 f"composite frames with "
                 f"{r['people_in_view']:.0f} people in view, {r['frames']} frames, one core "
                 f"(CPU time)", [("measure", "right"), ("value", "right"), ("target", "right")], [
        ("faces/s per core (detect+embed+search)", f"{r['faces_per_core_s']:.1f}", ""),
        ("frames/s per core, 1080p", f"{r['frames_per_core_s']:.2f}", ">= 5"),
        ("cameras per core at 10 fps", f"{r['cameras_per_core_at_10fps']:.2f}", ""),
        (f"1:N search at {r['search_size']:,}: ms/probe", f"{r['search_ms_per_probe']:.1f}", ""),
        ("frame latency p50 / p99 ms",
         f"{r['latency_ms_p50']:.0f} / {r['latency_ms_p99']:.0f}", "")])
    variants = r["variants"]
    rows = [("frames/s per core", *(f"{v['frames_per_core_s']:.2f}" for v in variants)),
            ("cameras per core at 10 fps",
             *(f"{v['cameras_per_core_at_10fps']:.2f}" for v in variants)),
            ("faces passed", *(str(v["faces_passed"]) for v in variants))]
    rows += [(f"CPU ms/frame: {st}", *(f"{v['stage_cpu_ms'][st]:.1f}" for v in variants))
             for st in variants[0]["stage_cpu_ms"]]
    rows.append(("CPU ms/frame: total",
                 *(f"{sum(v['stage_cpu_ms'].values()):.1f}" for v in variants)))
    _print_table("Per stage (CPU ms per frame); with --baseline the variants took turns on the "
                 "same frames", [("measure", "right")]
                 + [(f"{v['variant']} (ort threads {v['settings']['ort_threads']}, PRelu "
                     f"{'split' if v['settings']['fast_prelu'] else 'as shipped'})", "right")
                    for v in variants], rows)


def _window(t_from: float | None, t_to: float | None) -> tuple[float, float] | None:
    if t_from is None and t_to is None:
        return None
    if t_from is None or t_to is None or t_to <= t_from:
        raise typer.BadParameter(f"--from and --to go together, with --to after --from "
                                 f"(got {t_from} and {t_to})")
    return float(t_from), float(t_to)
