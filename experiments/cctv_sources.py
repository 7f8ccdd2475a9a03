"""Where CCTV identification runs get their frames: a :class:`CctvSource` per run.

A source gives, per camera, its frames in time order (each with ``.image``, ``.t`` and a
ground-truth ``.persons`` DataFrame: traveler_id, track_id, x1..y2, face_x1..face_y2 (NaN: no
face), ipd_px, yaw_deg, pitch_deg), the camera's fps, frame size and view centre on the floor,
and the travelers table (who they are, their groups, whether they consented, whether they are on
the arriving flights' manifest or the watchlist). Two sources:

- :func:`composite_source` (the default today): real synthetic faces pasted into 1080p frames
  (:mod:`experiments.cctv_composite`), walkers crossing a chain of cameras, with travelers who
  are on no manifest and no watchlist (staff, transit, greeters) so every policy has non-mated
  searches.
- :func:`scenario_source`: a scenario's face-capable CCTV cameras through ``sim.feeds.CctvFeed``.
  This is the one adapter to switch on once face cameras are merged (issue 11 part 1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

TRAVELER_COLUMNS = ["traveler_id", "key_seed", "key_id", "on_manifest", "consent", "watchlist",
                    "skin_tone", "age_band", "sex_presentation"]
GROUP_COLUMNS = ["skin_tone", "age_band", "sex_presentation"]


class SourceError(ValueError):
    """A source that cannot be built; the message names the input and the rule."""


@dataclass(frozen=True)
class CameraSpec:
    camera_id: str
    fps: float
    size: tuple[int, int]  # width, height
    centre: tuple[float, float]  # view centre on the floor, metres
    n_frames: int
    # the head detector's options on this camera (pipeline.vision.heads.HeadDetector), as the
    # scenario's camera spec sets them (faces.head_band -> band)
    head_options: dict = field(default_factory=dict)
    # the floor it sees people on (pipeline.cctv.journeys.view_area): ((x, y), ...) metres;
    # empty where unknown (a composite's cameras)
    view: tuple = ()
    # its calibration (floorplan.camera.CameraModel); None where unknown (a composite's cameras)
    model: object = None
    # the person tracker's options on this camera over the stream's
    # (pipeline.cctv.persons.LibraryTracker), as the scenario's camera spec sets them
    # (faces.track_born -> born)
    tracker_options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CctvSource:
    name: str
    kind: str  # "composite" or "scenario"
    cameras: dict[str, CameraSpec]
    frames: Callable[[str], Iterable]  # camera id -> its frames, in time order
    travelers: pd.DataFrame  # TRAVELER_COLUMNS
    description: dict = field(default_factory=dict)  # what scenario.json records
    # (key_seed, key_id) -> the enrolment photo (BGR); None: make_identity(key)'s photo
    enrolment_photo: Callable[[tuple[int, int]], np.ndarray] | None = None
    # camera id -> a picture of its empty scene (BGR) for a background-subtraction person
    # detector to start from; None: no such picture (the detector learns the scene as it goes)
    clean_plate: Callable[[str], np.ndarray | None] | None = None
    # regions of every frame that change but are no scene (a recorder's clock overlay: x1, y1,
    # x2, y2 pixels), for a background-subtraction person detector to ignore
    overlay_boxes: tuple = ()

    def describe_json(self) -> str:
        return json.dumps({"source": self.kind, "name": self.name, **self.description,
                           "cameras": {c.camera_id: {"fps": c.fps, "size": list(c.size),
                                                     "centre": list(c.centre)}
                                       for c in self.cameras.values()}}, indent=2)

    def camera_table(self) -> pd.DataFrame:
        return pd.DataFrame([{"camera": c.camera_id, "fps": c.fps, "width": c.size[0],
                              "height": c.size[1], "centre_x": c.centre[0],
                              "centre_y": c.centre[1], "frames": c.n_frames,
                              "view_xy": [v for xy in c.view for v in xy]}
                             for c in self.cameras.values()])


def composite_source(seed: int = 0, travelers: int = 12, cameras: int = 3,
                     seconds: float = 6.0, fps: float = 10.0, size=(1920, 1080),
                     consent_rate: float = 0.85, watchlist_share: float = 0.3,
                     off_manifest_share: float = 0.25) -> CctvSource:
    """Travelers crossing ``cameras`` views 25 m apart, each view ``seconds`` long. Each
    traveler shows a face at an inter-pupil distance drawn per camera (15-75 px, so every IPD
    band is filled); a share of them is on no manifest and on no watchlist."""
    from experiments.cctv_composite import Walker, composite_stream
    from sim.faces import make_identity

    for name, v, lo in (("travelers", travelers, 1), ("cameras", cameras, 1)):
        if v < lo:
            raise SourceError(f"composite source: {name} must be >= {lo}, got {v}")
    if not seconds > 0 or not fps > 0:
        raise SourceError(f"composite source: seconds and fps must be > 0, got {seconds}, {fps}")
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(travelers):
        ident = make_identity((seed, i))
        off = rng.random() < off_manifest_share
        wl = (not off) and rng.random() < watchlist_share
        rows.append((i, seed, i, not off, bool(rng.random() < consent_rate), wl,
                     ident.skin_tone, ident.age_band, ident.sex_presentation))
    table = pd.DataFrame(rows, columns=TRAVELER_COLUMNS)
    if not table["watchlist"].any():  # a watchlist run needs someone to look for
        table.loc[table.index[table["on_manifest"]][:1], "watchlist"] = True
    W, H = size
    cams, walkers = {}, {}
    n_frames = int(np.ceil(seconds * fps))
    for c in range(cameras):
        cid = f"cam{c + 1}"
        cams[cid] = CameraSpec(cid, float(fps), (int(W), int(H)), (25.0 * c, 0.0), n_frames)
        lane = rng.permutation(travelers)
        walkers[cid] = []
        for k, i in enumerate(lane):
            if rng.random() < 0.15 and c > 0:
                continue  # a gap: this traveler is not seen by this camera
            ipd = float(rng.uniform(15, 75))
            speed = float(rng.uniform(500, 900))  # px/s across the frame
            t0 = 25.0 * c / 1.3 + float(rng.uniform(-0.5, seconds * 0.6))
            y = 60 + (k % 4) * (H - 200) / 4
            walkers[cid].append(Walker(int(i), (seed, int(i)), ipd, t0, speed, y,
                                       tuple(int(v) for v in rng.integers(20, 235, 3))))
    starts = {cid: 25.0 * c / 1.3 for c, cid in enumerate(cams)}

    def frames(cid: str):
        if cid not in cams:
            raise SourceError(f"composite source: unknown camera {cid!r} "
                              f"(known: {', '.join(cams)})")
        t0 = starts[cid]
        return composite_stream(cid, walkers[cid], t0, t0 + n_frames / fps, fps, (W, H),
                                seed=seed * 1000 + int(cid[3:]))

    return CctvSource(f"composite-{seed}", "composite", cams, frames, table,
                      {"seed": seed, "travelers": travelers, "seconds_per_camera": seconds})


def scenario_source(path: str | Path, seed: int | None = None,
                    window: tuple[float, float] | None = None,
                    cameras: list[str] | None = None, fps: float | None = None) -> CctvSource:
    """A scenario's face-capable CCTV cameras as a source (the one adapter from the simulator).

    Switched on once ``sim.feeds.CctvFeed`` renders face cameras whose frames carry ``.persons``
    as a DataFrame with the columns named in this module's docstring. A camera counts as
    face-capable when the scenario marks it so (``faces: true`` or ``purpose: faces`` on a
    ``kind: cctv`` camera). Raises :class:`SourceError` naming the file when the scenario is
    unknown or has no face cameras. ``cameras``: only these face cameras (default: all).
    ``fps``: take every k-th frame of each camera, k = round(camera fps / fps) (at least 1), so
    a long window costs less; the source's camera rate is then fps / k.
    """
    from sim.loader import ScenarioError, load_scenario

    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: scenario not found")
    try:
        s = load_scenario(path)
    except ScenarioError as exc:
        raise SourceError(str(exc)) from None
    face_cams = [c for c in s.cameras if c.kind == "cctv" and c.faces is not None]
    if not face_cams:
        cctv = ", ".join(c.id for c in s.cameras if c.kind == "cctv") or "none"
        raise SourceError(f"{path}: no face-capable CCTV camera (cctv cameras: {cctv}); a "
                          f"camera sees faces with `faces:` set, as in "
                          f"scenarios/cctv_identification.yaml, or use --composite")
    if cameras:
        unknown = sorted(set(cameras) - {c.id for c in face_cams})
        if unknown:
            raise SourceError(f"{path}: --cameras: no face camera {', '.join(unknown)} (face "
                              f"cameras: {', '.join(c.id for c in face_cams)})")
        face_cams = [c for c in face_cams if c.id in cameras]
    from pipeline.cctv.journeys import view_area, view_centre
    from sim.feeds import OVERLAY_BOX, CctvFeed, simulate_run
    from sim.layout import floor_plan

    seed = int(s.seed if seed is None else seed)
    records = simulate_run(s, seed)
    plan = floor_plan(s)
    t_from, t_to = window or (0.0, float(s.horizon_s))
    feeds = {c.id: CctvFeed(s, c.id, records, seed) for c in face_cams}
    step = {c.id: max(1, round(c.fps / fps)) if fps else 1 for c in face_cams}
    cams = {c.id: CameraSpec(c.id, float(c.fps) / step[c.id], tuple(c.resolution),
                             view_centre(plan.camera(c.id)),
                             feeds[c.id].count(t_from, t_to, step[c.id]),
                             {"band": c.faces.head_band} if c.faces.head_band else {},
                             tuple(map(tuple, view_area(plan.camera(c.id)).tolist())),
                             plan.camera(c.id),
                             {"born": True} if c.faces.track_born else {})
            for c in face_cams}
    tr = records["travelers"]
    ids = tr["traveler_id"].astype(int).to_numpy()
    # The watchlist: the scenario's planted travelers, drawn as live e-gate mode draws them.
    from experiments.live_egate import WATCHLIST_STREAM

    rng = np.random.default_rng([s.seed, seed, WATCHLIST_STREAM])
    planted = rng.choice(ids, size=min(s.watchlist.planted, len(ids)), replace=False)
    travelers = pd.DataFrame({
        "traveler_id": ids, "key_seed": seed, "key_id": ids, "on_manifest": True,
        "consent": tr["consent"].astype(bool).to_numpy(),
        "watchlist": np.isin(ids, planted),
        **{g: tr[g].to_numpy() for g in GROUP_COLUMNS}})
    any_feed = next(iter(feeds.values()))

    def frames(cid):  # the ground truth as the table the pipeline evaluation reads
        for f in feeds[cid].frames(t_from, t_to, step[cid]):
            yield _ScenarioFrame(f.image, f.t, f.persons_df)

    def clean_plate(cid):  # the camera at the start of the run, if nobody is in view yet
        f = feeds[cid].render(0.0)
        return f.image if f.persons_df.empty else None

    return CctvSource(s.name, "scenario", cams, frames, travelers,
                      {"scenario_file": str(path), "seed": seed, "window": [t_from, t_to],
                       "fps": {cid: c.fps for cid, c in cams.items()}},
                      enrolment_photo=lambda key: any_feed.enrolment_photo(int(key[1])).image,
                      clean_plate=clean_plate, overlay_boxes=(tuple(OVERLAY_BOX),))


@dataclass(frozen=True)
class _ScenarioFrame:
    image: np.ndarray
    t: float
    persons: pd.DataFrame
