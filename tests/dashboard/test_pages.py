"""Every dashboard page opened in a real headless Chromium against ``airtwin dashboard`` serving
a real results folder (a short ``airtwin run``, a load-test folder, a service's audit log and
metrics), then against an empty folder and a malformed one."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dash_browser import Dashboard, chromium_path, launch_chromium, open_page, wait_idle
from dashboard import measures
from dashboard.ui import PANEL_FAILED

HORIZON_S = 1800
TEMPLATES_HELD = 3
AUDIT_ENTRIES = 4


def _make_run(repo_root: Path, out: Path) -> Path:
    airtwin = Path(sys.executable).with_name("airtwin")
    res = subprocess.run([str(airtwin), "run", str(repo_root / "scenarios" /
                          "icn_t1_arrivals_peak.yaml"), "--replications", "2",
                          "--horizon", str(HORIZON_S), "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return out


def _make_service_folder(folder: Path) -> None:
    """What `airtwin serve` leaves: its audit log, and a /metrics snapshot saved beside it."""
    from pipeline.service.audit import AuditLog
    from pipeline.service.metrics import ServiceMetrics

    log = AuditLog(folder / "audit.jsonl", fsync=False)
    for i in range(AUDIT_ENTRIES):
        log.append("identify", request_id=f"r{i}", client="test", candidates=[])
    metrics = ServiceMetrics()
    metrics.templates.set(TEMPLATES_HELD)
    (folder / "metrics.prom").write_bytes(metrics.exposition()[0])


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium; without it the browser tests fail (never skip) saying how to install
    it."""
    try:
        return chromium_path()
    except RuntimeError as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def results(tmp_path_factory, repo_root) -> Path:
    from dash_loadtest import make_loadtest

    root = tmp_path_factory.mktemp("results")
    run = _make_run(repo_root, root / "runs" / "peak")
    make_loadtest(root / "loadtests" / "sweep", run)
    (root / "service").mkdir()
    _make_service_folder(root / "service")
    return root


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would break later tests that call asyncio.run().
@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = launch_chromium(p, tmp_path_factory.mktemp("chromium-profile"))
        yield context
        context.close()


def _serve(folder: Path, tmp_path_factory):
    d = Dashboard(folder, tmp_path_factory.mktemp("logs") / "dashboard.log")
    try:
        d.wait()
    except BaseException:
        d.stop()
        raise
    return d


@pytest.fixture(scope="session")
def dashboard(results, tmp_path_factory):
    d = _serve(results, tmp_path_factory)
    yield d
    d.stop()


def _assert_clean(page) -> None:
    """No exception box and no panel that failed to draw."""
    exc = page.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.all_inner_texts()
    failed = page.get_by_text(PANEL_FAILED)
    assert failed.count() == 0, failed.all_inner_texts()


def _text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def _head(results: Path) -> dict:
    return json.loads((results / "runs" / "peak" / "summary.json").read_text())["headline"]


def test_planner_shows_the_runs_figures(browser, dashboard, results):
    page = open_page(browser, dashboard.url + "/", "Headline figures")
    _assert_clean(page)
    text = _text(page)
    head = _head(results)
    for metric in ("travelers_arrived", "immigration_wait_p95_s", "desk_utilisation"):
        h = head[metric]
        want = measures.fmt_ci(h["mean"], h["ci_low"], h["ci_high"], h["unit"])
        if want not in text:  # the table may paint after the script reports it has finished
            page.get_by_text(want, exact=False).first.wait_for(timeout=60_000)
            text = _text(page)
        assert want in text, metric
    for section in ("Queue waits per processor and class", "Queue length over time",
                    "Level of service (IATA ADRM)", "Utilisation"):
        assert section in text
    # headline, waits, queues, space, util: plotly draws after the script finishes, so give a
    # loaded machine time to draw them before counting.
    try:
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 5",
                               timeout=60_000)
    except Exception:
        pass
    assert page.locator(".js-plotly-plot").count() >= 5
    page.close()


def test_engineer_shows_load_test_capacity_and_replica_plan(browser, dashboard, results):
    from dash_loadtest import expected_figures

    want = expected_figures(results / "loadtests" / "sweep")
    page = open_page(browser, dashboard.url + "/engineer",
                     "Capacity and replicas for the peak hour")
    # The metric rows paint after the script reports it has finished; wait for them.
    for label in ("Capacity, req/s", "Replicas (CPU processes), peak hour"):
        page.get_by_text(label, exact=False).first.wait_for(timeout=60_000)
    _assert_clean(page)
    text = _text(page)
    assert re.search(rf"Capacity, req/s\s+{want['capacity_rps']:.1f}", text), text[:3000]
    assert re.search(rf"Replicas \(CPU processes\), peak hour\s+{want['replicas']}\b", text)
    assert "GPU" not in text.split("Capacity and replicas for the peak hour")[1][:400]
    assert page.locator(".js-plotly-plot").count() >= 2  # latency against load, error rates
    assert "No measured stage latencies" in text  # a profile-mode run measures none
    page.close()


def test_stakeholder_shows_headline_privacy_and_renders_a_frame(browser, dashboard, results):
    head = _head(results)
    arrived = measures.fmt(head["travelers_arrived"]["mean"], "pax")
    page = open_page(browser, dashboard.url + "/stakeholder", "Privacy")
    page.get_by_text(arrived).first.wait_for(timeout=60_000)  # metrics paint after the headers
    wait_idle(page)
    _assert_clean(page)
    text = _text(page)
    assert measures.fmt(head["travelers_arrived"]["mean"], "pax") in text
    assert measures.fmt(head["immigration_wait_p95_s"]["mean"], "s") in text
    t = pd.read_parquet(results / "runs" / "peak" / "travelers.parquet")
    routed = ((~t["consent"]) & t["egate_enrolled"] & (t["route"] == "desk")).groupby(
        t["replication"]).sum().mean()
    assert re.search(rf"Sent to a desk: no consent\s+{routed:,.0f}\b", text)
    assert re.search(rf"Templates held\s+{TEMPLATES_HELD}\b", text)
    assert re.search(rf"Audit entries\s+{AUDIT_ENTRIES}\b", text)
    assert "audit chain intact" in text
    assert "No alerts in this run" in text  # no danger detection on a plain sim run

    page.get_by_role("button", name="Render frame").click()
    caption = page.get_by_text(re.compile(r"\d+ people in view"))
    caption.wait_for(timeout=120_000)
    wait_idle(page)
    _assert_clean(page)
    people = int(re.search(r"(\d+) people in view", caption.inner_text()).group(1))
    assert people > 0  # the default time is when the camera's zone is busiest
    assert page.locator('[data-testid="stImage"] img').count() == 1
    page.close()


def test_empty_folder_says_so_on_every_page(browser, tmp_path_factory):
    empty = tmp_path_factory.mktemp("empty")
    d = _serve(empty, tmp_path_factory)
    try:
        for path in ("/", "/engineer", "/stakeholder"):
            page = open_page(browser, d.url + path, "No results in")
            _assert_clean(page)
            assert str(empty) in _text(page)
            page.close()
    finally:
        d.stop()


def test_malformed_folders_are_named_not_a_traceback(browser, tmp_path_factory, results):
    import shutil

    bad = tmp_path_factory.mktemp("malformed")
    (bad / "half_written").mkdir()
    (bad / "half_written" / "summary.json").write_text("{not json")
    shutil.copytree(results / "runs" / "peak", bad / "lost_table")
    (bad / "lost_table" / "kpi_waits.parquet").unlink()
    d = _serve(bad, tmp_path_factory)
    try:
        page = open_page(browser, d.url + "/", "Headline figures")
        assert page.locator('[data-testid="stException"]').count() == 0
        text = _text(page)
        assert "half_written" in text and "not valid JSON" in text
        assert f"{PANEL_FAILED} the waits" in text and "kpi_waits.parquet" in text
        page.close()
    finally:
        d.stop()
