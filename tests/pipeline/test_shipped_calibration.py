"""The calibration airtwin ships: a fresh install decides at a measured threshold, and the
threshold still belongs to the faces the renderer draws today."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.calibrate import renderer_fingerprint
from pipeline.calibration import SHIPPED_DIR, operating_point, read_calibration, shipped_path

DLIB_MODEL = "dlib_resnet_v1"


def test_dlib_calibration_is_shipped_for_todays_renderer():
    path = shipped_path("dlib", DLIB_MODEL)
    assert path.is_file(), f"no shipped calibration at {path}"
    cal = read_calibration(path)
    assert cal.model == DLIB_MODEL and cal.n_identities >= 200
    assert cal.renderer == renderer_fingerprint(), (
        f"sim/faces changed since {path} was measured (renderer {cal.renderer}, now "
        f"{renderer_fingerprint()}): run `airtwin calibrate --backend dlib --n 200 --ship`")
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


def test_fingerprint_follows_the_renderer_sources(tmp_path, monkeypatch):
    import sim.faces

    before = renderer_fingerprint()
    fake = tmp_path / "faces"
    fake.mkdir()
    for f in Path(sim.faces.__file__).parent.glob("*.py"):
        (fake / f.name).write_bytes(f.read_bytes())
    monkeypatch.setattr(sim.faces, "__file__", str(fake / "__init__.py"))
    assert renderer_fingerprint() == before
    (fake / "paint.py").write_bytes((fake / "paint.py").read_bytes() + b"\n# changed\n")
    assert renderer_fingerprint() != before


@pytest.mark.parametrize("bad", ["--n", "--out"])
def test_ship_refuses_a_small_or_redirected_calibration(bad, tmp_path):
    from typer.testing import CliRunner

    from airtwin.cli import app

    args = ["calibrate", "--ship"] + (["--n", "20"] if bad == "--n" else ["--out", str(tmp_path / "x.json")])
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2 and "--ship" in r.output
