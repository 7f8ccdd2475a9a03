"""One camera's frames: the crowd from :mod:`sim.positions`, the incident actors, the scene's
props, drawn far to near over the cached background, with ground truth for every frame.

Only people standing inside the camera's zone are drawn (the zone's walls hide the rest).
Ground truth boxes are the drawn figure's extent, clipped to the image; ``occluded`` is the
share of a person's box covered by the boxes of people nearer the camera. Every person's head
yaw and pitch relative to the camera are given; on a face camera (``faces:`` in the scenario)
the head is the traveler's own face at its true size (:mod:`sim.cctv.face_view`) and the truth
adds its face box, inter-pupil distance and the share of the face box nearer people cover.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import pandas as pd

from floorplan.camera import NEAR_M, CameraModel
from floorplan.shapes import points_in_polygon
from sim.cctv.face_view import HEAD_M, FaceView, head_poses
from sim.cctv.figures import HEAD, ONE
from sim.cctv.figures import (Appearance, appearance, bag_quads, draw_bag, draw_figure,
                               figure_batch)
from sim.cctv.incidents import IncidentScript
from sim.cctv.scene import build_backdrop
from sim.positions import ACTIVITIES, Trajectories, hash_uniform
from sim.scenario import Scenario

__all__ = ["CctvRenderer", "Frame", "IncidentTruth", "ObjectTruth", "PERSON_COLUMNS",
           "PersonTruth", "persons_table"]

STRIDE_CYCLE_M = 1.3  # two steps
OVERLAY_BOX = (0, 0, 420, 34)  # where the camera id and clock are printed (x0, y0, x1, y1)


@dataclass(frozen=True)
class PersonTruth:
    track_id: int  # traveler id, or ACTOR_BASE + ... for incident actors
    identity: tuple[int, int]  # (seed, id): the key of the synthetic identity
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 pixels, clipped to the image
    floor_xy: tuple[float, float]  # metres
    activity: str
    actor: bool
    truncated: bool  # the box was cut by the image border
    occluded: float  # share of the box behind nearer people's boxes
    depth_m: float
    yaw_deg: float = math.nan  # head turned from the camera (0: facing it; > 90: away)
    pitch_deg: float = math.nan  # negative: the camera looks down on the face
    # Face cameras only (None / NaN elsewhere and whenever no face is seen):
    face_box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 pixels
    ipd_px: float = math.nan  # pupil to pupil, pixels
    face_occluded: float = math.nan  # share of the face box behind nearer people's boxes
    # Every drawn person: the head (hair top to chin, HEAD_M square around the figure's head
    # point), clipped to the image (None: outside it), and the share nearer people's boxes cover
    head_box: tuple[float, float, float, float] | None = None
    head_occluded: float = math.nan


@dataclass(frozen=True)
class ObjectTruth:
    kind: str  # "bag": a bag left on the floor
    box: tuple[float, float, float, float]
    floor_xy: tuple[float, float]
    owner_track_id: int


@dataclass(frozen=True)
class IncidentTruth:
    label: str  # the incident kind
    t_start: float
    t_end: float
    zone: str
    track_ids: tuple[int, ...]
    box: tuple[float, float, float, float] | None  # union of its people/bag in this frame
    near_miss: bool
    incident_index: int
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Frame:
    camera_id: str
    index: int
    t: float
    image: np.ndarray  # BGR uint8, height x width x 3
    persons: tuple[PersonTruth, ...]
    objects: tuple[ObjectTruth, ...]
    incidents: tuple[IncidentTruth, ...]

    @property
    def persons_df(self) -> pd.DataFrame:
        """The persons as a table (columns: ``PERSON_COLUMNS``), one row per person in view."""
        return persons_table(self.persons)


# The CCTV identification interface: one row per person per frame. traveler_id is -1 for an
# incident actor (not a traveler); track_id is the person's identity across frames and
# cameras; x1..y2 the body box, face_x1..face_y2 the face box (NaN: no face seen).
PERSON_COLUMNS = ["traveler_id", "track_id", "identity_seed", "identity_id", "x1", "y1", "x2",
                  "y2", "face_x1", "face_y1", "face_x2", "face_y2", "ipd_px", "yaw_deg",
                  "pitch_deg", "face_occluded", "occluded", "truncated", "depth_m", "floor_x",
                  "floor_y", "activity", "actor", "head_x1", "head_y1", "head_x2", "head_y2",
                  "head_occluded"]


def persons_table(persons) -> pd.DataFrame:
    nan4 = (math.nan,) * 4
    rows = [(-1 if p.actor else p.track_id, p.track_id, p.identity[0], p.identity[1], *p.box,
             *(p.face_box if p.face_box is not None else nan4), p.ipd_px, p.yaw_deg,
             p.pitch_deg, p.face_occluded, p.occluded, p.truncated, p.depth_m, *p.floor_xy,
             p.activity, p.actor, *(p.head_box if p.head_box is not None else nan4),
             p.head_occluded) for p in persons]
    df = pd.DataFrame(rows, columns=PERSON_COLUMNS)
    return df.astype({"traveler_id": "int64", "track_id": "int64", "identity_seed": "int64",
                      "identity_id": "int64", "truncated": bool, "actor": bool})


class CctvRenderer:
    """Renders frames of one CCTV camera for a run; build once, call :meth:`render` per time."""

    def __init__(self, scenario: Scenario, camera_id: str, trajectories: Trajectories,
                 travelers: pd.DataFrame, seed: int, faces: bool = True, noise: bool = True,
                 overlay: bool = True):
        plan = trajectories.plan
        self.cam = plan.camera(camera_id)
        self.backdrop = build_backdrop(plan, self.cam, seed)
        self.zone_poly = self.backdrop.zone.polygon
        self.traj = trajectories
        self.script = IncidentScript(scenario, seed, plan)
        self.seed, self.faces, self.overlay = seed, faces, overlay
        tv = travelers.set_index("traveler_id").reindex(trajectories.traveler_ids)
        self._demo = list(zip(tv["skin_tone"].astype(str), tv["age_band"].astype(str),
                              tv["sex_presentation"].astype(str)))
        self._phase0 = hash_uniform(trajectories.traveler_ids, seed + 3) * STRIDE_CYCLE_M
        yaw = math.radians(self.cam.yaw_deg)
        self._right = np.array([math.sin(yaw), -math.cos(yaw)])
        self._tilt_sin = math.sin(math.radians(self.cam.tilt_deg))
        self._noise = _noise_tiles(self.cam, seed) if noise else None
        spec = scenario.camera(camera_id).faces
        self.face_view = (FaceView(self.cam, spec.shutter_s, spec.jpeg_quality)
                          if spec is not None and faces else None)

    # --- gather everyone in view ----------------------------------------------------------
    def _people(self, t: float) -> dict:
        a = self.traj.arrays_at(t)
        keep = points_in_polygon(np.column_stack([a["x"], a["y"]]), self.zone_poly) \
            if len(a["x"]) else np.zeros(0, bool)
        tidx = a["tidx"][keep]
        heading = a["heading"][keep]
        speed = a["speed"][keep]
        people = {
            "track": list(a["traveler_id"][keep]), "x": list(a["x"][keep]),
            "y": list(a["y"][keep]),
            "heading": list(np.where(np.isfinite(heading), heading, self._face_cam(
                a["x"][keep], a["y"][keep]))),
            "act": [ACTIVITIES[k] for k in a["act"][keep]],
            "speed": list(speed),
            "travelled": list(t * speed + self._phase0[tidx]),
            "fall": [0.0] * len(tidx), "fall_dir": [0.0] * len(tidx),
            "app": [appearance((self.seed, int(i)), *self._demo[j]) for i, j in
                    zip(a["traveler_id"][keep], tidx)],
            "carry": [None] * len(tidx), "actor": [False] * len(tidx)}
        for track, (x, y, hd, act, sp, trav, fall, carry) in self.script.actors_at(t):
            if not points_in_polygon(np.array([[x, y]]), self.zone_poly)[0]:
                continue
            for k, v in (("track", track.track_id), ("x", x), ("y", y), ("heading", hd),
                         ("act", act), ("speed", sp), ("travelled", trav), ("fall", fall),
                         ("fall_dir", track.fall_dir), ("carry", carry), ("actor", True),
                         ("app", appearance(track.key, *track.demographics))):
                people[k].append(v)
        return {k: np.asarray(v) if k not in ("app", "carry", "act") else v
                for k, v in people.items()}

    def _face_cam(self, x, y):
        return np.arctan2(self.cam.center[1] - y, self.cam.center[0] - x)

    # --- drawing --------------------------------------------------------------------------
    def render(self, t: float, index: int = 0) -> Frame:
        cam = self.cam
        img = self.backdrop.background.copy()
        p = self._people(t)
        n = len(p["x"])
        draw: list[tuple[float, int, int]] = [(pr.depth, 0, k) for k, pr in
                                              enumerate(self.backdrop.props)]
        fb = rollers = None
        pose = None
        if n:
            fb, depth, ok = self._figures(p)
            rollers = self._rollers(p, depth)
            heights = np.fromiter((ap.height_m for ap in p["app"]), float, n)
            pose = head_poses(cam, p["x"], p["y"], p["heading"], heights, p["speed"],
                              self.face_view.shutter_s if self.face_view else 0.0)
            for k in np.flatnonzero(ok):
                draw.append((float(depth[k]), 1, int(k)))
        bag_geo = []
        for b in self.script.bags_at(t):
            uv, z = cam.project(np.array([[*b.xy, 0.0], [*b.xy, 0.6]]))
            if np.all(z > NEAR_M):
                quad = bag_quads(uv[:1], uv[1:], np.array([cam.focal_px / z.mean()]))[0]
                bag_geo.append((b, quad, float(z.mean())))
                draw.append((float(z.mean()), 2, len(bag_geo) - 1))
        draw.sort(key=lambda d: -d[0])

        objects, persons = [], []
        faces: dict = {}
        for dep, kind, k in draw:
            if kind == 0:
                self.backdrop.props[k].draw(img)
            elif kind == 2:
                b, quad, z = bag_geo[k]
                draw_bag(img, quad, appearance(b.colour_key).bag)
                q = quad / ONE
                box = (q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max())
                clipped = _clip(box, cam)
                if clipped is not None:
                    objects.append(ObjectTruth("bag", clipped, b.xy, b.owner))
            else:
                roller = rollers.get(k)
                if roller is not None and roller[1] > dep:
                    draw_bag(img, roller[0], p["app"][k].bag)
                app = p["app"][k]
                fv = self.face_view
                own_face = (fv is not None and not fb.lying[k] and app.identity is not None
                            and fv.draws_head(float(pose[2][k])))
                draw_figure(img, app, fb, k, self.faces and not own_face)
                if own_face:
                    faces[k] = fv.draw(img, app.identity, fb.pts[k, HEAD], float(pose[2][k]),
                                       float(pose[0][k]), float(pose[1][k]), pose[4][k])
                if roller is not None and roller[1] <= dep:
                    draw_bag(img, roller[0], p["app"][k].bag)
                persons.append((k, dep))
        truths = _person_truths(p, persons, fb.boxes if fb is not None else None, cam, pose,
                                faces, _head_boxes(fb) if fb is not None else None)
        incidents = self._incident_truths(t, truths, objects)
        if self._noise is not None:
            pos, neg = self._noise[index % len(self._noise)]
            cv2.add(img, pos, dst=img)
            cv2.subtract(img, neg, dst=img)
        if self.overlay:
            _overlay(img, self.cam.id, t)
        if self.face_view is not None:
            img = self.face_view.compress(img)
        return Frame(self.cam.id, index, float(t), img, truths, tuple(objects), incidents)

    def _figures(self, p):
        """Project everyone at once: foot and head-top pixels, scale, view angles, swing."""
        cam, n = self.cam, len(p["x"])
        apps = p["app"]
        H = np.fromiter((ap.height_m for ap in apps), float, n)
        phi = p["fall"] * (math.pi / 2)
        dx, dy = np.cos(p["fall_dir"]), np.sin(p["fall_dir"])
        feet = np.column_stack([p["x"], p["y"], np.zeros(n)])
        top = np.column_stack([p["x"] + H * np.sin(phi) * dx, p["y"] + H * np.sin(phi) * dy,
                               H * np.cos(phi) + 0.12 * np.sin(phi)])
        uv, z = cam.project(np.vstack([feet, top]))
        uv_f, uv_t, z_f, z_t = uv[:n], uv[n:], z[:n], z[n:]
        ok = (z_f > NEAR_M) & (z_t > NEAR_M)
        depth = (z_f + z_t) / 2
        ppm = cam.focal_px / np.maximum(depth, NEAR_M)
        hx, hy = np.cos(p["heading"]), np.sin(p["heading"])
        vx, vy = p["x"] - cam.center[0], p["y"] - cam.center[1]
        vn = np.maximum(np.hypot(vx, vy), 1e-6)
        side = hx * self._right[0] + hy * self._right[1]
        away = (hx * vx + hy * vy) / vn
        amp = np.clip(p["speed"] / 1.3, 0, 1.4) * (p["fall"] < 0.05)
        swing = amp * np.sin(2 * math.pi * p["travelled"] / STRIDE_CYCLE_M)
        half = 0.5 * ppm
        ok &= ((np.maximum(uv_f[:, 0], uv_t[:, 0]) + half > 0)
               & (np.minimum(uv_f[:, 0], uv_t[:, 0]) - half < cam.width)
               & (np.maximum(uv_f[:, 1], uv_t[:, 1]) + half > 0)
               & (np.minimum(uv_f[:, 1], uv_t[:, 1]) - half < cam.height))
        uv_f = np.where(ok[:, None], uv_f, 0.0)
        uv_t = np.where(ok[:, None], uv_t, 0.0)
        shoulder = np.fromiter((ap.shoulder_m for ap in apps), float, n)
        hip = np.fromiter((ap.hip_m for ap in apps), float, n)
        fb = figure_batch(uv_f, uv_t, ppm, H, shoulder, hip, swing, side, away, self._tilt_sin,
                          p["fall"] > 0.5)
        return fb, depth, ok

    def _rollers(self, p, depth) -> dict[int, tuple]:
        """Rolling suitcases: trailing behind a walker, beside someone standing."""
        carry = [c if c is not None else ap.carry for c, ap in zip(p["carry"], p["app"])]
        idx = np.flatnonzero([(c == "roller") for c in carry] & (p["fall"] < 0.05))
        if not len(idx):
            return {}
        h = np.column_stack([np.cos(p["heading"][idx]), np.sin(p["heading"][idx])])
        right = np.column_stack([h[:, 1], -h[:, 0]])
        moving = (p["speed"][idx] > 0.2)[:, None]
        base = np.column_stack([p["x"][idx], p["y"][idx]]) + np.where(
            moving, -h * 0.5 + right * 0.15, right * 0.4)
        m = len(idx)
        pts = np.vstack([np.column_stack([base, np.zeros(m)]),
                         np.column_stack([base, np.full(m, 0.62)])])
        uv, z = self.cam.project(pts)
        ok = (z[:m] > NEAR_M) & (z[m:] > NEAR_M)
        zm = (z[:m] + z[m:]) / 2
        uv = np.nan_to_num(uv)
        quads = bag_quads(uv[:m], uv[m:], self.cam.focal_px / np.maximum(zm, NEAR_M))
        return {int(k): (quads[j], float(zm[j])) for j, k in enumerate(idx) if ok[j]}

    def _incident_truths(self, t, persons, objects) -> tuple[IncidentTruth, ...]:
        by_track = {pt.track_id: pt.box for pt in persons}
        bags = {o.owner_track_id: o.box for o in objects}
        out = []
        for s in self.script.spans_at(t):
            if s.zone != self.cam.zone:
                continue
            if s.label == "abandoned_bag":
                boxes = [bags[i] for i in s.track_ids if i in bags]
            else:
                boxes = [by_track[i] for i in s.track_ids if i in by_track]
            box = None
            if boxes:
                b = np.asarray(boxes)
                box = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
                       float(b[:, 3].max()))
            out.append(IncidentTruth(s.label, s.t_start, s.t_end, s.zone, s.track_ids, box,
                                     s.near_miss, s.index, dict(s.info)))
        return tuple(out)


def _clip(box, cam: CameraModel):
    x0, y0, x1, y1 = (float(v) for v in box)
    cx0, cy0 = max(x0, 0.0), max(y0, 0.0)
    cx1, cy1 = min(x1, float(cam.width)), min(y1, float(cam.height))
    if cx1 - cx0 < 1 or cy1 - cy0 < 1:
        return None
    return (cx0, cy0, cx1, cy1)


def _head_boxes(fb) -> np.ndarray:
    """(N, 4) head boxes: a HEAD_M square (scaled by the figure's pixels per metre) centred on
    its head point, the centre of the drawn head and of a face camera's pasted head."""
    c = fb.pts[:, HEAD]
    half = 0.5 * HEAD_M * fb.ppm
    return np.column_stack([c[:, 0] - half, c[:, 1] - half, c[:, 0] + half, c[:, 1] + half])


def _person_truths(p, drawn, all_boxes, cam: CameraModel, pose=None, faces=None,
                   head_boxes=None) -> tuple[PersonTruth, ...]:
    if not drawn:
        return ()
    idx = np.fromiter((d[0] for d in drawn), int, len(drawn))
    depth = np.fromiter((d[1] for d in drawn), float, len(drawn))
    raw = all_boxes[idx]
    boxes = np.column_stack([np.clip(raw[:, 0], 0, cam.width), np.clip(raw[:, 1], 0, cam.height),
                             np.clip(raw[:, 2], 0, cam.width), np.clip(raw[:, 3], 0, cam.height)])
    keep = ((boxes[:, 2] - boxes[:, 0]) >= 1) & ((boxes[:, 3] - boxes[:, 1]) >= 1)
    idx, depth, raw, boxes = idx[keep], depth[keep], raw[keep], boxes[keep]
    truncated = np.any(np.abs(raw - boxes) > 1e-9, axis=1)
    # Share of each box covered by nearer boxes (overlaps summed, capped at 1: enough to tell
    # a hidden person from a visible one).
    ix0 = np.maximum(boxes[:, None, 0], boxes[None, :, 0])
    iy0 = np.maximum(boxes[:, None, 1], boxes[None, :, 1])
    ix1 = np.minimum(boxes[:, None, 2], boxes[None, :, 2])
    iy1 = np.minimum(boxes[:, None, 3], boxes[None, :, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    inter *= depth[None, :] < depth[:, None]
    area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1e-9)
    occ = np.minimum(1.0, inter.sum(axis=1) / area).tolist()
    apps, tracks, xs, ys = p["app"], p["track"].tolist(), p["x"].tolist(), p["y"].tolist()
    acts, actor = p["act"], p["actor"].tolist()
    yaw, pitch = (pose[0].tolist(), pose[1].tolist()) if pose is not None else (None, None)
    faces = faces or {}
    out = []
    for j, (k, b, tr, o, d) in enumerate(zip(idx.tolist(), boxes.tolist(), truncated.tolist(),
                                             occ, depth.tolist())):
        extra = {}
        if yaw is not None:
            extra = {"yaw_deg": yaw[k], "pitch_deg": pitch[k]}
        if head_boxes is not None:
            hb = _clip(head_boxes[k], cam)
            if hb is not None:
                extra.update(head_box=hb, head_occluded=_covered(hb, boxes, depth, d))
        face = faces.get(k)
        if face is not None and face.face_box is not None:
            extra.update(face_box=face.face_box, ipd_px=face.ipd_px,
                         face_occluded=_covered(face.face_box, boxes, depth, d))
        out.append(PersonTruth(tracks[k], apps[k].key, tuple(b), (xs[k], ys[k]), acts[k],
                               actor[k], tr, o, d, **extra))
    return tuple(out)


def _covered(box, boxes: np.ndarray, depth: np.ndarray, own_depth: float) -> float:
    """Share of ``box`` under the boxes of people nearer than ``own_depth`` (capped at 1)."""
    near = boxes[depth < own_depth]
    if not len(near):
        return 0.0
    x0, y0, x1, y1 = box
    w = np.clip(np.minimum(near[:, 2], x1) - np.maximum(near[:, 0], x0), 0, None)
    h = np.clip(np.minimum(near[:, 3], y1) - np.maximum(near[:, 1], y0), 0, None)
    return float(min(1.0, (w * h).sum() / max((x1 - x0) * (y1 - y0), 1e-9)))


def _noise_tiles(cam: CameraModel, seed: int, n: int = 4, sigma: float = 2.2):
    rng = np.random.default_rng([seed, 13])
    tiles = []
    for _ in range(n):
        z = np.round(rng.normal(0, sigma, (cam.height, cam.width, 3))).astype(np.int16)
        tiles.append((np.clip(z, 0, 255).astype(np.uint8), np.clip(-z, 0, 255).astype(np.uint8)))
    return tiles


def _overlay(img, camera_id: str, t: float):
    """Camera name and run clock in a dark box, as a CCTV recorder prints them."""
    h, rem = divmod(t, 3600)
    m, s = divmod(rem, 60)
    text = f"{camera_id}  T+{int(h):02d}:{int(m):02d}:{s:04.1f}"
    x0, y0, x1, y1 = OVERLAY_BOX
    (tw, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1)
    cv2.rectangle(img, (x0, y0), (min(x1, x0 + tw + 16), y1), (16, 16, 16), -1)
    cv2.putText(img, text, (x0 + 8, y1 - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (235, 235, 235),
                1, cv2.LINE_AA)
