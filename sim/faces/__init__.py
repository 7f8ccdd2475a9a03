"""Synthetic faces: identities that belong to no one, and their e-gate and enrolment captures.

Public API: :class:`Identity` and :func:`make_identity` (deterministic from the key),
:func:`render_enrolment`, :func:`render_live` with :class:`CaptureVariation`,
:func:`render_face_patch` for CCTV figures, and :class:`FaceCapture` (image + ground truth).
"""

from sim.faces.capture import CaptureVariation, FaceCapture
from sim.faces.identity import AGE_BANDS, SEX_PRESENTATIONS, SKIN_TONES, Identity, make_identity
from sim.faces.render import (ENROLMENT_SIZE, render_enrolment, render_face_patch,
                              render_live)

__all__ = ["AGE_BANDS", "ENROLMENT_SIZE", "SEX_PRESENTATIONS", "SKIN_TONES", "CaptureVariation",
           "FaceCapture", "Identity", "make_identity", "render_enrolment", "render_face_patch",
           "render_live"]
