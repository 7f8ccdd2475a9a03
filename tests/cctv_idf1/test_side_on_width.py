"""The body box follows the walking direction: a walker crossing the view (side-on, stride open)
gets a wider box than the head implies, one walking along the line of sight does not
(hand-built head walks at 5 fps)."""

import numpy as np
import pandas as pd
import pytest

from pipeline.vision.heads import body_boxes_from_heads
from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS, LibraryTracker, make_tracker
from pipeline.cctv.side_on import HEAD_M, WALK_SPEED_M_S

HEAD_PX = 100.0  # a 0.25 m head: 400 px per metre
FRAME = (3840, 2160)


def _walk(tracker, dx_m_s: float, dy_m_s: float, n: int = 8, x0: float = 1000.0):
    """Feed one head walking at (dx, dy) m/s for n frames; the last frame's (track, body)."""
    px = HEAD_PX / HEAD_M
    out = None
    for k in range(n):
        t = k * 0.2
        x, y = x0 + dx_m_s * px * t, 300.0 + dy_m_s * px * t
        hd = np.array([[x, y, x + HEAD_PX, y + HEAD_PX]])
        body = body_boxes_from_heads(hd, FRAME)
        tracks = tracker.update(t, body, np.array([0.9]), heads=hd)
        out = (tracks, body[0])
    return out


def _cctv_tracker():
    return make_tracker("bytetrack", 5.0, options={**CCTV_TRACKER_OPTIONS, "frame_size": FRAME})


def test_a_walker_crossing_the_view_gets_a_wider_box():
    tracks, body = _walk(_cctv_tracker(), WALK_SPEED_M_S, 0.0)
    assert len(tracks) == 1
    box = np.array(tracks[0].box)
    widen = (box[2] - box[0]) / (body[2] - body[0])
    assert widen == pytest.approx(1 + CCTV_TRACKER_OPTIONS["side_width"], abs=0.01)
    assert widen > 1.1  # the old tracker reported the head-implied body as it was
    assert box[1] == body[1] and box[3] == body[3]  # height unchanged
    head_x = body[0] + (body[2] - body[0]) / 2
    assert (box[0] + box[2]) / 2 == pytest.approx(head_x)  # about the head


def test_a_walker_along_the_line_of_sight_or_standing_keeps_the_implied_width():
    for dx, dy in ((0.0, 1.3), (0.0, 0.0)):
        tracks, body = _walk(_cctv_tracker(), dx, dy)
        assert len(tracks) == 1
        assert np.allclose(tracks[0].box, body, atol=1e-6)


def test_half_the_walking_speed_across_widens_by_half():
    tracks, body = _walk(_cctv_tracker(), WALK_SPEED_M_S / 2, 0.0)
    box = np.array(tracks[0].box)
    widen = (box[2] - box[0]) / (body[2] - body[0])
    assert widen == pytest.approx(1 + CCTV_TRACKER_OPTIONS["side_width"] / 2, abs=0.01)


def test_a_widened_box_stays_inside_the_frame():
    tracker = LibraryTracker(fps=5.0, assoc="head", head_scale=2.0, side_width=0.3,
                             frame_size=FRAME)
    # the head ends 10 px from the right edge; its body is clipped there
    tracks, body = _walk(tracker, WALK_SPEED_M_S, 0.0, x0=FRAME[0] - 868.0)
    box = tracks[0].box
    assert body[2] == FRAME[0] - 1 and box[2] == FRAME[0] - 1  # the clipped side stays put
    assert box[0] < body[0]


def test_side_width_must_not_be_negative():
    with pytest.raises(ValueError, match="side_width"):
        LibraryTracker(side_width=-0.1)


class _NoFaces:
    """Finds and embeds no face (the stream's face detector and embedder)."""

    name = "none"
    detect = embed = staticmethod(lambda *args: [])


class _CrossingHead:
    """A head detector stand-in: one walker crossing a 640 px frame at walking speed (a 40 px
    head: 160 px per metre)."""

    name = "heads"
    person_box_options = {"head_share": 0.2, "drop_fragments": False}

    def __init__(self):
        self.k, self.last_heads, self.body = 0, None, None

    def head(self, k):
        x = 100.0 + WALK_SPEED_M_S * 160 * 0.2 * k
        return np.array([[x, 100, x + 40, 140]])

    def detect(self, image):
        from pipeline.vision.detections import Blob, Detections

        self.last_heads = self.head(self.k)
        self.k += 1
        self.body = body_boxes_from_heads(self.last_heads, (640, 640))[0]
        return Detections((Blob(tuple(self.body), 1.0, 0.9),))


def test_the_stream_widens_a_crossing_walker_but_takes_clothes_from_the_detected_body():
    from pipeline.cctv.galleries import build_gallery
    from pipeline.cctv.stream import CctvStream, StreamConfig

    enr = pd.DataFrame({"template_id": ["t0"], "traveler_id": [0], "consent": [True],
                        "watchlist": [False]})
    g = build_gallery(enr, np.eye(1, 8, dtype=np.float32), "manifest")
    heads = _CrossingHead()
    s = CctvStream("cam", (640, 640), _NoFaces(), _NoFaces(), g, StreamConfig(fps=5.0),
                   person_detector=heads)
    widths = []
    for k in range(8):
        body = body_boxes_from_heads(heads.head(k), (640, 640))[0]
        image = np.full((640, 640, 3), (200, 60, 20), np.uint8)  # blue floor
        w = body[2] - body[0]
        # red clothes over the detected body's torso band (its middle 70 %); blue beyond
        image[:, int(body[0] + 0.15 * w):int(body[2] - 0.15 * w) + 2] = (20, 20, 220)
        res = s.process(image, k * 0.2)
        widths += [(b[2] - b[0]) / w for _, b in res.tracks]
    assert max(widths) > 1.2  # the crossing walker's box is widened
    (summary,) = s.finish()
    blue = np.zeros((640, 640, 3), np.uint8)
    blue[:] = (200, 60, 20)
    from pipeline.cctv.appearance import clothing_histogram

    blue_bins = clothing_histogram(blue, (0, 0, 640, 640)) > 0
    assert summary.histogram[blue_bins].sum() == 0  # no floor in the clothes' colour
