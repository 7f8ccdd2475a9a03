"""Which benchmark seeds stage tailgating, and which of them are kept measured (issue 12,
round 20, branch danger-tail7): ``danger_sweep --plan`` lists, from the generator alone, the
seeds of a set whose scene stages a kind (incident or near miss) and what a root keeps of
each, so a setting is judged on every seed of a set that can move it. Fails on 2dc1b9d (no
``kind_seeds`` / ``--plan``)."""
from experiments.danger_sweep import kind_seeds, main


def test_the_generator_says_which_seeds_stage_tailgating():
    got = kind_seeds(range(0, 20), "tailgating")
    assert sorted(got) == [2, 4, 6, 9, 11, 13, 14, 16, 18, 19]
    # seed 4: a staged incident and its near miss at the same gate, 7.46 m off, surge hall
    assert [(f["index"], f["near_miss"], f["distance_m"], f["crowd"]) for f in got[4]] == [
        (1, False, 7.46, "surge"), (2, True, 7.46, "surge")]


def test_plan_says_what_is_left_to_measure(tmp_path, capsys):
    main([str(tmp_path), str(tmp_path / "out"), "--seeds", "0-4", "--plan"])
    out = capsys.readouterr().out.splitlines()
    assert out == ["seed 2 quiet: #3 22.2 m; not measured",
                   "seed 4 surge: #1 7.5 m, #2 near 7.5 m; not measured"]
    assert not (tmp_path / "out").exists()  # judges nothing
