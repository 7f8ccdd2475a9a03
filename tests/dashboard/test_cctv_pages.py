"""The CCTV identification sections of the stakeholder and engineer pages, in a real headless
Chromium, on a small real run: ``airtwin identify-cctv`` on two seconds of one face camera of a
cut-down cctv_identification scenario, under the manifest policy (mass enrolment, which the
pages must mark)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from dash_camera_loadtest import make_camera_loadtest
from dash_browser import chromium_path, launch_chromium, open_page, serving, wait_idle
from dashboard import measures_cctv
from dashboard.ui import PANEL_FAILED


@pytest.fixture(scope="session")
def cctv_results(tmp_path_factory, repo_root, small_cctv_scenario, small_cctv_window):
    root = tmp_path_factory.mktemp("cctv-results")
    out = root / "cctv" / "manifest"
    t0, t1 = small_cctv_window
    res = subprocess.run([sys.executable, "-m", "airtwin.cli", "identify-cctv",
                          str(small_cctv_scenario), "--out", str(out), "--gallery", "manifest",
                          "--from", str(t0), "--to", str(t1), "--quiet"], cwd=repo_root,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    make_camera_loadtest(root / "loadtests" / "cameras")
    return root


@pytest.fixture(scope="module")
def cctv_browser(tmp_path_factory):
    chromium_path()  # fails (never skips) saying how to install Chromium
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = launch_chromium(p, tmp_path_factory.mktemp("chromium-cctv"))
        yield context
        context.close()


@pytest.fixture(scope="module")
def cctv_dashboard(cctv_results, tmp_path_factory):
    with serving(cctv_results, tmp_path_factory.mktemp("logs") / "dashboard.log") as d:
        yield d


def _table(results, name: str) -> pd.DataFrame:
    return pd.read_parquet(results / "cctv" / "manifest" / f"{name}.parquet")


def _clean_text(page) -> str:
    assert page.locator('[data-testid="stException"]').count() == 0
    failed = page.get_by_text(PANEL_FAILED)
    assert failed.count() == 0, failed.all_inner_texts()
    return page.locator('[data-testid="stMain"]').inner_text()


def _text_showing(page, patterns: list[str], timeout_s: float = 60.0) -> str:
    """The page's text once every pattern shows in it (metric values paint after their labels
    and after the script reports it has finished); the last text if time runs out."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        text = _clean_text(page)
        if all(re.search(p, text) for p in patterns) or time.monotonic() > deadline:
            return text
        page.wait_for_timeout(500)


def test_stakeholder_shows_reach_false_ids_and_a_journey(cctv_browser, cctv_dashboard,
                                                         cctv_results):
    reach = _table(cctv_results, "cctv_reach")
    everyone = reach[reach["by"] == "all"].iloc[0]
    false = _table(cctv_results, "cctv_false_ids").iloc[0]
    page = open_page(cctv_browser, cctv_dashboard.url + "/stakeholder",
                     "CCTV identification: surveillance reach")
    page.get_by_text("Identified at least once").first.wait_for(timeout=60_000)
    page.get_by_text("Ground truth").first.wait_for(timeout=60_000)
    wait_idle(page)
    want = [rf"Identified at least once\s+{everyone['share_identified']:.1%}",
            rf"Travelers seen\s+{int(everyone['travelers'])}\b",
            rf"False identifications per hour\s+{false['false_ids_per_hour']:.1f}"]
    text = _text_showing(page, want)
    assert "MASS ENROLMENT" in text and "manifest" in text
    for pattern in want:
        assert re.search(pattern, text), (pattern, text[:3000])
    coverage = measures_cctv.travelers_by_coverage(_table(cctv_results, "cctv_truth"),
                                                   _table(cctv_results, "cctv_search_truth"))
    first = int(coverage["traveler_id"].iloc[0])
    assert f"Ground truth: traveler {first} in view of 1 camera(s)" in text
    assert re.search(r"Reconstructed: \d+ journey\(s\)", text)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 3",
                           timeout=60_000)  # reach by group, rates by group, the journey
    page.close()


def test_engineer_shows_cctv_frame_latency_and_capacity(cctv_browser, cctv_dashboard,
                                                        cctv_results):
    cap = measures_cctv.camera_capacity(_table(cctv_results, "cctv_frames"),
                                        _table(cctv_results, "cctv_realtime"))
    total = cap[cap["camera"] == "all"].iloc[0]
    page = open_page(cctv_browser, cctv_dashboard.url + "/engineer",
                     "CCTV identification: stage latencies and capacity")
    page.get_by_text("Cameras per thread").first.wait_for(timeout=60_000)
    wait_idle(page)
    gpu = json.loads((cctv_results / "loadtests" / "cameras" / "gpu_plan.json").read_text())
    want = [rf"Frame p99, ms\s+{total['frame p99 (ms)']:.0f}\b",
            rf"Real-time factor\s+{total['real-time factor']:.2f}",
            rf"Cameras per thread\s+{total['cameras per thread']:.2f}",
            # the camera load test: the face cameras' replica plan
            rf"Face cameras per replica, real time\s+{gpu['cameras_per_replica']:.2f}",
            rf"Replicas \(CPU processes\), peak hour\s+{gpu['replicas']}\b"]
    text = _text_showing(page, want)
    assert "MASS ENROLMENT" in text  # the run picker names the policy
    for pattern in want:
        assert re.search(pattern, text), (pattern, text[:4000])
    assert "CCTV identification stage latencies" in text
    # the run's own per-stage split (cctv_frames' <stage>_s columns), not the notice without it
    assert {"detect_s", "quality_s", "track_s", "embed_s", "search_s"} <= set(
        _table(cctv_results, "cctv_frames").columns)
    assert "cctv_frames has no" not in text
    # latency against load, errors, the load test's stages, the run's camera latency
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4",
                           timeout=60_000)
    page.close()
