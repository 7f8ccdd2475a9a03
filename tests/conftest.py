"""Fixtures shared by every test area. Area-specific fixtures live in the area's test module."""

from pathlib import Path

import pytest

from sim.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SHARED_MODELS = ROOT.parent / "shared" / "models"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def default_scenario():
    return load_scenario(SCENARIOS / "icn_t1_arrivals_peak.yaml")


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """../shared/models (SCRFD det_500m, ArcFace w600k_mbf_int8, YuNet) beside the project."""
    if not (SHARED_MODELS / "det_500m.onnx").is_file():
        pytest.skip(f"shared test models not found at {SHARED_MODELS}")
    return SHARED_MODELS


# A small cut of scenarios/cctv_identification.yaml for tests that need real face-camera
# footage quickly: one flight of 40 travelers, 400 s, and only the corridor_near camera
# (1920x1080, facing the flow). At 198.5-200.5 s travelers walk towards it with faces of
# 20-50 px inter-pupil distance.
SMALL_CCTV_WINDOW = (198.5, 200.5)


@pytest.fixture(scope="session")
def small_cctv_window() -> tuple[float, float]:
    """Seconds of small_cctv_scenario's footage with faces walking towards its camera."""
    return SMALL_CCTV_WINDOW


@pytest.fixture(scope="session")
def small_cctv_scenario(tmp_path_factory) -> Path:
    import yaml

    d = yaml.safe_load((SCENARIOS / "cctv_identification.yaml").read_text(encoding="utf-8"))
    d["horizon_s"] = 400
    d["flights"]["schedule"] = [{"id": "CF201", "time_s": 0, "passengers": 40, "origin": "NRT",
                                 "gate": "pier"}]
    d["cameras"] = [c for c in d["cameras"] if c["id"] == "corridor_near"]
    out = tmp_path_factory.mktemp("small-cctv") / "small_cctv.yaml"
    out.write_text("# cctv_identification.yaml cut down for tests: one flight, one face "
                   "camera\n" + yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    return out


class OneFaceSource:
    """A face detector and embedder in one (for a CctvStream): one face in the middle of the
    frame; frame k shows person ``who[k]`` (an 8-d template: that axis, plus 0.1 on the last)
    at ``ipd[k]`` px."""

    name, dim = "fake", 8

    def __init__(self, who, ipd):
        self.who, self.ipd, self.k = who, ipd, -1

    def prepare(self):
        pass

    def detect(self, image):
        import numpy as np

        from pipeline.types import Detection

        self.k += 1
        ipd, cx, cy = self.ipd[self.k], 320.0, 260.0
        lm = np.array([[cx - ipd / 2, cy], [cx + ipd / 2, cy], [cx, cy + 0.55 * ipd],
                       [cx - 0.4 * ipd, cy + ipd], [cx + 0.4 * ipd, cy + ipd]], np.float32)
        return [Detection((cx - 0.9 * ipd, cy - 0.9 * ipd, cx + 0.9 * ipd, cy + 1.6 * ipd), 0.99,
                          lm)]

    def embed(self, image, dets):
        import numpy as np

        from pipeline.types import Embedding

        v = np.zeros(8, np.float32)
        v[self.who[self.k]], v[7] = 1.0, 0.1
        return [Embedding(v / np.linalg.norm(v), self.name) for _ in dets]


@pytest.fixture
def one_face_source():
    """:class:`OneFaceSource`'s constructor (who, ipd)."""
    return OneFaceSource
