"""Who the CCTV search can name: three gallery policies, built from plain enrolment records.

- ``watchlist`` (the default): only the listed identities. Nobody else is searchable.
- ``manifest``: the enrolment photos of the travelers on the arriving flights (as border agencies
  build galleries from passenger manifests), plus the watchlist. A traveler who did not consent
  to biometric processing is never enrolled, whatever the caller passes.
- ``population``: the manifest plus extra enrolled identities (at least
  :data:`POPULATION_MIN_EXTRA`): the "everyone's photo" case.

``manifest`` and ``population`` must be named: :func:`check_policy` refuses anything else, and
reports mark them (:attr:`Gallery.marked`). Search is exact 1:N over
:class:`pipeline.matching.NumpyGallery` (1M 512-d templates are 2 GB of float32); a gallery that
would not fit in the memory available is refused before anything is allocated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.matching import NumpyGallery

__all__ = ["DEFAULT_POLICY", "POLICIES", "POPULATION_MIN_EXTRA", "Gallery", "GalleryError",
           "GalleryTooLarge", "build_gallery", "check_policy", "available_memory"]

POLICIES = ("watchlist", "manifest", "population")
DEFAULT_POLICY = "watchlist"
POPULATION_MIN_EXTRA = 100_000
ENROLMENT_COLUMNS = ("template_id", "traveler_id", "consent", "watchlist")


class GalleryError(ValueError):
    """A gallery request that breaks a policy rule or gets malformed records."""


class GalleryTooLarge(GalleryError, MemoryError):
    """The gallery would not fit in the memory available (checked before allocating)."""


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise GalleryError(f"gallery policy {policy!r} is unknown (known: {', '.join(POLICIES)}; "
                           f"the default is {DEFAULT_POLICY!r})")
    return policy


def available_memory() -> int:
    """Bytes of physical memory available now (Linux ``MemAvailable``; total pages elsewhere)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


@dataclass(frozen=True)
class Gallery:
    policy: str
    store: NumpyGallery
    traveler_of: dict[str, int]  # template id -> traveler id (-1: an extra population identity)
    watchlist_ids: frozenset[str]
    n_excluded_no_consent: int

    @property
    def size(self) -> int:
        return len(self.store)

    @property
    def marked(self) -> bool:
        """True for the policies every report must flag (everyone-on-board or everyone)."""
        return self.policy != DEFAULT_POLICY

    def label(self) -> str:
        mark = " [MASS-ENROLMENT POLICY]" if self.marked else ""
        return f"{self.policy} (N={self.size:,}){mark}"


def _check_records(enrolments: pd.DataFrame, templates: np.ndarray) -> None:
    missing = [c for c in ENROLMENT_COLUMNS if c not in enrolments.columns]
    if missing:
        raise GalleryError(f"enrolments: missing column(s) {', '.join(missing)} "
                           f"(need {', '.join(ENROLMENT_COLUMNS)})")
    if len(enrolments) != len(templates):
        raise GalleryError(f"enrolments: {len(enrolments)} rows but {len(templates)} templates")


def build_gallery(enrolments: pd.DataFrame, templates: np.ndarray, policy: str = DEFAULT_POLICY,
                  extra_templates: np.ndarray | None = None,
                  memory_bytes: int | None = None) -> Gallery:
    """The gallery ``policy`` allows from ``enrolments`` (one row per template: template_id,
    traveler_id, consent, watchlist) and their ``templates`` (rows, L2-normalised).
    ``extra_templates`` are the population's extra identities (population only).
    ``memory_bytes`` (default: :func:`available_memory`) bounds the gallery's size."""
    check_policy(policy)
    templates = np.atleast_2d(np.asarray(templates, np.float32))
    _check_records(enrolments, templates)
    if policy == "population":
        n_extra = 0 if extra_templates is None else len(extra_templates)
        if n_extra < POPULATION_MIN_EXTRA:
            raise GalleryError(f"population policy: needs at least {POPULATION_MIN_EXTRA:,} extra "
                               f"enrolled identities, got {n_extra:,}")
    elif extra_templates is not None and len(extra_templates):
        raise GalleryError(f"{policy} policy: extra identities belong to the population policy "
                           f"only (got {len(extra_templates):,})")
    wl = enrolments["watchlist"].astype(bool).to_numpy()
    consent = enrolments["consent"].astype(bool).to_numpy()
    if policy == "watchlist":
        keep = wl
    else:  # a listed identity is searched whatever its consent; nobody else without it
        keep = wl | consent
    n_excluded = int((~wl & ~consent).sum()) if policy != "watchlist" else 0
    rows = enrolments[keep]
    extra = (np.zeros((0, templates.shape[1]), np.float32) if extra_templates is None
             else np.atleast_2d(np.asarray(extra_templates, np.float32)))
    n = int(keep.sum()) + len(extra)
    need = n * templates.shape[1] * 4
    budget = available_memory() if memory_bytes is None else int(memory_bytes)
    if need > 0.8 * budget:  # leave room for the probes, the score row and everything else
        raise GalleryTooLarge(f"{policy} gallery of {n:,} {templates.shape[1]}-d templates needs "
                              f"{need / 2**30:.2f} GiB, more than 80% of the "
                              f"{budget / 2**30:.2f} GiB available; shard it "
                              f"(pipeline.gallery.shards) or use a smaller gallery")
    store = NumpyGallery(templates.shape[1])
    store.reserve(n)
    ids = rows["template_id"].astype(str).tolist()
    store.add(ids, templates[keep])
    traveler_of = dict(zip(ids, rows["traveler_id"].astype(int)))
    if len(extra):
        extra_ids = [f"pop{i:07d}" for i in range(len(extra))]
        for lo in range(0, len(extra), 65_536):  # bounded temporaries while normalising
            store.add(extra_ids[lo:lo + 65_536], extra[lo:lo + 65_536])
        traveler_of.update(dict.fromkeys(extra_ids, -1))
    watch = frozenset(rows.loc[rows["watchlist"].astype(bool), "template_id"].astype(str))
    return Gallery(policy, store, traveler_of, watch, n_excluded)
