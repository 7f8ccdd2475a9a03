"""Site files: a plan written and read back is the same plan, float for float; a bad file is
refused with the file, the field path and the value."""

import numpy as np
import pytest
import yaml

from floorplan.site import SiteError, parse_site, read_site, site_document, write_site
from sim.layout import floor_plan
from sim.loader import load_scenario


@pytest.fixture(scope="module")
def plans(repo_root, default_scenario):
    demo = load_scenario(repo_root / "scenarios" / "incidents_demo.yaml")
    walled = load_scenario(repo_root / "scenarios" / "layout_egates_front.yaml")  # door widths
    return [floor_plan(demo), floor_plan(default_scenario), floor_plan(walled)]


def same_plan(a, b):
    assert site_document(a) == site_document(b)
    for za, zb in zip(a.zones, b.zones):
        assert np.array_equal(za.polygon, zb.polygon)
    for ra, rb in zip(a.rows, b.rows):
        assert np.array_equal(ra.points, rb.points) and ra.through == rb.through
        assert (ra.queue_path is None) == (rb.queue_path is None)
        assert ra.queue_path is None or np.array_equal(ra.queue_path, rb.queue_path)
    assert a.cameras == b.cameras  # CameraModel is a plain frozen dataclass: == is field by field
    assert a.doors == b.doors  # widths included: walking routes read them


def test_a_plan_round_trips_through_a_site_file(plans, tmp_path):
    for plan in plans:
        path = write_site(plan, tmp_path / f"{plan.name}.yaml", header="made by a test")
        assert path.read_text().startswith("# made by a test\n")
        back = read_site(path)
        same_plan(plan, back)
        for cam in plan.cameras:  # the camera's projection is exactly the same
            assert np.array_equal(cam.homography(), back.camera(cam.id).homography())


def test_the_plan_a_scenario_gives_survives_odd_floats(plans, tmp_path):
    odd = [r for r in plans[0].rows if any(not float(v).is_integer() for v in r.points.ravel())]
    assert odd  # e.g. 7.800000000000001: repr() round trips, str() would not
    same_plan(plans[0], read_site(write_site(plans[0], tmp_path / "s.yaml")))


def _doc(plans):
    return site_document(plans[0])


@pytest.mark.parametrize("change, message", [
    (lambda d: d["zones"][0].update(colour="red"),
     r"site.yaml: zones\[0\].colour: unknown field .*got 'red'"),
    (lambda d: d["cameras"][0].update(yaw_deg="north"),
     r"site.yaml: cameras\[0\].yaw_deg: .*valid number.*got 'north'"),
    (lambda d: d["zones"][1].update(polygon=[[0, 0], [1, 1]]),
     r"site.yaml: zones\[1\].polygon: must have at least 3 items, got \[\[0, 0\], \[1, 1\]\]"),
    (lambda d: d["cameras"][1].update(zone="hal"),
     r"site.yaml: cameras\[1\].zone: unknown zone 'hal' \(known: pier, immigration_hall"),
    (lambda d: d["cameras"][0].update(position=[1.0, 1.0, 0.0]),
     r"site.yaml: cameras\[0\]: camera hall_south: position height must be > 0 m.*got 0.0"),
    (lambda d: d["rows"][0].update(through=[0, 0]),
     r"site.yaml: rows\[0\].through: must be a non-zero direction, got \[0.0, 0.0\]"),
    (lambda d: d["zones"][1].update(kind="lobby"),
     r"site.yaml: zones\[1\].kind: Input should be 'gate', .*got 'lobby'"),
    (lambda d: d.pop("zones"), r"site.yaml: zones: required field is missing"),
])
def test_a_bad_site_file_names_file_field_and_value(plans, tmp_path, change, message):
    doc = _doc(plans)
    change(doc)
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(SiteError, match=message):
        read_site(path)


def test_unreadable_site_files(tmp_path):
    with pytest.raises(SiteError, match=r"nope.yaml: site file not found .*airtwin site export"):
        read_site(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("zones: [\n")
    with pytest.raises(SiteError, match=r"bad.yaml: not valid YAML \(line"):
        read_site(tmp_path / "bad.yaml")
    with pytest.raises(SiteError, match=r"<site>: \(top level\): must be a mapping"):
        parse_site([1, 2])
