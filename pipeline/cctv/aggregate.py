"""A track's best faces, and when its one 1:N search is (re)run.

A person crossing a camera shows many faces of mixed quality. Searching each would multiply the
false identifications by the number of frames (FPIR is per search); instead each track keeps its
``k`` best faces (by :attr:`FaceQuality.value`) and searches once with their quality-weighted
mean template. It searches again only when a clearly better face joins the best ``k``
(its quality exceeds the best searched so far by ``research_gain``), so a track that comes closer
to the camera gets a second chance, while a steady stream of similar faces costs nothing.

**Identity segments.** A person tracker sometimes moves a track onto another person (a swap in a
crowd, a wrong re-link); the faces before and after are then two people, and a search over
their mean answers for neither. With ``segment_min_cosine`` set, a new face whose template's
cosine with the track's current template is below it (both faces large enough to judge,
``segment_min_ipd_px``) is a different person: the stream ends the track there and starts a new
one with that face (:meth:`TrackFaces.disagrees`). To notice a change at all, the track embeds
a face at least every ``verify_interval_s`` even when it would not join the best k.

**One person per search.** A track that moves onto another person without a split (the change
came in a small face, or no identity check caught it) mixes two people's faces in its best k,
and their mean answers for neither. With ``consistent_min_cosine`` set, the search uses only
the faces of the track's largest consistent group: the track keeps every face it embedded
(templates of a live track only, at most ``max_kept``), the group around each face is the faces
whose cosine with it reaches the threshold, and the template is the quality-weighted mean of the
best ``k`` of the largest group (:meth:`TrackFaces.search_faces`). A track of one person keeps
all its faces, so its search is the same as without the rule.

**Links on probation.** The re-linker (:mod:`pipeline.cctv.relink`) and the swap guard
(:mod:`pipeline.cctv.swaps`) continue a track with a fragment on motion and clothing alone.
The stream marks the link (:meth:`TrackFaces.mark_link`); the first judgeable face after it
(IPD at least ``link_min_ipd_px``) is compared with the faces from before it, and when their
cosine is below ``link_min_cosine`` the two sides are two people: the stream ends the track
at that face and continues the fragment as a new one (:meth:`TrackFaces.contradicts_link`).

**A claim against the track's earlier searches.** Two walkers in line share one track's box
and the face it sees can change from one to the other (the one behind is hidden, then the one in
front turns up; an ID switch the swap guard missed): the track's first searches name one person,
its later ones the other, and the later claim names the wrong walker as often as not. With
``claim_conflict_score`` set, a search whose best score reaches the threshold claims only when
no earlier search of the track named another candidate first at that score or above
(:meth:`TrackFaces.claim_conflicts`); otherwise the search is made and returned, but claims
nobody.

Only templates are kept, never images; a track that ends without a match is forgotten whole
(:meth:`TrackFaces.forget`), so a face that matches nothing is never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.cctv.quality import MAX_VALUE, FaceQuality
from pipeline.matching import normalise

__all__ = ["AggregationConfig", "TrackFace", "TrackFaces"]


@dataclass(frozen=True, slots=True)
class AggregationConfig:
    k: int = 5  # best faces kept per track
    min_faces: int = 1  # faces before the first search
    # A new best face this much better than the searched one. At 1.15 a track approaching the
    # camera spent its four searches by 24 px IPD and never searched its 40+ px faces; at 1.4
    # the searches fall at about 16, 22, 31 and 44 px.
    research_gain: float = 1.4
    max_searches: int = 4  # per track
    # Embedding is the stream's dearest step (an int8 ArcFace is ~35 ms per face on one core):
    # a track embeds a face only when it would join the best k, and at most once per
    # ``embed_interval_s``, so 20 people in view cost a few embeddings per frame, not 20.
    embed_interval_s: float = 0.3
    # Identity segments (module docstring; None: off). Chosen on tune seeds 1 and 2 (1330-1390
    # s, the three face cameras, insightface; ``python -m experiments.cctv_segment_tune``): of
    # 695 embedded faces compared with their track's earlier faces of the same person, 3 fall
    # below 0.5 (0.40-0.49, two of them at a swap), while the first face after 9 of the 11
    # changes of person is at 0.17-0.47 (one at 0.57, one at 0.88); 8 of 110 mated searches
    # had been made on such a mixed track, and all 8 failed. Tuned on ArcFace (insightface)
    # templates only; another embedder's cosines sit elsewhere and need their own threshold.
    # Off by default: the tune runs with segments on did not finish, so no tune seed showed a
    # gain, and held-out seeds 101-103 (identify-cctv --identity-segments 0.5, one minute)
    # showed none either (rank-1 0.817 off / 0.818 on, IDF1 up to 0.046 lower on).
    segment_min_cosine: float | None = None
    segment_min_ipd_px: float = 16.0  # both faces at least this large to judge a change
    verify_interval_s: float | None = None  # embed a face at least this often (None: never)
    # One person per search (module docstring; None: off): two faces are of one person when
    # their cosine reaches this. Chosen on tune seeds 1-3 (1330-1390 s; ``python -m
    # experiments.cctv_segment_tune pairs``): the cosine of a track's first two embedded faces
    # is 0.21-0.42 for the 5 pairs that show two people and median 0.87 for the 244 of one
    # person, of which 5 (all 16-17 px IPD) fall below 0.45. ArcFace (insightface) templates
    # only; another embedder's cosines sit elsewhere and need their own threshold.
    # 0.55 with claim_conflict_score (stop 36, experiments.cctv_pure): two walkers in line at
    # 0.45-0.50 fell into one group; at 0.55 rank-1 of the stream's searches rose on tune seeds
    # 1-4 and check seeds 5-8 (0.8895 -> 0.8912, 0.8889 -> 0.8907, whole manifest), but on
    # held-out 101-103 and 106 (replayed recordings) it lost: wrong-person claims 7 -> 10,
    # rank-1 0.8799 -> 0.8774; 0.45 stays.
    consistent_min_cosine: float | None = 0.45
    max_kept: int = 32  # faces a live track keeps for the consistency check (lowest dropped)
    # Links on probation (module docstring; None: off). The same tune pairs as
    # consistent_min_cosine: two people 0.21-0.42; the 5 of 244 one-person pairs below 0.45
    # all have a face under 18 px, so both sides' faces must reach 20 px to veto a link.
    link_min_cosine: float | None = 0.45
    link_min_ipd_px: float = 20.0
    # A claim against the track's earlier searches (module docstring; None: off). Chosen with
    # consistent_min_cosine 0.55 on tune seeds 1-4 (``python -m experiments.cctv_pure compare``,
    # corridor_far 1270-1510 s, whole manifest, replayed recordings): wrong-person claims 5 -> 3
    # (whole manifest) and 3.5 -> 2.5 (N = 234), rank-1 not lower, FNIR +0.0009 at N = 234;
    # 0.55 and 0.60 alike, 0.65 let one more through. Check seeds 5-8: 4 -> 3 and 2.5 -> 2.0,
    # FNIR not higher over all, +1 search in 60 at IPD >= 40 px at N = 234 (docs/cctv.md).
    # Off: held out (101-103, 106) it gained nothing over the 0.55 group, which lost there
    # (wrong-person claims 7 -> 10 with either; FNIR at IPD >= 40 px 0.500 -> 0.515).
    claim_conflict_score: float | None = None

    def __post_init__(self):
        if self.k < 1 or self.min_faces < 1 or self.min_faces > self.k:
            raise ValueError(f"AggregationConfig: need 1 <= min_faces <= k, got "
                             f"min_faces={self.min_faces}, k={self.k}")
        if not self.embed_interval_s >= 0:
            raise ValueError(f"AggregationConfig.embed_interval_s must be >= 0, got "
                             f"{self.embed_interval_s}")
        if self.segment_min_cosine is not None and not -1 <= self.segment_min_cosine <= 1:
            raise ValueError(f"AggregationConfig.segment_min_cosine must be in [-1, 1] or None, "
                             f"got {self.segment_min_cosine}")
        if self.consistent_min_cosine is not None and not -1 <= self.consistent_min_cosine <= 1:
            raise ValueError(f"AggregationConfig.consistent_min_cosine must be in [-1, 1] or "
                             f"None, got {self.consistent_min_cosine}")
        if self.max_kept < self.k:
            raise ValueError(f"AggregationConfig.max_kept must be >= k ({self.k}), got "
                             f"{self.max_kept}")
        if self.link_min_cosine is not None and not -1 <= self.link_min_cosine <= 1:
            raise ValueError(f"AggregationConfig.link_min_cosine must be in [-1, 1] or None, "
                             f"got {self.link_min_cosine}")
        if self.claim_conflict_score is not None and not -1 <= self.claim_conflict_score <= 1:
            raise ValueError(f"AggregationConfig.claim_conflict_score must be in [-1, 1] or "
                             f"None, got {self.claim_conflict_score}")
        if self.verify_interval_s is not None and not self.verify_interval_s > 0:
            raise ValueError(f"AggregationConfig.verify_interval_s must be > 0 or None, got "
                             f"{self.verify_interval_s}")


@dataclass(frozen=True, slots=True)
class TrackFace:
    t: float
    quality: FaceQuality
    vector: np.ndarray  # L2-normalised template


@dataclass
class TrackFaces:
    track_id: int
    config: AggregationConfig = field(default_factory=AggregationConfig)
    best: list[TrackFace] = field(default_factory=list)  # best first
    kept: list[TrackFace] = field(default_factory=list)  # every embedded face (max_kept best)
    first_face_t: float | None = None
    searched_quality: float = 0.0  # best face quality at the last search (0: never searched)
    searches: int = 0
    last_embed_t: float = float("-inf")
    link_t: float | None = None  # a link on probation since this time (None: none)
    # each search's first candidate and its score (claim_conflict_score; a live track's only)
    named: list[tuple[str, float]] = field(default_factory=list)

    def wants_face(self, quality: FaceQuality, t: float) -> bool:
        """Whether a face of this quality, seen at ``t``, is worth embedding: the last embedding
        is old enough, and either an identity check is due (identity segments) or the face
        would join the best k of a track that can still search again."""
        c = self.config
        if t - self.last_embed_t < c.embed_interval_s:
            return False
        if (c.verify_interval_s is not None and self.best
                and t - self.last_embed_t >= c.verify_interval_s
                and quality.ipd_px >= c.segment_min_ipd_px):
            return True  # an identity check (identity segments)
        if self.link_t is not None and t >= self.link_t and quality.ipd_px >= c.link_min_ipd_px:
            return True  # a link on probation
        if not self.can_search_again():
            return False
        return len(self.best) < c.k or quality.value > self.best[-1].quality.value

    def can_search_again(self) -> bool:
        """Whether a new face could still lead to a search, so embedding it can change a
        decision. After its first search a track searches again only when its best face's value
        beats the searched one's by ``research_gain`` (:meth:`wants_search`), and no face's
        value exceeds :data:`~pipeline.cctv.quality.MAX_VALUE`: once searched value x gain
        reaches that, no face can trigger a search and embedding more costs CPU for nothing
        (tests/cctv_speed holds this rule to wants_search)."""
        c = self.config
        if self.searches >= c.max_searches:
            return False
        return self.searches == 0 or self.searched_quality * c.research_gain < MAX_VALUE

    def agreement(self, face: TrackFace) -> float:
        """Cosine of ``face``'s template with the track's template over its judgeable faces
        (NaN when the track has none, or ``face`` is too small to judge)."""
        c = self.config
        ref = [f for f in self.best if f.quality.ipd_px >= c.segment_min_ipd_px]
        if not ref or face.quality.ipd_px < c.segment_min_ipd_px:
            return float("nan")
        return float(self.template(ref) @ face.vector)

    def disagrees(self, face: TrackFace, cosine: float | None = None) -> bool:
        """Whether ``face`` is another person than this track's faces so far (identity
        segments on, both judgeable, cosine below ``segment_min_cosine``); ``cosine``: its
        :meth:`agreement`, when already computed."""
        thr = self.config.segment_min_cosine
        if thr is None:
            return False
        return (self.agreement(face) if cosine is None else cosine) < thr

    def mark_link(self, t: float) -> None:
        """The track was continued by another fragment at ``t`` (a re-link, a swap guard's
        rejoin): its next judgeable face is checked against its faces from before."""
        if self.config.link_min_cosine is not None and self._before_link(t):
            self.link_t = t

    def _before_link(self, t: float) -> list[TrackFace]:
        c = self.config
        return [f for f in (self.kept or self.best)
                if f.t < t and f.quality.ipd_px >= c.link_min_ipd_px]

    def contradicts_link(self, face: TrackFace) -> bool:
        """Whether ``face``, after a link on probation, shows another person than the faces
        from before the link; a judgeable face ends the probation either way."""
        c = self.config
        if self.link_t is None or face.t < self.link_t or face.quality.ipd_px < c.link_min_ipd_px:
            return False
        before = self._before_link(self.link_t)
        self.link_t = None
        return bool(before) and float(self.template(before) @ face.vector) < c.link_min_cosine

    def add(self, face: TrackFace) -> None:
        if self.first_face_t is None:
            self.first_face_t = face.t
        self.last_embed_t = face.t
        self.best.append(face)
        self.best.sort(key=lambda f: -f.quality.value)
        del self.best[self.config.k:]
        if self.config.consistent_min_cosine is not None:
            self.kept.append(face)
            if len(self.kept) > self.config.max_kept:
                self.kept.remove(min(self.kept, key=lambda f: f.quality.value))

    @property
    def best_quality(self) -> float:
        return self.best[0].quality.value if self.best else 0.0

    def wants_search(self) -> bool:
        c = self.config
        if len(self.best) < c.min_faces or self.searches >= c.max_searches:
            return False
        if self.searches == 0:
            return True
        return self.best_quality > self.searched_quality * c.research_gain

    def search_faces(self) -> list[TrackFace]:
        """The faces a search uses, best first: the best k, or with ``consistent_min_cosine``
        set the best k of the largest group of faces that agree with one face of the track
        (ties: the group of larger summed quality, then the earlier face)."""
        thr = self.config.consistent_min_cosine
        if thr is None or len(self.kept) < 2:
            return list(self.best)
        v = np.stack([f.vector for f in self.kept])
        together = (v @ v.T) >= thr
        value = np.array([f.quality.value for f in self.kept])
        size = together.sum(1)
        mass = together.astype(float) @ value
        seed = max(range(len(self.kept)), key=lambda i: (size[i], mass[i], -i))
        group = [f for f, keep in zip(self.kept, together[seed]) if keep]
        group.sort(key=lambda f: -f.quality.value)
        return group[:self.config.k]

    def claim_conflicts(self, candidate: str) -> bool:
        """Whether a claim of ``candidate`` contradicts the track's earlier searches
        (``claim_conflict_score``, module docstring): one of them named another candidate first
        at that score or above. Always False with the setting off."""
        thr = self.config.claim_conflict_score
        return thr is not None and any(c != candidate and score >= thr
                                       for c, score in self.named)

    def template(self, faces: list[TrackFace] | None = None) -> np.ndarray:
        """Quality-weighted mean of ``faces``' templates (default: :meth:`search_faces`),
        L2-normalised."""
        faces = self.search_faces() if faces is None else faces
        if not faces:
            raise ValueError(f"track {self.track_id} has no face to make a template from")
        w = np.array([max(f.quality.value, 1e-6) for f in faces], np.float32)
        v = np.stack([f.vector for f in faces])
        return normalise((w[:, None] * v).sum(0))

    def mark_searched(self, first: tuple[str, float] | None = None) -> None:
        """A search was made; ``first``: its first candidate (template id, score)."""
        if first is not None:
            self.named.append(first)
        self.searches += 1
        self.searched_quality = self.best_quality

    def forget(self) -> None:
        """Drop every template (the track matched nothing, or ended)."""
        self.best.clear()
        self.kept.clear()
        self.named.clear()
