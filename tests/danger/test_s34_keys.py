"""Two rule keys that waited for a verdict (issue 12, round 18, branch danger-keys), and the
sweep's count over measurements cut short.

``experiments.danger_sweep`` scores kept measurements; a measurement cut short
(``measure_scene``'s ``max_s``) was scored with every staged incident of its scene, those after
the cut counted as missed. It now leaves them out (``measured_until``). Fails on 05b12f9 (no
``measured_until``)."""
import pickle

from experiments.danger_stage import stage
from experiments.danger_sweep import measured_until
from sim.loader import load_scenario


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
