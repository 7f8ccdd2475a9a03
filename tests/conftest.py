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
