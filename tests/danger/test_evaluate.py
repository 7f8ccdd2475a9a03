"""Scoring alerts against ground truth on small hand-built tables, and the config file's errors."""

import math

import pandas as pd
import pytest

from pipeline.danger.config import DangerConfigError, load_danger_config
from experiments.danger_evaluate import match, metrics, report_markdown
from experiments.danger_run import ALERT_COLUMNS, COVERAGE_COLUMNS, INCIDENT_COLUMNS, TRUTH_COLUMNS

INCIDENTS = pd.DataFrame([
    (0, "running", "hall", 100.0, 115.0, False),
    (1, "running", "hall", 600.0, 615.0, True),  # a brisk walk: a near miss
    (2, "abandoned_bag", "hall", 1000.0, 1180.0, False),
    (3, "fall", "hall", 2000.0, 2060.0, False),
], columns=INCIDENT_COLUMNS)
TRUTH = pd.DataFrame([
    ("cam1", 0, "running", "hall", 100.0, 115.0, False, 70, 110.0),
    ("cam2", 0, "running", "hall", 100.0, 115.0, False, 70, 40.0),
    ("cam1", 1, "running", "hall", 600.0, 615.0, True, 70, 110.0),
    ("cam1", 2, "abandoned_bag", "hall", 1000.0, 1180.0, False, 900, 30.0),
    ("cam1", 3, "fall", "hall", 2000.0, 2060.0, False, 300, 80.0),
], columns=TRUTH_COLUMNS)
COVERAGE = pd.DataFrame([
    ("cam1", "hour1", 0.0, 3600.0, 18000, 4, 1.0, 10.0),
    ("cam1", "hour2", 3600.0, 7200.0, 18000, 0, 1.0, 10.0),
    ("cam2", "hour1", 0.0, 3600.0, 18000, 4, 1.0, 10.0),
    ("cam2", "hour2", 3600.0, 7200.0, 18000, 0, 1.0, 10.0),
], columns=COVERAGE_COLUMNS)


def _alerts(rows):
    return pd.DataFrame([(c, t, k, "hall", "1", 0.8, 0, 0, 10, 10, "") for c, t, k in rows],
                        columns=ALERT_COLUMNS)


ALERTS = _alerts([
    ("cam1", 103.0, "running"),  # true, 3 s after the start
    ("cam2", 104.0, "running"),  # true, a duplicate from the other camera
    ("cam1", 605.0, "running"),  # on the near miss: a false alarm
    ("cam1", 1035.0, "abandoned_bag"),  # true, 35 s
    ("cam1", 1500.0, "abandoned_bag"),  # long after the bag's span and grace: false
    ("cam2", 5000.0, "fall"),  # baseline hour: false
])


def test_alerts_are_matched_to_incidents_of_their_camera_and_kind():
    m_alerts, m_inc = match(ALERTS, TRUTH, INCIDENTS)
    assert m_alerts["incident"].tolist() == [0, 0, -1, 2, -1, -1]
    assert m_alerts["duplicate"].tolist() == [False, True, False, False, False, False]
    assert m_alerts["near_miss"].tolist() == [False, False, True, False, False, False]
    inc = m_inc.set_index("incident")
    assert inc.loc[0, "ttd_s"] == 3.0 and inc.loc[2, "ttd_s"] == 35.0
    assert not inc.loc[3, "detected"]


def test_metrics_per_kind_and_overall():
    m = metrics(ALERTS, TRUTH, INCIDENTS, COVERAGE).set_index("kind")
    run = m.loc["running"]
    assert (run.incidents, run.detected, run.alerts, run.false_alarms) == (1, 1, 3, 1)
    assert run.near_miss_alarms == 1
    assert run.precision == pytest.approx(2 / 3) and run.recall == 1.0
    assert run.f1 == pytest.approx(0.8)
    assert run.ttd_median_s == 3.0
    assert run.meets_target is False  # precision 0.67 < 0.8
    bag = m.loc["abandoned_bag"]
    assert bag.precision == 0.5 and bag.recall == 1.0 and bag.ttd_median_s == 35.0
    fall = m.loc["fall"]
    assert fall.recall == 0.0 and fall.precision == 0.0 and fall.meets_target is None
    assert fall.baseline_false_alarms == 1
    assert fall.baseline_false_alarms_per_camera_hour == pytest.approx(0.5)  # 1 in 2 cam-h
    total = m.loc["all"]
    assert total.false_alarms == 3 and total.false_alarms_per_camera_hour == pytest.approx(0.75)
    assert math.isnan(m.loc["tailgating"].precision)


def test_report_names_what_misses_its_target():
    table = metrics(ALERTS, TRUTH, INCIDENTS, COVERAGE)
    text = report_markdown(table, COVERAGE, {"scenario": "demo", "analysis_fps": 5})
    assert "| running | 1 | 1 | 3 | 1 (1) | 0.67 | 1.00 |" in text
    assert "Kinds below target: abandoned_bag, running." in text
    assert "0.50 per camera-hour (target <= 1: met)" in text


def test_config_file_errors_name_file_field_and_rule(tmp_path):
    p = tmp_path / "danger.yaml"
    p.write_text("rules:\n  running:\n    speed_mps: -1\n  loitering: {dwel_s: 30}\n")
    with pytest.raises(DangerConfigError) as err:
        load_danger_config(p)
    text = str(err.value)
    assert f"{p}: rules.running.speed_mps: Input should be greater than 0, got -1" in text
    assert "rules.loitering.dwel_s: Extra inputs are not permitted" in text
    p.write_text("analysis_fps: 4\nrules: {running: {speed_mps: 3.5}}\n")
    cfg = load_danger_config(p)
    assert cfg.analysis_fps == 4 and cfg.rules.running.speed_mps == 3.5
    with pytest.raises(DangerConfigError, match="cannot read"):
        load_danger_config(tmp_path / "missing.yaml")
