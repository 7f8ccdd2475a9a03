"""``airtwin keys new | status | rotate`` as an operator runs them, on a real SQLite store."""

from __future__ import annotations

import os
import subprocess
import sys

from gallery_helpers import unit_vectors
from pipeline.gallery.crypto import KeyRing
from pipeline.gallery.location import read_templates
from pipeline.service.templates import TemplateStore


def _keys(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRTWIN_")}
    return subprocess.run([sys.executable, "-m", "airtwin.cli", "keys", *args],
                          capture_output=True, text=True, env=env)


def test_keys_new_status_and_rotate(tmp_path):
    made = [_keys("new") for _ in range(2)]
    assert all(m.returncode == 0 for m in made)
    (tmp_path / "old.key").write_text(made[0].stdout)
    (tmp_path / "new.key").write_text(made[1].stdout)
    old = KeyRing(made[0].stdout.strip().encode())
    assert made[0].stderr.strip() == f"key id {old.current.key_id}"
    store = TemplateStore.open(tmp_path / "store", old, 3600)
    for i, v in enumerate(unit_vectors(25)):
        store.add(f"t{i}", v, "m")
    store.close()

    status = _keys("status", "--store", str(tmp_path / "store"))
    assert status.returncode == 0 and f"key {old.current.key_id}: 25 templates" in status.stdout

    rotated = _keys("rotate", "--store", str(tmp_path / "store"), "--old-key-file",
                    str(tmp_path / "old.key"), "--new-key-file", str(tmp_path / "new.key"),
                    "--batch", "10")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-sealed 25 templates" in rotated.stdout and "is retired" in rotated.stdout
    assert rotated.stderr.count("re-sealed") == 3  # batches of 10, 10 and 5
    new = KeyRing(made[1].stdout.strip().encode())
    assert len(read_templates(tmp_path / "store", new)) == 25
    again = _keys("status", "--store", str(tmp_path / "store"))
    assert again.stdout.strip().endswith(f"key {new.current.key_id}: 25 templates")

    wrong = _keys("rotate", "--store", str(tmp_path / "store"), "--old-key-file",
                  str(tmp_path / "old.key"), "--new-key-file", str(tmp_path / "old.key"))
    assert wrong.returncode == 2 and "the same key" in wrong.stderr
