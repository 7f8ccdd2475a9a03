"""A throwaway PostgreSQL server in a temporary folder (``initdb`` + ``pg_ctl``), for the tests,
``airtwin bench gallery`` and load tests with replicas: loopback only, trust authentication,
removed when stopped. Never a production setup.

Debian's ``postgresql`` package puts the binaries in ``/usr/lib/postgresql/<version>/bin`` (off
PATH); ``$AIRTWIN_PG_BIN`` overrides. PostgreSQL refuses to run as root, so as root the server
runs as the ``postgres`` user the package creates, in a folder handed over to it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN_ENV = "AIRTWIN_PG_BIN"
INSTALL_HINT = "apt-get install postgresql (Debian/Ubuntu), or set $AIRTWIN_PG_BIN to its bin folder"


class LocalPostgresError(RuntimeError):
    pass


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, newest version first; None if none."""
    if os.environ.get(PG_BIN_ENV):
        return Path(os.environ[PG_BIN_ENV])
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.parent.name)) or (0,)

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalPostgres:
    """``with LocalPostgres() as pg: pg.create_database("t1")`` gives a DSN."""

    def __init__(self, bin_dir: Path | None = None, user: str = "postgres", durable: bool = True):
        self.bin_dir = bin_dir or find_pg_bin()
        if self.bin_dir is None or not (self.bin_dir / "pg_ctl").exists():
            raise LocalPostgresError(f"PostgreSQL server binaries not found: {INSTALL_HINT}")
        self.run_as = user if os.geteuid() == 0 else None
        self.durable = durable  # False: no fsync (tests; a killed client needs none)
        self.port = 0
        self.folder: Path | None = None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://airtwin@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.folder)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise LocalPostgresError(f"{' '.join(args[:2])} failed ({done.returncode}):\n"
                                     f"{done.stdout}{done.stderr}{tail}")

    def start(self) -> "LocalPostgres":
        self.folder = Path(tempfile.mkdtemp(prefix="airtwin-pg-"))
        if self.run_as:
            shutil.chown(self.folder, self.run_as, self.run_as)
        self.port = _free_port()
        self._run("initdb", "-D", str(self.data), "-U", "airtwin", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
                f"-c max_connections=200")
        if not self.durable:
            opts += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        try:
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                      "-o", opts, "-w", "-t", "60", "start")
        except LocalPostgresError:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        return self

    def create_database(self, name: str) -> str:
        import psycopg

        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"database name {name!r}: lower-case letters, digits and _ only")
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            # FILE_COPY: a new database costs a few files, not 8 MB of WAL.
            conn.execute(f"CREATE DATABASE {name} STRATEGY FILE_COPY")
        return self.dsn(name)

    def stop(self) -> None:
        if self.folder is None:
            return
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            except LocalPostgresError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def __enter__(self) -> "LocalPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
