"""Two rule keys that waited for a verdict (issue 12, round 18, branch danger-keys), and the
sweep's count over measurements cut short.

``rules.running.count_first`` ships ON: a lap cut into one-reading tracks adds up through the
handoff with the shipped settings (fails on 05b12f9, where it was off); the controls of
``test_s32_running`` (a three-frame blip, brisk-walk fragments) stay quiet with them.

``experiments.danger_sweep`` scores kept measurements; a measurement cut short
(``measure_scene``'s ``max_s``) was scored with every staged incident of its scene, those after
the cut counted as missed. It now leaves them out (``measured_until``). Fails on 05b12f9 (no
``measured_until``)."""
import pickle

from experiments.danger_stage import stage
from experiments.danger_sweep import measured_until
from pipeline.danger.config import DangerConfig
from sim.loader import load_scenario
from test_s28_running import _running
from test_s32_running import _fragments


def test_the_shipped_settings_add_up_a_runner_cut_into_one_reading_tracks():
    assert DangerConfig().rules.running.count_first
    person, seconds = _fragments(laps=4)
    assert len(_running(person, seconds)) == 1
    for person, seconds in (_fragments(laps=1, seen_s=1.3), _fragments(laps=4, speed=2.2)):
        assert _running(person, seconds) == []


def test_a_measurement_cut_short_is_told_from_a_whole_one(tmp_path):
    whole, cut = stage([603, 604], tmp_path, count=2)
    (tmp_path / "measured").mkdir()
    for p, stop in ((whole, 0.0), (cut, 100.0)):
        horizon = load_scenario(p).horizon_s
        seed = int(p.parent.name)
        (tmp_path / "measured" / f"{seed}.pkl").write_bytes(
            pickle.dumps({"t_to": horizon - stop}))
    assert measured_until(tmp_path, [603, 604]) == {
        603: None, 604: load_scenario(cut).horizon_s - 100.0}
