"""airtwin's locustfile: users of the recognition service, driven by a load plan.

``airtwin loadtest`` writes the plan (plan.json) and runs this file headless with
``AIRTWIN_LOADTEST_PLAN=plan.json``; run by hand the same way (see loadtests/runner.py):

    AIRTWIN_LOADTEST_PLAN=out/plan.json locust -f loadtests/locustfile.py --headless \\
        --host http://127.0.0.1:8000 ClosedLoopTraveler      # or ScheduledTraveler

ClosedLoopTraveler: each user sends back to back; which request is drawn by the @task weights,
which are the plan's mix (e-gate verify, watchlist identify, CCTV analyze, CCTV identification
frames, corrupt uploads).
ScheduledTraveler: open loop; users take due arrivals from the plan's Poisson schedule.
CameraStream: open loop; one user per face camera (``fixed_count``), sending that camera's
frames to ``/v1/cctv/frame`` in time order at its fps times the step's camera load; named
beside ScheduledTraveler when the plan streams cameras.
"""

from __future__ import annotations

from locust import constant, events, task

from loadtests.payloads import PayloadPack
from loadtests.plan import plan_from_env, require_loopback, shape_stages
from loadtests.shapes import StagesShape
from loadtests.traffic import DRAIN_MARGIN_S, AirtwinUser, RequestLog, task_weights

PLAN = plan_from_env()
WEIGHTS = task_weights(PLAN)
PACK = PayloadPack.load(PLAN.pack)
LOG = RequestLog(PLAN, PACK.frames)
AirtwinUser.plan, AirtwinUser.pack, AirtwinUser.log = PLAN, PACK, LOG


class ClosedLoopTraveler(AirtwinUser):
    wait_time = constant(0)

    @task(WEIGHTS["verify"])
    def egate(self):
        self.egate_verify()

    @task(WEIGHTS["identify"])
    def watchlist(self):
        self.watchlist_identify()

    @task(WEIGHTS["analyze"])
    def cctv(self):
        self.cctv_analyze()

    @task(WEIGHTS["cctv"])
    def cctv_identification(self):
        self.cctv_frame()

    @task(WEIGHTS["corrupt"])
    def corrupt_upload(self):
        self.corrupt_verify()


class ScheduledTraveler(AirtwinUser):
    wait_time = constant(0)

    @task
    def due_arrival(self):
        self.next_arrival()


class CameraStream(AirtwinUser):
    wait_time = constant(0)
    fixed_count = PLAN.camera_users  # one per face camera, spawned before the pool

    @task
    def camera_frame(self):
        self.next_camera_frame()


class PlannedShape(StagesShape):
    stages = shape_stages(PLAN)
    drain_s = PLAN.timeout_s + DRAIN_MARGIN_S

    def drained(self) -> bool:
        return LOG.drained()


@events.init.add_listener
def _on_init(environment, **_):
    for host in (environment.host, *PLAN.replicas):
        require_loopback(host)
    LOG.attach(environment)
