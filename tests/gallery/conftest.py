"""Fixtures of the template-store tests: real SQLite files in ``tmp_path`` and one real
PostgreSQL server per session (``initdb`` + ``pg_ctl`` in a temporary folder, loopback only; see
:mod:`pipeline.gallery.pg_local`), one fresh database per test. Nothing is mocked.

Without PostgreSQL's binaries the PostgreSQL cases are skipped, saying so, on a developer's
machine; in CI (``$CI`` set) they fail instead: ``.ci/run`` installs the server.
"""

from __future__ import annotations

import itertools
import os

import pytest

from pipeline.gallery.crypto import KeyRing, new_key

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server():
    from pipeline.gallery.pg_local import INSTALL_HINT, LocalPostgres, find_pg_bin

    if find_pg_bin() is None:
        reason = f"PostgreSQL server binaries not found ({INSTALL_HINT})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run these tests (.ci/run installs postgresql)")
        pytest.skip(f"{reason}; set CI=1 to make this a failure")
    with LocalPostgres(durable=False) as pg:  # the tests kill clients, never the server
        yield pg


@pytest.fixture
def pg_dsn(pg_server) -> str:
    return pg_server.create_database(f"gallery_{os.getpid()}_{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    """A fresh, empty store location of each backend: a folder, or a PostgreSQL DSN."""
    if request.param == "sqlite":
        return tmp_path / "store"
    return request.getfixturevalue("pg_dsn")


@pytest.fixture
def keys() -> KeyRing:
    return KeyRing(new_key())


@pytest.fixture(scope="session")
def face_jpegs() -> list[bytes]:
    """Enrolment pictures of three synthetic identities (no real person), as JPEG."""
    from pipeline.service.imaging import encode_jpeg
    from sim.faces import make_identity, render_enrolment

    return [encode_jpeg(render_enrolment(make_identity((1515, i))).image) for i in range(3)]


@pytest.fixture
def secrets_dir(tmp_path):
    """An API token file and a template key file, as `airtwin serve` reads them."""
    from gallery_helpers import TOKEN

    (tmp_path / "token").write_text(TOKEN + "\n")
    (tmp_path / "key").write_bytes(new_key())
    return tmp_path
