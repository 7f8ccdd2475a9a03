"""The calibration airtwin ships: a fresh install decides at a measured threshold, and the
threshold still belongs to the faces the renderer draws today."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.calibrate import renderer_fingerprint
from pipeline.calibration import (SHIPPED_DIR, operating_point, pipeline_fingerprint,
                                  read_calibration, save_calibration, shipped_path)
from pipeline.recognizer import Recognizer

DLIB_MODEL = "dlib_resnet_v1"


def test_dlib_calibration_is_shipped_for_todays_renderer():
    path = shipped_path("dlib", DLIB_MODEL)
    assert path.is_file(), f"no shipped calibration at {path}"
    cal = read_calibration(path)
    assert cal.model == DLIB_MODEL and cal.n_identities >= 200
    assert cal.renderer == renderer_fingerprint(), (
        f"sim/faces changed since {path} was measured (renderer {cal.renderer}, now "
        f"{renderer_fingerprint()}): run `airtwin calibrate --backend dlib --n 200 --ship`")
    assert cal.pipeline == Recognizer.from_backend("dlib").fingerprint(), (
        f"the dlib pipeline (alignment, backend code, library or model versions) changed since "
        f"{path} was measured: run `airtwin calibrate --backend dlib --n 200 --ship`")
    # A threshold at FMR 1e-3 that actually separates: above the uncalibrated 0.82 cut, which
    # accepts most synthetic impostors, and at most as strict as the 1e-4 one.
    assert 0.82 < cal.threshold(1e-3) <= cal.threshold(1e-4) < 1.0
    assert cal.fmr_observed["1e-03"] <= 1.5e-3


def test_shipped_calibration_is_the_default_only_without_a_chosen_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("AIRTWIN_CALIBRATION_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # no user calibration saved
    op = operating_point("dlib", DLIB_MODEL)
    assert op.calibrated and "shipped" in op.source
    assert op.threshold == read_calibration(shipped_path("dlib", DLIB_MODEL)).threshold(1e-3)
    monkeypatch.setenv("AIRTWIN_CALIBRATION_DIR", str(tmp_path / "mine"))
    assert not operating_point("dlib", DLIB_MODEL).calibrated  # the chosen folder is empty
    # A model nobody calibrated gets the marked fallback, never another model's threshold.
    monkeypatch.delenv("AIRTWIN_CALIBRATION_DIR")
    assert not operating_point("dlib", "some_other_model").calibrated
    assert SHIPPED_DIR.name == "calibrations"


def _renderer_copy(tmp_path, monkeypatch) -> Path:
    """A copy of sim/faces' sources and data that renderer_fingerprint() reads instead."""
    import sim.faces

    fake = tmp_path / "faces"
    fake.mkdir()
    for pattern in ("*.py", "*.json"):
        for f in Path(sim.faces.__file__).parent.glob(pattern):
            (fake / f.name).write_bytes(f.read_bytes())
    monkeypatch.setattr(sim.faces, "__file__", str(fake / "__init__.py"))
    return fake


def test_fingerprint_follows_the_renderer_sources(tmp_path, monkeypatch):
    before = renderer_fingerprint()
    fake = _renderer_copy(tmp_path, monkeypatch)
    assert renderer_fingerprint() == before
    (fake / "paint.py").write_bytes((fake / "paint.py").read_bytes() + b"\n# changed\n")
    assert renderer_fingerprint() != before


def test_fingerprint_follows_the_data_the_renderer_reads(tmp_path, monkeypatch):
    """The detection-risk model (sim/faces/detection_risk.json) shapes faces when its draw is
    on: a change to it is a change of renderer."""
    fake = _renderer_copy(tmp_path, monkeypatch)
    before = renderer_fingerprint()
    risk = fake / "detection_risk.json"
    risk.write_text(risk.read_text().replace("}", ' }', 1))
    assert renderer_fingerprint() != before


def _copy_module(module, tmp_path, monkeypatch, extra: bytes) -> None:
    """Point ``module.__file__`` at a copy of its source with ``extra`` appended."""
    fake = tmp_path / Path(module.__file__).name
    fake.write_bytes(Path(module.__file__).read_bytes() + extra)
    monkeypatch.setattr(module, "__file__", str(fake))


@pytest.mark.parametrize("part", ["alignment", "backend", "library"])
def test_fingerprint_changes_when_alignment_or_a_backend_changes(part, tmp_path, monkeypatch):
    import pipeline.align
    import pipeline.backends.dlib_backend

    rec = Recognizer.from_backend("dlib")
    before = pipeline_fingerprint(rec)
    assert pipeline_fingerprint(Recognizer.from_backend("dlib")) == before
    if part == "alignment":
        _copy_module(pipeline.align, tmp_path, monkeypatch, b"\n# changed\n")
    elif part == "backend":
        _copy_module(pipeline.backends.dlib_backend, tmp_path, monkeypatch, b"\n# changed\n")
    else:
        dlib = pytest.importorskip("dlib")
        monkeypatch.setattr(dlib, "__version__", "0.0-other", raising=False)
    assert pipeline_fingerprint(rec) != before
    # Another detector of the same backend is another pipeline too.
    assert pipeline_fingerprint(Recognizer.from_backend("dlib", model="cnn")) != before


def test_a_stale_calibration_is_reported_not_silently_used(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("AIRTWIN_CALIBRATION_DIR", str(tmp_path))
    cal = read_calibration(shipped_path("dlib", DLIB_MODEL))
    save_calibration(cal)
    fresh = operating_point("dlib", DLIB_MODEL, pipeline=cal.pipeline, renderer=cal.renderer)
    assert fresh.calibrated and not fresh.stale and "STALE" not in fresh.source
    with caplog.at_level("WARNING", logger="pipeline.calibration"):
        op = operating_point("dlib", DLIB_MODEL, pipeline="0" * 16, renderer=cal.renderer)
    assert op.stale and op.source.startswith("STALE") and "pipeline" in op.source
    assert op.threshold == cal.threshold(1e-3)  # still the number, but flagged everywhere
    assert any("STALE" in r.getMessage() for r in caplog.records)
    op = operating_point("dlib", DLIB_MODEL, renderer="f" * 16)
    assert op.stale and "renderer" in op.source


@pytest.mark.parametrize("bad", ["--n", "--out"])
def test_ship_refuses_a_small_or_redirected_calibration(bad, tmp_path):
    from typer.testing import CliRunner

    from airtwin.cli import app

    args = ["calibrate", "--ship"] + (["--n", "20"] if bad == "--n" else ["--out", str(tmp_path / "x.json")])
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2 and "--ship" in r.output
