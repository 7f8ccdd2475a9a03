"""The dashboard's pure parts on small hand-built inputs: folder discovery, the planner's and
the stakeholder's tables, the plotly builders, and the camera overlays."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dashboard import camera, figures, figures_ops, folders, measures, measures_ops


def _run_folder(path, headline=None, **extra):
    path.mkdir(parents=True)
    summary = {"format": 1, "tables": {}, "headline": headline or {}, **extra}
    (path / "summary.json").write_text(json.dumps(summary))
    return path


# --- discovery --------------------------------------------------------------------------------
def test_scan_finds_each_kind_two_levels_down_and_reports_bad_folders(tmp_path):
    _run_folder(tmp_path / "runs" / "a")
    _run_folder(tmp_path / "b", kind="run")
    _run_folder(tmp_path / "x" / "y" / "too_deep")
    _run_folder(tmp_path / ".a.tmp-123")  # an unfinished write
    sweep = tmp_path / "sweeps" / "s1"
    _run_folder(sweep / "points" / "p0000-abc", point={"id": "p0000-abc"})
    pd.DataFrame({"point": ["p0000-abc"]}).to_parquet(sweep / "comparison.parquet")
    _run_folder(tmp_path / "lt", kind="loadtest")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "audit.jsonl").write_text("")
    (tmp_path / "bench_pipeline.json").write_text(json.dumps({"latency": {"stages": {}}}))
    (tmp_path / "other.json").write_text(json.dumps({"latency": 3}))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "summary.json").write_text("{not json")

    idx = folders.scan(tmp_path)

    assert [f.label for f in idx.runs] == ["b", "runs/a"]
    assert [f.label for f in idx.sweeps] == ["sweeps/s1"]  # its points are not runs
    assert [f.label for f in idx.loadtests] == ["lt"]
    assert [f.label for f in idx.services] == ["svc"]
    assert [f.label for f in idx.benches] == ["bench_pipeline.json"]
    assert len(idx.problems) == 1 and idx.problems[0].path.name == "broken"
    assert "not valid JSON" in idx.problems[0].reason
    assert not idx.empty


def test_scan_of_a_missing_or_empty_folder(tmp_path):
    assert folders.scan(tmp_path).empty and not folders.scan(tmp_path).problems
    missing = folders.scan(tmp_path / "nope")
    assert missing.empty and "does not exist" in missing.problems[0].reason


def test_optional_table_listed_or_added_beside_the_run(tmp_path):
    from outputs.run import optional_table

    run = _run_folder(tmp_path / "r")
    (run / "danger").mkdir()
    pd.DataFrame({"t": [1.0]}).to_parquet(run / "danger" / "danger_alerts.parquet")
    pd.DataFrame({"t": [2.0]}).to_parquet(run / "listed.parquet")
    summary = {"tables": {"recognition": "listed.parquet"}}
    assert optional_table(run, summary, "danger_alerts")["t"].tolist() == [1.0]
    assert optional_table(run, summary, "recognition")["t"].tolist() == [2.0]
    assert optional_table(run, summary, "watchlist_hits") is None


# --- planner tables ---------------------------------------------------------------------------
def test_fmt_reads_units_and_ci_collapses():
    assert measures.fmt(0.1234, "share") == "12.3%"
    assert measures.fmt(125.0, "s") == "2:05 min"
    assert measures.fmt(12.0, "s") == "12.0 s"
    assert measures.fmt(3550.0, "pax") == "3,550 pax"
    assert measures.fmt(7.76, "m2") == "7.76 m²"
    assert measures.fmt(math.nan, "s") == "–"
    assert measures.fmt_ci(100.0, 90.0, 110.0, "pax") == "100 (90.0 – 110) pax"
    assert measures.fmt_ci(5.0, 5.0, 5.0, "s") == "5.0 s"
    assert measures.fmt_clock(3725.0) == "1:02:05"


def test_headline_table_is_metrics_by_runs():
    head = {"egate_wait_p95_s": {"mean": 30.0, "ci_low": 20.0, "ci_high": 40.0, "unit": "s"},
            "los_share_desk": {"mean": 0.5, "ci_low": 0.5, "ci_high": 0.5, "unit": "share"}}
    long = measures.headline_long({"a": {"headline": head},
                                   "b": {"headline": {"egate_wait_p95_s": {"mean": None}}}})
    table = measures.headline_table(long)
    assert list(table.columns) == ["a", "b"]
    assert table.loc["egate_wait_p95_s", "a"] == "30.0 s (20.0 s – 40.0 s)"
    assert table.loc["los_share_desk", "a"] == "50.0%"
    assert table.loc["egate_wait_p95_s", "b"] == "–"


def test_scenario_differences_lists_only_changed_paths():
    a = {"name": "x", "immigration": {"egate_banks": [{"id": "e", "count": 10}]}, "seed": 1}
    b = {"name": "y", "immigration": {"egate_banks": [{"id": "e", "count": 6}]}, "seed": 1}
    diff = measures.scenario_differences({"a": a, "b": b})
    assert diff.to_dict("index") == {"immigration.egate_banks.0.count": {"a": "10", "b": "6"}}
    assert measures.short_path("immigration.egate_banks.0.count") == "egate_banks.count"
    assert measures.point_label({"point": {"assignments": {"a.b.0.count": 6}}}) == "b.count=6"


def _kpi_waits():
    rows = []
    for rep, p95 in ((0, 100.0), (1, 300.0)):
        for proc, kind in (("all", "egate"), ("eg", "egate"), ("all", "desk"), ("d1", "desk"),
                           ("d2", "desk")):
            rows.append({"replication": rep, "processor": proc, "kind": kind, "cls": "all",
                         "n": 10, "n_waiting": 0, "mean_s": p95 / 2, "p50_s": p95 / 2,
                         "p90_s": p95, "p95_s": p95, "max_s": p95, "target_s": 600.0,
                         "within_target": 1.0 if rep else 0.5})
    return pd.DataFrame(rows)


def test_wait_percentiles_average_replications_and_drop_repeated_all_rows():
    w = measures.wait_percentiles(_kpi_waits())
    # e-gates have one group, so their "all" row repeats it; desks have two, so it stays.
    assert sorted(zip(w["processor"], w["kind"])) == [("all", "desk"), ("d1", "desk"),
                                                      ("d2", "desk"), ("eg", "egate")]
    assert w.set_index("processor").loc["d1", "p95_s"] == 200.0
    assert w.set_index("processor").loc["d1", "within_target"] == 0.75
    by_kind = measures.waits_by_kind(w)
    assert list(zip(by_kind["kind"], by_kind["processor"])) == [("desk", "all"), ("egate", "eg")]


def test_wait_percentiles_names_missing_columns():
    with pytest.raises(KeyError, match="kpi_waits: missing column"):
        measures.wait_percentiles(pd.DataFrame({"processor": ["a"]}))


def test_queue_series_mean_and_spread():
    df = pd.DataFrame({"replication": [0, 1, 0, 1], "processor": ["d"] * 4,
                       "kind": ["desk"] * 4, "t": [0.0, 0.0, 300.0, 300.0],
                       "length": [1.0, 3.0, 10.0, 20.0]})
    q = measures.queue_series(df)
    assert q["length"].tolist() == [2.0, 15.0]
    assert q["length_low"].tolist() == [1.0, 10.0] and q["length_high"].tolist() == [3.0, 20.0]


def test_space_series_recomputes_m2_from_mean_count_and_status():
    area = 100.0
    df = pd.DataFrame({"replication": [0, 1, 0, 1], "zone": ["hall"] * 4,
                       "zone_kind": ["immigration_hall"] * 4, "t": [0.0, 0.0, 300.0, 300.0],
                       "travelers": [0.0, 0.0, 50.0, 150.0],
                       "m2_per_pax": [np.inf, np.inf, area / 50, area / 150],
                       "band_low_m2": 1.0, "band_high_m2": 1.2,
                       "status": ["empty", "empty", "over-design", "sub-optimum"]})
    s = measures.space_series(df)
    assert np.isnan(s["m2_per_pax"].iloc[0]) and s["status"].iloc[0] == "empty"
    assert s["m2_per_pax"].iloc[1] == pytest.approx(1.0)  # 100 m² over a mean of 100
    assert s["status"].iloc[1] == "optimum"
    shares = measures.space_status_shares(df).set_index("zone")
    assert shares.loc["hall", "empty"] == 0.5 and shares.loc["hall", "optimum"] == 0.0


def test_consent_routing_counts_enrolled_non_consenting_sent_to_desks():
    t = pd.DataFrame({"replication": [0, 0, 0, 1, 1, 1],
                      "egate_enrolled": [True, True, False, True, True, True],
                      "consent": [False, True, False, False, False, True],
                      "route": ["desk", "egate", "desk", "desk", "desk", "egate"]})
    c = measures.consent_routing(t)
    assert c["routed_to_desk"] == 1.5 and c["no_consent"] == 2.0 and c["travelers"] == 3.0


def test_sweep_axes_and_rebuilt_comparison():
    from outputs.sweep import comparison_table

    points = [{"point": {"id": f"p{i}", "assignments": {"a.count": n}},
               "headline": {"w": {"mean": 10.0 * n, "ci_low": 1.0, "ci_high": 2.0}}}
              for i, n in enumerate((4, 8))]
    comp = comparison_table(points)
    assert measures.sweep_axes(comp, ["w"]) == ["a.count"]
    assert comp["w"].tolist() == [40.0, 80.0]


# --- stakeholder / engineer tables ------------------------------------------------------------
def test_stage_latencies_in_ms():
    rec = pd.DataFrame({"detect_s": [0.01, 0.02, 0.03], "embed_s": [0.1, 0.1, 0.1]})
    s = measures_ops.stage_latencies(rec).set_index("stage")
    assert s.loc["detect", "p50_ms"] == pytest.approx(20.0)
    assert s.loc["embed", "n"] == 3 and "total" not in s.index


def test_verification_by_group_joins_demographics_per_replication():
    tx = pd.DataFrame({"replication": [0, 0, 1, 1], "traveler_id": [1, 2, 1, 2],
                       "outcome": ["pass", "reject", "fta", "pass"]})
    travelers = pd.DataFrame({"replication": [0, 0, 1, 1], "traveler_id": [1, 2, 1, 2],
                              "skin_tone": ["I-II", "V-VI", "V-VI", "I-II"],
                              "age_band": ["30-44"] * 4, "sex_presentation": ["female"] * 4})
    table, ratios = measures_ops.verification_by_group(measures_ops.egate_attempts(tx), travelers)
    skin = table[table["attribute"] == "skin_tone"].set_index("group")
    assert skin.loc["I-II", "fnmr"] == 0.0 and skin.loc["V-VI", "fnmr"] == 1.0
    assert skin.loc["V-VI", "fta"] == 0.5
    assert set(ratios["attribute"]) == {"skin_tone", "age_band", "sex_presentation"}


def test_alerts_timeline_merges_sources_in_time_order():
    danger = pd.DataFrame({"camera": ["c1"], "t": [50.0], "kind": ["running"], "detail": ["x"]})
    hits = pd.DataFrame({"traveler_id": [7], "time": [10.0], "top_id": ["traveler-7"],
                         "top_score": [0.9]})
    a = measures_ops.alerts_timeline(danger, hits)
    assert a["kind"].tolist() == ["watchlist hit", "running"]
    assert measures_ops.alerts_timeline(None, None).empty


def test_busiest_time_of_a_zone():
    occ = pd.DataFrame({"replication": [0, 0, 0, 1], "zone": ["h", "h", "r", "h"],
                        "t": [1.0, 2.0, 3.0, 9.0], "count": [1, 5, 9, 99]})
    assert measures_ops.busiest_time(occ, "h", 0) == 2.0
    assert measures_ops.busiest_time(occ, "none", 0) is None


def test_audit_figures_and_metrics_from_the_service_code(tmp_path):
    from pipeline.service.audit import AuditLog
    from pipeline.service.metrics import ServiceMetrics

    log = AuditLog(tmp_path / "audit.jsonl", fsync=False)
    for i in range(3):
        log.append("identify", request_id=str(i))
    fig = measures_ops.audit_figures(tmp_path / "audit.jsonl")
    assert (fig.entries, fig.chain, fig.events) == (3, "intact", {"identify": 3})
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    (tmp_path / "audit.jsonl").write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    assert "BROKEN at line 2" in measures_ops.audit_figures(tmp_path / "audit.jsonl").chain

    m = ServiceMetrics()
    m.templates.set(4)
    m.purged.inc(3)  # what the template store reports after a retention purge
    values = measures_ops.metric_values(m.exposition()[0].decode())
    assert measures_ops.privacy_from_metrics(values) == {"templates_held": 4.0,
                                                         "retention_purges": 3.0}
    # A service that exports no purge count (an older one) shows "not available", not 0.
    assert measures_ops.privacy_from_metrics({"airtwin_templates": 4.0}) == {
        "templates_held": 4.0, "retention_purges": None}


# --- figures --------------------------------------------------------------------------------
def test_wait_bars_one_bar_trace_per_run_and_the_targets():
    w = measures.wait_percentiles(_kpi_waits())
    fig = figures.wait_bars({"a": w, "b": w}, "p95_s", "all")
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in bars] == ["a", "b"]
    assert list(bars[0].y) == pytest.approx([200 / 60] * 4)
    target = [t for t in fig.data if t.type == "scatter"][0]
    assert list(target.y) == pytest.approx([10.0] * 4)


def test_headline_bars_error_bars_are_the_ci():
    long = measures.headline_long({"a": {"headline": {"m": {"mean": 5.0, "ci_low": 4.0,
                                                            "ci_high": 7.0, "unit": "s"}}}})
    bar = figures.headline_bars(long, "m").data[0]
    assert list(bar.error_y.array) == [2.0] and list(bar.error_y.arrayminus) == [1.0]


def test_queue_and_space_figures_have_a_panel_per_group_and_the_bands():
    q = pd.DataFrame({"processor": ["d", "d", "e", "e"], "kind": ["desk"] * 2 + ["egate"] * 2,
                      "t": [0.0, 300.0] * 2, "length": [1.0, 2.0, 0.0, 1.0],
                      "length_low": [1.0, 1.0, 0.0, 0.0], "length_high": [1.0, 3.0, 0.0, 2.0]})
    fig = figures.queue_lines({"run": q})
    assert [a.text for a in fig.layout.annotations] == ["d", "e"]
    assert sum(t.fill == "toself" for t in fig.data) == 2  # spread bands
    s = pd.DataFrame({"zone": ["hall"] * 2, "zone_kind": ["immigration_hall"] * 2,
                      "t": [0.0, 300.0], "travelers": [0.0, 10.0],
                      "m2_per_pax": [np.nan, 5.0], "band_low_m2": [1.0] * 2,
                      "band_high_m2": [1.2] * 2, "status": ["empty", "over-design"]})
    fig = figures.space_lines({"run": s})
    assert len(fig.layout.shapes) == 3  # sub-optimum, optimum, over-design
    assert fig.layout.yaxis.type == "log"


def test_engineer_and_stakeholder_figures():
    steps = pd.DataFrame({"step": [0, 1], "endpoint": ["all"] * 2, "users": [1, 2],
                          "rps": [5.0, 9.0], "p50_ms": [50.0, 90.0], "p95_ms": [80.0, 150.0],
                          "p99_ms": [100.0, 300.0], "error_rate": [0.0, 0.0],
                          "passes": [True, False]})
    fig = figures_ops.latency_vs_rps(steps, 200.0)
    ringed = [t for t in fig.data if t.marker.symbol == "circle-open"][0]
    assert list(ringed.x) == [5.0]
    eps = pd.DataFrame({"name": ["v", "v [corrupt]"], "expected_error": [False, True],
                        "requests": [10, 2], "failures": [1, 0], "error_rate": [0.1, 0.0]})
    assert list(figures_ops.error_rate_bars(eps, 0.001).data[0].marker.color)[1] == "#9e9e9e"
    table = pd.DataFrame({"attribute": ["skin_tone"] * 2 + ["age_band"], "group": ["a", "b", "c"],
                          "n_genuine": [5, 5, 5], "fnmr": [0.1, 0.2, 0.0], "fta": [0.0] * 3})
    assert len(figures_ops.group_rates(table, ["fnmr", "fta"], "t").data) == 4
    alerts = pd.DataFrame({"t": [5.0], "source": ["s"], "kind": ["k"], "where": ["c"],
                           "detail": ["d"]})
    assert len(figures_ops.alerts_figure(alerts, 60.0).data) == 1


# --- camera ----------------------------------------------------------------------------------
def test_draw_overlays_boxes_people_and_alerts():
    img = np.zeros((100, 100, 3), np.uint8)
    over = camera.Overlays(
        pd.DataFrame({"track_id": [3], "actor": [False], "activity": ["walking"],
                      "x0": [10.0], "y0": [10.0], "x1": [40.0], "y1": [60.0]}),
        pd.DataFrame(columns=["kind", "owner_track_id", *camera.BOX_COLUMNS]),
        pd.DataFrame({"label": ["fall"], **{c: [np.nan] for c in camera.BOX_COLUMNS}}))
    alerts = camera.alerts_near(pd.DataFrame({
        "camera": ["c", "c", "other"], "t": [100.5, 300.0, 100.0], "kind": ["fall"] * 3,
        "x1": [60.0] * 3, "y1": [60.0] * 3, "x2": [90.0] * 3, "y2": [90.0] * 3}), "c", 100.0)
    assert len(alerts) == 1 and alerts["x0"].iloc[0] == 60.0
    out = camera.draw_overlays(img, over, alerts)
    assert img.sum() == 0  # the input is left alone
    assert tuple(out[60, 10]) == camera.PERSON  # the person's box edge
    assert tuple(out[90 + 6, 75]) == camera.ALERT  # the alert box, drawn 6 px outside
    assert out[80, 20].sum() == 0  # inside an untouched area


# --- command line ----------------------------------------------------------------------------
def test_dashboard_command_refuses_a_missing_folder(tmp_path):
    from airtwin.cli import app

    res = CliRunner().invoke(app, ["dashboard", "--results", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "folder not found" in res.output


def test_streamlit_command_line_is_headless_on_loopback(tmp_path):
    from airtwin.cmd_dashboard import streamlit_argv

    argv, env = streamlit_argv(tmp_path, 8765, "127.0.0.1")
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith("dashboard/app.py")
    flags = dict(zip(argv[5::2], argv[6::2]))
    assert flags["--server.headless"] == "true" and flags["--server.address"] == "127.0.0.1"
    assert flags["--server.port"] == "8765" and env[folders.RESULTS_ENV] == str(tmp_path)
