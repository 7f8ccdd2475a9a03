"""Person tracks of one camera stream: boxes in, stable track ids out, behind one small Protocol.

Two trackers, compared on the same detections by ``experiments/cctv_tracker_compare.py``:

- ``bytetrack`` / ``ocsort`` (default ``bytetrack``): the maintained ``trackers`` library
  (Roboflow; clean-room ByteTrack and OC-SORT) in image pixels;
- ``floor``: the danger pipeline's own tracker (:mod:`pipeline.danger.track`), a Kalman filter
  on the floor plane through the camera's calibration. It needs the camera model.

Where the person boxes come from is the caller's choice (``CctvStream(person_detector=...)``):

- the faces themselves (:func:`body_boxes_from_faces`, the default when no person detector is
  given, and the fallback when none is available): every box carries its face, but a person who
  shows no face (turned away, occluded, too small) is never tracked;
- a :class:`pipeline.vision.detections.PersonDetector` (MOG2/KNN background subtraction, an ONNX
  person detector, or the head-and-shoulders detector :class:`pipeline.vision.heads.HeadDetector`,
  whose ``person_box_options`` say how its boxes are treated here) with the faces attached (:func:`person_boxes`): one face per box, the face's
  centre in the top of its box (:func:`attach_faces`); a blob holding two or more faces (a crowd
  merged by background subtraction) is split into the bodies its faces imply, and a face that
  no box carries adds its implied body, so no face is lost to the detector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from pipeline.cctv.crowd_looks import CrowdLooks, CrowdLooksConfig
from pipeline.cctv.lost_buffer import HeadTrail, LostBuffer
from pipeline.cctv.side_on import SideOnWidth
from pipeline.vision.bodies import implied_bodies
from pipeline.vision.detections import Blob, Detections, iou_matrix
from pipeline.vision.heads import (BODY_HEIGHTS_PER_HEAD, BODY_TOP_ABOVE_HEAD,
                                   BODY_WIDTHS_PER_HEAD, body_boxes_from_heads)

__all__ = ["PersonTrack", "PersonTracker", "LibraryTracker", "FloorTracker", "TRACKERS",
           "PersonBoxes", "CCTV_TRACKER_OPTIONS", "attach_faces", "body_boxes_from_faces",
           "head_boxes_from_faces", "implied_bodies", "make_tracker", "person_boxes"]

# A person's box in face-detection boxes (SCRFD's box runs brow to chin, narrower than the head):
# medians over detected faces against the ground-truth body boxes of tune seed 1 (corridor
# cameras at 1300-1320 s and corridor_near/hall_exit at 600-604 s, 139 faces): 9.5 boxes tall,
# 3.5 wide, the body's top 0.5 box heights above the face box. (The first guess, 7.5 x 2.6 from
# 0.25 above, matched ground truth at IoU >= 0.5 for well under half the faces.)
BODY_HEIGHTS_PER_FACE = 9.5
BODY_WIDTHS_PER_FACE = 3.5
BODY_TOP_ABOVE_FACE = 0.5
# A face belongs to a person box when its centre lies in the box's top HEAD_SHARE (a standing
# person's head is the top ~15 % of the body; 0.35 leaves room for a loose detector box and a
# bowed head, and still keeps the face of someone standing behind at the waist out).
HEAD_SHARE = 0.35
FACE_BODY_SCORE = 0.6  # a box implied by a found face: a confident person
# A detected box carrying one face but covering more than this many times the body that face
# implies is a crowd merged into one blob with one face showing: the face's body replaces it.
MAX_BOX_PER_FACE_BODY = 2.5
MAX_SHARE_INSIDE_FACED = 0.5  # a faceless box more inside a face's box than this is a fragment
# The CCTV stream's ByteTrack settings (pipeline.cctv.stream.StreamConfig.tracker_options),
# chosen on cached detections of tune seeds 1, 2, 3 (1330-1360 s at 5 fps, five cameras,
# ``python -m experiments.cctv_track_tune replay``; held-out seeds never replayed). Mean
# per-camera IDF1 (persons in sight), re-link on: body boxes 0.765, heads as found 0.733
# (a walker's head moves about one head width a frame at 5 fps on hall_entry, so boxes of
# successive frames do not overlap and tracks never start there), heads scaled x2 0.775 (x3
# 0.768, x4 0.761), and with a lost buffer of 1 s instead of 2 s 0.806 (a lost track's
# prediction drifts onto its neighbours; the re-link takes the longer gaps by appearance).
# side_width (pipeline.cctv.side_on: the box follows the walking direction) 0.3, replayed on
# caches of tune seeds 1-3 collected with the current renderer (1330-1360 s, 5 fps, five
# cameras): mean per-camera IDF1 0.793 (0) -> 0.807 (0.15), 0.812 (0.25), 0.813 (0.3), 0.814
# (0.35); hall_entry 0.735 -> 0.813, hall_exit 0.811 -> 0.840, the others within 0.004.
# min_hits 1 (was 2): a new track survives a missed frame after its first detection, so a far
# walker whose head flickers at the detector's threshold (entering corridor_far at the top) is
# tracked; it is still reported only from its second detection. Same caches (seeds 1-3 five
# cameras, 4-8 corridor_far and hall_exit; cctv_corridor_tune replay min_hits=2,1, the
# re-link from the last place on): corridor_far 0.836 -> 0.847 (seed 4 0.779 -> 0.855),
# hall_exit 0.8005 -> 0.7977, the others within 0.002; all 25 windows 0.8296 -> 0.8326.
# lost_s 4 (was 1): ByteTrack starts a track only from a head at the detector's own threshold
# (score 0.5) but continues one with the heads found below it; a person standing for minutes
# at a baggage belt whose track was dropped after 1 s hidden was then never tracked again, or
# taken over by a neighbour's id. Five-minute tune caches of reclaim_exit (1330-1630 s, seeds
# 1, 2; experiments/cctv_dwell_tune.py replay lost_s=1,2,4): IDF1 0.726 -> 0.745, 0.693 ->
# 0.721; the peak-minute caches (seeds 1-8, five cameras) per camera within -0.002 ... +0.005
# (docs/cctv.md "Identity over minutes at reclaim_exit").
# walker_lost_s not set (every track lost_s): a walker's 1 s (pipeline.cctv.lost_buffer) halved
# the wrong take-backs on the tune caches but moved no peak camera beyond single-window noise
# and cost the five-minute reclaim_exit windows 0.006 / 0.009 (docs/cctv.md "A lost buffer by what
# the person does").
# looks_veto 0.4 with looks_still_m_s 0.2 (pipeline.cctv.crowd_looks): where two standing
# neighbours contest a box, a track refuses a box whose torso colours read under 0.4 against its
# own. ByteTrack handed boxes between people standing shoulder to shoulder at the belts without
# a gap (experiments/cctv_belts_tune.py decompose: the tracker's swaps and the fragments they
# leave are most of the five-minute loss). Five-minute tune caches of reclaim_exit: seed 1
# (chosen, with the peak minutes) 0.745 -> 0.797, seed 2 (the check) 0.722 -> 0.799; the peak
# minutes (seeds 1-8) per camera within -0.0001 ... +0.014 (docs/cctv.md "Identity over the belts'
# minutes"). Every track asked (no still_m_s) read 0.819 on seed 1 but cost corridor_far 0.004
# (walkers' clothes vary across a corridor's depth).
# looks_cue floor with looks_still_m_s 0.8 (was the head's image speed under 0.2 m/s): a walker
# along the line of sight read under 0.2 m/s in the image (corridor_near 61 % of walkers' rows,
# corridor_far 24 %), so the veto asked walkers too (held-out corridor_far 103 0.814 -> 0.792);
# the person's speed on the floor (pipeline.cctv.lost_buffer.HeadTrail.floor_speed, where the
# stream knows its camera) reads 1.6-1.9 m/s for them and 0 for people standing. Under 0.8 m/s:
# clothes asked of 99.5 % of standers' rows, 4-13 % of walkers'. Five-minute reclaim_exit 0.797
# -> 0.805 (seed 1, chosen with the peak minutes), 0.799 -> 0.809 (seed 2); the peak minutes
# (seeds 1-8) per camera within -0.0012 ... +0.012 (hall_exit seed 4 +0.097); the walker
# cameras as with no veto (docs/cctv.md "A floor speed for the crowd looks").
# looks_frame (a pair contested against the frame's boxes and tracks, not the library's stage's):
# ByteTrack's first stage sees the high-score boxes only, so a stander half hidden by a walker
# (scored low) left the walker's head uncontested there and the stander's track followed the
# walker (experiments/cctv_belts_tune.py swaps). Five-minute reclaim_exit 0.805 -> 0.829 (seed
# 1, chosen with the peak minutes; 95 -> 77 switches), 0.809 -> 0.806 (seed 2, the check; 123 ->
# 119); the peak minutes (seeds 1-8) unchanged but reclaim_exit +0.0013, corridor_near +0.0003.
# looks_alone (clothes asked of uncontested pairs too) read 0.819 / 0.790 and cost hall_exit
# seed 2 0.028: not set (docs/cctv.md "Swaps between standing neighbours").
# born (a track reported from its first head, LibraryTracker(born=True)) is set per camera, not
# here: the scenario's faces.track_born, on for hall_exit and corridor_far. Tune caches of seeds
# 1-4 (chosen) and 5-8 (checked), 1330-1360 s, band 300 as shipped (experiments/
# cctv_corridor_tune.py replay born=0,1): hall_exit 0.8167 -> 0.8281 and 0.8598 -> 0.8665,
# corridor_far 0.8826 -> 0.8925 and 0.8573 -> 0.8723; 15 of 16 windows gain, hall_exit seed 7
# -0.009 (docs/cctv.md "A track from its first head").
# looks_place 0.2 (pipeline.cctv.crowd_looks, CrowdLooksConfig.place): in ByteTrack's first
# stage a standing track refuses the stage's boxes where a low-score box of the frame overlaps
# its predicted box by 0.2 more and reads at least as alike in clothes (its own head, half
# hidden, at its place, while a neighbour behind it is found high). Five-minute reclaim_exit
# (experiments/cctv_dwell_tune.py replay looks_place=0.2,0.4): seed 1 (chosen) 0.8480 ->
# 0.8610 (0.4: 0.8610), seed 2 (check) 0.8176 -> 0.8256 (0.4: 0.8213); the peak minutes of
# seeds 1-2 (five cameras) lose nowhere (corridor_far seed 1 +0.072, hall_exit seed 2
# +0.092, the other eight windows unchanged); the far cameras' caches (seeds 1-8, the far band,
# born) 15 of 16 windows unchanged, hall_exit seed 2 +0.099 (docs/cctv.md "A stander's own
# half-hidden head").
# looks_lost not set (CrowdLooksConfig.lost: a contested pair of a track missed last frame reads
# 1 - lost of its overlap; a walker's lost track had taken a stander's own head by a hundredth):
# five-minute reclaim_exit seed 1 (chosen) 0.8610 -> 0.8757 (0.3), but seed 2 0.8256 -> 0.8256,
# seed 3 0.8104 -> 0.7967, the peak minute of corridor_near seed 2 0.936 -> 0.862 and the far
# caches' hall_exit seeds 3 / 6 -0.069 / -0.055 (docs/cctv.md "A track seen last frame first").
# looks_lost_still (standing tracks only) at 0.3: seed 1 0.8681, seed 2 0.8425, but seed 3 0.7969
# and far hall_exit seed 3 -0.071: not set either.
# looks_missed not set (CrowdLooksConfig.missed: a standing track missed last frame refuses a
# box, contested or not, whose clothes read under it; the missed-person jumps onto a head right
# behind): five-minute reclaim_exit seed 1 0.8610 at 0.3 and 0.4 (no row changed: the veto 0.4
# already refuses the contested pairs, no uncontested return reads under it), 0.8581 at 0.5;
# seeds 2 / 3 at 0.4 0.8256 -> 0.8210 / 0.8104 -> 0.8166. The
# jumps' clothes read as alike as a stander's own return (the body under a head right behind is
# the missed person's own; docs/cctv.md "the missed-person jumps judged on looks").
CCTV_TRACKER_OPTIONS = {"assoc": "head", "head_scale": 2.0, "lost_s": 4.0, "side_width": 0.3,
                        "min_hits": 1, "looks_veto": 0.4, "looks_still_m_s": 0.8,
                        "looks_cue": "floor", "looks_frame": True, "looks_place": 0.2}


@dataclass(frozen=True, slots=True)
class PersonTrack:
    track_id: int
    box: tuple[float, float, float, float]
    detection: int  # index of the input box this track took in this frame


@runtime_checkable
class PersonTracker(Protocol):
    name: str

    def update(self, t: float, boxes: np.ndarray, scores: np.ndarray,
               heads: np.ndarray | None = None) -> list[PersonTrack]:
        """This frame's person boxes (N, 4) x1 y1 x2 y2 with scores in [0, 1] (and each box's
        head, where known) -> the confirmed tracks that took one of them."""
        ...

    def reset(self) -> None: ...


def body_boxes_from_faces(face_boxes: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """Body boxes (N, 4) implied by face boxes: the face at the top centre of a standing body,
    clipped to the frame (``frame_size`` = width, height)."""
    f = np.asarray(face_boxes, np.float64).reshape(-1, 4)
    return implied_bodies(f, f[:, 3] - f[:, 1], frame_size, BODY_HEIGHTS_PER_FACE,
                          BODY_WIDTHS_PER_FACE, BODY_TOP_ABOVE_FACE, unit_w=f[:, 2] - f[:, 0])


def head_boxes_from_faces(face_boxes: np.ndarray) -> np.ndarray:
    """Head boxes (N, 4) implied by face boxes, in the proportions of the two body rules (a
    body of 9.5 face heights is 7.1 head heights: a head is 1.34 face heights a side, its top
    0.33 face heights above the face box's): where a face carries a person no head was found
    for, the tracker still gets a head."""
    f = np.asarray(face_boxes, np.float64).reshape(-1, 4)
    fh = f[:, 3] - f[:, 1]
    side = BODY_HEIGHTS_PER_FACE / BODY_HEIGHTS_PER_HEAD * fh
    cx = (f[:, 0] + f[:, 2]) / 2
    top = f[:, 1] - BODY_TOP_ABOVE_FACE * fh + BODY_TOP_ABOVE_HEAD * side
    return np.column_stack([cx - side / 2, top, cx + side / 2, top + side])


def attach_faces(face_boxes: np.ndarray, bodies: np.ndarray,
                 head_share: float = HEAD_SHARE) -> dict[int, int]:
    """Body index -> face index, one face per body and one body per face: a face can attach
    to a body when its centre lies inside the body box's top ``head_share``; among those pairs
    the assignment (Hungarian, :func:`scipy.optimize.linear_sum_assignment`) puts each face
    nearest the head point of its body (top centre, a twelfth of the height down), measured in
    body widths, so two overlapping people do not share a face."""
    from scipy.optimize import linear_sum_assignment

    f = np.asarray(face_boxes, np.float64).reshape(-1, 4)
    b = np.asarray(bodies, np.float64).reshape(-1, 4)
    if not len(f) or not len(b):
        return {}
    fx, fy = (f[:, 0] + f[:, 2]) / 2, (f[:, 1] + f[:, 3]) / 2
    bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    hx, hy = (b[:, 0] + b[:, 2]) / 2, b[:, 1] + bh / 12
    inside = ((fx[None] >= b[:, :1]) & (fx[None] <= b[:, 2:3]) & (fy[None] >= b[:, 1:2])
              & (fy[None] <= (b[:, 1] + head_share * bh)[:, None]))
    dist = np.hypot(fx[None] - hx[:, None], fy[None] - hy[:, None]) / np.maximum(bw, 1)[:, None]
    big = 1e6
    cost = np.where(inside, dist, big)
    rows, cols = linear_sum_assignment(cost)
    return {int(i): int(j) for i, j in zip(rows, cols) if inside[i, j]}


@dataclass(frozen=True)
class PersonBoxes:
    """One frame's person boxes for the tracker, and which face each one carries."""

    boxes: np.ndarray  # (N, 4) x1 y1 x2 y2
    scores: np.ndarray  # (N,) in [0, 1]
    face_of_box: dict[int, int]  # box index -> face index
    from_faces: int  # boxes implied by faces that no detected person box carried
    heads: np.ndarray | None = None  # (N, 4) each box's head, when the detector found heads


def person_boxes(detected: np.ndarray, scores: np.ndarray, face_boxes: np.ndarray,
                 frame_size: tuple[int, int], head_share: float = HEAD_SHARE,
                 drop_fragments: bool = True, heads: np.ndarray | None = None) -> PersonBoxes:
    """A person detector's boxes with the frame's faces attached (:func:`attach_faces`).

    Three repairs, all driven by faces, because the detector may be background subtraction:
    a detected box whose top part holds two or more face centres is a crowd merged into one
    blob, and is replaced by the bodies those faces imply; a box carrying one face but far
    larger than that face's body (:data:`MAX_BOX_PER_FACE_BODY`) is replaced by that body; a
    face that no box carries (a
    person the detector missed, or one standing still long enough to fade into the
    background) adds the body its face implies. Without faces this is the detector's boxes.

    ``drop_fragments`` (background subtraction): a faceless box lying mostly inside a box with
    a face is dropped as a piece of that person. A detector that finds each person by their
    head (:class:`pipeline.vision.heads.HeadDetector`) turns it off, since there such a box is
    someone standing behind.

    ``heads`` (N, 4), one per detected box (a head detector's): carried to the output boxes
    (:attr:`PersonBoxes.heads`), a face-implied box getting the head its face implies
    (:func:`head_boxes_from_faces`), so a tracker can associate on heads; and a face's top
    share is measured on the whole body each head implies, not on the box the frame cut
    (:func:`_face_reach`)."""
    det = np.asarray(detected, np.float64).reshape(-1, 4)
    sc = np.asarray(scores, np.float32).reshape(-1)
    hd = None if heads is None else np.asarray(heads, np.float64).reshape(-1, 4)
    if hd is not None and len(hd) != len(det):
        raise ValueError(f"person_boxes: {len(hd)} heads for {len(det)} detected boxes")
    faces = np.asarray(face_boxes, np.float64).reshape(-1, 4)
    reach = _face_reach(det, hd)
    if len(faces) and len(det):
        fx, fy = (faces[:, 0] + faces[:, 2]) / 2, (faces[:, 1] + faces[:, 3]) / 2
        top = reach[:, 1] + head_share * (reach[:, 3] - reach[:, 1])
        inside = ((fx[None] >= reach[:, :1]) & (fx[None] <= reach[:, 2:3])
                  & (fy[None] >= reach[:, 1:2]) & (fy[None] <= top[:, None]))
        keep = inside.sum(1) < 2
        det, sc, reach = det[keep], sc[keep], reach[keep]
        hd = None if hd is None else hd[keep]
    face_of_box = attach_faces(faces, reach, head_share)
    if face_of_box:
        rows = np.array(sorted(face_of_box))
        implied = body_boxes_from_faces(faces[[face_of_box[i] for i in rows]], frame_size)
        area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
        too_big = area(det[rows]) > MAX_BOX_PER_FACE_BODY * area(implied)
        det = det.copy()
        det[rows[too_big]] = implied[too_big]
    loose = sorted(set(range(len(faces))) - set(face_of_box.values()))
    implied = body_boxes_from_faces(faces[loose], frame_size)
    boxes = np.vstack([det, implied]) if len(implied) else det
    scores = np.concatenate([sc, np.full(len(implied), FACE_BODY_SCORE, np.float32)])
    if hd is not None:
        hd = np.vstack([hd, head_boxes_from_faces(faces[loose])])
    face_of_box.update({len(det) + k: j for k, j in enumerate(loose)})
    # a faceless box mostly inside a box with a face is a piece of that person (legs, a
    # shadow) that background subtraction cut off: not another person
    faced = boxes[sorted(face_of_box)] if face_of_box else np.zeros((0, 4))
    keep = [i for i in range(len(boxes))
            if i in face_of_box or not drop_fragments
            or _share_inside(boxes[i], faced) <= MAX_SHARE_INSIDE_FACED]
    renumber = {old: new for new, old in enumerate(keep)}
    return PersonBoxes(boxes[keep], scores[keep].astype(np.float32),
                       {renumber[i]: j for i, j in face_of_box.items()}, len(loose),
                       None if hd is None else hd[keep])


def _face_reach(det: np.ndarray, heads: np.ndarray | None) -> np.ndarray:
    """The boxes whose top ``head_share`` a face's centre must lie in to belong to ``det``:
    the detected boxes themselves, or, where each box's head is known, the whole body that
    head implies (:func:`pipeline.vision.heads.body_boxes_from_heads`, not clipped to the
    frame). A body cut by the frame's bottom is shorter than the person, so its top share
    shrinks towards the head's top and a large head's own face fell below it: the face then
    added a second box on the same person (a second track, the two trading the person frame
    to frame; tune seeds 1-3 corridors: 174 such boxes in 30 s)."""
    if heads is None or not len(det):
        return det
    return body_boxes_from_heads(heads, None)


def _share_inside(box: np.ndarray, others: np.ndarray) -> float:
    """The largest share of ``box``'s area that lies inside one of ``others``."""
    if not len(others):
        return 0.0
    iw = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    ih = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-9)
    return float((iw * ih).max() / area)


IOU_KINDS = ("iou", "giou", "diou", "ciou")
LOOKS_CUES = ("image", "floor")  # the speed that tells a standing track (LibraryTracker)


class LibraryTracker:
    """ByteTrack or OC-SORT from the ``trackers`` library, on image boxes.

    ``assoc``: what the library associates frame to frame: ``body`` (the person boxes) or
    ``head`` (the head each box carries, :attr:`PersonBoxes.heads`, when the caller passes
    them; the output box is still the body). ``iou``: the library's box similarity (plain IoU
    or its generalised / distance / complete variants, which still score two boxes that no
    longer overlap after a missed detection). ``coast``: a confirmed track whose detection is
    missed keeps its predicted box for up to this many frames (detection index -1), so one
    missed frame does not cut the track's output. ``activation``: the lowest detection score
    that starts a track; ``high``: ByteTrack's first-pass score. ``walker_lost_s``: a lost
    track whose person was walking (at ``still_m_s`` or faster over the ``speed_s`` seconds
    before the loss) is dropped after this long, a standing person's after ``lost_s``
    (:class:`pipeline.cctv.lost_buffer.LostBuffer`; None: ``lost_s`` for every track).
    ``looks_weight`` / ``looks_veto`` (ByteTrack only; both 0: off): clothes weigh in where a
    track and a box are contested by neighbours (:class:`pipeline.cctv.crowd_looks.CrowdLooks`,
    ``looks_keep`` its running histogram's memory, ``looks_still_m_s`` > 0: only for tracks
    whose head moved slower than this over ``speed_s``); :meth:`update` then needs each box's
    clothing histogram (``looks``). ``looks_cue``: that speed as the head's image displacement
    (``image``, :meth:`pipeline.cctv.lost_buffer.HeadTrail.speed`) or the person's on the floor
    (``floor``, :meth:`~pipeline.cctv.lost_buffer.HeadTrail.floor_speed`) where ``camera``
    (its calibration: a :class:`floorplan.camera.CameraModel` or anything
    :meth:`pipeline.danger.floor.FloorMap.from_camera` takes) is given; without a camera,
    ``floor`` reads the image speed. ``looks_frame``: a pair is contested against all of the
    frame's boxes and tracks, not only those of the library's stage (its first stage sees the
    high-score boxes only); ``looks_alone``: a standing track is asked its clothes of an
    uncontested pair too (:class:`pipeline.cctv.crowd_looks.CrowdLooksConfig` ``frame`` /
    ``alone``); ``looks_place``: in the first stage a standing track refuses the stage's boxes
    where a low-score box of the frame overlaps its predicted box by that much more and reads
    as alike in clothes (its own half-hidden head; ``CrowdLooksConfig.place``); ``looks_lost``:
    a contested pair of a track missed in the last frame reads that share less (a track seen
    last frame wins a tie; ``CrowdLooksConfig.lost``; ``looks_lost_still``: standing tracks
    only; ``looks_missed``: a standing track missed in the last frame refuses a box, contested
    or not, whose clothes read under it: ``CrowdLooksConfig.missed``). ``lost_cue``:
    the walker's buffer's speed, in the image or on the floor (as ``looks_cue``). ``born``
    (ByteTrack only; off): a track is reported from the frame of its first detection, not from
    its second as the library confirms it (a far walker's head found entering the frame, or
    found again after a miss, counts from that frame); not where its
    head overlaps a tracked one by IoU > ``born_iou`` (default :data:`BORN_MAX_IOU`). A row of
    birth is not widened side-on (``side_width``)."""

    def __init__(self, kind: str = "bytetrack", fps: float = 10.0, lost_s: float = 2.0,
                 min_hits: int = 2, min_iou: float = 0.1, assoc: str = "body",
                 iou: str = "iou", activation: float = 0.3, high: float = 0.5, coast: int = 0,
                 head_scale: float = 1.0, edge_coast: int = 0,
                 frame_size: tuple[int, int] | None = None, side_width: float = 0.0,
                 walker_lost_s: float | None = None, speed_s: float = 2.0,
                 still_m_s: float = 0.05, looks_weight: float = 0.0, looks_veto: float = 0.0,
                 looks_keep: float = 0.9, looks_still_m_s: float = 0.0,
                 looks_cue: str = "image", looks_alone: bool = False,
                 looks_frame: bool = False, looks_place: float = 0.0,
                 looks_lost: float = 0.0, looks_lost_still: bool = False,
                 looks_missed: float = 0.0,
                 lost_cue: str = "image", born: bool = False,
                 born_iou: float | None = None, camera=None):
        if kind not in ("bytetrack", "ocsort"):
            raise ValueError(f"library tracker kind must be 'bytetrack' or 'ocsort', got {kind!r}")
        if born and kind != "bytetrack":
            raise ValueError("tracker born: ByteTrack only")
        self.born = bool(born)
        self.born_iou = BORN_MAX_IOU if born_iou is None else float(born_iou)
        if assoc not in ("body", "head"):
            raise ValueError(f"tracker association must be 'body' or 'head', got {assoc!r}")
        if iou not in IOU_KINDS:
            raise ValueError(f"tracker iou must be one of {', '.join(IOU_KINDS)}, got {iou!r}")
        self.name, self.fps, self.assoc = kind, float(fps), assoc
        self.iou, self.coast, self.activation, self.high = iou, int(coast), activation, high
        self.head_scale = float(head_scale)
        if edge_coast and frame_size is None:
            raise ValueError("tracker edge_coast needs the frame_size (width, height)")
        self.edge_coast, self.frame_size = int(edge_coast), frame_size
        self.side_width = float(side_width)
        self._side_on = SideOnWidth(side_width, frame_size)
        if looks_cue not in LOOKS_CUES:
            raise ValueError(f"tracker looks_cue must be one of {', '.join(LOOKS_CUES)}, "
                             f"got {looks_cue!r}")
        floor = None  # the camera's floor, only where a speed is read on it
        if lost_cue not in LOOKS_CUES:
            raise ValueError(f"tracker lost_cue must be one of {', '.join(LOOKS_CUES)}, "
                             f"got {lost_cue!r}")
        if camera is not None and "floor" in (looks_cue, lost_cue):
            from pipeline.danger.floor import FloorMap

            floor = FloorMap.from_camera(camera)
        self.looks_cue = looks_cue if floor is not None else "image"
        self.lost_cue = lost_cue if floor is not None else "image"
        self._crowd = None
        if looks_weight > 0 or looks_veto > 0:
            if kind != "bytetrack":
                raise ValueError("tracker looks_weight / looks_veto: ByteTrack only")
            self._crowd = CrowdLooksConfig(weight=looks_weight, veto=looks_veto,
                                           keep=looks_keep, min_iou=min_iou,
                                           still_m_s=looks_still_m_s,
                                           alone=bool(looks_alone),
                                           frame=bool(looks_frame),
                                           place=float(looks_place),
                                           lost=float(looks_lost),
                                           lost_still=bool(looks_lost_still),
                                           missed=float(looks_missed))
        self._lost = (None if walker_lost_s is None or walker_lost_s >= lost_s else
                      LostBuffer(walker_lost_s, fps, speed_s=speed_s, still_m_s=still_m_s,
                                 floor=floor, cue=self.lost_cue))
        # each track's head speed: for the walker's buffer, and for clothes asked of standing
        # tracks only
        self._trail = self._lost or (HeadTrail(speed_s, floor) if self._crowd is not None
                                     and self._crowd.still_m_s > 0 else None)
        # the library counts the lost-track buffer in frames at 30 fps whatever the frame rate
        # (it keeps a track buffer / 30 seconds); lost_s * fps gave 0.67 s at 10 fps, 0.33 s
        # at 5 fps, and walkers occluded for a moment came back as new tracks
        self._opts = dict(lost_track_buffer=max(int(round(lost_s * 30)), 1), frame_rate=fps,
                          minimum_consecutive_frames=min_hits, minimum_iou_threshold=min_iou)
        self.reset()

    def reset(self) -> None:
        import trackers
        from trackers.utils import iou as lib_iou

        self._side_on.reset()
        if self._trail is not None:
            self._trail.reset()

        sim = {"iou": lib_iou.IoU, "giou": lib_iou.GIoU, "diou": lib_iou.DIoU,
               "ciou": lib_iou.CIoU}[self.iou]()
        self._looks = None
        # born: id(tracklet) -> (tracklet, the library id it was reported under), unconfirmed;
        # and each confirmed one's track id -> the track id it was reported under at birth
        self._born: dict = {}
        self._renamed: dict[int, int] = {}
        if self._crowd is not None:
            trail = self._trail
            cue = None if trail is None else (trail.floor_speed if self.looks_cue == "floor"
                                              else trail.speed)
            sim = self._looks = CrowdLooks(
                sim, self._crowd, None if cue is None else lambda tid: cue(tid + 1))
        if self.name == "bytetrack":
            self._tracker = trackers.ByteTrackTracker(track_activation_threshold=self.activation,
                                                      high_conf_det_threshold=self.high, iou=sim,
                                                      **self._opts)
        else:
            self._tracker = trackers.OCSORTTracker(high_conf_det_threshold=self.high,
                                                   **self._opts)

    @property
    def trail(self) -> HeadTrail | None:
        """Each track's head points and speeds (None: no option reads them)."""
        return self._trail

    @property
    def wants_looks(self) -> bool:
        """Whether :meth:`update` uses each box's clothing histogram."""
        return self._crowd is not None

    def update(self, t: float, boxes: np.ndarray, scores: np.ndarray,
               heads: np.ndarray | None = None, looks: list | None = None
               ) -> list[PersonTrack]:
        import supervision as sv

        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        scores = np.asarray(scores, np.float32).reshape(-1)
        on_heads = self.assoc == "head" and heads is not None
        space = _scaled(heads, self.head_scale) if on_heads else boxes
        if len(space) != len(boxes):
            raise ValueError(f"tracker: {len(space)} heads for {len(boxes)} person boxes")
        det = sv.Detections(xyxy=space, confidence=scores,
                            data={"det": np.arange(len(boxes))})
        if self._looks is not None:
            self._looks.frame(self._tracker.tracks, space, looks)
        out = self._tracker.update(det)
        if self._looks is not None and len(out) and "det" in out.data:
            self._looks.taken([(int(tid), int(i)) for tid, i in
                               zip(out.tracker_id, out.data["det"]) if tid >= 0],
                              [int(tl.tracker_id) for tl in self._tracker.tracks])
        tracks = []
        if len(out) and "det" in out.data:
            tracks = [PersonTrack(int(tid) + 1, tuple(float(v) for v in boxes[i]), int(i))
                      for tid, i in zip(out.tracker_id, out.data["det"]) if tid >= 0]
        if self._trail is not None:
            self._record_heads(t, tracks, space, on_heads)
        if self._lost is not None:
            self._end_lost_walkers()
        if self.coast > 0 or self.edge_coast > 0:
            tracks += self._coasting(on_heads, {tr.track_id for tr in tracks})
        if self.side_width > 0:
            tracks = self._side_on.widen(t, tracks, heads)
        if self.born:
            self._confirmed_born()
            tracks = self._reported(tracks) + self._born_rows(out, boxes)
        return tracks

    def _confirmed_born(self) -> None:
        """``born``: the tracks reported at birth that the library confirmed this frame keep
        their id of birth (:meth:`_reported`), those it dropped unconfirmed had one row; the
        ids of tracks the library no longer keeps are forgotten."""
        live = {id(tl): tl for tl in self._tracker.tracks}
        for key, (tl, tid) in list(self._born.items()):
            if key not in live:
                del self._born[key]
            elif tl.tracker_id >= 0:
                self._renamed[int(tl.tracker_id) + 1] = tid + 1
                del self._born[key]
        kept = {int(tl.tracker_id) + 1 for tl in live.values()}
        self._renamed = {k: v for k, v in self._renamed.items() if k in kept}

    def _born_rows(self, out, boxes: np.ndarray) -> list[PersonTrack]:
        """``born``: this frame's rows of the tracks the library started this frame (each
        unconfirmed track updated once, this frame, on the box of an output row without an
        id), under a new id of the library's counter; the library's own life of them is
        untouched."""
        rows = []
        if not len(out) or "det" not in out.data:
            return rows
        new = [tl for tl in self._tracker.tracks if tl.tracker_id < 0 and id(tl) not in
               self._born and tl.time_since_update == 0
               and tl.number_of_successful_consecutive_updates == 1]
        tracked = out.xyxy[out.tracker_id >= 0]
        for k in np.flatnonzero(out.tracker_id < 0):
            if len(tracked) and iou_matrix(out.xyxy[k:k + 1], tracked).max() > self.born_iou:
                continue  # beside a tracked person: a second head of theirs, or taking them over
            for tl in new:
                if np.allclose(tl.get_state_bbox(), out.xyxy[k], atol=1e-3):
                    # the library's own counter, so that every id stays unique
                    tid = self._tracker._allocate_tracker_id()
                    self._born[id(tl)] = (tl, tid)
                    i = int(out.data["det"][k])
                    rows.append(PersonTrack(tid + 1, tuple(float(v) for v in boxes[i]), i))
                    new.remove(tl)
                    break
        return rows

    def _reported(self, tracks: list[PersonTrack]) -> list[PersonTrack]:
        """The tracks under the ids they were reported under at birth (``born``)."""
        return [tr if tr.track_id not in self._renamed else
                PersonTrack(self._renamed[tr.track_id], tr.box, tr.detection) for tr in tracks]

    def _record_heads(self, t: float, tracks: list[PersonTrack], space: np.ndarray,
                      on_heads: bool) -> None:
        """Record where each track's head is (``space``: the associated boxes, the heads
        scaled by ``head_scale``, or the bodies, whose width implies the head's size)."""
        b = np.asarray(space, np.float64).reshape(-1, 4)
        sides = ((b[:, 3] - b[:, 1]) / self.head_scale if on_heads
                 else (b[:, 2] - b[:, 0]) / BODY_WIDTHS_PER_HEAD)
        self._trail.seen(t, tracks, (b[:, :2] + b[:, 2:]) / 2, sides)

    def _end_lost_walkers(self) -> None:
        """Drop the library's lost tracks whose person was walking once they are lost longer
        than ``walker_lost_s`` (unconfirmed ones are the library's to prune)."""
        self._tracker.tracks = [tl for tl in self._tracker.tracks if tl.tracker_id < 0
                                or self._lost.keeps(int(tl.tracker_id) + 1,
                                                    int(tl.time_since_update))]

    def _coasting(self, on_heads: bool, seen: set[int]) -> list[PersonTrack]:
        """Confirmed tracks missed for 1..coast frames, at their predicted boxes; and, with
        ``edge_coast``, tracks missed for up to that many frames whose predicted head is
        leaving the frame (a head cut by the image edge is not detected while the body is still
        in view), at their predicted body box clipped to the frame while at least
        :data:`EDGE_MIN_SHARE` of it is inside."""
        out = []
        for tl in getattr(self._tracker, "tracks", []):
            tid, since = int(tl.tracker_id) + 1, tl.time_since_update
            if tl.tracker_id < 0 or tid in seen or not 0 < since <= max(self.coast,
                                                                      self.edge_coast):
                continue
            box = np.asarray(tl.get_state_bbox(), np.float64).reshape(1, 4)
            head = _scaled(box, 1 / self.head_scale) if on_heads else None
            if on_heads:
                box = body_boxes_from_heads(head, (10 ** 6, 10 ** 6))
            if since > self.coast:  # edge coasting only
                if head is None or not _leaving(head[0], self.frame_size):
                    continue
                box = body_boxes_from_heads(head, self.frame_size)
                if _area(box[0]) < EDGE_MIN_SHARE * _area(body_boxes_from_heads(head, None)[0]):
                    continue
            out.append(PersonTrack(tid, tuple(float(v) for v in box[0]), -1))
        return out


# born: a new track is not reported at birth where its box (the association space) overlaps a
# tracked one's by more than this IoU
BORN_MAX_IOU = 0.2
# an edge-coasting body box is reported while this share of it is inside the frame
# (pipeline.cctv.metrics.MIN_VISIBLE: less is a person out of sight)
EDGE_MIN_SHARE = 0.25


def _leaving(head: np.ndarray, frame_size) -> bool:
    """Whether a head box reaches within half a head of the frame's edge (its
    head-and-shoulders window is cut there)."""
    w, h = frame_size
    m = 0.5 * max(head[2] - head[0], head[3] - head[1])
    return head[0] < m or head[1] < m or head[2] > w - m or head[3] > h - m


def _area(b) -> float:
    return max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)


def _scaled(boxes, k: float) -> np.ndarray:
    """Boxes (N, 4) scaled by ``k`` about their centres."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    c = (b[:, :2] + b[:, 2:]) / 2
    half = (b[:, 2:] - b[:, :2]) * (k / 2)
    return np.hstack([c - half, c + half]).astype(np.float32)


class FloorTracker:
    """The danger pipeline's floor-plane tracker behind the same Protocol (needs the camera)."""

    name = "floor"

    def __init__(self, camera, min_hits: int = 2, max_coast_s: float = 2.0):
        from pipeline.danger.floor import FloorMap
        from pipeline.danger.observe import Observer
        from pipeline.danger.track import Tracker, TrackerConfig

        self._observer = Observer(FloorMap.from_camera(camera))
        self._cfg = TrackerConfig(min_hits=min_hits, max_coast_s=max_coast_s)
        self._make = lambda: Tracker(self._cfg)
        self.reset()

    def reset(self) -> None:
        self._tracker = self._make()

    def update(self, t: float, boxes: np.ndarray, scores: np.ndarray,
               heads: np.ndarray | None = None) -> list[PersonTrack]:
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        blobs = tuple(Blob(tuple(map(float, b)), float((b[2] - b[0]) * (b[3] - b[1])), float(s))
                      for b, s in zip(boxes, scores))
        obs = self._observer.observe(Detections(blobs))
        by_box = {bl.box: i for i, bl in enumerate(blobs)}
        out = []
        for tr in self._tracker.update(t, obs):
            if tr.confirmed and tr.seen:
                out.append(PersonTrack(tr.id, tr.box, by_box.get(tr.box, -1)))
        return out


TRACKERS = ("bytetrack", "ocsort", "floor")


def make_tracker(name: str, fps: float, camera=None, options: dict | None = None
                 ) -> PersonTracker:
    """A tracker by name; ``options`` go to :class:`LibraryTracker` (bytetrack, ocsort)."""
    if name in ("bytetrack", "ocsort"):
        opts = dict(options or {})
        if camera is not None:
            opts.setdefault("camera", camera)
        return LibraryTracker(name, fps, **opts)
    if name == "floor":
        if camera is None:
            raise ValueError("the floor tracker needs the camera model (its calibration)")
        return FloorTracker(camera)
    raise ValueError(f"unknown person tracker {name!r} (known: {', '.join(TRACKERS)})")
