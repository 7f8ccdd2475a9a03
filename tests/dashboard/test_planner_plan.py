"""The planner's animated floor plan in a real headless Chromium: two short runs of the arrivals
peak (two seeds, standing in for two layouts) side by side; pressing Play moves the time slider
and the travelers; the headline table speaks words with units."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dash_browser import chromium_path, launch_chromium, open_page, serving

HORIZON_S = 600
CURRENT = "time since start (h:mm:ss):"  # the slider's current-value label


def _runs(repo_root: Path, outs: dict[Path, int]) -> None:
    """One short run per (folder, seed), side by side. This checkout's CLI (python -m from
    the repo root), so the plan tables are this branch's."""
    procs = [subprocess.Popen([sys.executable, "-m", "airtwin.cli", "run",
                               str(repo_root / "scenarios" / "icn_t1_arrivals_peak.yaml"),
                               "--replications", "1", "--seed", str(seed), "--horizon",
                               str(HORIZON_S), "--out", str(out)], cwd=repo_root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for out, seed in outs.items()]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err


@pytest.fixture(scope="module")
def plan_dashboard(tmp_path_factory, repo_root):
    try:
        chromium_path()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    root = tmp_path_factory.mktemp("plan-results")
    _runs(repo_root, {root / "runs" / "layout_a": 1, root / "runs" / "layout_b": 2})
    with serving(root, tmp_path_factory.mktemp("plan-logs") / "dashboard.log") as d:
        yield d


@pytest.fixture(scope="module")
def page(plan_dashboard, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = launch_chromium(p, tmp_path_factory.mktemp("plan-chromium"))
        page = open_page(context, plan_dashboard.url + "/", "The floor plan over time",
                         timeout_ms=120_000)
        yield page
        context.close()


def test_headline_in_words_with_units(page):
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "95th percentile e-gate queue wait (s)" in text
    assert "egate_wait_p95_s" not in text


def test_plan_plays_and_shows_both_layouts(page):
    anim = page.locator(".js-plotly-plot").filter(has_text=CURRENT).first
    anim.wait_for(timeout=120_000)
    text = anim.inner_text()
    assert "runs/layout_a" in text and "runs/layout_b" in text  # two panels, one per run
    label = anim.get_by_text(CURRENT)
    before = label.text_content()
    dots = "() => document.querySelectorAll('.js-plotly-plot .scatterlayer .point').length"
    points_before = page.evaluate(dots)
    assert "0:00:00" in before
    anim.locator(".updatemenu-button").first.click()  # ▶ Play
    page.wait_for_function(
        "([b, c]) => Array.from(document.querySelectorAll('.js-plotly-plot text'))"
        ".some(e => e.textContent.startsWith(c) && e.textContent !== b)",
        arg=[before, CURRENT], timeout=30_000)
    page.wait_for_timeout(1500)
    after = label.text_content()
    assert after != before and after.startswith(CURRENT)
    # At 0:00:00 only processors stand on the plan; travelers step on as the first flights
    # arrive (~3 min), so playing on brings more points.
    page.wait_for_function(f"() => ({dots[6:]}) > {points_before}", timeout=30_000)
