"""Result folders through :mod:`outputs`: written whole or not at all, tables added in place,
headers checked on reading, one version, one sweep comparison."""

from __future__ import annotations

import json
import re
from importlib.metadata import version

import numpy as np
import pandas as pd
import pytest

from outputs.atomic import json_safe, staged_folder, write_json, write_text
from outputs.header import FolderError, header, read_summary
from outputs.loadtest import LoadTestFolderError, load_loadtest
from outputs.run import RunFolderError, add_tables, load_run, write_run
from outputs.sweep import comparison_table, read_sweep, write_comparison, write_point


class Broken(pd.DataFrame):
    """A table whose Parquet write fails half-way (after creating the file)."""

    def to_parquet(self, path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"PAR1 half a table")
        raise OSError("disk full")


def _write(out, tables=None, **summary):
    tables = tables or {"a": pd.DataFrame({"x": [1, 2]})}
    return write_run(out, tables, {"seed": 1, **summary}, "{}")


def _no_leftovers(folder):
    return not [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_a_failed_write_leaves_no_folder_behind(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(OSError, match="disk full"):
        _write(out, {"a": pd.DataFrame({"x": [1]}), "b": Broken({"y": [2]})})
    assert not out.exists() and _no_leftovers(tmp_path)


def test_a_failed_rewrite_keeps_the_old_folder_whole(tmp_path):
    out = _write(tmp_path / "run", seed_note="old")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(OSError, match="disk full"):
        _write(out, {"a": pd.DataFrame({"x": [9]}), "b": Broken({"y": [2]})})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert load_run(out)["a"]["x"].tolist() == [1, 2] and _no_leftovers(tmp_path)
    _write(out, {"c": pd.DataFrame({"z": [3]})})  # a complete rewrite replaces it whole
    assert sorted(p.name for p in out.iterdir()) == ["c.parquet", "scenario.json",
                                                     "summary.json"]


def test_a_failed_file_write_keeps_the_old_file(tmp_path):
    f = tmp_path / "x.json"
    write_json(f, {"a": float("nan"), "b": np.float32(1.5), "c": np.arange(2)})
    assert json.loads(f.read_text()) == {"a": None, "b": 1.5, "c": [0, 1]}
    with pytest.raises(ZeroDivisionError):
        from outputs.atomic import write_with
        write_with(f, lambda tmp: (tmp.write_text("half"), 1 / 0))
    assert json.loads(f.read_text())["b"] == 1.5 and _no_leftovers(tmp_path)
    assert json_safe({"k": (1, float("inf"))}) == {"k": [1, None]}


def test_adding_a_table_keeps_the_others_and_lists_it(tmp_path):
    out = _write(tmp_path / "run", headline={"w": {"mean": float("nan")}})
    created = load_run(out).summary["created"]
    add_tables(out, {"extra": pd.DataFrame({"e": [5.0]}), "more": pd.DataFrame({"m": [1]})})
    run = load_run(out)
    assert run.summary["tables"] == {"a": "a.parquet", "extra": "extra.parquet",
                                     "more": "more.parquet"}
    assert run["a"]["x"].tolist() == [1, 2] and run["extra"]["e"].tolist() == [5.0]
    assert run.summary["created"] == created and run.summary["headline"]["w"]["mean"] is None
    add_tables(out, {"extra": pd.DataFrame({"e": [6.0]})})  # replacing one keeps the rest
    assert load_run(out)["extra"]["e"].tolist() == [6.0] and len(load_run(out).tables) == 3
    assert _no_leftovers(out)
    with pytest.raises(RunFolderError, match="run folder not found"):
        add_tables(tmp_path / "nope", {"x": pd.DataFrame()})


def test_wrong_kind_or_format_names_the_path(tmp_path):
    out = _write(tmp_path / "run")
    summary_path = out / "summary.json"
    where = re.escape(str(summary_path))
    good = json.loads(summary_path.read_text())
    summary_path.write_text(json.dumps({**good, "kind": "loadtest"}))
    with pytest.raises(RunFolderError, match=rf"{where}: not a run summary \(kind 'loadtest', "
                                             r"expected 'run'\)"):
        load_run(out)
    summary_path.write_text(json.dumps({**good, "format": 2}))
    with pytest.raises(RunFolderError, match=rf"{where}: format 2 is not the supported format "
                                             r"1 of run folders"):
        load_run(out)
    summary_path.write_text(json.dumps(good))
    with pytest.raises(LoadTestFolderError, match=rf"{where}: not a load-test summary"):
        load_loadtest(out)
    summary_path.write_text("[1]")
    with pytest.raises(FolderError, match=rf"{where}: not a run summary"):
        read_summary(out, "run")


def test_format_1_run_folders_without_kind_still_load(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    pd.DataFrame({"x": [1]}).to_parquet(old / "t.parquet")
    (old / "summary.json").write_text(json.dumps({"format": 1, "airtwin_version": "0.1.0",
                                                  "tables": {"t": "t.parquet"}}))
    assert load_run(old)["t"]["x"].tolist() == [1]


def test_the_header_carries_the_installed_version(tmp_path):
    out = _write(tmp_path / "run", airtwin_version="9.9", created="2000-01-01T00:00:00+00:00")
    s = json.loads((out / "summary.json").read_text())
    assert s["airtwin_version"] == version("airtwin") == header("run")["airtwin_version"]
    assert list(s)[:4] == ["format", "kind", "airtwin_version", "created"]
    assert (s["format"], s["kind"], s["seed"]) == (1, "run", 1)
    assert s["created"] == "2000-01-01T00:00:00+00:00"  # a caller's own stamp is kept


def test_sweep_comparison_from_hand_built_summaries():
    points = [
        {"point": {"id": "p-1", "assignments": {"a.count": 4, "b.mix": {"x": 1}}},
         "headline": {"w": {"mean": 40.0, "ci_low": 30.0, "ci_high": 50.0},
                      "q": {"mean": None, "ci_low": None, "ci_high": None}}},
        {"point": {"id": "p-2", "assignments": {"a.count": 8, "b.mix": {"x": 2}}},
         "headline": {"w": {"mean": 80.0, "ci_low": 70.0, "ci_high": 90.0}}},
    ]
    table = comparison_table(points)
    assert list(table.columns) == ["point", "a.count", "b.mix", "w", "w_ci_low", "w_ci_high",
                                   "q", "q_ci_low", "q_ci_high"]
    assert table["point"].tolist() == ["p-1", "p-2"] and table["a.count"].tolist() == [4, 8]
    assert table["b.mix"].tolist() == ['{"x": 1}', '{"x": 2}']
    assert table["w_ci_high"].tolist() == [50.0, 90.0] and table["q"].isna().all()
    only = comparison_table(points, ["q", "absent"])
    assert list(only.columns)[3:] == ["q", "q_ci_low", "q_ci_high", "absent", "absent_ci_low",
                                      "absent_ci_high"]


def test_an_unfinished_sweep_is_read_from_its_points(tmp_path):
    summary = {"point": {"id": "p-1", "key": "k", "assignments": {"a": 1}},
               "headline": {"w": {"mean": 2.0, "ci_low": 1.0, "ci_high": 3.0}}}
    write_point(tmp_path, summary, {"kpi_headline": pd.DataFrame({"w": [2.0]})}, "{}")
    (tmp_path / "points" / "p-2").mkdir()  # unfinished: no summary yet
    sweep = read_sweep(tmp_path)
    assert sweep.note and "1 finished points" in sweep.note
    assert sweep.comparison["w"].tolist() == [2.0] and len(sweep.points) == 1
    write_comparison(tmp_path, sweep.comparison)
    done = read_sweep(tmp_path)
    assert done.note is None
    pd.testing.assert_frame_equal(done.comparison, sweep.comparison)
    assert len(pd.read_csv(tmp_path / "comparison.csv")) == 1


def test_staged_folder_and_text(tmp_path):
    with staged_folder(tmp_path / "f") as work:
        write_text(work / "a.txt", "hello")
        assert not (tmp_path / "f").exists()
    assert (tmp_path / "f" / "a.txt").read_text() == "hello" and _no_leftovers(tmp_path)


def test_the_progress_bar_is_silent_when_quiet(capsys):
    from outputs.progress import progress_bar, steps

    with steps("work", 3, "frames", quiet=True) as advance:
        for _ in range(3):
            advance()
    assert capsys.readouterr().out == ""
    bar = progress_bar("frames")
    names = [type(c).__name__ for c in bar.columns]
    assert names == ["TextColumn", "BarColumn", "MofNCompleteColumn", "TextColumn",
                     "TimeRemainingColumn"]


def test_the_progress_bar_logs_lines_where_there_is_no_terminal(capsys):
    from outputs.progress import steps

    with steps("rendering", 20, "frames") as advance:
        for _ in range(20):
            advance()
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("rendering:")]
    # the first step, then one line per tenth of the work, not one per step
    assert lines[0].startswith("rendering: 1/20 frames (5%)")
    assert lines[-1].startswith("rendering: 20/20 frames (100%)")
    assert 10 <= len(lines) <= 11
