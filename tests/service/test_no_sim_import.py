"""The service's danger detection and CCTV identification run on a site file alone: building the
app with ``--site``, preparing it and sending each a frame loads no module of the simulator
(``sim``)."""

import json
import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path

    import cv2
    import numpy as np
    from fastapi.testclient import TestClient

    from pipeline.service.app import create_app
    from pipeline.service.config import ServiceConfig

    site, audit = Path(sys.argv[1]), Path(sys.argv[2])
    app = create_app(ServiceConfig(site=site, audit_log=audit))
    with TestClient(app) as client:  # runs the lifespan: every routes module's prepare hook
        deadline = time.monotonic() + 120
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, client.get("/readyz").text
            time.sleep(0.1)
        ok, png = cv2.imencode(".png", np.full((720, 1280, 3), 128, np.uint8))
        r = client.post("/v1/analyze", files={"image": ("f.png", png.tobytes(), "image/png")},
                        data={"camera_id": "hall_south", "timestamp": "1"})
        c = client.post("/v1/cctv/frame", files={"image": ("f.png", png.tobytes(), "image/png")},
                        data={"camera_id": "hall_south", "timestamp": "1"})
    print(json.dumps({"status": r.status_code, "body": r.text[:300],
                      "cctv_status": c.status_code, "cctv_body": c.text[:300],
                      "sim": sorted(m for m in sys.modules if m == "sim" or m.startswith("sim."))}))
""")


def test_serving_danger_detection_from_a_site_loads_no_sim_module(site_file, tmp_path):
    out = subprocess.run([sys.executable, "-c", CHILD, str(site_file),
                          str(tmp_path / "audit.jsonl")],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ,
                              "AIRTWIN_CALIBRATION_DIR": str(tmp_path / "no-calibration")})
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["status"] == 200, got["body"]
    assert got["cctv_status"] == 200, got["cctv_body"]
    assert got["sim"] == [], f"the service loaded simulator modules: {got['sim']}"
