"""Payload packs: every picture a load test sends, rendered and JPEG-encoded BEFORE the run, so
the load generator only reads bytes from memory and is never the bottleneck.

All faces are synthetic (:mod:`sim.faces`); CCTV frames are short clips (consecutive frames at
the camera's fps) from :mod:`sim.feeds`, of a run of the scenario whose cameras the analyze
endpoint knows. Pack folder (``format`` 1)::

    PACK/
      pack.json         {"format": 1, "spec": {...how it was made...},
                         "identities": [{"template_id": "lt7-0000", "enrol": "enrol/lt7-0000.jpg",
                                         "live": ["live/lt7-0000-0.jpg", ...]}, ...],
                         "strangers": ["strangers/s-0000.jpg", ...],   # never enrolled
                         "frames": [{"camera_id": "hall_south", "t": 1800.0,   # in time order
                                     "file": "frames/hall_south-0000.jpg",
                                     "faces": 3}, ...],   # faces visible (ground truth)
                         "cameras": {"hall_south": {"fps": 10.0, "faces": false}, ...},
                         "corrupt": ["bad/truncated-0000.jpg", ...]}   # deliberately bad
      enrol/ live/ strangers/ frames/ bad/

A pack is written whole (a staging folder swapped in, :func:`outputs.atomic.staged_folder`). :func:`ensure_pack` reuses a pack
whose spec matches, so repeated load tests skip the rendering.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from outputs.atomic import staged_folder

FORMAT = 1


class PackError(ValueError):
    """A payload pack that cannot be built or read; the message names the folder and problem."""


@dataclass(frozen=True)
class PackSpec:
    identities: int = 8  # enrolled synthetic travelers (their template ids are in pack.json)
    captures: int = 2  # live e-gate captures per identity
    strangers: int = 4  # live captures of never-enrolled identities (1:N no-hits)
    frames_per_camera: int = 10  # consecutive CCTV frames (a short clip) per cctv camera
    corrupt: int = 2  # truncated JPEGs
    seed: int = 7
    scenario: str = ""  # YAML of the scenario whose CCTV cameras the frames are of
    frames_from_s: float | None = None  # where the clips start (default: a quarter in)
    camera_ids: str = ""  # comma-separated cctv cameras to render (default: every one)

    def __post_init__(self):
        for name in ("identities", "captures", "strangers", "frames_per_camera", "corrupt"):
            if getattr(self, name) < 0:
                raise PackError(f"{name}: must be >= 0, got {getattr(self, name)}")
        if self.identities < 1 or self.captures < 1:
            raise PackError("identities and captures: a pack needs at least one of each")


@dataclass(frozen=True)
class PayloadPack:
    """The pack in memory: bytes ready to send."""

    path: Path
    enrol: list[tuple[str, bytes]]  # (template_id, enrolment JPEG)
    live: list[tuple[str, bytes]]  # (template_id, live capture JPEG of that traveler)
    strangers: list[bytes]
    frames: list[tuple[str, float, bytes]]  # (camera_id, t, frame JPEG)
    corrupt: list[bytes]
    # camera id -> {"fps", "faces" (a face camera: its frames go to /v1/cctv/frame),
    # "faces_per_frame" (mean faces visible in its clip)}; {} in packs made before it was kept
    cameras: dict[str, dict] | None = None

    def face_cameras(self) -> dict[str, float]:
        """The face cameras of the pack's frames and their fps."""
        return {c: float(v["fps"]) for c, v in (self.cameras or {}).items() if v.get("faces")}

    @classmethod
    def load(cls, path: str | Path) -> "PayloadPack":
        path = Path(path)
        index = _read_index(path)
        try:
            read = lambda rel: (path / rel).read_bytes()  # noqa: E731
            enrol = [(i["template_id"], read(i["enrol"])) for i in index["identities"]]
            live = [(i["template_id"], read(f)) for i in index["identities"] for f in i["live"]]
            return cls(path, enrol, live, [read(f) for f in index["strangers"]],
                       [(f["camera_id"], float(f["t"]), read(f["file"])) for f in index["frames"]],
                       [read(f) for f in index["corrupt"]], camera_table(index))
        except OSError as exc:
            raise PackError(f"{path}: pack file missing or unreadable ({exc})") from None
        except (KeyError, TypeError) as exc:
            raise PackError(f"{path}/pack.json: malformed ({exc!r})") from None

    def template_ids(self) -> list[str]:
        return [t for t, _ in self.enrol]


def camera_table(index: dict) -> dict[str, dict]:
    """Per camera of the pack's frames: fps, whether it is a face camera, and the mean faces
    visible per frame of its clip."""
    out = {c: dict(v) for c, v in (index.get("cameras") or {}).items()}
    for cam in out:
        faces = [f.get("faces", 0) for f in index["frames"] if f["camera_id"] == cam]
        out[cam]["faces_per_frame"] = float(np.mean(faces)) if faces else 0.0
    return out


def _read_index(path: Path) -> dict:
    index_file = path / "pack.json"
    if not index_file.is_file():
        raise PackError(f"{index_file}: missing (not a payload pack; build one with "
                        f"loadtests.payloads.build_pack or `airtwin loadtest`)")
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PackError(f"{index_file}: not valid JSON ({exc})") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise PackError(f"{index_file}: format {index.get('format') if isinstance(index, dict) else None!r}"
                        f" is not the supported format {FORMAT}")
    return index


def _jpeg(image: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise PackError("JPEG encoding failed")
    return buf.tobytes()


def truncated(jpeg: bytes, keep: float = 0.5) -> bytes:
    """A JPEG cut short: the header parses, the scan data ends early (a classic bad upload)."""
    return jpeg[: max(int(len(jpeg) * keep), 64)]


def _frames(spec: PackSpec, progress: Callable[[str], None], cameras: dict | None = None
            ) -> list[tuple[str, float, np.ndarray, int]]:
    """A clip of consecutive frames per cctv camera of a run of ``spec.scenario`` (simulated
    here once; every camera sees the same day), each with the faces visible in it (ground
    truth); ``cameras`` is filled with each camera's fps and whether it sees faces."""
    if spec.frames_per_camera == 0:
        return []
    from sim.feeds import CctvFeed, frame_times
    from sim.loader import load_scenario

    if not spec.scenario:
        raise PackError("scenario: CCTV frames need the scenario whose cameras they are of")
    scenario = load_scenario(spec.scenario)
    start = spec.frames_from_s if spec.frames_from_s is not None else 0.25 * scenario.horizon_s
    out, records, trajectories = [], None, None
    wanted = [c for c in spec.camera_ids.split(",") if c.strip()]
    cctv = [c for c in scenario.cameras if c.kind == "cctv"]
    unknown = sorted(set(wanted) - {c.id for c in cctv})
    if unknown:
        raise PackError(f"camera_ids: {', '.join(unknown)} not a cctv camera of {spec.scenario} "
                        f"(its cctv cameras: {', '.join(c.id for c in cctv) or 'none'})")
    for cam in (c for c in cctv if not wanted or c.id in wanted):
        progress(f"rendering {spec.frames_per_camera} frames of {cam.id}")
        feed = CctvFeed(scenario, cam.id, records, trajectories=trajectories)
        records, trajectories = feed.records, feed.trajectories
        if cameras is not None:
            cameras[cam.id] = {"fps": float(feed.fps), "faces": cam.faces is not None}
        times = frame_times(feed.fps, start, start + (spec.frames_per_camera + 0.5) / feed.fps)
        for t in times[: spec.frames_per_camera]:
            frame = feed.render(float(t))
            persons = frame.persons_df
            faces = int(persons["face_x1"].notna().sum()) if "face_x1" in persons else 0
            out.append((cam.id, frame.t, frame.image, faces))
    return out


def build_pack(out: str | Path, spec: PackSpec,
               progress: Callable[[str], None] = lambda msg: None) -> Path:
    """Render the pack described by ``spec`` into ``out`` (replaced whole if it exists)."""
    from sim.faces import make_identity, render_enrolment, render_live

    out = Path(out).resolve()
    with staged_folder(out) as tmp:
        for sub in ("enrol", "live", "strangers", "frames", "bad"):
            (tmp / sub).mkdir()
        rng = np.random.default_rng(spec.seed)
        index = {"format": FORMAT, "spec": asdict(spec), "identities": [], "strangers": [],
                 "frames": [], "corrupt": [], "cameras": {}}
        first_jpeg = b""
        for i in range(spec.identities):
            progress(f"rendering identity {i + 1}/{spec.identities}")
            tid = f"lt{spec.seed}-{i:04d}"
            identity = make_identity((spec.seed, i))
            enrol = _jpeg(render_enrolment(identity).image)
            first_jpeg = first_jpeg or enrol
            (tmp / "enrol" / f"{tid}.jpg").write_bytes(enrol)
            live = []
            for j in range(spec.captures):
                rel = f"live/{tid}-{j}.jpg"
                (tmp / rel).write_bytes(_jpeg(render_live(identity, rng).image))
                live.append(rel)
            index["identities"].append({"template_id": tid, "enrol": f"enrol/{tid}.jpg",
                                        "live": live})
        for i in range(spec.strangers):
            progress(f"rendering stranger {i + 1}/{spec.strangers}")
            # A key space of their own: strangers never share a face with the enrolled.
            stranger = make_identity((spec.seed + 1_000_003, i))
            rel = f"strangers/s-{i:04d}.jpg"
            (tmp / rel).write_bytes(_jpeg(render_live(stranger, rng).image))
            index["strangers"].append(rel)
        for k, (cam, t, image, faces) in enumerate(_frames(spec, progress, index["cameras"])):
            rel = f"frames/{cam}-{k:04d}.jpg"
            (tmp / rel).write_bytes(_jpeg(image))
            index["frames"].append({"camera_id": cam, "t": float(t), "file": rel,
                                    "faces": faces})
        for i in range(spec.corrupt):
            rel = f"bad/truncated-{i:04d}.jpg"
            (tmp / rel).write_bytes(truncated(first_jpeg, 0.3 + 0.4 * i / max(spec.corrupt, 1)))
            index["corrupt"].append(rel)
        (tmp / "pack.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    return out


def ensure_pack(out: str | Path, spec: PackSpec,
                progress: Callable[[str], None] = lambda msg: None) -> Path:
    """The pack at ``out`` if it was built from this very spec, else a fresh build."""
    out = Path(out)
    try:
        if _read_index(out).get("spec") == asdict(spec):
            return out.resolve()
    except PackError:
        pass
    return build_pack(out, spec, progress)


class PayloadPicker:
    """Draws what each request sends, from one user's own random stream."""

    def __init__(self, pack: PayloadPack, seed: int):
        self.pack, self.rng = pack, random.Random(seed)
        self.probes = [b for _, b in pack.live] + pack.strangers

    def verify(self) -> tuple[str, bytes]:
        return self.rng.choice(self.pack.live)

    def identify(self) -> bytes:
        return self.rng.choice(self.probes)

    def corrupt(self) -> tuple[str, bytes]:
        return self.rng.choice(self.pack.template_ids()), self.rng.choice(self.pack.corrupt)
