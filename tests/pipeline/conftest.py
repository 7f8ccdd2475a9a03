"""Rendered synthetic faces and prepared recognizers, shared by the pipeline tests.

Rendering and model loading are the slow parts, so they happen once per session: a small
calibration set (identities keyed (CALIBRATION_SEED, i)) and a disjoint check set.
"""

import os
import shutil

import pytest

from experiments.calibrate import calibrate_synthetic as calibrate, render_set
from pipeline.recognizer import Recognizer
from sim.faces import ChangeSettings

CAL_IDENTITIES = 10
CHECK_SEED = 4242  # check identities are keyed (CHECK_SEED, i): none is in the calibration set


# The pipeline's mechanics are checked on photos taken the same day as the gate capture: a
# 10-identity calibration's cut is its highest impostor score, and with ten-year-old photos
# (the renderer's default since issue 13) most of dlib's genuine scores fall below it. Change
# over time is tested in tests/faces/test_realism.py and measured by `airtwin bench faces`.
SAME_DAY = ChangeSettings.off()


@pytest.fixture(scope="session")
def calibration_faces():
    return render_set(CAL_IDENTITIES, lives=2, change=SAME_DAY)


@pytest.fixture(scope="session")
def check_faces():
    return render_set(5, lives=1, seed=CHECK_SEED, change=SAME_DAY)


@pytest.fixture(scope="session")
def pack_dir(shared_models, tmp_path_factory):
    """A model pack as insightface ships one: only the detector and the recogniser (the shared
    folder also holds YuNet, which must never be handed to insightface)."""
    d = tmp_path_factory.mktemp("pack")
    for name in ("det_500m.onnx", "w600k_mbf_int8.onnx"):
        try:
            os.symlink(shared_models / name, d / name)
        except OSError:
            shutil.copy(shared_models / name, d / name)
    return d


@pytest.fixture(scope="session")
def dlib_recognizer():
    return Recognizer.from_backend("dlib").prepare()


@pytest.fixture(scope="session")
def insightface_recognizer(pack_dir):
    return Recognizer.from_backend("insightface", model_dir=str(pack_dir), provider="cpu").prepare()


@pytest.fixture(scope="session")
def dlib_calibration(dlib_recognizer, calibration_faces):
    return calibrate(dlib_recognizer, "dlib", captures=calibration_faces)


@pytest.fixture(scope="session")
def insightface_calibration(insightface_recognizer, calibration_faces):
    return calibrate(insightface_recognizer, "insightface", captures=calibration_faces)
