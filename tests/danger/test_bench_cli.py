"""``airtwin danger generate`` writes valid scenarios, deterministic by seed; ``benchmark
--score-only`` refuses a folder with no scene run."""

from typer.testing import CliRunner

from airtwin.cli import app
from sim.loader import load_scenario


def test_generate_writes_scenarios_that_load_and_repeat(tmp_path):
    runner = CliRunner()
    for out in ("a", "b"):
        r = runner.invoke(app, ["danger", "generate", "--seeds", "1000-1001,5",
                                "--out", str(tmp_path / out)])
        assert r.exit_code == 0, r.output
    for seed in (1000, 1001, 5):
        a = (tmp_path / "a" / f"scene_{seed}.yaml").read_text()
        assert a == (tmp_path / "b" / f"scene_{seed}.yaml").read_text()
        s = load_scenario(tmp_path / "a" / f"scene_{seed}.yaml")
        assert [c.kind for c in s.cameras] == ["cctv"] and len(s.incidents) >= 3
    bad = runner.invoke(app, ["danger", "generate", "--seeds", "x-3", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "--seeds" in bad.output


def test_score_only_without_runs_says_so(tmp_path):
    r = CliRunner().invoke(app, ["danger", "benchmark", "--out", str(tmp_path), "--score-only",
                                 "--seeds", "1000"])
    assert r.exit_code == 2 and "no scene" in r.output
