"""Staged batches (issue 12, round 17, branch danger-tail6): ``experiments.danger_stage`` stages
fresh seeds whose incidents are all of one kind in a band of distances (here tailgating at far
gates, the class the round works on), deterministic by seed, incidents in view, far enough
apart in time that the benchmark's own episodes count each one. Fails on ec71cee (no such
module; round 13's staging tool lived in scratch and was lost)."""
import json

import numpy as np

from experiments.danger_scenes import _View, resolvable_gates
from experiments.danger_score import EPISODE_GAP_S
from experiments.danger_stage import stage, stage_scene
from sim.loader import parse_scenario


def test_a_staged_scene_is_all_far_tailgating_in_view_and_deterministic():
    data, info = stage_scene(600)
    again, info2 = stage_scene(600)
    assert data == again and info == info2
    parse_scenario(data, data["name"])  # valid scenario data
    incs = data["incidents"]
    assert len(incs) == 7 and all(e["kind"] == "tailgating" for e in incs)
    assert sum(f["near_miss"] for f in info["incidents"]) == 1
    assert all(26.0 <= f["distance_m"] <= 40.0 for f in info["incidents"])
    view = _View(data)
    judged = resolvable_gates(view)
    th = np.asarray(view.gates.through, float)
    for e in incs:
        g = e["params"]["gate"]
        assert g in judged
        p = view.gates.points[g]
        assert view.sees([p - 2.5 * th, p + 2.5 * th]).all()  # approach and exit in view
    starts = [e["time_s"] for e in incs]
    # the pair passes ~6 s in and alerts within a few seconds: each incident its own episode
    assert min(np.diff(starts)) >= EPISODE_GAP_S + 4
    assert info["analyse_from_s"] < starts[0] and info["baseline_from_s"] > starts[-1] + 12


def test_seeds_differ_and_the_layout_is_what_measure_scene_reads(tmp_path):
    a, _ = stage_scene(601)
    b, _ = stage_scene(602)
    assert a["cameras"] != b["cameras"]
    (p,) = stage([603], tmp_path, count=2)
    facts = json.loads((tmp_path / "scenes" / "603" / "scenes.json").read_text())
    assert p == tmp_path / "scenes" / "603" / "scene_603.yaml" and p.is_file()
    assert [f["kind"] for f in facts["603"]["incidents"]] == ["tailgating"] * 3
    mtime = p.stat().st_mtime_ns
    stage([603], tmp_path, count=4)  # a kept scene is left alone
    assert p.stat().st_mtime_ns == mtime
