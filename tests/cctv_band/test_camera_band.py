"""The far band as a setting of a face camera in the scenario (``faces: {head_band: ROWS}``,
:class:`sim.scenario.FaceCameraConfig`): validated (a bad value names the file, camera and
field), carried into the CCTV source's camera spec (:attr:`CameraSpec.head_options`) for the
head detector of that camera, and on in ``scenarios/cctv_identification.yaml`` for the far
cameras only (never corridor_near, which it hurts on tune seeds)."""

from pathlib import Path

import pytest
import yaml

from sim.loader import ScenarioError, load_scenario, parse_scenario

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "cctv_identification.yaml"


def _with_band(value):
    d = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    d["cameras"][0]["faces"]["head_band"] = value
    return d


@pytest.mark.parametrize("value", [-1, 1081, "far"])
def test_a_bad_head_band_is_refused_naming_the_field(value):
    with pytest.raises(ScenarioError, match=r"cameras\[0\]\.faces\.head_band") as exc:
        parse_scenario(_with_band(value), "cctv.yaml", SCENARIO.parent)
    assert "cctv.yaml" in str(exc.value)


def test_the_shipped_scenario_bands_its_far_cameras_only():
    bands = {c.id: c.faces.head_band for c in load_scenario(SCENARIO).cameras if c.faces}
    assert bands["corridor_near"] == 0
    assert bands["hall_exit"] == 300 and bands["corridor_far"] == 300
    assert parse_scenario(_with_band(0), "cctv.yaml", SCENARIO.parent).cameras[0].faces \
        .head_band == 0


def test_the_source_carries_each_camera_s_band_to_its_head_detector(small_cctv_scenario):
    from experiments.cctv_identify import person_detectors
    from experiments.cctv_sources import scenario_source

    d = yaml.safe_load(Path(small_cctv_scenario).read_text(encoding="utf-8"))
    d["cameras"][0]["faces"]["head_band"] = 200
    path = Path(small_cctv_scenario).with_name("banded.yaml")
    path.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    src = scenario_source(path, 1, (198.5, 199.0))
    assert src.cameras["corridor_near"].head_options == {"band": 200}
    assert person_detectors(src, "heads")["corridor_near"].band == 200
    plain = scenario_source(small_cctv_scenario, 1, (198.5, 199.0))
    assert plain.cameras["corridor_near"].head_options == {}


def test_bench_cctv_takes_the_band_for_the_head_detector_only():
    from typer.testing import CliRunner

    import airtwin.cli  # noqa: F401  (registers every command)
    from airtwin.app import app

    r = CliRunner().invoke(app, ["bench", "cctv", "--persons", "faces", "--head-band", "300"])
    assert r.exit_code != 0 and "--head-band" in r.output
    r = CliRunner().invoke(app, ["bench", "cctv", "--head-band", "1081"])
    assert r.exit_code != 0 and "--head-band" in r.output
