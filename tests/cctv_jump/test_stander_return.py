"""A stander's return (``CrowdLooksConfig.missed``, ``LibraryTracker(looks_missed=...)``,
:mod:`pipeline.cctv.crowd_looks`): the detector misses a stander's own head for a frame or more;
the track's prediction then overlaps only the head right behind (a neighbour standing half behind,
the head point a few pixels off), uncontested, and the library hands the stander's id to the
neighbour (docs/cctv.md "missed-person jumps"). With ``missed`` a standing track missed in the
last frame is asked its clothes of that pair and refuses a head whose clothes read under it.
Fails on 2dc1b9d: CrowdLooksConfig has no ``missed`` (the pair keeps its overlap)."""

import numpy as np
import pytest
from trackers.utils.iou import IoU

from pipeline.cctv.appearance import HIST_BINS, similarity
from pipeline.cctv.crowd_looks import CrowdLooks, CrowdLooksConfig
from pipeline.cctv.persons import CCTV_TRACKER_OPTIONS, LibraryTracker

STANDER = [874.0, 65.0, 932.0, 123.0]  # the stander's predicted head
BEHIND = [878.0, 60.0, 934.0, 116.0]  # the neighbour's head right behind (the only box)


def _clothes(hue: int) -> np.ndarray:
    h = np.zeros(HIST_BINS, np.float32)
    h[hue, :] = 0.25
    return h


OWN, OTHER = _clothes(2), _clothes(8)  # the stander's clothes; the neighbour's, unlike


def _pair(missed: float, box_clothes=OTHER, since: int = 2, speed: float = 0.0, **kw) -> float:
    """The similarity of the stander's track (``time_since_update`` ``since`` after the
    library's predict: 2, missed last frame) and the head behind, alone in the frame, under the
    stream's crowd looks (veto 0.4 on contested pairs, frame contest, still under 0.8 m/s)."""
    config = CrowdLooksConfig(weight=0.0, veto=0.4, frame=True, still_m_s=0.8, missed=missed,
                              **kw)
    looks = CrowdLooks(IoU(), config, lambda tid: speed)
    looks.frame([_Tracklet(0, STANDER, since)], np.array([BEHIND], np.float32), [box_clothes])
    looks._looks = {0: OWN.astype(np.float64)}
    return float(looks.compute(np.array([STANDER], np.float64),
                               np.array([BEHIND], np.float32))[0, 0])


class _Tracklet:
    """What the crowd looks read of a library tracklet."""

    def __init__(self, tid: int, box: list, since: int):
        self.tracker_id, self._box, self.time_since_update = tid, np.asarray(box), since

    def get_state_bbox(self):
        return self._box


def test_the_missed_stander_s_track_takes_the_head_behind_by_overlap_alone():
    assert similarity(OWN, OTHER) < 0.1  # clothes tell them apart
    plain = IoU().compute(np.array([STANDER]), np.array([BEHIND], np.float32))[0, 0]
    assert _pair(0.0) == pytest.approx(plain) and plain > 0.6  # uncontested: the jump


def test_a_missed_stander_refuses_the_head_behind_and_keeps_its_own():
    assert _pair(0.4) == 0.0
    assert _pair(0.4, box_clothes=OWN) > 0.6  # its own head found again: taken


def test_only_a_standing_track_missed_last_frame_is_asked():
    assert _pair(0.4, since=1) > 0.6  # seen last frame: the overlap (alone would refuse it)
    assert _pair(0.4, speed=1.3) > 0.6  # a walker: the overlap


def test_missed_is_validated_reaches_the_tracker_and_is_not_shipped():
    with pytest.raises(ValueError):
        CrowdLooksConfig(missed=1.2)
    tracker = LibraryTracker("bytetrack", 5.0, looks_veto=0.4, looks_missed=0.3)
    assert (CrowdLooksConfig().missed, tracker._crowd.missed) == (0.0, 0.3)  # off by default
    assert "looks_missed" not in CCTV_TRACKER_OPTIONS  # no gain on seed 1 (0.8610 at 0.3-0.4)


def test_a_person_box_finds_its_crop_in_a_crops_cache_frame_within_the_tolerance():
    import numpy as np

    from experiments.cctv_track_tune import cached_crop

    cached = {"boxes": np.array([[10.0, 20.0, 50.0, 120.0], [60.0, 20.0, 90.0, 110.0]]),
              "crops": ["crop-a", "crop-b"]}
    assert cached_crop(cached, [60.0, 20.0, 90.0, 110.0]) == "crop-b"
    assert cached_crop(cached, [60.0005, 20.0, 90.0, 110.0]) is None  # the replay's 1e-6
    assert cached_crop(cached, [60.0005, 20.0, 90.0, 110.0], tol=1e-3) == "crop-b"
