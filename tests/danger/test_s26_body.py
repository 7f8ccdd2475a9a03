"""The rules read the site's configured body (issue 12, round 10: danger-tg). The bag rule's
blur margin in metres and the tailgating rule's one-body reading converted with the default
:class:`BodyModel` whatever ``body`` the config set; the observer used the configured one.
Each case fails on 8b9e989; the default-body controls keep their verdicts."""

from dataclasses import replace

from danger_clips import FLOOR, FPS, blob, geometry
from pipeline.danger.config import DangerConfig
from pipeline.danger.floor import FloorMap
from pipeline.danger.stream import CameraStream
from test_s22_close import GATE, HD, _owner_leaves, _pair


def _judge(things, seconds: float, body: dict, floor: FloorMap, geom) -> list[str]:
    st = CameraStream("c", floor, geom, DangerConfig(body=body))
    out = []
    for k in range(int(seconds * FPS)):
        t = k / FPS
        obs = [o for o in (f(t) for f in things) if o is not None]
        out += [a.kind for a in st.judge(t, obs, {}).alerts]
    return out


def _through_gate(f):
    def g(t):
        q = f(t)
        return None if q is None else replace(blob(*q[:3]), person_px=q[3])
    return g


def test_tailgating_reads_one_body_with_the_site_body():
    # a blob of 1.5 persons at 120 px a body: 1.17 bodies with the default body (0.55 m wide
    # of 1.7 m: a pair); where people are configured 0.4 m wide, one body's blur margin is a
    # larger share of it: 1.10 bodies, one person
    pair = [_through_gate(_pair(1.5, 120.0))]
    assert _judge(pair, 9.0, {}, FLOOR, geometry(gates=GATE)).count("tailgating") == 1
    assert _judge(pair, 9.0, {"person_width_m": 0.4}, FLOOR,
                  geometry(gates=GATE)).count("tailgating") == 0


def test_the_bag_size_reads_the_site_body():
    # a 0.38 m object at 103 px a body: less the blur margin (8 px) 0.25 m with the default
    # 1.7 m body (under min_height_m 0.25: a scrap); where people are configured 1.5 m tall
    # the margin is 0.12 m and it is 0.26 m: a bag
    bag = _owner_leaves(0.38, 0.4, 0.15)
    assert _judge(bag, 45.0, {}, HD, geometry()).count("abandoned_bag") == 0
    assert _judge(bag, 45.0, {"person_height_m": 1.5}, HD, geometry()).count("abandoned_bag") == 1
