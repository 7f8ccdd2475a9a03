"""Camera demand as load: the cameras shape's steps, each face camera's periodic schedule, the
user classes Locust runs, the cctv demand of a simulated day, and the replica plan's cameras
per replica. Pure functions on hand-built inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loadtests import capacity as cap
from loadtests.plan import (LoadPlan, PlanError, arrival_schedule, camera_plan, camera_schedule,
                            poisson_plan, shape_stages)
from loadtests.replay import demand_curve, face_cameras, peak_hour
from loadtests.results import endpoint_of
from loadtests.runner import user_classes
from outputs.run import Run

CAMERAS = {"corridor": 10.0, "hall": 5.0}


def test_cameras_shape_sends_each_camera_at_its_fps_times_the_load():
    plan = camera_plan(CAMERAS, [0.5, 1.0], 4.0, seed=1)
    assert [s.rates for s in plan.steps] == [{"cctv": 7.5}, {"cctv": 15.0}]
    corridor, hall = camera_schedule(plan, "corridor"), camera_schedule(plan, "hall")
    # 5 then 10 frames/s for the corridor, 2.5 then 5 for the hall: periodic, in order
    assert len(corridor) == 4 * 5 + 4 * 10 and len(hall) == 4 * 2.5 + 4 * 5
    assert np.allclose(np.diff(corridor[:20]), 0.2) and np.allclose(np.diff(corridor[20:]), 0.1)
    assert (np.diff(hall) > 0).all() and corridor[0] == 0.0 and hall[0] > 0  # offset cameras
    assert len(arrival_schedule(plan)) == 0  # camera frames are not Poisson arrivals
    assert plan.camera_users == 2 and shape_stages(plan)[0][1] == plan.pool_users + 2
    assert user_classes(plan) == ["ScheduledTraveler", "CameraStream"]
    assert LoadPlan.from_json(plan.to_json()) == plan
    with pytest.raises(PlanError, match="not a camera of the plan"):
        camera_schedule(plan, "nope")


def test_camera_plans_refuse_what_cannot_run():
    with pytest.raises(PlanError, match="no face camera"):
        camera_plan({}, [1.0], 5.0)
    with pytest.raises(PlanError, match="levels must be > 0"):
        camera_plan(CAMERAS, [0.0], 5.0)
    with pytest.raises(PlanError, match="names no face camera"):
        poisson_plan({"cctv": 1.0}, 2.0, 5.0)
    with pytest.raises(PlanError, match="one load process"):
        camera_plan(CAMERAS, [1.0], 5.0, workers=2)
    plain = poisson_plan({"verify": 1.0}, 2.0, 5.0)
    assert plain.camera_users == 0 and user_classes(plain) == ["ScheduledTraveler"]


def test_a_days_cctv_demand_is_its_face_cameras_and_names_map_back():
    cams = [{"id": "corridor", "kind": "cctv", "fps": 10.0, "faces": {"shutter_s": 0.01}},
            {"id": "belt", "kind": "cctv", "fps": 5.0, "faces": None},
            {"id": "gate", "kind": "egate", "fps": 15.0}]
    tx = pd.DataFrame({"replication": 0, "traveler_id": range(360), "t":
                       np.linspace(0, 3599, 360)})
    run = Run(Path("hand"), {"replications": 1, "horizon_s": 3600.0},
              {"egate_transactions": tx}, {"horizon_s": 3600.0, "cameras": cams,
                                           "watchlist": {}})
    assert face_cameras(run.scenario) == {"corridor": 10.0}
    assert demand_curve(run, 1800)["cctv_rps"].tolist() == [10.0, 10.0]
    peak = peak_hour(run)
    assert peak.demand_rps["cctv"] == 10.0 and peak.demand_rps["analyze"] == 15.0
    assert peak.cameras == {"corridor": 10.0}
    assert endpoint_of("/v1/cctv/frame") == "cctv" and endpoint_of("/v1/analyze") == "analyze"


def test_replica_plan_counts_cameras_per_replica():
    # One replica did 8 frames/s at 100 ms each (800 ms of work per second); a 10 fps camera
    # brings 1000 ms of work per second: 0.8 cameras per replica; 3 cameras need 3.75 -> 4.
    plan = cap.plan_replicas(8.0, {"cctv": 100.0}, {"cctv": 1.0}, {"cctv": 30.0}, 0.0,
                             cameras={"a": 10.0, "b": 10.0, "c": 10.0}, faces_per_frame=3.0,
                             replica_kind="cpu")
    assert plan.cameras_per_replica == pytest.approx(0.8) and plan.replicas == 4
    assert "one replica holds 0.80 cameras at 10 fps" in plan.detail
    assert "3.0 faces per measured frame" in plan.detail
    no_cams = cap.plan_replicas(8.0, {"verify": 100.0}, {"verify": 1.0}, {"verify": 1.0})
    assert no_cams.cameras_per_replica is None


def test_replica_plan_puts_camera_work_next_to_the_egates():
    # Measured at a 50/50 mix: verify 100 ms, cctv 300 ms; one replica did 4 req/s, i.e.
    # 4 * (0.5 * 100 + 0.5 * 300) = 800 ms of work per second. Peak: 2 verify/s (200 ms) and
    # two 10 fps face cameras (20 frames/s, 6000 ms): 6200 / 800 = 7.75 replicas of work.
    plan = cap.plan_replicas(4.0, {"verify": 100.0, "cctv": 300.0},
                             {"verify": 0.5, "cctv": 0.5}, {"verify": 2.0, "cctv": 20.0}, 0.3,
                             cameras={"a": 10.0, "b": 10.0}, replica_kind="gpu")
    assert plan.utilisation == pytest.approx(7.75) and plan.replicas == 11  # ceil(7.75 * 1.3)
    assert plan.cameras_per_replica == pytest.approx(800 / 3000)
    assert "11 GPUs" in plan.detail and plan.unmeasured == []


def test_a_replay_streams_the_days_face_cameras_compressed():
    from loadtests.replay import replay_plan

    curve = pd.DataFrame({"sim_t0": [0.0], "sim_t1": [600.0], "verify_rps": [0.5],
                          "identify_rps": [0.0], "analyze_rps": [0.0], "cctv_rps": [15.0]})
    plan = replay_plan(curve, compress=10.0, scale=0.01, endpoints=("verify", "cctv"),
                       cameras=CAMERAS)
    # 600 simulated s in 60 s of load; cameras at 15 frames/s x 10 x 0.01 = 1.5 frames/s
    assert plan.duration_s == 60.0 and plan.steps[0].rates["cctv"] == pytest.approx(1.5)
    assert len(camera_schedule(plan, "corridor")) == 60 and len(camera_schedule(plan, "hall")) == 30
    assert user_classes(plan) == ["ScheduledTraveler", "CameraStream"]
    kinds = {int(k) for k in arrival_schedule(plan).kind}
    assert kinds == {0}  # Poisson arrivals: verify only; camera frames come from their users
