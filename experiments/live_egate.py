"""``live`` recognizer mode: e-gates that render the traveler's face and run the real pipeline.

At the gate the traveler's passport chip photo (the synthetic identity's enrolment photo) is
read and turned into a template, a live capture is rendered with the capture variation, and the
pipeline decides pass / reject / failure to acquire at the calibrated threshold. The measured
time of both extractions and the comparison is the recognizer's share of the transaction.

Privacy as at a real gate: templates are held in memory for the run only, never written;
travelers who did not consent never reach an e-gate (the terminal model sends them to a desk),
so they are never enrolled here. Captures are rendered from a per-traveler seed, so a traveler's
face and capture do not depend on who else went through the gates.

With a scenario ``watchlist``, planted travelers' identities (plus extra listed identities) form
a 1:N gallery; every e-gate capture is searched in it and the results are recorded.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
import pandas as pd

from experiments.calibrate import renderer_fingerprint
from pipeline.calibration import DEFAULT_FMR, OperatingPoint, operating_point
from pipeline.matching import NumpyGallery
from pipeline.recognizer import FTA, MATCH, Recognizer
from sim.verifier import GateDecision, GateOutcome

RECOGNITION_COLUMNS = [
    "traveler_id", "time", "attempt", "score", "threshold", "calibrated", "decision", "genuine",
    "enrol_acquired", "n_faces", "detect_s", "align_s", "embed_s", "match_s", "enrol_s",
    "total_s", "skin_tone", "age_band", "sex_presentation", "photo_age_years", "look_alike_of",
    "look_alike_kind"]
SEARCH_COLUMNS = ["traveler_id", "time", "mated", "mate_rank", "mate_score", "top_id",
                  "top_score", "threshold", "hit", "search_s"]
WATCHLIST_STREAM = 0x5741  # separates the watchlist's draws from the terminal's generator
_OUTCOME = {MATCH: GateOutcome.passed, FTA: GateOutcome.failure_to_acquire}


LOOK_ALIKE_STREAM = 0x100C  # the look-alike draw's own stream, per traveler


def _identity(traveler, look_alikes=None) -> tuple:
    """The traveler's face today, and whom they look like: (traveler id, "twin"/"sibling"), or
    (-1, "") for nobody.

    A look-alike is a sibling or twin of the face the previous traveler id would have with this
    traveler's demographics: the previous traveler's own face when theirs are the same."""
    from sim.faces import make_identity, relative

    key = tuple(traveler.identity_key)
    demo = {"skin_tone": traveler.skin_tone, "age_band": traveler.age_band,
            "sex_presentation": traveler.sex}
    idt = make_identity(key, **demo)
    if look_alikes is None or look_alikes.share <= 0 or key[1] == 0:
        return idt, (-1, "")
    draw = np.random.default_rng([*key, LOOK_ALIKE_STREAM]).random(2)
    if draw[0] >= look_alikes.share:
        return idt, (-1, "")
    kind = "twin" if draw[1] < look_alikes.twin_share else "sibling"
    root = make_identity((key[0], key[1] - 1), **demo)
    return relative(root, key, kind), (traveler.id - 1, kind)


def change_settings(config) -> "ChangeSettings":
    """sim.faces.ChangeSettings from a scenario's ``recognizer.appearance_change``."""
    from sim.faces import ChangeSettings

    return ChangeSettings(enabled=config.enabled, photo_age_years=(0.0, config.photo_age_years_max),
                          weight_sd_bmi=config.weight_sd_bmi, hairstyle_p=config.hairstyle_change,
                          facial_hair_p=config.facial_hair_change, glasses_p=config.glasses)


class Watchlist:
    """The 1:N gallery: planted travelers join it the first time they are seen (their
    demographics, and so their face, are drawn by the terminal model), extra identities at once."""

    def __init__(self, scenario, recognizer: Recognizer, identity_seed: int, threshold: float):
        from sim.faces import make_identity, render_live

        w = scenario.watchlist
        self.top_k, self.threshold, self.recognizer = w.top_k, threshold, recognizer
        n_travelers = sum(f.passengers for f in scenario.flights.schedule)
        rng = np.random.default_rng([scenario.seed, identity_seed, WATCHLIST_STREAM])
        picks = rng.choice(n_travelers, size=min(w.planted, n_travelers), replace=False)
        self.planted = {int(i) for i in picks}
        self.gallery = NumpyGallery(recognizer.embedder.dim, recognizer.metric)
        self._render = render_live
        self._seed = identity_seed
        self._look_alikes = scenario.immigration.recognizer.look_alikes
        # Listed people who never travel: keys outside any traveler's (identity_seed, id) space.
        for j in range(w.extra_identities):
            idt = make_identity((identity_seed + WATCHLIST_STREAM, j))
            self._enrol(f"extra-{j}", idt, np.random.default_rng([identity_seed, j, 1]))

    def _enrol(self, template_id: str, identity, rng) -> None:
        # A watchlist photo is another capture of the person, not their passport photo.
        t = self.recognizer.extract(self._render(identity, rng).image)
        if t.acquired:
            self.gallery.add([template_id], t.vector[None, :])

    def search(self, traveler, probe_vector: np.ndarray) -> tuple:
        tid = f"traveler-{traveler.id}"
        if traveler.id in self.planted and tid not in self.gallery:
            self._enrol(tid, _identity(traveler, self._look_alikes)[0],
                        np.random.default_rng([self._seed, traveler.id, 2]))
        cands = self.gallery.search(probe_vector, self.top_k)
        mate = next((c for c in cands if c.template_id == tid), None)
        top = cands[0] if cands else None
        return (traveler.id in self.planted,
                mate.rank if mate else math.nan, mate.score if mate else math.nan,
                top.template_id if top else "", top.score if top else math.nan,
                self.threshold, bool(top and top.score >= self.threshold))


class LiveGateVerifier:
    """A :class:`sim.verifier.GateVerifier` running the real pipeline on rendered captures."""

    def __init__(self, scenario, recognizer: Recognizer, op: OperatingPoint, identity_seed: int,
                 watchlist_op: OperatingPoint | None = None):
        self.recognizer, self.op, self.identity_seed = recognizer, op, identity_seed
        rc = scenario.immigration.recognizer
        self.change, self.look_alikes = change_settings(rc.appearance_change), rc.look_alikes
        self._attempts: dict[int, int] = {}
        self._templates: dict[int, np.ndarray | None] = {}  # in memory only, never persisted
        self._rows: list[tuple] = []
        self._searches: list[tuple] = []
        w = scenario.watchlist
        self.watchlist = (Watchlist(scenario, recognizer, identity_seed, watchlist_op.threshold)
                          if watchlist_op is not None and (w.planted or w.extra_identities) else None)

    def _reference(self, traveler, identity, change) -> tuple[np.ndarray | None, float]:
        """The chip photo's template (the traveler as the photo shows them: ``change``, taken
        in a studio of its own); the gate extracts it at every attempt (time counted)."""
        from sim.faces import enrolment_identity, render_enrolment
        from sim.faces.render import STANDARD_STUDIO, draw_studio

        studio = (draw_studio(np.random.default_rng([self.identity_seed, traveler.id, 0x57D]))
                  if self.change.enabled else STANDARD_STUDIO)
        photo = render_enrolment(enrolment_identity(identity, change), studio=studio)
        t = self.recognizer.extract(photo.image)
        return t.vector, t.latency.total_s

    def verify(self, traveler, capture_time: float) -> GateDecision:
        from sim.faces import render_live

        if not traveler.consent:  # the model never sends them here; refuse to enrol if it did
            raise ValueError(f"traveler {traveler.id} did not consent to biometric processing")
        attempt = self._attempts.get(traveler.id, 0)
        self._attempts[traveler.id] = attempt + 1
        from sim.faces import draw_change

        identity, (kin_of, kin_kind) = _identity(traveler, self.look_alikes)
        # The change since the photo belongs to the traveler, not to the attempt.
        change = draw_change(np.random.default_rng([self.identity_seed, traveler.id, 0xC4A]),
                             identity, self.change)
        reference, enrol_s = self._reference(traveler, identity, change)
        rng = np.random.default_rng([self.identity_seed, traveler.id, 0, attempt])
        glasses = change.glasses if self.change.enabled else None
        probe = self.recognizer.extract(render_live(identity, rng, None, glasses).image)
        if reference is None and probe.acquired:
            # The chip photo gave no template: the gate cannot match and refers to a desk.
            outcome, score, lat = GateOutcome.rejected, math.nan, probe.latency
        else:
            result = self.recognizer.compare(probe, reference, self.op.threshold)
            outcome = _OUTCOME.get(result.outcome, GateOutcome.rejected)
            score, lat = result.score, result.latency
        duration = enrol_s + lat.total_s
        self._rows.append((
            traveler.id, capture_time, attempt, score, self.op.threshold, self.op.calibrated,
            outcome.value, True, reference is not None, probe.n_faces, lat.detect_s, lat.align_s,
            lat.embed_s, lat.match_s, enrol_s, duration, traveler.skin_tone, traveler.age_band,
            traveler.sex, change.photo_age_years, kin_of, kin_kind))
        if self.watchlist is not None and probe.acquired:
            t0 = time.perf_counter()
            found = self.watchlist.search(traveler, probe.vector)
            self._searches.append((traveler.id, capture_time, *found, time.perf_counter() - t0))
        return GateDecision(outcome, duration_s=duration, score=score)

    def frames(self) -> dict[str, pd.DataFrame]:
        """``recognition``: one row per e-gate attempt (every traveler here is genuine: they
        present their own passport). ``watchlist_searches``: one row per 1:N search;
        ``watchlist_hits``: the searches whose best candidate reached the threshold."""
        out = {"recognition": pd.DataFrame.from_records(self._rows, columns=RECOGNITION_COLUMNS)}
        if self.watchlist is not None:
            s = pd.DataFrame.from_records(self._searches, columns=SEARCH_COLUMNS)
            out["watchlist_searches"] = s
            out["watchlist_hits"] = s[s["hit"]].reset_index(drop=True)
        return out


def live_verifier_factory(scenario, backend: str = "dlib", model_dir: str | None = None,
                          fmr: float = DEFAULT_FMR, calibration_file: str | None = None,
                          ) -> Callable[..., LiveGateVerifier]:
    """A factory the runner calls once per replication: ``make(scenario, rng, identity_seed)``.

    The recognizer is built and its models loaded once, here; each replication gets a fresh
    verifier (fresh in-memory templates and records).
    """
    recognizer = Recognizer.from_backend(backend, model_dir=model_dir).prepare()
    # Decisions on airtwin's own faces: the calibration must match this pipeline and renderer.
    prints = {"pipeline": recognizer.fingerprint(), "renderer": renderer_fingerprint()}
    op = operating_point(backend, recognizer.model, fmr, calibration_file, **prints)
    w_op = None
    if scenario.watchlist.planted or scenario.watchlist.extra_identities:
        w_op = operating_point(backend, recognizer.model, scenario.watchlist.threshold_fmr,
                               calibration_file, **prints)

    def make(scn, rng: np.random.Generator, identity_seed: int = 0) -> LiveGateVerifier:
        return LiveGateVerifier(scn, recognizer, op, identity_seed, w_op)

    make.recognizer, make.operating_point = recognizer, op
    return make
