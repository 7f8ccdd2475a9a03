"""Rendered captures: deterministic pixels, ground truth on the drawn features, clear errors."""

import dataclasses

import cv2
import numpy as np
import pytest

from sim.faces import (CaptureVariation, FaceCapture, make_identity, render_enrolment,
                       render_face_patch, render_live)
from sim.faces.capture import draw_shot
from sim.faces.layers import head_layers


def _lum(img: np.ndarray, x: float, y: float, r: int = 1) -> float:
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(float)
    xi, yi = int(round(x)), int(round(y))
    return float(grey[yi - r:yi + r + 1, xi - r:xi + r + 1].mean())


@pytest.fixture(scope="module")
def enrolments():
    ids = [make_identity((11, i), skin_tone=t)
           for i, t in enumerate(("I-II", "III-IV", "V-VI", "I-II", "V-VI", "III-IV"))]
    return [(idt, render_enrolment(idt)) for idt in ids]


def test_live_capture_is_deterministic_by_seed():
    idt = make_identity((0, 42))
    a = render_live(idt, np.random.default_rng(5))
    head_layers.cache_clear()  # rebuilt layers give the same pixels
    b = render_live(make_identity((0, 42)), np.random.default_rng(5))
    c = render_live(idt, np.random.default_rng(6))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.landmarks, b.landmarks)
    assert a.meta == b.meta and a.box == b.box
    assert not np.array_equal(a.image, c.image)


def test_enrolment_is_deterministic_and_plain(enrolments):
    idt, cap = enrolments[0]
    head_layers.cache_clear()
    assert np.array_equal(render_enrolment(idt).image, cap.image)
    assert cap.image.shape == (600, 480, 3) and cap.image.dtype == np.uint8
    assert cap.kind == "enrolment" and cap.identity_key == idt.key
    # Plain background in the top corners; frontal: eyes level and mirrored about the centre.
    corners = cap.image[:20, :20].reshape(-1, 3).std(0)
    assert corners.max() < 3
    (rx, ry), (lx, ly) = cap.landmarks[:2]
    assert abs(ry - ly) < 0.06 * (lx - rx)
    assert abs((rx + lx) / 2 - 240) < 0.08 * (lx - rx)


def test_capture_fields_and_box(enrolments):
    cap = render_live(make_identity((0, 7)), np.random.default_rng(1))
    assert isinstance(cap, FaceCapture) and cap.kind == "live"
    assert cap.image.shape == (480, 640, 3) and cap.image.dtype == np.uint8
    assert cap.landmarks.shape == (5, 2) and cap.landmarks.dtype == np.float32
    x1, y1, x2, y2 = cap.box
    assert 0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 480
    lm = cap.landmarks
    assert ((lm[:, 0] > x1) & (lm[:, 0] < x2) & (lm[:, 1] > y1) & (lm[:, 1] < y2)).all()
    # insightface order: image-left eye first, eyes above the nose above the mouth.
    assert lm[0, 0] < lm[1, 0] and lm[3, 0] < lm[4, 0]
    assert max(lm[0, 1], lm[1, 1]) < lm[2, 1] < min(lm[3, 1], lm[4, 1])
    for key in ("yaw", "pitch", "roll", "glasses", "jpeg_quality", "light_dir"):
        assert key in cap.meta


def test_eye_landmarks_sit_on_the_pupils(enrolments):
    for idt, cap in enrolments:
        ipd = float(cap.landmarks[1, 0] - cap.landmarks[0, 0])
        for (x, y) in cap.landmarks[:2]:
            pupil = _lum(cap.image, x, y)
            # The sclera left and right of the iris is far brighter than the pupil.
            off = 0.65 * idt.eye_width / (2 * idt.eye_spacing) * ipd
            sclera = max(_lum(cap.image, x - off, y), _lum(cap.image, x + off, y))
            assert pupil < 45 and sclera > pupil + 70, (idt.key, pupil, sclera)


def test_mouth_landmarks_sit_on_the_corners(enrolments):
    for idt, cap in enrolments:
        ipd = float(cap.landmarks[1, 0] - cap.landmarks[0, 0])
        unit = ipd / (2 * idt.eye_spacing)  # pixels per face unit
        for i, side in ((3, -1), (4, 1)):
            x, y = cap.landmarks[i]
            grey = cv2.cvtColor(cap.image, cv2.COLOR_BGR2GRAY).astype(float)
            # Along the mouth: dark line just inside the corner, skin just outside it.
            inside = min(grey[int(round(y)) + d, int(round(x - side * 0.06 * unit))]
                         for d in (-1, 0, 1))
            outside = grey[int(round(y)), int(round(x + side * 0.1 * unit))]
            assert inside < outside - 12, (idt.key, inside, outside)


def test_nose_landmark_sits_above_between_the_nostrils(enrolments):
    for idt, cap in enrolments:
        ipd = float(cap.landmarks[1, 0] - cap.landmarks[0, 0])
        unit = ipd / (2 * idt.eye_spacing)
        x, y = cap.landmarks[2]
        grey = cv2.GaussianBlur(cv2.cvtColor(cap.image, cv2.COLOR_BGR2GRAY), (5, 5), 0)
        half = int(idt.nose_width * unit)
        win = grey[int(y):int(y + 0.16 * unit), int(x) - half:int(x) + half + 1].astype(float)
        # The darkest spot on each side is a nostril: below the tip, one on either side.
        left = np.unravel_index(np.argmin(win[:, :half]), win[:, :half].shape)
        right = np.unravel_index(np.argmin(win[:, half + 1:]), win[:, half + 1:].shape)
        mid = (left[1] + right[1] + half + 1) / 2
        assert abs(mid - half) < 0.06 * unit, (idt.key, mid, half)
        assert min(left[0], right[0]) > 0.01 * unit


def test_yaw_turns_the_nose_towards_its_sign():
    idt = make_identity((0, 9))
    base = CaptureVariation.none()
    caps = {y: render_live(idt, np.random.default_rng(0),
                           dataclasses.replace(base, yaw_deg=(y, y))) for y in (-15.0, 15.0)}
    for y, cap in caps.items():
        mid_eyes = (cap.landmarks[0, 0] + cap.landmarks[1, 0]) / 2
        assert np.sign(cap.landmarks[2, 0] - mid_eyes) == np.sign(y)


def test_gate_keeps_frames_within_the_high_pose_grade():
    # An e-gate keeps the frame it takes as the traveler faces it: |yaw| within 10 degrees
    # (an open SDK's "high" pose grade), spread over that range rather than all frontal.
    rng = np.random.default_rng(3)
    yaws = np.array([draw_shot(CaptureVariation(), rng).yaw for _ in range(400)])
    assert np.abs(yaws).max() <= 10.0
    assert np.abs(yaws).max() > 9.0 and (yaws < -5).any() and (yaws > 5).any()


def _cheek_luma(cap: FaceCapture) -> float:
    (rx, ry), (lx, _) = cap.landmarks[:2]
    my = float(cap.landmarks[3:, 1].mean())
    grey = cv2.cvtColor(cap.image, cv2.COLOR_BGR2GRAY)
    return float(np.median(grey[int(ry + 0.25 * (my - ry)):int(my - 0.3 * (my - ry)),
                                int(rx):int(lx)]))


def test_camera_meters_on_the_face():
    # Face-priority exposure lifts a dark face a little (partial metering, about a stop at
    # most), as real e-gate cameras do: it stays far darker than a light one under the same
    # light, so skin tone survives (issue 13; the old renderer lifted it most of the way).
    bare = CaptureVariation.none()
    luma = {t: np.mean([_cheek_luma(render_live(make_identity((21, i), skin_tone=t),
                                                np.random.default_rng(0), bare))
                        for i in range(4)]) for t in ("I-II", "V-VI")}
    assert 0.55 * luma["I-II"] < luma["V-VI"] < 0.85 * luma["I-II"], luma


def test_tone_curve_rolls_off_highlights_instead_of_clipping():
    from sim.faces.pose import _TONE, HEADROOM

    level = np.arange(256) * HEADROOM
    assert (np.diff(_TONE.astype(int)) >= 0).all()
    linear = level <= 200
    assert np.abs(_TONE[linear] - level[linear]).max() <= 0.5
    # Up to HEADROOM x white there is still gradation, and nothing lands on 255.
    assert _TONE[-1] < 255 and _TONE[-1] - _TONE[-40] >= 2


def test_accessories_change_pixels_not_ground_truth():
    idt = make_identity((0, 3))
    bare = CaptureVariation.none()
    kit = dataclasses.replace(bare, glasses_p=1.0, hat_p=1.0, mask_p=1.0)
    a = render_live(idt, np.random.default_rng(2), bare)
    b = render_live(idt, np.random.default_rng(2), kit)
    assert b.meta["glasses"] != "none" and b.meta["hat"] != "none" and b.meta["mask"] != "none"
    assert np.array_equal(a.landmarks, b.landmarks)
    assert np.abs(a.image.astype(int) - b.image.astype(int)).mean() > 2


def test_face_patch_is_a_small_cached_head():
    idt = make_identity((0, 12))
    p = render_face_patch(idt, 32)
    assert p.shape == (32, 32, 4) and p.dtype == np.uint8
    assert p[16, 16, 3] == 255 and p[0, 0, 3] == 0 and p[31, 0, 3] == 0
    assert render_face_patch(idt, 32) is p  # cached
    back = render_face_patch(idt, 32, yaw=180)
    assert back[..., 3].sum() > 0 and not np.array_equal(back, p)


def test_bad_inputs_are_named():
    idt = make_identity((0, 1))
    with pytest.raises(ValueError, match="size"):
        render_enrolment(idt, size=(20, 20))
    with pytest.raises(ValueError, match="size"):
        render_enrolment(idt, size=(480,))
    with pytest.raises(TypeError, match="identity"):
        render_live("traveler 7", np.random.default_rng(0))
    with pytest.raises(TypeError, match="variation"):
        render_live(idt, np.random.default_rng(0), variation={"yaw_deg": (0, 0)})
    with pytest.raises(ValueError, match="size_px"):
        render_face_patch(idt, 0)
    with pytest.raises(ValueError, match="glasses_p"):
        CaptureVariation(glasses_p=1.5)
    with pytest.raises(ValueError, match="yaw_deg"):
        CaptureVariation(yaw_deg=(10.0, -10.0))
    with pytest.raises(ValueError, match="face_width_px"):
        CaptureVariation(face_width_px=(100.0, 600.0))
    with pytest.raises(ValueError, match="size"):
        CaptureVariation(size=(32, 32))


def test_bald_horseshoe_leaves_the_temples_beside_the_brows_skin():
    """A bald head's horseshoe thins out towards the face: at the temple, 0.15 face units in
    from the outline at brow height, the sprite shows skin, not a block of hair (which HOG
    read as a second pair of brows)."""
    from sim.faces.geometry import U_RANGE, V_RANGE, outline_width

    idt = dataclasses.replace(make_identity((23, 1), skin_tone="I-II"), hair_style="bald",
                              grey=0.0, hair_bgr=(0.05, 0.05, 0.06))
    L = head_layers(idt, 80.0)
    v = idt.eye_v - 0.25
    w = float(outline_width(idt, np.array([v]))[0])
    row = int(round((v - V_RANGE[0]) * 80.0))

    def albedo_at(u: float) -> np.ndarray:
        return L.albedo[row - 1:row + 2, int(round((u - U_RANGE[0]) * 80.0))].mean(0)

    for side in (-1, 1):
        temple, cheek = albedo_at(side * (w - 0.15)), albedo_at(side * (w - 0.3))
        assert np.abs(temple - cheek).max() < 0.12 * cheek.max(), (side, temple, cheek)
