"""Recognition pipeline commands: calibrate, profile, models download/where, bench pipeline,
bench faces. Heavy imports happen inside each command."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from airtwin.app import app, bench_app, models_app
from outputs.progress import steps

BACKEND_HELP = "recognition backend: dlib (offline default) or insightface (ONNX model pack)"
MODEL_DIR_HELP = "insightface model pack folder (default: $AIRTWIN_MODEL_DIR, then ~/.insightface/models/<pack>)"


def _fail(msg: str, code: int = 2):
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


@contextmanager
def _errors():
    """Known failures (bad backend, missing pack, offline, bad calibration) become one line."""
    from pipeline.align import ImageError
    from pipeline.calibration import CalibrationError
    from pipeline.models import ModelPackError
    from pipeline.registry import BackendError
    try:
        yield
    except (BackendError, ModelPackError, CalibrationError, ImageError) as exc:
        _fail(str(exc))


def _recognizer(backend: str, model_dir: Optional[Path], provider: str = "auto"):
    from pipeline.recognizer import Recognizer

    if backend == "dlib" and provider not in ("auto", "cpu"):
        _fail(f"the dlib backend runs on the CPU only in this build (dlib-bin has no CUDA); "
              f"use --backend insightface --provider {provider}")
    return Recognizer.from_backend(backend, model_dir=str(model_dir) if model_dir else None,
                                   provider=provider).prepare()


def _echo_json(obj) -> None:
    typer.echo(json.dumps(obj, indent=2, default=lambda o: None if o is None else float(o)))


def _table(title: str, columns: list[str], rows: list[list]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for c in columns:
        t.add_column(c, justify="right" if c not in columns[:1] else "left")
    for r in rows:
        t.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in r])
    console = Console()
    if not console.is_terminal:  # piped into a file or a CI log: don't squeeze to 80 columns
        console = Console(width=150)
    console.print(t)


# --- calibrate -----------------------------------------------------------------------------

@app.command()
def calibrate(backend: str = typer.Option("dlib", help=BACKEND_HELP),
              model_dir: Optional[Path] = typer.Option(None, help=MODEL_DIR_HELP),
              n: int = typer.Option(200, min=10, help="synthetic identities (each: 1 enrolment, --lives live captures)"),
              lives: int = typer.Option(2, min=1, help="live captures per identity"),
              provider: str = typer.Option("auto", help="auto | cpu | cuda | tensorrt (insightface)"),
              out: Optional[Path] = typer.Option(None, help="calibration file (default: the user data folder)"),
              ship: bool = typer.Option(False, "--ship", help="for maintainers: write the calibration "
                                        "airtwin ships (pipeline/calibrations/), after a renderer "
                                        "change; needs --n >= 200"),
              as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Thresholds at FMR 1e-3 and 1e-4 from synthetic genuine and impostor scores, saved and
    then used by default (live mode, profile, serve)."""
    from dataclasses import asdict

    from experiments.calibrate import calibrate_synthetic as run_calibration
    from pipeline.calibration import save_calibration, shipped_path

    if ship and (out is not None or n < 200):
        typer.echo("--ship writes pipeline/calibrations/ itself (no --out) and needs --n >= 200",
                   err=True)
        raise typer.Exit(2)
    with _errors():
        rec = _recognizer(backend, model_dir, provider)
        with steps(f"calibrating {backend} (render, then score)", 2 * n, quiet=as_json) as step:
            cal = run_calibration(rec, backend, n_identities=n, lives=lives, progress=step)
        path = save_calibration(cal, shipped_path(backend, cal.model) if ship else out)
    if as_json:
        _echo_json({"file": str(path), **asdict(cal)})
        return
    s = cal.summary
    _table(f"calibration of {backend} ({cal.model}), {cal.n_identities} identities",
           ["target FMR", "threshold", "observed FMR", "FNMR (FTA incl.)"],
           [[k, cal.thresholds[k], cal.fmr_observed[k], cal.fnmr[k]] for k in cal.thresholds])
    typer.echo(f"{cal.n_genuine} genuine / {cal.n_impostor} impostor scores; FTA {cal.fta_rate:.2%}; "
               f"d' {s['d_prime']:.2f}, EER {s['eer']:.2%}; FMR below "
               f"{s['min_resolvable_fmr']:.1e} cannot be observed with this many impostors")
    typer.echo(f"saved {path}")


# --- profile -------------------------------------------------------------------------------

@app.command("profile")
def profile_cmd(out: Path = typer.Option(..., help="profile JSON to write (scenario's immigration.recognizer.profile_file)"),
                backend: str = typer.Option("dlib", help=BACKEND_HELP),
                model_dir: Optional[Path] = typer.Option(None, help=MODEL_DIR_HELP),
                n: int = typer.Option(200, min=2, help="synthetic transactions"),
                fmr: float = typer.Option(1e-3, help="operating point: the calibrated threshold at this FMR"),
                calibration: Optional[Path] = typer.Option(None, help="calibration file (default: the saved one)"),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """Measure FTA, FNMR, FMR and latency on N synthetic e-gate transactions and save a profile
    that profile-mode runs load."""
    from experiments.calibrate import renderer_fingerprint
    from experiments.profile import build_profile, save_profile, synthetic_transactions
    from pipeline.calibration import operating_point

    with _errors():
        rec = _recognizer(backend, model_dir)
        op = operating_point(backend, rec.model, fmr, calibration, pipeline=rec.fingerprint(),
                             renderer=renderer_fingerprint())
        if not op.calibrated or op.stale:
            typer.echo(f"warning: {op.source}", err=True)
        with steps(f"profiling {backend}", n, quiet=as_json) as step:
            table = synthetic_transactions(rec, op, n, progress=step)
        prof = build_profile(table, rec, backend, op)
        path = save_profile(prof, out)
    if as_json:
        _echo_json({"file": str(path), **{k: v for k, v in prof.items() if k != "per_group"}})
        return
    p = prof["profile"]
    lat = prof["latency_stages"]["latency_s"]
    _table(f"profile of {backend} ({rec.model}) at threshold {op.threshold:.4f}"
           f"{'' if op.calibrated else ' (UNCALIBRATED)'}",
           ["metric", "value"],
           [["FTA", p["fta_rate"]], ["FNMR (acquired)", p["fnmr"]], ["FMR", p["fmr"]],
            ["latency p50 s", lat["p50"]], ["latency p99 s", lat["p99"]]])
    typer.echo(f"saved {path}")


# --- models --------------------------------------------------------------------------------

@models_app.command("download")
def models_download(name: str = typer.Argument("buffalo_l", help="pack name, e.g. buffalo_l"),
                    root: str = typer.Option("~/.insightface", help="insightface root folder")) -> None:
    """Download an insightface model pack with insightface's own download (needs internet)."""
    from pipeline.models import ModelPackError, download_pack

    try:
        path = download_pack(name, root)
    except ModelPackError as exc:
        _fail(str(exc))
    typer.echo(f"{name}: {path}")


@models_app.command("where")
def models_where(model_dir: Optional[Path] = typer.Option(None, help=MODEL_DIR_HELP),
                 pack: str = typer.Option("buffalo_l")) -> None:
    """Show which model pack the insightface backend would use, and its files."""
    from pipeline.models import find_pack

    with _errors():
        p = find_pack(model_dir, pack)
    typer.echo(f"pack: {p.path}\ndetector: {p.detector.name}\nrecogniser: {p.recogniser.name}")


# --- bench pipeline ------------------------------------------------------------------------

def _sizes(text: str) -> list[int]:
    try:
        return [int(float(x)) for x in text.split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated numbers, got {text!r}") from None


@bench_app.command("pipeline")
def bench_pipeline(backend: str = typer.Option("dlib", help=BACKEND_HELP),
                   model_dir: Optional[Path] = typer.Option(None, help=MODEL_DIR_HELP),
                   provider: str = typer.Option("auto", help="auto | cpu | cuda | tensorrt (insightface)"),
                   n: int = typer.Option(40, min=4, help="rendered e-gate captures for the latency figures"),
                   galleries: str = typer.Option("10000,100000,1000000", help="1:N gallery sizes"),
                   batches: str = typer.Option("1,2,4,8,16,32,64", help="batch sizes for the embedder sweep"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """Per-face latency by stage, overhead over bare model calls, 1:N search against the memory
    bound, embedder batch sweep (faces/s, p99). With --provider cuda: on an NVIDIA GPU."""
    import onnxruntime as ort

    from experiments import bench_pipeline as bp

    with _errors():
        rec = _recognizer(backend, model_dir, provider)
        provider_used = getattr(rec.embedder, "execution_provider", "dlib (CPU)")
        with steps("rendering captures", n, quiet=as_json) as step:
            images = []
            for im in bp.render_captures(n):
                images.append(im)
                step()
        with steps("timing stages", n, quiet=as_json) as step:
            lat = bp.stage_latencies(rec, backend, images, step)
        sweep = bp.batch_sweep(rec, images[:16], _sizes(batches))
        bw = bp.memory_bandwidth()
        sizes = _sizes(galleries)
        with steps("1:N search", len(sizes), quiet=as_json) as step:
            search = bp.search_scaling(rec.embedder.dim, sizes, bandwidth=bw, progress=step)
    result = {"backend": backend, "model": rec.model, "detector": rec.detector.name,
              "provider": provider_used, "onnxruntime_providers": ort.get_available_providers(),
              "cpu_count": os.cpu_count(), "latency": lat, "batch_sweep": sweep,
              "embedder_faces_per_call": getattr(rec.embedder, "batch_limit", None),
              "memory_bandwidth_gb_s": bw / 1e9, "search": search}
    if as_json:
        _echo_json(result)
        return
    _table(f"per-face latency, {backend} ({rec.detector.name} + {rec.model}) on {provider_used}, "
           f"{lat['n_faces']} faces", ["stage", "p50 ms", "p99 ms"],
           [[k, v["p50_ms"], v["p99_ms"]] for k, v in lat["stages"].items()])
    typer.echo(f"end to end {lat['end_to_end_ms']:.1f} ms over bare model calls "
               f"{lat['bare_model_calls_ms']:.1f} ms = {lat['overhead_ratio']:.3f}x "
               f"(target <= {lat['overhead_target']:.2f}x)")
    _table(f"embedder batch sweep on {provider_used}", ["batch", "faces/s", "p50 ms", "p99 ms"],
           [[r["batch"], r["faces_per_s"], r["p50_ms"], r["p99_ms"]] for r in sweep])
    if result["embedder_faces_per_call"] == 1:
        typer.echo("the recogniser is dynamically quantised: it runs one face per model call (a "
                   "batched template would depend on its batch mates), so batches gain nothing; "
                   "size GPUs with an fp32/fp16 recogniser")
    _table(f"1:N exact search (numpy, {search[0]['dtype'] if search else ''}); memory bandwidth "
           f"{bw / 1e9:.1f} GB/s (copy)", ["templates", "dim", "MB", "search ms",
                                            "batched ms/probe", "bound ms", "x bound"],
           [[r["templates"], r["dim"], r["gallery_mb"], r["search_ms"],
             r["batched_search_ms_per_probe"], r["memory_bound_ms"], r["ratio_to_bound"]]
            for r in search])


# --- bench faces ---------------------------------------------------------------------------

@bench_app.command("faces")
def bench_faces(n: int = typer.Option(200, min=2, help="synthetic identities"),
                lives: int = typer.Option(4, min=1, help="live captures per identity"),
                seed: int = typer.Option(16_180, help="identity keys (seed, i); 16180 is the benchmark's"),
                look_alikes: float = typer.Option(0.1, min=0, max=0.5, help="share of identities that are a sibling or twin of another (scored apart)"),
                change: bool = typer.Option(True, "--change/--no-change", help="the photo shows the traveler up to 10 years younger, other weight, hair, no glasses"),
                cnn_sample: int = typer.Option(50, min=0, help="live captures for dlib CNN (~2 s each here)"),
                cctv_frames: int = typer.Option(100, min=0, help="CCTV frames to time (0: skip)"),
                model_dir: Optional[Path] = typer.Option(None, help="folder with det_500m.onnx and w600k_mbf_int8.onnx (default: ../shared/models, then $AIRTWIN_MODEL_DIR)"),
                out: Optional[Path] = typer.Option(None, help="folder for bench_faces.json and bench_faces_scores.png (synthetic vs reference histograms)"),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """Realism of the synthetic faces: detection rates (dlib HOG, CNN, SCRFD), skin tone (ITA),
    separability (dlib ResNet at its published distance 0.6, ArcFace: d', EER, TAR at FAR 1e-3)
    against reference values for real faces, rendering speed."""
    from experiments import bench_faces as bf
    from experiments import faces_reference as ref
    from pipeline.registry import get_detector, get_embedder
    from sim.faces import ChangeSettings

    if model_dir is None:
        shared = Path(__file__).resolve().parents[2] / "shared" / "models"
        model_dir = shared if (shared / "det_500m.onnx").is_file() else None
    if out is not None and not out.is_dir():
        _fail(f"--out {out}: folder does not exist")
    res: dict = {"identities": n, "lives_per_identity": lives, "seed": seed,
                 "look_alike_share": look_alikes, "appearance_change": change}
    with _errors():
        with steps("rendering", n, quiet=as_json) as step:
            data = bf.render_set(n, lives, seed, progress=step, look_alike_share=look_alikes,
                                 change=ChangeSettings(enabled=change))
        live = [c for s in data for c in s.lives]
        enrol = [s.enrolment for s in data]
        tones_live = [s.identity.skin_tone for s in data for _ in s.lives]
        tones_enrol = [s.identity.skin_tone for s in data]
        res["skin_tone_ita"] = bf.skin_tone_ita(data)
        hog = get_detector("dlib", model="hog")
        scrfd = get_detector("insightface", model_dir=str(model_dir) if model_dir else None,
                             provider="cpu")
        det = {}
        for name, d in (("dlib_hog", hog), ("scrfd_det_500m", scrfd)):
            with steps(f"detecting ({name})", 2, quiet=as_json) as step:
                det[name] = {"egate": bf.detection_rates(d, live, tones_live)}
                step()
                det[name]["enrolment"] = bf.detection_rates(d, enrol, tones_enrol)
                step()
        if cnn_sample:
            cnn = get_detector("dlib", model="cnn")
            idx = list(range(0, len(live), max(1, len(live) // cnn_sample)))[:cnn_sample]
            with steps("detecting (dlib CNN)", 1, quiet=as_json) as step:
                det["dlib_cnn"] = {"egate": bf.detection_rates(
                    cnn, [live[i] for i in idx], [tones_live[i] for i in idx])}
                det["dlib_cnn"]["egate"]["note"] = f"sample of {len(idx)} live captures"
                step()
        res["detection"] = det
        sep = {}
        for name, d, e, dist in (
                ("dlib_resnet", hog, get_embedder("dlib", normalise=False),
                 bf.DLIB_PUBLISHED_DISTANCE),
                ("arcface_w600k_mbf_int8", scrfd,
                 get_embedder("insightface", provider="cpu",
                              model_dir=str(model_dir) if model_dir else None), None)):
            with steps(f"embedding ({name})", n, quiet=as_json) as step:
                sep[name] = bf.separability(d, e, name, data, progress=step, raw_distance=dist)
        res["separability"] = sep
        res["render_speed"] = bf.render_speed()
        res["cctv_speed"] = (bf.cctv_speed(cctv_frames) if cctv_frames
                             else {"available": False, "note": "skipped (--cctv-frames 0)"})
        res["references"] = ref.REFERENCES
        res["targets"] = ref.targets(res)
    if out is not None:
        from outputs.atomic import write_json  # atomic, NaN as null

        write_json(out / "bench_faces.json", res)
        ref.write_histograms(res, out / "bench_faces_scores.png")
        res["files"] = [str(out / "bench_faces.json"), str(out / "bench_faces_scores.png")]
    if as_json:
        _echo_json(res)
        return
    rows = []
    for name, kinds in det.items():
        for kind, r in kinds.items():
            groups = ", ".join(f"{k} {v:.1%}" for k, v in r["by_skin_tone"].items())
            rows.append([name, kind, r["n"], f"{r['rate']:.2%}", groups])
    _table(f"detection on {n} identities x {lives} live captures + enrolment (target >= 99%)",
           ["detector", "captures", "n", "rate", "by skin tone"], rows)
    _table("skin tone: ITA deg on enrolment cheeks (I-II > 41, III-IV 10..41, V-VI < 10)",
           ["group", "n", "mean", "min", "max", "share < -30"],
           [[t, r["n"], r["mean"], r["min"], r["max"], f"{r['share_below_minus_30']:.0%}"]
            for t, r in res["skin_tone_ita"].items()])
    _table("identity separability (live vs enrolment; cosine)",
           ["embedder", "genuine", "impostor", "genuine mean", "impostor mean", "impostor sd",
            "look-alike mean", "d'", "EER", "TAR@FAR1e-3", "GT fallbacks"],
           [[k, s["n_genuine"], s["n_impostor"], s["genuine_mean"], s["impostor_mean"],
             s["impostor_sd"], s["look_alike"]["mean"], s["d_prime"], f"{s['eer']:.2%}",
             f"{s['tar_at_far']:.2%}", s["ground_truth_fallbacks"]] for k, s in sep.items()])
    e = sep["dlib_resnet"]["euclidean"]
    typer.echo(f"dlib at its published Euclidean distance 0.6 (raw descriptors, mean norm "
               f"{e['descriptor_norm']:.2f}): FMR {e['fmr']:.2%}, FNMR {e['fnmr']:.2%}, "
               f"look-alike FMR {e['look_alike_fmr']:.2%}, d' {e['d_prime']:.2f}")
    _table("issue 13 targets", ["target", "goal", "measured", "met"],
           [[t["target"], t["goal"], t["measured"], "yes" if t["met"] else "NO"]
            for t in res["targets"]])
    typer.echo("reference values for real faces and their sources: `--json` or --out's JSON, "
               "'references'")
    if out is not None:
        typer.echo(f"wrote {out / 'bench_faces.json'} and {out / 'bench_faces_scores.png'}")
    rs = res["render_speed"]
    typer.echo(f"e-gate capture rendering: {rs['egate_captures_per_s_per_core']:.1f} captures/s/core "
               f"wall, {rs['egate_captures_per_cpu_s']:.1f} per CPU-second "
               f"({rs['egate_capture_ms']:.1f} ms each, identity cached; first render of an "
               f"identity {rs['first_render_of_identity_ms']:.0f} ms); target >= 100/s")
    cs = res["cctv_speed"]
    if cs.get("available"):
        typer.echo(f"CCTV rendering ({cs['resolution']}, {cs['persons_per_frame']:.0f} people in "
                   f"view): {cs['frames_per_s']:.1f} frames/s/core wall, "
                   f"{cs['frames_per_cpu_s']:.1f} per CPU-second, p50 {cs['ms_p50']:.1f} ms; "
                   f"target >= {cs['target_frames_per_s']:.0f}/s")
    else:
        typer.echo(f"CCTV rendering: {cs['note']}")
