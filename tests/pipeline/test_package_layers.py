"""The runtime pipeline's packages import in one direction: :mod:`pipeline.vision` (the detector
Protocol, detection types and the head detector shared by both CCTV pipelines) imports neither
pipeline; danger detection imports nothing from CCTV identification; nothing under ``pipeline``
imports the simulator. Imports inside functions count too (a lazy import is still a cycle)."""

import ast
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[2] / "pipeline"


def imported_modules(package: str) -> dict[str, set[str]]:
    """Module file -> every absolute module it imports, at any depth of its code."""
    out = {}
    for path in sorted((PIPELINE / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        out[str(path.relative_to(PIPELINE.parent))] = names
    return out


@pytest.mark.parametrize("package, forbidden", [
    ("vision", ("pipeline.danger", "pipeline.cctv", "pipeline.service", "sim")),
    ("danger", ("pipeline.cctv", "pipeline.service", "sim")),
    ("cctv", ("pipeline.service", "sim")),
    ("", ("sim",)),
])
def test_a_package_imports_no_layer_above_it(package, forbidden):
    bad = {f"{f} imports {m}" for f, mods in imported_modules(package).items() for m in mods
           if any(m == x or m.startswith(x + ".") for x in forbidden)}
    assert not bad, sorted(bad)


def test_the_check_sees_a_lazy_import():
    """CCTV's floor tracker imports the danger tracker inside its constructor: the walk finds
    it (so a lazy import of pipeline.cctv from pipeline.danger would be found as well)."""
    assert "pipeline.danger.track" in imported_modules("cctv")["pipeline/cctv/persons.py"]
