"""The three renders the rest of airtwin asks for: enrolment photo, live e-gate capture, and a
small face patch for CCTV figures. All three reuse the identity's cached sprite."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from sim.faces.accessories import draw_accessories
from sim.faces.capture import (CaptureVariation, FaceCapture, degrade, draw_shot, light_colour,
                               light_direction)
from sim.faces.change import AppearanceChange, ChangeSettings, draw_change, enrolment_identity
from sim.faces.geometry import U_RANGE, V_RANGE
from sim.faces.identity import Identity
from sim.faces.layers import head_layers
from sim.faces.pose import (Pose, affine, apply_affine, bounding_box, compose, forward_points,
                            posed_sprite, shade)

LIVE_PPU = 80.0  # sprite pixels per face unit for live captures (faces land at 55-90 px/unit)
ENROLMENT_SIZE = (480, 600)  # width, height
# The enrolment studio exposes for its standard light, not for the face (a fixed exposure, as
# a photographer sets once against a grey card): skin renders at its own tone. At this
# exposure a frontal cheek's pixel is about its albedo x 255.
ENROLMENT_EXPOSURE = 1.05
# Mean face luminance the e-gate camera's face-priority metering aims at (0..255); it moves
# only part of the way there (``pose.FACE_METERING``), and a capture's exposure varies about it.
LIVE_LUMA = 120.0
DEFAULT_VARIATION = CaptureVariation()
# The standard enrolment light: direction (towards the light), colour (BGR), ambient share.
ENROLMENT_LIGHT = ((0.0, -0.25, 1.0), (1.0, 0.99, 0.97), 0.55)


def _check_identity(identity) -> None:
    if not isinstance(identity, Identity):
        raise TypeError(f"identity: expected sim.faces.Identity, got {type(identity).__name__}")


def _check_size(name: str, size, lo: int = 64, hi: int = 4096) -> tuple[int, int]:
    ok = (isinstance(size, tuple) and len(size) == 2
          and all(isinstance(s, (int, np.integer)) and lo <= s <= hi for s in size))
    if not ok:
        raise ValueError(f"{name}: expected (width, height) ints in {lo}..{hi}, got {size!r}")
    return int(size[0]), int(size[1])


@lru_cache(maxsize=64)
def _background(size: tuple[int, int], seed: int) -> np.ndarray:
    """An e-gate interior behind the traveler: a lit wall with a few vertical panels.

    The wall is a vertical ramp times a row of panels, so it is blurred as two 1-D profiles
    (a Gaussian blur is separable) and multiplied out once: a fraction of a full 2-D blur.
    """
    w, h = size
    rng = np.random.default_rng([seed, 99])
    base = rng.uniform(90, 220) * (1 + rng.normal(0, 0.08, 3))
    ramp = np.linspace(1 + rng.uniform(-0.2, 0.2), 1, h, dtype=np.float32)
    panels = np.ones(w, np.float32)
    for _ in range(int(rng.integers(1, 5))):
        x0 = int(rng.integers(0, w))
        bw = int(rng.integers(w // 40, w // 5))
        panels[x0:x0 + bw] *= rng.uniform(0.6, 1.25)
    ramp = cv2.GaussianBlur(ramp[:, None], (1, 0), 0, sigmaY=2.0)[:, 0]
    panels = cv2.GaussianBlur(panels[None, :], (0, 1), 2.0, sigmaY=0)[0]
    img = (ramp[:, None, None] * panels[None, :, None]) * base.astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Studio:
    """Where and how a passport photo was taken: its light, exposure, a little pose, and the
    chip's JPEG. Photos of one person years apart differ in these as much as in the face."""

    light_dir: tuple[float, float, float] = ENROLMENT_LIGHT[0]
    light_bgr: tuple[float, float, float] = ENROLMENT_LIGHT[1]
    ambient: float = ENROLMENT_LIGHT[2]
    exposure: float = ENROLMENT_EXPOSURE
    yaw: float = 0.0
    pitch: float = 0.0
    blur_sigma: float = 0.0
    jpeg_quality: int = 100  # ICAO 9303 chip photos are JPEG of about 15-20 kB

    def meta(self) -> dict:
        return dataclasses.asdict(self)


STANDARD_STUDIO = Studio()


def draw_studio(rng: np.random.Generator) -> Studio:
    """A studio of the kind passport photos come from: soft front light from a little above
    or aside, exposure within a third of a stop, a head turned by a degree or two."""
    az, el = rng.uniform(-20, 20), rng.uniform(5, 30)
    return Studio(light_dir=light_direction(az, el), light_bgr=light_colour(rng.uniform(0, 0.6)),
                  ambient=float(rng.uniform(0.45, 0.65)),
                  exposure=ENROLMENT_EXPOSURE * float(rng.uniform(0.85, 1.15)),
                  yaw=float(rng.uniform(-3, 3)), pitch=float(rng.uniform(-3, 3)),
                  blur_sigma=float(rng.uniform(0.0, 0.8)),
                  jpeg_quality=int(rng.integers(35, 80)))


def render_enrolment(identity: Identity, size: tuple[int, int] = ENROLMENT_SIZE,
                     studio: Studio = STANDARD_STUDIO) -> FaceCapture:
    """A passport-like photo: frontal, neutral, even light, plain light background.

    ``size`` is (width, height), default 480x600. The head fills about 75% of the height (ICAO
    style) with the eyes at 45% from the top. ``studio`` (default the standard light and
    exposure, no compression) is where it was taken (:func:`draw_studio`).
    """
    _check_identity(identity)
    w, h = _check_size("size", size, 96)
    ppu = 0.245 * min(h, 1.25 * w)  # output pixels per face unit
    # The live sprite, scaled up: one cached sprite per identity serves both kinds of capture
    # (recognisers look at 112-150 px face crops, well inside its resolution).
    L = head_layers(identity, LIVE_PPU)
    pose = Pose(yaw=studio.yaw, pitch=studio.pitch)
    shaded = shade(L, pose, studio.light_dir, studio.light_bgr, studio.ambient, studio.exposure)
    centre = (w / 2, 0.45 * h - identity.eye_v * ppu)
    m = affine(L, ppu / LIVE_PPU, 0.0, centre)
    ramp = np.linspace(1.0, 0.93, h, dtype=np.float32)[:, None, None]
    frame = np.clip(np.full((h, w, 3), (226, 222, 216), np.float32) * ramp, 0, 255)
    frame = compose(frame.astype(np.uint8), L, shaded, pose, m)
    if studio.blur_sigma > 0.3:
        frame = cv2.GaussianBlur(frame, (0, 0), studio.blur_sigma)
    if studio.jpeg_quality < 100:
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, studio.jpeg_quality])
        frame = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    meta = {"ppu": round(ppu, 2), "size": (w, h)}
    if studio != STANDARD_STUDIO:
        meta["studio"] = studio.meta()
    return FaceCapture(image=frame, identity_key=identity.key,
                       box=bounding_box(apply_affine(m, forward_points(L, pose, L.box_points))),
                       landmarks=apply_affine(m, forward_points(L, pose, L.landmarks))
                       .astype(np.float32), kind="enrolment", meta=meta)


def render_live(identity: Identity, rng: np.random.Generator,
                variation: CaptureVariation | None = None,
                glasses: str | None = None) -> FaceCapture:
    """An e-gate camera capture (default 640x480) with pose, light, expression, accessories and
    camera degradation drawn from ``variation`` (default :class:`CaptureVariation`()) by ``rng``.
    ``glasses`` (a style, or "none") overrides the drawn glasses: a traveler who wears them
    (:class:`sim.faces.change.AppearanceChange`). ``meta`` holds every drawn value."""
    _check_identity(identity)
    var = DEFAULT_VARIATION if variation is None else variation
    if not isinstance(var, CaptureVariation):
        raise TypeError(f"variation: expected CaptureVariation, got {type(var).__name__}")
    shot = draw_shot(var, rng)
    if glasses is not None and glasses != shot.glasses:
        shot = dataclasses.replace(shot, glasses=glasses)
    L = head_layers(identity, LIVE_PPU)
    pose = Pose(shot.yaw, shot.pitch, shot.roll, shot.smile, shot.brow_raise)
    shaded = shade(L, pose, shot.light_dir, shot.light_bgr, shot.ambient, shot.exposure,
                   LIVE_LUMA)
    m = affine(L, shot.face_width_px / (2 * LIVE_PPU), shot.roll, shot.centre)
    frame = compose(_background(var.size, shot.background % 32).copy(), L, shaded, pose, m)
    frame = draw_accessories(frame, identity, L, pose, m, shot)
    frame = degrade(frame, shot, rng)
    return FaceCapture(image=frame, identity_key=identity.key,
                       box=bounding_box(apply_affine(m, forward_points(L, pose, L.box_points))),
                       landmarks=apply_affine(m, forward_points(L, pose, L.landmarks))
                       .astype(np.float32), kind="live",
                       meta=shot.meta())


PATCH_HEAD_UNITS = 3.4  # face units of head (hair top to chin) a patch is tall


@lru_cache(maxsize=4096)
def _patch(identity: Identity, size_px: int, yaw_step: int) -> np.ndarray:
    want = size_px / PATCH_HEAD_UNITS
    ppu = next((p for p in (12.0, 24.0, 48.0) if p >= 1.5 * want), LIVE_PPU)
    L = head_layers(identity, ppu)
    yaw = float(yaw_step * 15)
    back = abs(yaw) > 100
    pose = Pose(yaw=0.0 if back else float(np.clip(yaw, -60, 60)))
    shaded = shade(L, pose, (0.2, -0.6, 0.77), (1.0, 0.98, 0.95), 0.45, 1.0)
    # Pose into a sprite-sized canvas, then shrink premultiplied colour with area averaging.
    canvas = posed_sprite(L, shaded, pose).astype(np.float32)
    src, m = head_source(identity, L, canvas, back, size_px)
    if m[0, 0] < 1:  # shrink with area averaging, then shift
        small = cv2.resize(src, None, fx=m[0, 0], fy=m[0, 0], interpolation=cv2.INTER_AREA)
        m2 = np.array([[1, 0, m[0, 2]], [0, 1, m[1, 2]]], np.float64)
        out = cv2.warpAffine(small, m2, (size_px, size_px), flags=cv2.INTER_LINEAR)
    else:
        out = cv2.warpAffine(src, m, (size_px, size_px), flags=cv2.INTER_LINEAR)
    a = np.maximum(out[..., 3:4] / 255.0, 1e-6)
    bgr = np.where(a > 1e-3, out[..., :3] / a, 0)  # un-premultiply for a plain BGRA patch
    patch = np.dstack([bgr, out[..., 3]])
    patch = np.clip(patch, 0, 255).astype(np.uint8)
    patch.flags.writeable = False
    return patch


def head_source(identity: Identity, L, canvas: np.ndarray, back: bool, size_px: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """The posed sprite ``canvas`` (float BGRA) as a premultiplied head without neck (hair
    colour only when seen from the ``back``), and the affine (sprite px -> patch px) that puts
    hair top to chin, ``PATCH_HEAD_UNITS`` tall, into a ``size_px`` square."""
    ppu = L.grid.ppu
    alpha = canvas[..., 3] / 255.0
    col = canvas[..., :3]
    # Drop the neck and shoulders: the CCTV figure brings its own body.
    alpha[L.grid.v > identity.chin_v + 0.12] = 0
    if back:  # the back of the head: hair (or scalp) colour over the whole silhouette
        tone = identity.skin_bgr if identity.hair_style == "bald" else identity.hair_bgr
        col = np.broadcast_to(np.asarray(tone, np.float32) * 200.0, col.shape)
    col = col * alpha[..., None]
    top = identity.crown_v - 0.35
    cx, cy = -U_RANGE[0] * ppu, (top + PATCH_HEAD_UNITS / 2 - V_RANGE[0]) * ppu
    half = PATCH_HEAD_UNITS / 2 * ppu
    m = np.array([[size_px / (2 * half), 0, 0], [0, size_px / (2 * half), 0]], np.float64)
    m[:, 2] = (-(cx - half) * m[0, 0], -(cy - half) * m[1, 1])
    return np.dstack([col, alpha * 255.0]).astype(np.float32), m


def render_face_patch(identity: Identity, size_px: int, yaw: float = 0.0) -> np.ndarray:
    """A small BGRA head (hair top to chin, no neck) for pasting on CCTV figures.

    The patch is ``size_px`` square; alpha is 0 outside the head. ``yaw`` in degrees (0 faces
    the camera, +-180 shows the back of the head) is rounded to 15 degree steps so patches
    can be cached. The array is read-only (shared through the cache): copy before editing.
    """
    _check_identity(identity)
    if not isinstance(size_px, (int, np.integer)) or not 4 <= size_px <= 512:
        raise ValueError(f"size_px: expected an int in 4..512, got {size_px!r}")
    wrapped = (float(yaw) + 180.0) % 360.0 - 180.0
    return _patch(identity, int(size_px), int(round(wrapped / 15.0)))


def render_traveler(identity: Identity, seed: tuple[int, ...], lives: int,
                    change: ChangeSettings = ChangeSettings(),
                    variation: CaptureVariation | None = None
                    ) -> tuple[FaceCapture, list[FaceCapture], AppearanceChange]:
    """A traveler's enrolment photo and ``lives`` e-gate captures, with the change between them
    drawn from ``change`` (ground truth in the photo's ``meta["change"]``). Live captures draw
    from ``default_rng(seed)``, the change from its own stream, so switching change off leaves
    the live captures' pose and light as they were."""
    ch = draw_change(np.random.default_rng([*seed, 0xC4A]), identity, change)
    studio = (draw_studio(np.random.default_rng([*seed, 0x57D])) if change.enabled
              else STANDARD_STUDIO)
    enrol = render_enrolment(enrolment_identity(identity, ch), studio=studio)
    enrol.meta["change"] = ch.meta()
    rng = np.random.default_rng(list(seed))
    glasses = ch.glasses if change.enabled else None
    return enrol, [render_live(identity, rng, variation, glasses) for _ in range(lives)], ch
