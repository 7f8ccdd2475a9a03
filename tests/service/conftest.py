"""Fixtures of the service tests: synthetic face JPEGs, secrets in files, and ``airtwin serve``
started for real (uvicorn, loopback, free port) in a child process.

Two servers run per session: ``service`` (persisted encrypted store, 1 MiB uploads, and a
dlib calibration made here by :func:`pipeline.calibration.calibrate` on a small fixed synthetic
sample, so it decides at a calibrated threshold) for the API, bad-input, privacy and audit
tests; ``tight_service`` (queue of 2, batch of 1, 3 s retention, no calibration: the documented
fallback threshold) for back-pressure, purging and the fallback. Both watch the incidents
demo's floor for danger detection (``--site``, a site file exported here by :func:`export_site`).

Live captures here are frontal (``CaptureVariation.none()``): these tests are about the service,
and recognition accuracy under pose and light is measured by the pipeline's own tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from cryptography.fernet import Fernet

from pipeline.gallery.crypto import KeyRing
from pipeline.gallery.location import SQLITE_FILE, read_templates
from pipeline.gallery.store import Template
from pipeline.service.imaging import encode_jpeg
from pipeline.service.launcher import ServiceProcess

FACE_SEED = 4242  # identity keys (FACE_SEED, i): synthetic, no real person
CALIBRATION_IDENTITIES = 8  # small and fixed: ~100 impostor scores, the threshold near the top
from http_helpers import TOKEN


@dataclass(frozen=True)
class Faces:
    enrol: list[bytes]  # enrolment photo JPEG of identity i
    live: list[bytes]  # one live e-gate capture JPEG of identity i
    blank: bytes  # a picture with no face


@pytest.fixture(scope="session")
def faces() -> Faces:
    from sim.faces import CaptureVariation, make_identity, render_enrolment, render_live

    enrol, live = [], []
    for i in range(3):
        idt = make_identity((FACE_SEED, i))
        enrol.append(encode_jpeg(render_enrolment(idt).image))
        live.append(encode_jpeg(render_live(idt, np.random.default_rng([FACE_SEED, i]),
                                            CaptureVariation.none()).image))
    blank = encode_jpeg(np.full((480, 640, 3), 128, np.uint8))
    return Faces(enrol, live, blank)


@dataclass(frozen=True)
class Running:
    url: str
    key: bytes
    store_dir: Path
    audit_log: Path
    proc: ServiceProcess

    def store_bytes(self) -> bytes:
        """Everything the template store has on disk: the SQLite file, its WAL and index."""
        return b"".join(f.read_bytes() for f in sorted(self.store_dir.glob(f"{SQLITE_FILE}*")))

    def stored(self) -> dict[str, Template]:
        """The templates on disk, opened with the service's key (no retention applied)."""
        return {t.template_id: t for t in read_templates(self.store_dir, KeyRing(self.key))}


@pytest.fixture(scope="session")
def calibration_dir(tmp_path_factory) -> Path:
    """A dlib calibration saved where the service looks for it ($AIRTWIN_CALIBRATION_DIR)."""
    from experiments.calibrate import calibrate_synthetic as calibrate
    from pipeline.calibration import calibration_path, save_calibration
    from pipeline.recognizer import Recognizer

    folder = tmp_path_factory.mktemp("calibration")
    rec = Recognizer.from_backend("dlib").prepare()
    cal = calibrate(rec, "dlib", n_identities=CALIBRATION_IDENTITIES)
    # Same file name as `airtwin calibrate` writes, in a folder of the test's own.
    save_calibration(cal, folder / calibration_path("dlib", rec.model).name)
    return folder


def export_site(tmp: Path) -> Path:
    """The incidents demo's floor plan as a site file in ``tmp`` (what `airtwin site export`
    writes), for ``airtwin serve --site``."""
    from floorplan.site import write_site
    from sim.layout import floor_plan
    from sim.loader import load_scenario

    demo = Path(__file__).resolve().parents[2] / "scenarios" / "incidents_demo.yaml"
    return write_site(floor_plan(load_scenario(demo)), tmp / "site.yaml")


@pytest.fixture(scope="session")
def site_file(tmp_path_factory) -> Path:
    return export_site(tmp_path_factory.mktemp("site"))


def _start(tmp: Path, extra: list[str], calibration: Path) -> tuple[ServiceProcess, Running]:
    key = Fernet.generate_key()
    (tmp / "token").write_text(TOKEN + "\n")
    (tmp / "key").write_bytes(key)
    store, audit = tmp / "store", tmp / "audit" / "audit.jsonl"
    proc = ServiceProcess(["--backend", "dlib", "--token-file", str(tmp / "token"),
                           "--key-file", str(tmp / "key"), "--store-dir", str(store),
                           "--audit-log", str(audit), "--site", str(export_site(tmp)), *extra],
                          env={"AIRTWIN_API_TOKEN": None, "AIRTWIN_TEMPLATE_KEY": None,
                               "AIRTWIN_CALIBRATION_DIR": str(calibration)})
    proc.start()
    return proc, Running(proc.url, key, store, audit, proc)


@pytest.fixture(scope="session")
def service(tmp_path_factory, calibration_dir):
    proc, running = _start(tmp_path_factory.mktemp("service"), ["--max-image-mb", "1"],
                           calibration_dir)
    yield running
    proc.stop()


@pytest.fixture(scope="session")
def tight_service(tmp_path_factory):
    proc, running = _start(tmp_path_factory.mktemp("tight"),
                           ["--queue-size", "2", "--max-batch", "1", "--max-wait-ms", "0",
                            "--retention-s", "3"], tmp_path_factory.mktemp("no-calibration"))
    yield running
    proc.stop()
