"""experiments.cctv_operating_n: FPIR, FNIR and false identifications at a gallery size drawn
from a run's manifest (exact expectations, checked against every draw), the whole manifest with
extras, the searches' own faces kept out of the impostors, the fitted rise of the threshold
with N, and the held-out seeds refused."""

import itertools

import numpy as np
import pytest

from experiments.cctv_operating_n import (SearchScores, false_ids, fit_rule, main, mated_hits,
                                          mated_wrong, size_rates)


def _scores(seed=1):
    # 3 searches x 5 manifest identities; search 0 is traveler 0's, search 1 traveler 2's
    # (and its faces include traveler 4's: not an impostor), search 2 is nobody's
    sc = np.array([[0.80, 0.72, 0.10, 0.50, 0.20],
                   [0.75, 0.20, 0.60, 0.10, 0.90],
                   [0.71, 0.30, 0.65, 0.20, 0.40]], np.float32)
    foreign = np.zeros_like(sc, bool)
    foreign[0, 0] = foreign[1, 2] = foreign[1, 4] = True
    return SearchScores(seed, sc, np.array([0, 2, -1]), foreign, np.array([45.0, 30, 20]),
                        np.array([[0.5, 0.85], [0.3, 0.4], [0.2, 0.3]], np.float32), (10, 100))


def _every_draw(row, allowed, size, t):
    cols = [j for j in range(len(row)) if allowed[j]]
    draws = list(itertools.combinations(cols, size))
    return np.mean([max(row[j] for j in d) >= t for d in draws])


def test_fpir_at_a_drawn_size_is_the_mean_over_every_gallery_of_that_size():
    s = _scores()
    for size in (1, 2, 3):
        got = false_ids(s, 0.7, size)
        want = [_every_draw(s.scores[i], ~s.foreign[i], min(size, (~s.foreign[i]).sum()), 0.7)
                for i in range(3)]
        assert np.allclose(got, want)
    # the whole manifest: search 1's best impostor is 0.75 (traveler 4's 0.90 is its own face)
    assert list(false_ids(s, 0.7, "all")) == [1.0, 1.0, 1.0]
    assert list(false_ids(s, 0.76, "all")) == [0.0, 0.0, 0.0]
    assert list(false_ids(s, 0.8, "+100")) == [1.0, 0.0, 0.0]  # an extra at 0.85


def test_mated_hits_and_wrong_claims_at_a_drawn_size_match_every_draw():
    s = _scores()
    # search 0: mate 0.80, one other (0.72) above 0.7 but below the mate: always a hit
    # search 1: mate 0.60 < traveler 4's 0.90 and 0's 0.75: a hit only at 0.6 when neither
    # is drawn; a wrong claim when either is (at 0.7)
    for size in (1, 2, 3, 4, 5):
        others = [j for j in range(5) if j != 2]
        draws = list(itertools.combinations(others, size - 1))
        hit1 = np.mean([all(s.scores[1, j] <= 0.60 for j in d) for d in draws])
        wrong1 = np.mean([max([s.scores[1, j] for j in d] or [0]) >= 0.7 for d in draws])
        assert np.allclose(mated_hits(s, 0.6, size), [1.0, hit1])
        assert np.allclose(mated_wrong(s, 0.7, size), [0.0, wrong1])
    assert list(mated_hits(s, 0.6, "+100")) == [0.0, 0.0]  # the extra at 0.85 beats both
    # at 0.8 search 1 claims traveler 4 (0.90): a face it used, so no impostor's claim
    assert list(mated_wrong(s, 0.8, "all")) == [0.0, 1.0]
    assert list(mated_wrong(s, 0.8, "all", impostors_only=True)) == [0.0, 0.0]
    r = size_rates([s, _scores(2)], 0.7, "all")
    assert r["N"] == 5 and r["nonmated"] == 6 and r["mated"] == 4
    assert r["fpir"] == 1.0 and r["fnir"] == pytest.approx(0.5) and r["wrong_mated"] == 2


def test_the_fitted_threshold_rises_with_n_and_holds_the_fpir_it_was_fitted_for():
    rng = np.random.default_rng(0)
    n, m = 300, 400
    sc = np.clip(rng.normal(0.3, 0.08, (n, m)), -1, 1).astype(np.float32)
    s = SearchScores(1, sc, np.full(n, -1), np.zeros_like(sc, bool), np.full(n, 40.0),
                     np.full((n, 1), -np.inf, np.float32), (10,))
    a, b, t = fit_rule([s], 0.05, sizes=(50, 100, 200, 400))
    assert b > 0 and np.all(np.diff(t["t_solved"]) > 0)
    for size in (100, 200):
        assert abs(size_rates([s], lambda k: a + b * np.log(k), size)["fpir"] - 0.05) < 0.04


def test_held_out_seeds_are_refused(tmp_path):
    _scores(seed=102).save(tmp_path / "s102.npz")
    with pytest.raises(SystemExit, match="held-out"):
        main(["table", str(tmp_path / "s102.npz"), "--threshold", "0.7"])
    with pytest.raises(SystemExit, match="held-out"):  # never fitted on, even by the lead
        main(["fit", str(tmp_path / "s102.npz"), "--held-out-report"])
    main(["check", str(tmp_path / "s102.npz"), "--rule", "shipped", "--held-out-report"])


def test_a_recording_that_numbers_a_tracks_searches_otherwise_names_each_its_own_traveler():
    """A recording can number one track's searches otherwise than its replay (held-out 102's
    track 98: two recorded as the first, replayed as the first and second): each replayed
    search takes the track's recorded search nearest in time, instead of failing."""
    import pandas as pd
    from types import SimpleNamespace

    from experiments.cctv_operating_n import _traveler_at

    rec = pd.DataFrame({"camera": ["c", "c", "c"], "track_id": [98, 98, 7], "search": [1, 1, 1],
                        "t": [1519.4, 1527.8, 1500.0], "traveler_id": [299, 300, 12]})
    truth = rec.set_index(["camera", "track_id"]).sort_index()
    at = lambda tid, n, t: _traveler_at(truth, SimpleNamespace(camera="c", track_id=tid,
                                                               search=n, t=t))
    assert at(98, 1, 1519.4) == 299
    assert at(98, 2, 1527.8) == 300
    assert at(7, 1, 1500.0) == 12


def test_rendered_extras_refuse_a_run_seed_a_missing_choice_and_too_few_faces(tmp_path):
    from experiments.cctv_operating_n import search_scores

    with pytest.raises(SystemExit, match="--seed 5: identity keys of runs use small seeds"):
        main(["render", "--n", "2", "--seed", "5", "--out", str(tmp_path / "r.npz")])
    with pytest.raises(SystemExit, match="either --pool-from .* or --rendered"):
        main(["cache", "RUN:F.npz", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="up to 1,000, but only 3 rendered extras"):
        search_scores(tmp_path, tmp_path / "f.npz", None, (1_000,),
                      rendered=np.zeros((3, 4), np.float32))
