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


def _source(*cameras, **head_options):
    return SimpleNamespace(cameras={c: SimpleNamespace(head_options=head_options.get(c, {}))
                                    for c in cameras})


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


def test_the_scenario_camera_s_band_is_taken_and_the_option_overrides_it():
    src = _source("hall_exit", "corridor_far", "corridor_near",
                  hall_exit={"band": 300}, corridor_far={"band": 300})
    heads = person_detectors(src, "heads", None, {"corridor_far": {"band": 0}})
    assert [heads[c].band for c in ("hall_exit", "corridor_far", "corridor_near")] == [300, 0, 0]
    assert person_detectors(src, "faces") == {}  # the band is the head detector's only


@pytest.mark.parametrize("value", ["hall_exit", "hall_exit=", "hall_exit=abc", "=300",
                                   "hall_exit=1081", "hall_exit=-1"])
def test_a_malformed_value_is_refused(tmp_path, value):
    r = runner.invoke(app, ["identify-cctv", "--composite", "--out", str(tmp_path / "run"),
                            "--head-band", value, "--quiet"])
    assert r.exit_code != 0 and "--head-band" in r.output and repr(value) in r.output
    assert not (tmp_path / "run").exists()
