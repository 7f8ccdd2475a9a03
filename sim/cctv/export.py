"""Writing a camera's frames to a folder: images, an MP4, ground-truth Parquet tables and JSON.

Folder layout (every file written to a temporary name in the folder, then renamed, by
:mod:`outputs.atomic`):

- ``frames/NNNNNN.jpg`` (or .png): frame k of the window, k from 0;
- ``CAMERA.mp4``: the same frames, OpenCV ``mp4v``, at the camera's fps;
- ``persons.parquet``: one row per person per frame: frame, t, track_id, identity_seed,
  identity_id, x0, y0, x1, y1 (pixels), floor_x, floor_y (m), activity, actor, truncated,
  occluded, depth_m, and the CCTV identification truth: traveler_id (-1: incident actor),
  yaw_deg, pitch_deg (every camera), face_x1, face_y1, face_x2, face_y2 (face box, pixels; NaN
  when no face is seen, and always on cameras without ``faces:``), ipd_px, face_occluded
  (the names of ``sim.cctv.render.PERSON_COLUMNS``: there the body box is x1..y2 too; here it
  keeps this file's first names, x0..y1), head_x1, head_y1, head_x2, head_y2 (every drawn
  person's head box, pixels) and head_occluded;
- ``objects.parquet``: left bags: frame, t, kind, owner_track_id, x0..y1, floor_x, floor_y;
- ``incidents.parquet``: one row per active incident per frame: frame, t, label, near_miss,
  incident_index, t_start, t_end, zone, track_ids (space-separated), visible, x0..y1 (NaN when
  the incident is not in this camera's view);
- ``ground_truth.json`` (non-finite numbers as ``null``): scenario, seed, camera model (K, R, position, homography floor → image,
  zone polygon, overlay box), the window, frame count and every incident span in it.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from outputs.atomic import commit_file, write_bytes, write_json, write_parquet
from sim.cctv.render import OVERLAY_BOX, Frame

__all__ = ["FrameWriter"]


class FrameWriter:
    def __init__(self, out: Path, feed, t_from: float, t_to: float, image_format: str = "jpg",
                 video: bool = True):
        self.out = Path(out)
        (self.out / "frames").mkdir(parents=True, exist_ok=True)
        self.feed, self.t_from, self.t_to = feed, t_from, t_to
        self.ext = "." + image_format
        self.params = [cv2.IMWRITE_JPEG_QUALITY, 90] if image_format == "jpg" else []
        self.persons, self.objects, self.incidents = [], [], []
        self.k = 0
        self.video_path = self.out / f"{feed.camera.id}.mp4"
        self.video_tmp = self.out / f".{feed.camera.id}.partial.mp4"
        self.video = None
        if video:
            m = feed.model
            self.video = cv2.VideoWriter(str(self.video_tmp), cv2.VideoWriter_fourcc(*"mp4v"),
                                         feed.fps, (m.width, m.height))
            if not self.video.isOpened():
                raise RuntimeError(f"{self.video_tmp}: OpenCV could not open an mp4v writer")

    def add(self, frame: Frame) -> None:
        ok, buf = cv2.imencode(self.ext, frame.image, self.params)
        if not ok:
            raise RuntimeError(f"could not encode frame {self.k} as {self.ext}")
        write_bytes(self.out / "frames" / f"{self.k:06d}{self.ext}", buf.tobytes())
        if self.video is not None:
            self.video.write(frame.image)
        for p in frame.persons:
            self.persons.append((self.k, frame.t, p.track_id, p.identity[0], p.identity[1],
                                 *p.box, *p.floor_xy, p.activity, p.actor, p.truncated,
                                 p.occluded, p.depth_m, -1 if p.actor else p.track_id,
                                 p.yaw_deg, p.pitch_deg,
                                 *(p.face_box if p.face_box is not None else (math.nan,) * 4),
                                 p.ipd_px, p.face_occluded,
                                 *(p.head_box if p.head_box is not None else (math.nan,) * 4),
                                 p.head_occluded))
        for o in frame.objects:
            self.objects.append((self.k, frame.t, o.kind, o.owner_track_id, *o.box, *o.floor_xy))
        for i in frame.incidents:
            box = i.box if i.box is not None else (math.nan,) * 4
            self.incidents.append((self.k, frame.t, i.label, i.near_miss, i.incident_index,
                                   i.t_start, i.t_end, i.zone,
                                   " ".join(str(t) for t in i.track_ids), i.box is not None,
                                   *box))
        self.k += 1

    def close(self) -> dict:
        if self.video is not None:
            self.video.release()
            commit_file(self.video_tmp, self.video_path)
        write_parquet(self.out / "persons.parquet", pd.DataFrame(self.persons, columns=[
            "frame", "t", "track_id", "identity_seed", "identity_id", "x0", "y0", "x1", "y1",
            "floor_x", "floor_y", "activity", "actor", "truncated", "occluded", "depth_m",
            "traveler_id", "yaw_deg", "pitch_deg", "face_x1", "face_y1", "face_x2", "face_y2",
            "ipd_px", "face_occluded", "head_x1", "head_y1", "head_x2", "head_y2",
            "head_occluded"]))
        write_parquet(self.out / "objects.parquet", pd.DataFrame(self.objects, columns=[
            "frame", "t", "kind", "owner_track_id", "x0", "y0", "x1", "y1", "floor_x",
            "floor_y"]))
        write_parquet(self.out / "incidents.parquet", pd.DataFrame(self.incidents, columns=[
            "frame", "t", "label", "near_miss", "incident_index", "t_start", "t_end", "zone",
            "track_ids", "visible", "x0", "y0", "x1", "y1"]))
        feed, m = self.feed, self.feed.model
        spans = [s for s in feed.renderer.script.spans
                 if s.zone == feed.camera.zone and s.t_start < self.t_to and s.t_end > self.t_from]
        summary = {
            "scenario": feed.scenario.name, "seed": feed.seed, "camera": feed.camera.id,
            "zone": feed.camera.zone, "fps": feed.fps, "t_from": self.t_from, "t_to": self.t_to,
            "frames": self.k, "persons": len(self.persons),
            "image_format": self.ext[1:],
            "video": self.video_path.name if self.video is not None else None,
            "camera_model": {
                "resolution": [m.width, m.height], "position": list(m.position),
                "yaw_deg": m.yaw_deg, "tilt_deg": m.tilt_deg, "fov_deg": m.fov_deg,
                "K": np.asarray(m.K).tolist(), "R": np.asarray(m.R).tolist(),
                "homography_floor_to_image": m.homography().tolist(),
                "zone_polygon": [list(p) for p in feed.renderer.backdrop.zone.polygon],
                "overlay_box": list(OVERLAY_BOX)},
            "incidents": [{"index": s.index, "label": s.label, "near_miss": s.near_miss,
                           "t_start": s.t_start, "t_end": s.t_end, "zone": s.zone,
                           "track_ids": list(s.track_ids),
                           "info": {k: (list(v) if isinstance(v, tuple) else v)
                                    for k, v in s.info.items()}} for s in spans],
        }
        write_json(self.out / "ground_truth.json", summary)
        return summary
