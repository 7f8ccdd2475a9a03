"""Galleries beyond one exact scan: the IVF-PQ index against exact search, and exact search
sharded over the workers of a real Dask LocalCluster."""

from __future__ import annotations

import numpy as np
import pytest

from gallery_helpers import unit_vectors
from pipeline.gallery.ann import ApproximateIndex, IvfPqSettings, recall_at
from pipeline.matching import NumpyGallery


def _probes_of(gallery: np.ndarray, rows: np.ndarray, cos: float, seed: int) -> np.ndarray:
    """Live captures of enrolled travelers: each probe at cosine ~``cos`` to its template."""
    noise = unit_vectors(len(rows), gallery.shape[1], seed)
    p = cos * gallery[rows] + np.sqrt(1 - cos * cos) * noise
    return p / np.linalg.norm(p, axis=1, keepdims=True)


def test_approximate_index_finds_what_exact_search_finds():
    gallery = unit_vectors(20_000, dim=32, seed=11)
    probes = _probes_of(gallery, np.arange(0, 20_000, 200), 0.8, seed=12)
    exact = NumpyGallery(32)
    exact.add([str(i) for i in range(len(gallery))], gallery)
    truth = np.array([[int(c.template_id) for c in found]
                      for found in exact.search_batch(probes, 10)])
    index = ApproximateIndex(32, IvfPqSettings(lists=64, code_bytes=8, probe_lists=16,
                                               shortlist=128))
    index.build(gallery, np.random.default_rng(13))
    assert len(index) == 20_000 and index.nbytes == 20_000 * (8 + 8)
    scores, rows = index.search(probes, 10, exact=gallery)
    assert recall_at(rows, truth, 1) >= 0.95
    assert recall_at(rows, truth, 10) >= 0.75
    # Scores are exact re-scores, best first: only which rows were found is approximate.
    assert np.allclose(scores, np.einsum("md,mkd->mk", probes, gallery[rows]), atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_approximate_index_settings_are_checked():
    with pytest.raises(ValueError, match="probe_lists: must be <= lists"):
        IvfPqSettings(lists=8, probe_lists=16)
    with pytest.raises(ValueError, match="must divide the template dimension"):
        ApproximateIndex(30, IvfPqSettings(code_bytes=16))


def test_sharded_search_on_a_local_cluster_equals_exact_search():
    from distributed import Client, LocalCluster

    from pipeline.gallery.shards import ShardedGallery

    gallery = unit_vectors(3000, dim=32, seed=21)
    ids = [f"s{i}" for i in range(3000)]
    exact = NumpyGallery(32)
    exact.add(ids, gallery)
    probes = _probes_of(gallery, np.arange(0, 3000, 300), 0.8, seed=22)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        sharded = ShardedGallery(client, 32)
        sharded.add(ids[:1500], gallery[:1500])
        sharded.add(ids[1500:], gallery[1500:])
        assert sharded.shards == 2 and len(sharded) == 3000
        assert min(sharded.sizes()) > 1000  # both workers hold a real part
        for got, want in zip(sharded.search_batch(probes, 5), exact.search_batch(probes, 5)):
            assert [c.template_id for c in got] == [c.template_id for c in want]
            assert np.allclose([c.score for c in got], [c.score for c in want], atol=1e-6)
            assert [c.rank for c in got] == [1, 2, 3, 4, 5]
        assert sharded.remove("s0") and not sharded.remove("s0")
        assert sharded.search(gallery[0], 1)[0].template_id != "s0"
        assert len(sharded) == 2999
