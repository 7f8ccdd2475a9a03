"""Matching math on hand-made vectors: scores, thresholds, top-k, gallery upkeep."""

import numpy as np
import pytest

from pipeline.matching import (FaissGallery, GalleryMatcher, NumpyGallery, make_gallery, score,
                               scores, top_k, verify)

E = np.eye(4, dtype=np.float32)


def test_cosine_and_l2_scores():
    a, b = np.array([1, 0, 0, 0.0]), np.array([1, 1, 0, 0.0])
    assert score(a, b) == pytest.approx(1 / np.sqrt(2))
    assert score(a, 3 * a) == pytest.approx(1.0)  # cosine ignores length
    assert score(a, b, "l2") == pytest.approx(-1.0)  # higher is closer: minus the distance
    assert scores(E, E).tolist() == E.tolist()


def test_verify_threshold_is_inclusive():
    a = np.array([1, 0, 0, 0.0])
    b = np.array([0.6, 0.8, 0, 0.0])  # cosine 0.6 exactly
    assert verify(a, b, 0.6) == (True, pytest.approx(0.6))
    ok, s = verify(a, b, 0.6001)
    assert not ok and s == pytest.approx(0.6)


def test_mismatched_sizes_are_an_error():
    with pytest.raises(ValueError, match="probe 4-d, gallery 3-d"):
        score(np.ones(4), np.ones(3))
    with pytest.raises(ValueError, match="unknown metric 'dot'"):
        score(np.ones(4), np.ones(4), "dot")


def test_top_k_orders_best_first_with_stable_ties():
    row = np.array([0.1, 0.9, 0.5, 0.9, -1.0])
    assert top_k(row, 3).tolist() == [1, 3, 2]
    assert top_k(row, 10).tolist() == [1, 3, 2, 0, 4]
    assert top_k(row, 0).tolist() == []


def test_gallery_search_ranks_and_threshold():
    g = NumpyGallery(4)
    g.add(["a", "b", "c"], np.array([[1, 0, 0, 0], [0.8, 0.6, 0, 0], [0, 1, 0, 0]], np.float32))
    got = g.search(np.array([1, 0, 0, 0.0]), k=3)
    assert [(c.template_id, c.rank) for c in got] == [("a", 1), ("b", 2), ("c", 3)]
    assert [c.score for c in got] == pytest.approx([1.0, 0.8, 0.0])
    assert [c.template_id for c in g.search(np.array([1, 0, 0, 0.0]), k=3, threshold=0.5)] == ["a", "b"]
    assert g.search(np.array([0, 0, 1, 0.0]), k=2, threshold=0.1) == []


def test_gallery_add_remove_and_errors():
    g = make_gallery(4)
    g.add([f"t{i}" for i in range(100)], np.tile(E, (25, 1)) + 0.01 * np.arange(100)[:, None])
    assert len(g) == 100 and g.nbytes == 100 * 4 * 4
    g.remove("t0")
    assert len(g) == 99 and "t0" not in g.ids and "t0" not in g and "t99" in g
    assert g.search(E[0], k=1)[0].template_id != "t0"
    with pytest.raises(KeyError, match="unknown template id 't0'"):
        g.remove("t0")
    with pytest.raises(ValueError, match="already in the gallery"):
        g.add(["t5"], E[:1])
    with pytest.raises(ValueError, match="holds 4-d templates, got 3-d"):
        g.add(["x"], np.ones((1, 3)))
    with pytest.raises(ValueError, match="unknown gallery kind"):
        make_gallery(4, kind="annoy")
    assert NumpyGallery(4).search(E[0]) == []


def test_batch_search_matches_single_search():
    rng = np.random.default_rng(1)
    g = NumpyGallery(16)
    g.add([str(i) for i in range(50)], rng.normal(size=(50, 16)))
    probes = rng.normal(size=(5, 16))
    batch = g.search_batch(probes, k=4)
    for p, b in zip(probes, batch):
        one = g.search(p, k=4)
        assert [c.template_id for c in one] == [c.template_id for c in b]
        assert [c.score for c in one] == pytest.approx([c.score for c in b], abs=1e-5)
    # brute force reference
    best = np.argmax(scores(probes, g.matrix()), axis=1)
    assert [b[0].template_id for b in batch] == [str(i) for i in best]


def test_l2_gallery_and_matcher_role():
    g = NumpyGallery(4, metric="l2")
    g.add(["a", "b"], np.array([[0, 0, 0, 0], [3, 4, 0, 0]], np.float32))
    got = g.search(np.array([3, 4, 0, 0.0]), k=2)
    assert [c.template_id for c in got] == ["b", "a"]
    assert got[1].score == pytest.approx(-5.0)
    m = GalleryMatcher(g)
    assert m.verify(np.array([3, 4, 0, 0.0]), np.array([3, 4, 0.5, 0]), -0.6)[0]


def test_faiss_absent_gives_install_advice():
    try:
        import faiss  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"faiss-cpu, which is not installed.*numpy"):
            FaissGallery(4)
    else:  # pragma: no cover - where faiss is installed, it must agree with numpy
        f, n = FaissGallery(4), NumpyGallery(4)
        for g in (f, n):
            g.add(["a", "b"], E[:2])
        assert f.search(E[1], k=2) == n.search(E[1], k=2)
