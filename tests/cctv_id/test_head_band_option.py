"""``identify-cctv --head-band CAMERA=ROWS``: the head detector's far band on named cameras
only (``experiments.cctv_identify.person_detectors``' per-camera options); bad values and
unknown cameras get an error naming them before anything is rendered."""

from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

import airtwin.cli  # noqa: F401  (registers every command)
from airtwin.app import app
from experiments.cctv_identify import person_detectors

runner = CliRunner()


def _source(*cameras):
    return SimpleNamespace(cameras={c: None for c in cameras})


def test_the_band_is_on_only_where_named():
    heads = person_detectors(_source("hall_exit", "corridor_near"), "heads", None,
                             {"hall_exit": {"band": 300}})
    assert heads["hall_exit"].band == 300 and heads["corridor_near"].band == 0


def test_an_unknown_camera_is_named():
    with pytest.raises(ValueError, match="no face camera hall_exitt.*cameras: hall_exit"):
        person_detectors(_source("hall_exit"), "heads", None, {"hall_exitt": {"band": 300}})


def test_the_band_needs_the_head_detector():
    with pytest.raises(ValueError, match="--persons faces"):
        person_detectors(_source("hall_exit"), "faces", None, {"hall_exit": {"band": 300}})


@pytest.mark.parametrize("value", ["hall_exit", "hall_exit=", "hall_exit=abc", "=300",
                                   "hall_exit=0"])
def test_a_malformed_value_is_refused(tmp_path, value):
    r = runner.invoke(app, ["identify-cctv", "--composite", "--out", str(tmp_path / "run"),
                            "--head-band", value, "--quiet"])
    assert r.exit_code != 0 and "--head-band" in r.output and repr(value) in r.output
    assert not (tmp_path / "run").exists()
