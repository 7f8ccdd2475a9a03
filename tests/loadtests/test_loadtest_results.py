"""Summary, capacity and GPU maths on hand-built Locust CSVs and request logs; the folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from loadtests.capacity import endpoint_costs, find_capacity, measured_mix, plan_replicas
from loadtests.plan import sweep_plan
from loadtests.results import (endpoint_summary, prepare_log, read_locust_stats, step_summary,
                               totals)
from outputs.atomic import staged_folder
from outputs.loadtest import LoadTestFolderError, load_loadtest, replica_unit, write_loadtest

LOCUST_CSV = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
POST,/v1/identify,40,0,120,130.5,90.1,400.2,800.0,4.0,0.0,120,130,140,150,170,190,300,380,400,400,400
POST,/v1/verify,100,2,95,101.0,70.3,250.9,600.0,10.0,0.2,95,100,105,110,130,150,200,240,250,250,250
POST,/v1/verify [corrupt jpeg],10,10,3,3.2,2.0,6.0,90.0,1.0,1.0,3,3,3,4,5,6,6,6,6,6,6
,Aggregated,150,12,100,105.1,2.0,400.2,600.0,15.0,1.2,100,110,120,130,150,180,240,300,400,400,400
"""


def test_endpoint_summary_from_locust_csv(tmp_path):
    f = tmp_path / "locust_stats.csv"
    f.write_text(LOCUST_CSV)
    log = pd.DataFrame({"name": ["/v1/verify", "/v1/verify", "/v1/identify"],
                        "late": [True, False, True]})
    df = endpoint_summary(read_locust_stats(f), log)
    assert df["name"].tolist() == ["/v1/identify", "/v1/verify", "/v1/verify [corrupt jpeg]",
                                   "Aggregated"]
    assert df["endpoint"].tolist() == ["identify", "verify", "corrupt", "all"]
    assert df["expected_error"].tolist() == [False, False, True, False]
    v = df.set_index("name").loc["/v1/verify"]
    assert (v.requests, v.failures, v.rps, v.p50_ms, v.p95_ms, v.p99_ms) == (100, 2, 10.0, 95,
                                                                              150, 240)
    assert v.error_rate == pytest.approx(0.02)
    assert df["late_starts"].tolist() == [1, 1, 0, 2]
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(LoadTestFolderError, match="not a Locust stats CSV"):
        read_locust_stats(tmp_path / "x.csv")


def hand_log(plan, per_step: list[tuple[int, float, int]]) -> pd.DataFrame:
    """Per step: (valid requests, latency ms of each, failures), evenly spread in the step;
    plus one corrupt upload per step."""
    rows = []
    for (n, lat, fails), step in zip(per_step, plan.steps):
        ts = np.linspace(step.start_s, step.end_s, n, endpoint=False)
        for i, t in enumerate(ts):
            rows.append((t, t, lat, lat, "/v1/verify", "verify", False, i >= fails,
                         200 if i >= fails else 429, "local"))
        rows.append((step.start_s + 0.5, step.start_s + 0.5, 3.0, 3.0,
                     "/v1/verify [corrupt jpeg]", "corrupt", True, False, 422, "local"))
    cols = ["t_sched", "t_start", "latency_ms", "service_ms", "name", "endpoint",
            "expected_error", "ok", "status", "node"]
    return prepare_log(pd.DataFrame(rows, columns=cols), plan)


def test_steps_and_capacity_pick_the_highest_passing_step():
    plan = sweep_plan({"verify": 1.0}, 10.0, users=[1, 2, 4, 8], settle_s=0.0)
    # req/s: 5, 10, 20 (p99 ok, but 1% errors), 30 (too slow)
    log = hand_log(plan, [(50, 80.0, 0), (100, 120.0, 0), (200, 150.0, 2), (300, 900.0, 0)])
    steps = step_summary(log, plan, slo_ms=200.0, max_error_rate=0.001)
    all_ = steps[steps["endpoint"] == "all"].set_index("step")
    assert all_["rps"].tolist() == pytest.approx([5.0, 10.0, 20.0, 30.0])
    assert all_["passes"].tolist() == [True, True, False, False]
    assert all_.loc[2, "error_rate"] == pytest.approx(0.01)  # the corrupt uploads stay out
    cap = find_capacity(steps, 200.0, 0.001)
    assert cap.capacity_rps == pytest.approx(10.0) and cap.step == 1 and cap.steps_passing == 2
    assert "step 2 failed" in cap.detail
    loose = find_capacity(steps, 1000.0, 0.02)
    assert loose.capacity_rps == pytest.approx(30.0)
    none = find_capacity(steps, 50.0, 0.001)
    assert none.capacity_rps is None and "best p99 was 80 ms at step 0" in none.detail
    few = find_capacity(steps, 1000.0, 0.02, min_requests=1000)
    assert few.capacity_rps is None and "1000 valid requests" in few.detail


def test_settle_time_is_left_out_of_a_step():
    plan = sweep_plan({"verify": 1.0}, 10.0, users=[1], settle_s=2.0)
    log = hand_log(plan, [(100, 50.0, 0)])
    row = step_summary(log, plan, 200.0, 0.001).iloc[-1]
    assert row["requests"] == 80 and row["t_start"] == 2.0 and row["rps"] == pytest.approx(10.0)


def test_totals_keep_bad_uploads_apart_and_count_late_starts():
    plan = sweep_plan({"verify": 1.0}, 10.0, users=[1, 2])
    log = hand_log(plan, [(10, 100.0, 1), (10, 100.0, 0)])
    log.loc[3, "latency_ms"] = 160.0  # due 60 ms before it could be sent
    log = prepare_log(log.drop(columns=["late", "step"]), plan)
    t = totals(log, 20.0)
    assert (t["requests"], t["failures"], t["bad_requests"], t["bad_rejected"]) == (20, 1, 2, 2)
    assert t["late_starts"] == 1 and t["rps"] == 1.0


def test_gpu_plan_with_the_measured_mix_is_demand_over_capacity():
    g = plan_replicas(10.0, {"verify": 100.0}, {"verify": 1.0}, {"verify": 23.0}, headroom=0.3)
    assert g.utilisation == pytest.approx(2.3) and g.replicas == 3  # ceil(2.3 * 1.3 = 2.99)
    g = plan_replicas(10.0, {"verify": 100.0}, {"verify": 1.0}, {"verify": 24.0}, headroom=0.3)
    assert g.replicas == 4  # ceil(3.12)
    assert plan_replicas(10.0, {"verify": 1.0}, {"verify": 1.0}, {"verify": 0.0}).replicas == 0
    assert plan_replicas(10.0, {"verify": 1.0}, {"verify": 1.0}, {"verify": 0.01}).replicas == 1


def test_gpu_plan_converts_between_mixes_by_work():
    # Measured at 50/50 verify (100 ms) and analyze (300 ms): 200 ms of work per request, and
    # 10 req/s is 2000 ms of work per second. The peak wants 30 verify/s + 5 analyze/s:
    # 3000 + 1500 = 4500 ms/s = 2.25 replicas; x1.3 = 2.925 -> 3.
    g = plan_replicas(10.0, {"verify": 100.0, "analyze": 300.0},
                      {"verify": 0.5, "analyze": 0.5},
                      {"verify": 30.0, "analyze": 5.0, "identify": 2.0}, headroom=0.3)
    assert g.utilisation == pytest.approx(2.25) and g.replicas == 3
    assert g.unmeasured == ["identify"] and "NOT covered" in g.detail
    with pytest.raises(ValueError, match="capacity_rps"):
        plan_replicas(0.0, {"verify": 1.0}, {"verify": 1.0}, {"verify": 1.0})


def test_replicas_are_labelled_by_what_was_measured():
    cpu = plan_replicas(10.0, {"verify": 100.0}, {"verify": 1.0}, {"verify": 23.0},
                        replica_kind="cpu")
    assert cpu.replica_kind == "cpu" and cpu.detail.endswith("3 CPU processes")
    assert "GPU" not in cpu.detail and replica_unit(cpu.to_dict()) == "CPU processes"
    gpu = plan_replicas(10.0, {"verify": 100.0}, {"verify": 1.0}, {"verify": 23.0},
                        replica_kind="gpu")
    assert gpu.detail.endswith("3 GPUs") and replica_unit(gpu.to_dict()) == "GPUs"
    # a folder written before the kind was recorded: said so, not guessed
    assert "not recorded" in replica_unit({"replicas": 2}) and "not recorded" in replica_unit(None)
    with pytest.raises(ValueError, match="replica_kind"):
        plan_replicas(10.0, {"verify": 1.0}, {"verify": 1.0}, {"verify": 1.0}, replica_kind="tpu")


def test_costs_and_mix_come_from_the_log():
    plan = sweep_plan({"verify": 1.0}, 10.0, users=[1, 2])
    log = hand_log(plan, [(10, 100.0, 0), (10, 300.0, 0)])
    assert endpoint_costs(log) == {"verify": 100.0}  # the lowest-load step: no queueing
    assert measured_mix(log, 1) == {"verify": 1.0}


def test_folder_round_trip_and_errors(tmp_path):
    steps = pd.DataFrame({"step": [0], "endpoint": ["all"]})
    out = tmp_path / "lt"
    with staged_folder(out) as work:
        (work / "locust").mkdir()
        (work / "plan.json").write_text("{}")
        write_loadtest(work, {"shape": "sweep", "x": float("nan")}, {"steps": steps},
                       "# report\n", {"replicas": 2})
    lt = load_loadtest(out)
    assert lt.summary["kind"] == "loadtest" and lt.summary["x"] is None
    assert lt.gpu_plan == {"replicas": 2} and json.loads((out / "gpu_plan.json").read_text())
    assert lt.tables["steps"].equals(steps) and not work.exists()
    assert (out / "report.md").read_text() == "# report\n" and (out / "locust").is_dir()
    with pytest.raises(LoadTestFolderError, match="not found"):
        load_loadtest(tmp_path / "nope")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "summary.json").write_text('{"format": 1, "tables": {}}')
    with pytest.raises(LoadTestFolderError, match="not a load-test summary"):
        load_loadtest(tmp_path / "bad")
