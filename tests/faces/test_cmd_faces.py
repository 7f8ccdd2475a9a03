"""`airtwin faces sheet`: writes a readable contact sheet atomically, refuses bad paths."""

import cv2
from typer.testing import CliRunner

from airtwin.cli import app
from sim.faces.sheet import CELL_H, ENROL_W, LABEL_H, LIVE_W

runner = CliRunner()


def test_sheet_writes_a_labelled_grid(tmp_path):
    out = tmp_path / "sheet.png"
    r = runner.invoke(app, ["faces", "sheet", "--n", "2", "--live", "1", "--seed", "3",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    img = cv2.imread(str(out))
    assert img.shape == (2 * (CELL_H + LABEL_H), ENROL_W + LIVE_W, 3)
    # The label strip under each tile is light with dark text on it.
    label = img[CELL_H:CELL_H + LABEL_H]
    assert label.mean() > 200 and label.min() < 100
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.png"]  # no temporary left behind


def test_sheet_refuses_bad_output_paths(tmp_path):
    r = runner.invoke(app, ["faces", "sheet", "--n", "1", "--out", str(tmp_path / "s.gif")])
    assert r.exit_code == 2 and "use .png or .jpg" in r.output
    r = runner.invoke(app, ["faces", "sheet", "--n", "1", "--out",
                            str(tmp_path / "missing" / "s.png")])
    assert r.exit_code == 2 and "does not exist" in r.output
    assert "Traceback" not in r.output
