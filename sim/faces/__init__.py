"""Synthetic faces: identities that belong to no one, and their e-gate and enrolment captures.

Public API: :class:`Identity` and :func:`make_identity` (deterministic from the key),
:func:`draw_change` and :func:`enrolment_identity` (the person as their older photo shows them),
:func:`relative` (siblings and twins),
:func:`render_enrolment`, :func:`render_live` with :class:`CaptureVariation`,
:func:`render_face_patch` for CCTV figures, and :class:`FaceCapture` (image + ground truth).
"""

from sim.faces.capture import CaptureVariation, FaceCapture
from sim.faces.change import (AppearanceChange, ChangeSettings, draw_change, enrolment_identity,
                              relative)
from sim.faces.identity import AGE_BANDS, SEX_PRESENTATIONS, SKIN_TONES, Identity, make_identity
from sim.faces.render import (ENROLMENT_SIZE, render_enrolment, render_face_patch,
                              render_live)

__all__ = ["AGE_BANDS", "ENROLMENT_SIZE", "SEX_PRESENTATIONS", "SKIN_TONES", "AppearanceChange",
           "CaptureVariation", "ChangeSettings", "FaceCapture", "draw_change", "enrolment_identity",
           "relative", "Identity", "make_identity", "render_enrolment", "render_face_patch",
           "render_live"]
