"""Tailgating's head vote (issue 12, round 11: danger-gate): two people one behind the other
along the line of sight read as one body, and only their heads tell them apart (tune seeds 20,
25, 34). The rule is judged with a stand-in for the head detector (the rule's logic, not the
detector, is under test here; the detector's crop is tested on a rendered frame in
tests/cctv_heads/test_heads.py)."""

from dataclasses import replace

import numpy as np

from danger_clips import FLOOR, FPS, blob, geometry
from pipeline.danger.config import DangerConfig
from pipeline.danger.stream import CameraStream
from test_s22_close import GATE

HEAD_M = 1.58  # a 1.7 m body's head centre
VOTE = {"rules": {"tailgating": {"head_vote_px": 100.0}}}


def _cfg(over: dict) -> DangerConfig:
    base = DangerConfig().model_dump()
    base["rules"]["tailgating"].update(over.get("rules", {}).get("tailgating", {}))
    return DangerConfig.model_validate(base)


class _Heads:
    """Stands in for :class:`pipeline.vision.heads.HeadDetector`: the heads of the people at
    ``spots(t)`` (floor points), drawn through the clips' camera, 0.9 scores."""

    def __init__(self, spots):
        self.spots = spots
        self.calls = 0

    def heads_in_box(self, image, box):
        self.calls += 1
        pts = self.spots(self.t)
        if not pts:
            return np.zeros((0, 4)), np.zeros(0)
        uv = FLOOR.project(np.array([(x, y, HEAD_M) for x, y in pts]))
        r = 3.0  # px, a head's half side at 360p here
        return (np.column_stack([uv[:, 0] - r, uv[:, 1] - r, uv[:, 0] + r, uv[:, 1] + r]),
                np.full(len(pts), 0.9))


def _one_blob(front, rear, persons_up: float, persons_out: float, px: float = 120.0):
    """One blob over the people at ``front(t)`` and ``rear(t)`` (floor points or None), its
    foot point the front one's, its box around both, reading ``persons_up`` raw persons before
    gate 0's line (y = 7 m) and ``persons_out`` past it."""
    def f(t):
        a = front(t)
        if a is None:
            return None
        pts = [a] + ([rear(t)] if rear(t) is not None else [])
        feet = FLOOR.floor_to_image(np.array(pts))
        tops = FLOOR.project(np.array([(x, y, 1.75) for x, y in pts]))
        u0 = min(feet[:, 0].min(), tops[:, 0].min()) - 8.0
        u1 = max(feet[:, 0].max(), tops[:, 0].max()) + 8.0
        o = blob(*a, 0.9)
        return replace(o, box=(u0, float(tops[:, 1].min()), u1, float(feet[:, 1].max())),
                       persons=persons_up if a[1] < 7.0 else persons_out, person_px=px)
    return f


def _judge(things, heads: _Heads | None, cfg: DangerConfig, seconds: float = 9.0) -> list:
    st = CameraStream("c", FLOOR, geometry(gates=GATE), cfg)
    st.prepare()
    if heads is not None:
        st.head_detector = heads
    frame = np.zeros((FLOOR.size[1], FLOOR.size[0], 3), np.uint8)
    out = []
    for k in range(int(seconds * FPS)):
        t = k / FPS
        if heads is not None:
            heads.t = t
        obs = [o for o in (f(t) for f in things) if o is not None]
        out += [a.t for a in st.judge(t, obs, {}, image=frame).alerts if a.kind == "tailgating"]
    return out


def _walk(dx: float, behind: float):
    def at(t):
        y = 3.0 + 1.0 * t - behind
        return (dx, y) if y < 10.0 + behind else None
    return at


# one body at 120 px reads 1.29 raw persons here: the pair reads 1.0 body walking up (under
# pair_persons 1.12) and 1.15 past the line (the cabinets no longer hide the rear one's legs)
UP, OUT = 1.29, 1.48


def test_a_pair_one_behind_the_other_reading_one_body_is_tailgating_by_its_heads():
    front, rear = _walk(0.0, 0.0), _walk(0.0, 0.9)
    heads = _Heads(lambda t: [p for p in (front(t), rear(t)) if p is not None])
    pair = _one_blob(front, rear, UP, OUT)
    assert len(_judge([pair], heads, _cfg(VOTE))) == 1
    # round 10 (no head vote) missed it: the blob never read two bodies walking up
    assert _judge([pair], heads, _cfg({"rules": {"tailgating": {"head_vote_px": 0.0}}})) == []


def test_a_second_head_over_the_next_lane_is_not_a_pair():
    # control: a lone walker whose blob's box also holds the head of a traveler standing in
    # the next lane (1.3 m across), half hidden by the cabinets (tune seed 20 at 677 s)
    front, other = _walk(0.0, 0.0), (lambda t: (1.3, 6.6))
    heads = _Heads(lambda t: [p for p in (front(t), other(t)) if p is not None])
    assert _judge([_one_blob(front, other, UP, OUT)], heads, _cfg(VOTE)) == []


def test_one_head_in_a_blob_reading_one_body_is_one_walker():
    # control: the same blob with one head: one walker
    front = _walk(0.0, 0.0)
    heads = _Heads(lambda t: [front(t)] if front(t) else [])
    assert _judge([_one_blob(front, lambda t: None, UP, OUT)], heads, _cfg(VOTE)) == []


def test_far_figures_are_not_given_to_the_head_detector():
    # only walk-ups of figures at least head_vote_px tall are cropped (the crops' cost)
    front, rear = _walk(0.0, 0.0), _walk(0.0, 0.9)
    heads = _Heads(lambda t: [p for p in (front(t), rear(t)) if p is not None])
    cfg = _cfg({"rules": {"tailgating": {"head_vote_px": 150.0}}})
    assert _judge([_one_blob(front, rear, UP, OUT)], heads, cfg) == []
    assert heads.calls == 0
