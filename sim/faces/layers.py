"""An identity's head sprite: albedo, depth, normals, coverage and specularity, cached.

The sprite is composed back to front (clothes, neck, hair behind the head, ears, face, hair on
the scalp) in face units on a :class:`~sim.faces.geometry.Grid`. Everything here depends only on
the identity and the resolution, so :func:`head_layers` is cached; captures only pose, light and
degrade it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import zlib

import cv2
import numpy as np

from sim.faces import dark_skin, directions
from sim.faces.geometry import V_RANGE, Grid, gauss, head_shape, inherit_and_age
from sim.faces.identity import Identity
from sim.faces.paint import face_albedo, mix, noise, stream, strands


@dataclass(frozen=True, eq=False)  # hashed by identity: caches key on the object
class HeadLayers:
    grid: Grid
    albedo: np.ndarray  # (H, W, 3) BGR 0..1, ambient occlusion baked in
    z: np.ndarray  # (H, W) depth in pixels, towards the camera
    z_smooth: np.ndarray  # (H, W) depth in pixels, blurred: drives the pose remap
    normals: np.ndarray  # (H, W, 3) unit normals (x right, y down, z to camera)
    alpha: np.ndarray  # (H, W) coverage 0..1
    spec: np.ndarray  # (H, W) specular strength
    face: np.ndarray  # (H, W) coverage of visible facial skin (for masks, debugging)
    landmarks: np.ndarray  # (5, 3) pixels (x, y, z): insightface order
    box_points: np.ndarray  # (N, 3) pixels: face outline brow to chin, for the face box
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 of the covered pixels
    face_px: np.ndarray  # flat indices of a sample of facial-skin pixels, for exposure
    face_luma: float  # mean albedo luminance over those pixels
    face_half: np.ndarray  # the same pixels' flat indices at half size (metering is smooth)
    normals_half: np.ndarray  # (H/2, W/2, 3): lighting is smooth, so it is computed at half size
    spec_half: np.ndarray  # (H/2, W/2)
    alpha_u8: np.ndarray  # (H, W) uint8 coverage


def normals_from(z: np.ndarray, ppu: float) -> np.ndarray:
    zf = cv2.GaussianBlur(z, (0, 0), max(0.7, 0.01 * ppu))
    gy, gx = np.gradient(zf)
    n = np.dstack([-gx, -gy, np.ones_like(gx)])
    n /= np.linalg.norm(n, axis=2, keepdims=True)
    return n.astype(np.float32)


def finish(grid: Grid, albedo: np.ndarray, z: np.ndarray, normals: np.ndarray,
           alpha: np.ndarray, spec: np.ndarray, face: np.ndarray, landmarks: np.ndarray,
           box_points: np.ndarray) -> HeadLayers:
    """Freeze painted layers: normalise the normals, smooth the depth, find the extent."""
    albedo, z = albedo.astype(np.float32), z.astype(np.float32)
    alpha, spec = np.clip(alpha, 0, 1).astype(np.float32), spec.astype(np.float32)
    normals = normals / np.maximum(np.linalg.norm(normals, axis=2, keepdims=True), 1e-6)
    normals = normals.astype(np.float32)
    ys, xs = np.nonzero(alpha > 0.004)
    bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    face_px = np.flatnonzero(face.ravel() > 0.5)[::7]
    # Colours are straight (not premultiplied) and bled past the coverage edge, so that
    # interpolating them at the silhouette never mixes in black.
    a = alpha[..., None]
    straight = albedo / np.maximum(a, 1e-3)
    sigma = max(1.0, 0.03 * grid.ppu)
    num = cv2.GaussianBlur(albedo, (0, 0), sigma)
    den = cv2.GaussianBlur(alpha, (0, 0), sigma)[..., None]
    bled = num / np.maximum(den, 1e-3)
    albedo = np.where(a > 0.05, np.clip(straight, 0, 1), bled).astype(np.float32)
    luma = albedo.reshape(-1, 3)[face_px] @ np.array([0.114, 0.587, 0.299], np.float32)
    half = ((albedo.shape[1] + 1) // 2, (albedo.shape[0] + 1) // 2)
    nh = cv2.resize(normals, half, interpolation=cv2.INTER_AREA)
    nh /= np.maximum(np.linalg.norm(nh, axis=2, keepdims=True), 1e-6)
    return HeadLayers(grid=grid, albedo=albedo, z=z,
                      z_smooth=cv2.GaussianBlur(z, (0, 0), 0.08 * grid.ppu),
                      normals=normals, alpha=alpha, spec=spec, face=face.astype(np.float32),
                      landmarks=landmarks.astype(np.float32),
                      box_points=box_points.astype(np.float32), bbox=bbox,
                      face_px=face_px, face_luma=float(luma.mean()),
                      face_half=(face_px // albedo.shape[1] // 2) * half[0]
                      + (face_px % albedo.shape[1]) // 2,
                      normals_half=nh.astype(np.float32),
                      spec_half=cv2.resize(spec, half, interpolation=cv2.INTER_AREA),
                      alpha_u8=np.round(alpha * 255).astype(np.uint8))


class _Canvas:
    """Back-to-front compositing of layers that each bring coverage, colour, depth, shine
    and normals. Normals come from each layer's own depth, so where one layer overlaps
    another the step between them draws no false crease."""

    def __init__(self, shape: tuple[int, int], ppu: float):
        self.ppu = ppu
        self.albedo = np.zeros((*shape, 3), np.float32)
        self.z = np.zeros(shape, np.float32)
        self.normals = np.zeros((*shape, 3), np.float32)
        self.normals[..., 2] = 1.0
        self.alpha = np.zeros(shape, np.float32)
        self.spec = np.zeros(shape, np.float32)

    def over(self, cover, albedo, z, spec, normals=None) -> None:
        z = np.broadcast_to(np.asarray(z, np.float32), cover.shape)
        if normals is None:
            normals = normals_from(np.ascontiguousarray(z), self.ppu)
        self.normals = mix(self.normals, normals, cover)
        self.albedo = mix(self.albedo, albedo, cover)
        self.z = self.z * (1 - cover) + z * cover
        self.spec = self.spec * (1 - cover) + spec * cover
        self.alpha = self.alpha + cover * (1 - self.alpha)


def _body(g: Grid, idt: Identity, c: _Canvas, rng) -> float:
    neck_w = 0.55 + 0.25 * idt.jaw_width + (0.05 if idt.sex_presentation == 'male' else 0)
    U, V = g.U, g.V
    neck = g.soft(neck_w - np.abs(U)) * g.soft(V - idt.jaw_v + 0.2)
    zn = idt.face_depth * 0.3 * np.sqrt(np.clip(1 - (U / neck_w) ** 2, 0, 1))
    skin = np.asarray(idt.skin_bgr, np.float32) * 0.92
    # The jaw shades the top of the neck.
    under = 0.55 + 0.45 * np.clip((V - idt.chin_v + 0.05) / 0.4, 0, 1)
    c.over(neck, skin * under[..., None], zn, 0.08)
    top = idt.chin_v + 0.42
    over_u = np.clip(np.abs(U) - neck_w * 0.9, 0, None)
    shoulder = top + 0.55 * over_u ** 1.6 / (1 + over_u)
    body = g.soft(V - shoulder)
    if idt.collar == "v":
        open_ = g.soft(np.minimum(neck_w * 0.95 * (1 - (V - top) / 0.5) - np.abs(U), V - top + 0.3))
    elif idt.collar == "round":
        open_ = g.soft(top + 0.12 * (1 - (U / neck_w) ** 2) - V) * g.soft(neck_w - np.abs(U))
    else:  # shirt collar: a lighter band around the neck opening
        open_ = g.soft(top + 0.25 - 0.5 * np.abs(U) - V) * g.soft(neck_w * 0.7 - np.abs(U))
    body = body * (1 - open_)
    cloth = np.asarray(idt.clothes_bgr, np.float32) * (
        0.9 + 0.1 * noise(rng, U.shape, 8))[..., None]
    zb = 0.2 * idt.face_depth * np.ones_like(U) - 0.05 * over_u
    c.over(body, cloth, zb, 0.03)
    if idt.collar == "shirt":
        band = g.soft(0.09 - np.abs(V - (top + 0.25 - 0.5 * np.abs(U)) - 0.05))
        band *= g.soft(neck_w * 1.5 - np.abs(U))
        c.over(band * body.clip(0, 1) + band * open_, np.broadcast_to(
            np.clip(np.asarray(idt.clothes_bgr) * 0.5 + 0.45, 0, 1).astype(np.float32),
            (*U.shape, 3)), zb + 0.05, 0.05)
    return neck_w


def _hair_colour(g: Grid, idt: Identity, rng, curly: bool) -> tuple[np.ndarray, np.ndarray]:
    if curly:
        tex = noise(rng, g.U.shape, int(g.U.shape[1] / (0.04 * g.ppu)))  # curls 0.04 units
        tex = tex / (tex.std() + 1e-6)
    else:
        tex = strands(rng, g.U.shape, max(5, int(g.ppu * 0.15)), 90.0)
    base = np.asarray(idt.hair_bgr, np.float32)
    grey_mask = np.clip(idt.grey * 1.2 * (1 + 0.12 * tex) - 0.1, 0, 1)
    colour = mix(np.broadcast_to(base, (*g.U.shape, 3)), (0.62, 0.63, 0.65), grey_mask)
    shade = 0.9 + 0.06 * tex + 0.1 * noise(rng, g.U.shape, 10)
    return colour * np.clip(shade, 0.4, 1.3)[..., None], tex


# Hair's outward volume per style (face units, scaled by the person's ``hair_volume``).
HAIR_VOLUME = {"bald": 0.0, "buzz": 0.015, "short": 0.08, "side_part": 0.1, "medium": 0.14,
               "long": 0.12, "bun": 0.06, "curly": 0.22, "afro": 0.38}
# Where the scalp hair's side edge (sideburn) ends, below the eye line (face units).
SIDEBURN_V: dict[str, float] = {}
# A bald head's horseshoe of hair: its height (v, from the eye line) and how far it reaches in
# from the head's outline (face units).
HORSESHOE_V = -0.05
HORSESHOE_INSET = 0.12


def hair_drop(idt: Identity) -> float:
    """How far down (v) hair that falls behind the face reaches."""
    return {"medium": idt.jaw_v + 0.2, "long": idt.chin_v + idt.hair_length,
            "curly": idt.mouth_v + 0.1, "afro": idt.jaw_v}[idt.hair_style]


def _hair(g: Grid, idt: Identity, c: _Canvas, width: np.ndarray, head: np.ndarray,
          z_head: np.ndarray, neck_w: float, rng) -> None:
    style = idt.hair_style
    U, V = g.U, g.V
    W = width[:, None]
    au = np.abs(U)
    curly = style in ("curly", "afro")
    colour, tex = _hair_colour(g, idt, stream(idt, "hair texture"), curly)
    vol = HAIR_VOLUME[style] * (0.6 + 2.0 * idt.hair_volume)
    # Hairline: an arc across the forehead, receding at the temples, down to the sideburns.
    hl = idt.hairline_v + 0.12 * (U / 0.8) ** 2
    hl = hl + idt.hair_recession * 0.9 * np.exp(-((au - 0.45) / 0.22) ** 2)
    hl = hl + idt.hair_recession * 0.5 * np.exp(-(U / 0.3) ** 2) * (idt.hair_recession > 0.3)
    side = np.clip((au - 0.7) / 0.22, 0, 1)
    hl = hl * (1 - side) + (idt.eye_v + SIDEBURN_V.get(style, 0.05)) * side
    if idt.fringe > 0 and style not in ("bald", "buzz"):
        brow_top = idt.eye_v - idt.brow_gap - idt.brow_arch - 0.6 * idt.brow_thickness - 0.06
        fringe_v = idt.hairline_v + (brow_top - idt.hairline_v) * idt.fringe
        ragged = 0.04 * noise(rng, U.shape, 40)
        hl = np.where(au < 0.75, np.maximum(hl, fringe_v + ragged - 0.1 * (U * idt.part) ** 2), hl)
    edge_noise = 0.02 * noise(rng, U.shape, 60) if not curly else 0.06 * noise(rng, U.shape, 30)
    scalp = g.soft(hl - V + edge_noise) * head
    if style == "bald":
        # A horseshoe of short hair above and behind the ears on older heads.
        # It thins out towards the face: seen from the front, a strip along the outline
        # above the ears, not a block beside the brows.
        fringe = (np.exp(-((V - (idt.eye_v + HORSESHOE_V)) / 0.13) ** 4)
                  * np.clip((au - W + HORSESHOE_INSET) / HORSESHOE_INSET, 0, 1) ** 1.5 * head)
        c.over(fringe * 0.7 * (idt.grey < 0.9), colour, z_head + 2, 0.1)
        return
    if style == "buzz":
        c.over(scalp * 0.75, mix(np.broadcast_to(np.asarray(idt.skin_bgr, np.float32),
                                                 colour.shape), colour, scalp * 0.8),
               z_head + 0.01 * g.ppu, 0.05)
        return
    # Volume: the outline grown outwards above the ears; longer styles fall behind the face.
    grown = g.soft(W + vol - au + edge_noise) * g.soft(idt.eye_v - 0.05 - V) * (W > 0)
    top_cap = g.soft((idt.skull_width + vol) - np.hypot(U, (V + 0.75) * (idt.skull_width + vol)
                                                          / (-0.75 - idt.crown_v + vol)))
    top_cap = top_cap * g.soft(-0.75 - V + 0.01)
    outer = np.maximum(grown, top_cap)
    if style in ("medium", "long", "curly", "afro"):
        drop = hair_drop(idt)
        drop = min(drop, V_RANGE[1] - 0.25)  # ends above the sprite's edge, which is clothes
        reach = W.max() + vol
        behind = g.soft(reach - au + edge_noise) * g.soft(drop - V + edge_noise)
        behind = behind * g.soft(V - idt.eye_v + 0.4)
        outer = np.maximum(outer, behind)
    if style == "bun":
        bun = g.soft(0.32 - np.hypot(U - 0.0, V - (idt.crown_v - 0.12)))
        outer = np.maximum(outer, bun)
    back = outer * (1 - head)
    z_back = 0.15 * g.ppu * np.ones_like(U)
    c.over(back, colour * 0.85, z_back, 0.12)
    c.over(scalp, colour, z_head + (vol * 0.7 + 0.02) * g.ppu * scalp, 0.15)


def _ears(g: Grid, idt: Identity, c: _Canvas, width: np.ndarray) -> None:
    hh = idt.ear_size * 0.8
    hw = hh * 0.55
    cy = idt.ear_v
    row = int(np.clip(np.searchsorted(g.v, cy), 0, len(g.v) - 1))
    wv = float(width[row])
    skin = np.asarray(idt.skin_bgr, np.float32) * np.asarray([0.88, 0.88, 0.98], np.float32)
    for side in (-1, 1):
        cx = side * (wv + idt.ear_out - hw)
        d = np.hypot((g.U - cx) / hw, (g.V - cy) / hh)
        ear = g.soft((1 - d) * hw)
        inner = g.soft((0.6 - np.hypot((g.U - cx + side * 0.2 * hw) / hw, (g.V - cy) / hh)) * hw)
        alb = mix(np.broadcast_to(skin, (*g.U.shape, 3)), skin * 0.6, inner * 0.7)
        z = (0.12 * g.ppu + 0.05 * g.ppu * (1 - d)) * np.ones_like(g.U)
        c.over(ear, alb, z, 0.1)


@lru_cache(maxsize=512)
def head_layers(idt: Identity, ppu: float) -> HeadLayers:
    """The identity's sprite at ``ppu`` pixels per face unit (cached by identity and ppu)."""
    g = Grid.make(ppu)
    shape = head_shape(g, idt)
    c = _Canvas(g.U.shape, g.ppu)
    neck_w = _body(g, idt, c, stream(idt, "body"))
    _ears(g, idt, c, shape.width)
    z_head = shape.z * g.ppu
    # Long hair behind the head goes before the face; the scalp hair after it (in _hair).
    albedo = face_albedo(g, idt)
    face_c = _Canvas(g.U.shape, g.ppu)
    _hair(g, idt, face_c, shape.width, shape.head, z_head, neck_w, stream(idt, "hair"))
    back = face_c.alpha * (1 - shape.head)
    c.over(back, face_c.albedo, face_c.z, face_c.spec, face_c.normals)
    k = dark_skin.sheen_gain(idt)  # the T-zone's sheen (1 unless dark skin's lever is on)
    spec_face = (0.12 + k * 0.1 * gauss(g, 0, -0.6, 0.5, 0.3)
                 + k * 0.12 * gauss(g, 0, idt.nose_v - 0.05, 0.1, 0.15))
    # The face darkens towards its outline (it turns away and catches less bounce light).
    s = np.clip(np.abs(g.U) / np.maximum(shape.width[:, None], 1e-3), 0, 1)
    albedo = albedo * (1 - SIDE_SHADE * np.clip((s - 0.6) / 0.4, 0, 1) ** 1.5)[..., None]
    c.over(shape.head, albedo, z_head, spec_face, normals_from(shape.z_ext * g.ppu, g.ppu))
    scalp = face_c.alpha * shape.head
    c.over(scalp, face_c.albedo, face_c.z, face_c.spec, face_c.normals)
    face = shape.head * (1 - scalp)
    # Ambient occlusion from the depth: creases and sockets darker, whatever the light.
    zs = cv2.GaussianBlur(c.z, (0, 0), 0.12 * g.ppu)
    ao = np.clip(1 - 0.9 * np.clip(zs - c.z, 0, None) / g.ppu, 0.45, 1.0)
    albedo = c.albedo * ao[..., None]
    lm = shape.landmarks.copy()
    px = np.array([g.to_px(u, v) for u, v in lm[:, :2]], np.float32) - 0.5
    lm_px = np.column_stack([px, lm[:, 2] * g.ppu]).astype(np.float32)
    vs = np.linspace(idt.eye_v - idt.brow_gap - 0.1, idt.chin_v, 24)
    ws = np.interp(vs, g.v, shape.width)
    pts = []
    for v, w in zip(vs, ws):
        for u in (-w, w):
            x, y = g.to_px(u, v)
            pts.append((x - 0.5, y - 0.5, 0.0))
    pts = np.asarray(pts, np.float32)
    layers = np.dstack([albedo, c.normals, c.z, c.alpha, c.spec, face]).astype(np.float32)
    layers, lm_px, pts = _warp(g, idt, layers, (lm_px, pts), stream(idt, "warp"))
    albedo, normals = layers[..., :3], layers[..., 3:6]
    z, alpha, spec, face = layers[..., 6], layers[..., 7], layers[..., 8], layers[..., 9]
    return finish(g, albedo, z, normals, alpha, spec, face, lm_px, pts)


SIDE_SHADE = 0.45
WARP_UNITS = 0.07  # typical displacement of the identity's random warp, face units
WARP_CELL = 0.6  # size of the warp's features, face units
WARP_SYMMETRY = 0.8  # share of the warp that is mirror-symmetric
# A second, finer warp that reshapes the features themselves. Off: it is what lowers ArcFace
# impostor scores most (0.40 -> 0.36 at 0.07 units on 0.3-unit cells, -> 0.22 without the
# symmetry and the inner-face mask), but lips turn wavy and noses melt, and dlib's HOG detector
# stops finding those faces (experiments.face_sensitivity).
WARP_FINE_UNITS = 0.0
WARP_FINE_CELL = 0.35
WARP_FINE_SYMMETRY = 1.0
AGEING_WARP = 1.0  # radians: ten years turn this much of the warp field into a new one


def _warp(g: Grid, idt: Identity, layers: np.ndarray, points: tuple[np.ndarray, ...], rng
          ) -> tuple[np.ndarray, ...]:
    """Bend the whole head by a smooth random displacement field.

    Named parameters move features along a few axes; this moves every feature and outline a
    little in its own way, which is what makes two heads with close parameters look like two
    people. Points follow the field forward (p = q + D(p), by fixed-point iteration).
    """
    h, w = layers.shape[:2]
    dx = np.zeros((h, w), np.float32)
    dy = np.zeros((h, w), np.float32)
    kin = (np.random.default_rng([idt.kin_seed, zlib.crc32(b"warp")]) if idt.kin_seed >= 0
           else None)
    older = np.random.default_rng([idt.texture_seed, zlib.crc32(b"ageing warp")])
    # The fine warp reshapes the features themselves (lids, nose, lips, brows), so it stays
    # on the inner face and mirror-symmetric: asymmetric fine bends read as deformity.
    inner = np.exp(-((g.U / 0.8) ** 2 + ((g.V - 0.15) / 1.0) ** 4)).astype(np.float32)
    for units, cell, sym, mask in ((WARP_UNITS, WARP_CELL, WARP_SYMMETRY, None),
                                   (WARP_FINE_UNITS, WARP_FINE_CELL, WARP_FINE_SYMMETRY, inner)):
        if units <= 0:
            continue
        amp = units * g.ppu if mask is None else units * g.ppu * mask
        cells = int(round(w / (cell * g.ppu)))
        def fields(r):
            return lambda: np.stack([noise(r, (h, w), cells) for _ in range(4)])
        # A relative's shape is partly the family's; years turn part of it into another.
        f = inherit_and_age(idt, fields(rng)(), fields(kin), fields(older), AGEING_WARP)
        # Mostly mirror-symmetric (faces are), with a little asymmetry of its own.
        dx += amp * (sym * (f[0] - f[0][:, ::-1]) / 2 + (1 - sym) * f[2])
        dy += amp * (sym * (f[1] + f[1][:, ::-1]) / 2 + (1 - sym) * f[3])
    # The named directions (off by default) move the identity's own features.
    named = directions.displacement(g, idt, directions.draw_scale(idt))
    if named is not None:
        dx += named[0] * g.ppu
        dy += named[1] * g.ppu
    # The warp shapes the head; it fades out below the chin so collars and shoulders keep
    # their straight lines.
    chin_y = g.to_px(0.0, idt.chin_v + 0.25)[1]
    fade = np.clip(1 - (np.arange(h, dtype=np.float32) - chin_y) / (0.4 * g.ppu), 0, 1)[:, None]
    dx, dy = dx * fade, dy * fade
    xs = np.arange(w, dtype=np.float32)[None, :] - dx
    ys = np.arange(h, dtype=np.float32)[:, None] - dy
    warped = cv2.remap(layers, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    moved = []
    for p in points:
        q = p.copy()
        for _ in range(4):
            xi = np.clip(np.round(q[:, 0]).astype(int), 0, w - 1)
            yi = np.clip(np.round(q[:, 1]).astype(int), 0, h - 1)
            q[:, 0] = p[:, 0] + dx[yi, xi]
            q[:, 1] = p[:, 1] + dy[yi, xi]
        moved.append(q)
    return (warped, *moved)
