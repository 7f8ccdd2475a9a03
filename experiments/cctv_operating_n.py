"""The CCTV operating point against gallery size N: how the non-mated top score grows with N,
FPIR and FNIR at a threshold for each N, and a threshold that follows N (tune seeds only).

    python -m experiments.cctv_operating_n cache RUN1:RUN1.npz ... --out SCORES_DIR
    python -m experiments.cctv_operating_n table SCORES_DIR/s1.npz ... [--threshold 0.698]
    python -m experiments.cctv_operating_n fit SCORES_DIR/s1.npz ... --fpir 0.01
    python -m experiments.cctv_operating_n check SCORES_DIR/s5.npz ... --rule A,B
    python -m experiments.cctv_operating_n render --n 2000 --out RENDERED.npz
    python -m experiments.cctv_operating_n cache RUN1:RUN1.npz ... --rendered RENDERED.npz --out DIR

``cache``: each search of a ``cctv_rank1 run --faces`` recording replayed (the stream's own
probe, :func:`experiments.cctv_rank1_trace.replay`), scored against every enrolled template of
the run (``--holdout 0``: the whole manifest) and against face-like extra identities
(:func:`experiments.cctv_identify.face_like_templates`, fitted on another seed's enrolment
templates: never the run's own travelers), kept as scores only. Every search gives

- a **mated** search at size N: its traveler's template plus N - 1 of the others;
- a **non-mated** search at size N: N of the templates that are neither its traveler nor a
  person whose face the search used (a track's faces can be a second walker's: that person is
  not an impostor), the leave-one-out non-mated search of a whole-manifest run.

FPIR and FNIR at a manifest size N are exact expectations over all galleries of N drawn from
the run's manifest (hypergeometric; no sampling noise), the whole manifest at N = all.
Population sizes are the whole manifest plus the first E extras. FNIR is 1 - rank-1 at the
threshold (mate first and >= threshold), as :func:`pipeline.cctv.metrics.fnir_fpir`.

``render`` / ``cache --rendered``: the extras as rendered faces instead of the face-like model:
enrolment photos of synthetic identities outside every run (``make_identity((RENDER_SEED, i))``,
demographics drawn uniformly), detected and embedded by the insightface backend like the
manifest's, so the sizes ``+E`` are the whole manifest plus the first E of them. They check the
model's extrapolation where rendering reaches (a few thousand): the face-like extras are drawn
about the templates' mean and may score lower against a probe than real synthetic faces do.

``fit``: the threshold that holds a target FPIR at each N, extreme-value style (peaks over a
threshold): each non-mated probe's impostor scores above its 24th highest get a generalised
Pareto tail, the shape pooled over probes (negative: a cosine's tail is lighter than
exponential; shape 0 over-predicted FPIR 2-5x where the manifest reaches), the scale the
probe's own; the expected FPIR at size N is the mean over probes of ``1 - (1 - tail(t)) ** N``,
solved for t at each N and summarised as ``t(N) = a + b ln N``
(:class:`pipeline.cctv.operating.SizedThreshold`); beside it, the model-free threshold at
each manifest size. ``check``: FPIR and FNIR of a rule (or a fixed threshold; ``--rule
shipped``: the recogniser's own) on other seeds, per N. Held-out seeds are refused; the lead
scores a frozen rule on them with ``--held-out-report`` (``fit`` refuses them always).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.cctv_identify import POOL_SIZE
from experiments.cctv_track_tune import HELD_OUT

MANIFEST_SIZES = (120, 234)  # and the whole manifest (~470 on cctv_identification.yaml)
EXTRA_SIZES = (1_000, 10_000, 100_000)
INSIGHTFACE_EMBEDDER = "arcface:w600k_mbf_int8"  # every CCTV recording's and run's recogniser
RENDERED_SIZES = (500, 1_000, 2_000)
RENDER_SEED = 9_000_001  # the rendered extras' identity keys' seed: nobody in any run
TAIL_K = 24  # impostor scores per probe above the tail's threshold (~5 % of a 470 manifest)


@dataclass(frozen=True)
class SearchScores:
    """One run's searches as scores: ``scores`` (searches x manifest), ``mate`` (the column of
    the search's traveler, -1: not enrolled), ``foreign`` (searches x manifest: the columns that
    are no impostor of the search: its traveler and the persons of its faces), ``ipd`` (the
    largest face used), ``extra_max`` (searches x EXTRA_SIZES: the best extra's score)."""
    seed: int
    scores: np.ndarray
    mate: np.ndarray
    foreign: np.ndarray
    ipd: np.ndarray
    extra_max: np.ndarray
    extra_sizes: tuple[int, ...] = EXTRA_SIZES

    def save(self, path: Path) -> None:
        np.savez_compressed(path, seed=self.seed, scores=self.scores, mate=self.mate,
                            foreign=self.foreign, ipd=self.ipd, extra_max=self.extra_max,
                            extra_sizes=np.array(self.extra_sizes))

    @cached_property
    def impostors(self) -> np.ndarray:
        """``scores`` with the columns that are no impostor of the search (``foreign``) at
        -inf."""
        return np.where(self.foreign, -np.inf, self.scores)

    @classmethod
    def load(cls, path: Path) -> "SearchScores":
        z = np.load(path)
        return cls(int(z["seed"]), z["scores"], z["mate"], z["foreign"], z["ipd"],
                   z["extra_max"], tuple(int(v) for v in z["extra_sizes"]))


def search_scores(run: Path, faces: Path, pool: np.ndarray | None, extra_sizes=EXTRA_SIZES,
                  rng_seed: int = 7, held_out: bool = False,
                  rendered: np.ndarray | None = None) -> SearchScores:
    """A recorded run's searches replayed and scored (module docstring); ``pool``: enrolment
    templates of people outside the run that the extras are fitted on; ``rendered``: instead,
    the extras themselves (rendered faces' templates, in order; :func:`render_extras`);
    ``held_out``: a held-out seed's recording, scored for a frozen rule (the lead's
    ``--held-out-report``)."""
    from experiments.cctv_identify import face_like_templates
    from experiments.cctv_rank1_trace import check_replay, load_recorded, replay

    if rendered is not None and max(extra_sizes) > len(rendered):
        raise ValueError(f"extra sizes up to {max(extra_sizes):,}, but only {len(rendered):,} "
                         f"rendered extras")
    d = load_recorded(run, faces, held_out)
    print(f"{run}: {check_replay(d)}")
    probes: list[np.ndarray] = []

    def keep(tf, used):
        probes.append(tf.template(used))
        return probes[-1]

    r = with_truth(d, replay(d, keep))
    mate, foreign, ipd = r["mate"].to_numpy(), foreign_columns(d, r), r["ipd"].to_numpy()
    p = np.stack(probes).astype(np.float32)
    extra_max = np.full((len(p), len(extra_sizes)), -np.inf, np.float32)
    best = np.full(len(p), -np.inf, np.float32)
    rng, done = np.random.default_rng(rng_seed), 0
    for k, size in enumerate(extra_sizes):  # the first E extras of one draw, E growing
        while done < size:
            block = (face_like_templates(min(65_536, size - done), pool, rng)
                     if rendered is None else rendered[done:size])
            best = np.maximum(best, (p @ block.T).max(1))
            done += len(block)
        extra_max[:, k] = best
    scores = np.stack(r["scores"].to_list()).astype(np.float32)
    return SearchScores(_seed_of(run), scores, mate, foreign, ipd, extra_max, tuple(extra_sizes))


def shipped_threshold(n: int) -> float:
    """The insightface recogniser's size-following CCTV threshold (the recordings' backend)
    for a gallery of ``n``, whatever the setting's default."""
    from pipeline.cctv.operating import cctv_operating_point

    return cctv_operating_point(INSIGHTFACE_EMBEDDER, follow_size=True).sized.at(n)


def render_extras(n: int, seed: int = RENDER_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Templates of ``n`` synthetic identities' enrolment photos (keys ``(seed, i)``), by the
    insightface backend (detector and embedder as a CCTV run prepares them), and their keys (a
    photo without a detected face is left out, as a failure to enrol)."""
    from experiments.cctv_identify import _embed_enrolments, prepare_backend

    keys = np.array([(seed, i) for i in range(n)], np.int64)
    templates, ok = _embed_enrolments([tuple(int(v) for v in k) for k in keys],
                                      prepare_backend("insightface"), "rendered extras", False)
    return templates.astype(np.float32), keys[ok]


def with_truth(d, r: pd.DataFrame) -> pd.DataFrame:
    """Replayed searches ``r`` of recording ``d`` with each one's truth: ``traveler`` (the
    track's recorded traveler, :func:`_traveler_at`), ``mate`` (its gallery column, -1: not
    enrolled), ``persons`` (the true persons of the faces used) and ``ipd`` (the largest face
    used)."""
    truth = d.searches.set_index(["camera", "track_id"]).sort_index()
    col = {int(tr): k for k, tr in enumerate(d.gallery_travelers)}
    r = r.copy()
    r["traveler"] = [_traveler_at(truth, x) for x in r.itertuples(index=False)]
    r["mate"] = [col.get(tr, -1) for tr in r["traveler"]]
    r["persons"] = [[int(d.faces.loc[i, "person"]) for i in u] for u in r["used"]]
    r["ipd"] = [max(d.quality[i].ipd_px for i in u) for u in r["used"]]
    return r


def foreign_columns(d, r: pd.DataFrame) -> np.ndarray:
    """searches x gallery: the columns that are no impostor of each search of ``r``
    (:func:`with_truth`): its traveler and the persons of its faces."""
    col = {int(tr): k for k, tr in enumerate(d.gallery_travelers)}
    foreign = np.zeros((len(r), len(col)), bool)
    for i, (tr, ps) in enumerate(zip(r["traveler"], r["persons"])):
        foreign[i, [col[p] for p in {tr, *ps} if p in col]] = True
    return foreign


def _traveler_at(truth, x) -> int:
    """The recorded traveler of replayed search ``x``: the track's recorded search nearest in
    time (``truth`` indexed by camera and track id). A recording can number a track's searches
    otherwise than its replay (held-out 102's track 98: two searches recorded as the first, at
    1519.4 and 1527.8 s, replayed as the first and the second)."""
    rows = truth.loc[[(x.camera, x.track_id)]]
    return int(rows["traveler_id"].iloc[int(np.argmin(np.abs(rows["t"].to_numpy() - x.t)))])


def _seed_of(run: Path) -> int:
    import json

    return int(json.loads((Path(run) / "summary.json").read_text())["seed"])


def _none_of(m: np.ndarray, k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """P(a random n of m items holds none of the k marked ones) = C(m-k, n) / C(m, n)."""
    from scipy.special import gammaln

    m, k, n = np.broadcast_arrays(*(np.asarray(v, float) for v in (m, k, n)))
    ok = (m - k) >= n
    v = np.exp(gammaln(np.where(ok, m - k + 1, 1)) - gammaln(np.where(ok, m - k - n + 1, 1))
               - gammaln(m + 1) + gammaln(m - n + 1))
    return np.where(ok, v, 0.0)


def _parse(size) -> tuple[int | None, int]:
    """(manifest size drawn, None: the whole manifest; extras) of a size: an int, ``"all"``
    or ``"+E"``."""
    if isinstance(size, str):
        return None, int(size[1:]) if size.startswith("+") else 0
    return int(size), 0


def gallery_size(s: SearchScores, size) -> int:
    drawn, extra = _parse(size)
    return s.scores.shape[1] + extra if drawn is None else drawn


def false_ids(s: SearchScores, t: float, size) -> np.ndarray:
    """Each search's chance, made non-mated (module docstring), that its best impostor at
    ``size`` reaches ``t``."""
    drawn, extra = _parse(size)
    imp = s.impostors
    if drawn is None:
        ex = s.extra_max[:, s.extra_sizes.index(extra)] if extra else -np.inf
        return (np.maximum(imp.max(1), ex) >= t).astype(float)
    m = (~s.foreign).sum(1)
    return np.maximum(1 - _none_of(m, (imp >= t).sum(1), np.minimum(drawn, m)), 0.0)


def _mated(s: SearchScores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(which searches are mated, their scores, their traveler's own score)."""
    mated = s.mate >= 0
    ms = s.scores[mated]
    return mated, ms, ms[np.arange(len(ms)), s.mate[mated]]


def mated_hits(s: SearchScores, t: float, size) -> np.ndarray:
    """Each mated search's chance at ``size`` that its traveler is ranked first at >= ``t``."""
    drawn, extra = _parse(size)
    mated, ms, own = _mated(s)
    beat = (ms > own[:, None]).sum(1)
    if drawn is None:
        ex = s.extra_max[mated, s.extra_sizes.index(extra)] if extra else -np.inf
        return ((beat == 0) & (own >= t) & (own > ex)).astype(float)
    others = np.full(len(ms), s.scores.shape[1] - 1)
    return (own >= t) * _none_of(others, beat, np.minimum(drawn - 1, others))


def mated_wrong(s: SearchScores, t: float, size, impostors_only: bool = False) -> np.ndarray:
    """Each mated search's chance at ``size`` that another person is ranked first at >= ``t``:
    a false identification of someone enrolled (what ``cctv_false_ids`` counts, with FPIR's).
    ``impostors_only``: only by someone whose face the search did not use (the others claim
    a face the track did hold: a track's error, not the recogniser's)."""
    drawn, extra = _parse(size)
    mated, ms, own = _mated(s)
    others = np.where(s.foreign[mated], -np.inf, ms) if impostors_only else ms.copy()
    others[np.arange(len(ms)), s.mate[mated]] = -np.inf
    if drawn is None:
        ex = s.extra_max[mated, s.extra_sizes.index(extra)] if extra else -np.inf
        top = np.maximum(others.max(1), ex)
        return ((top >= t) & (top > own)).astype(float)
    k = ((others >= t) & (others > own[:, None])).sum(1)
    n_other = np.full(len(ms), s.scores.shape[1] - 1)
    return np.maximum(1 - _none_of(n_other, k, np.minimum(drawn - 1, n_other)), 0.0)


def size_rates(runs: list[SearchScores], threshold, size) -> dict:
    """Pooled over ``runs``: the expected FPIR, FNIR (1 - rank-1 at the threshold) and rank-1
    at ``size`` (an int: galleries of that many drawn from each run's manifest; ``"all"``: the
    whole manifest; ``"+E"``: it and the first E extras). ``threshold``: a number or a function
    of the gallery's size."""
    false, hits, wrong, wrong_imp, rank1, ts, ns = [], [], [], [], [], [], []
    for s in runs:
        n = gallery_size(s, size)
        t = float(threshold(n) if callable(threshold) else threshold)
        false.append(false_ids(s, t, size))
        hits.append(mated_hits(s, t, size))
        wrong.append(mated_wrong(s, t, size))
        wrong_imp.append(mated_wrong(s, t, size, impostors_only=True))
        rank1.append(mated_hits(s, -np.inf, size))
        ts.append(t), ns.append(n)
    f, h, r1 = np.concatenate(false), np.concatenate(hits), np.concatenate(rank1)
    w, wi = np.concatenate(wrong).sum(), np.concatenate(wrong_imp).sum()
    return {"size": size, "N": int(np.median(ns)), "threshold": float(np.median(ts)),
            "nonmated": len(f), "fpir": _mean(f), "false_ids": float(f.sum()),
            "mated": len(h), "fnir": 1 - _mean(h), "wrong_mated": float(w),
            "wrong_impostor": float(wi), "wrong_own_face": max(float(w - wi), 0.0),
            "rank1": _mean(r1)}


def _mean(v: np.ndarray) -> float:
    return float(v.mean()) if len(v) else float("nan")


def sizes_of(runs: list[SearchScores]) -> list:
    return [*MANIFEST_SIZES, "all", *(f"+{e}" for e in runs[0].extra_sizes)]


def size_table(runs: list[SearchScores], threshold) -> pd.DataFrame:
    return pd.DataFrame([size_rates(runs, threshold, z) for z in sizes_of(runs)])


def top_growth(runs: list[SearchScores]) -> pd.DataFrame:
    """Quantiles of the non-mated top score per size over the searches (the whole manifest and
    extras: each search's exact top; a drawn size: one seeded draw of that many per search)."""
    rng, rows = np.random.default_rng(0), []
    for size in sizes_of(runs):
        drawn, extra = _parse(size)
        tops = []
        for s in runs:
            imp = s.impostors
            if drawn is None:
                top = imp.max(1)
                if extra:
                    top = np.maximum(top, s.extra_max[:, s.extra_sizes.index(extra)])
            else:
                top = np.array([rng.choice(row[np.isfinite(row)], drawn, replace=False).max()
                                for row in imp])
            tops.append(top)
        t = np.concatenate(tops)
        rows.append({"size": size, "N": gallery_size(runs[0], size),
                     **{f"q{int(q * 100)}": float(np.quantile(t, q))
                        for q in (0.5, 0.9, 0.95, 0.99)}, "max": float(t.max())})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class TailModel:
    """Each non-mated probe's impostor tail: above ``u`` (its (k+1)-th highest impostor score)
    a generalised Pareto with the probes' pooled shape ``xi`` (negative: a bounded, lighter
    than exponential tail, as cosines are) and the probe's own scale (its mean excess over
    ``u`` times ``scale``, the pooled fit on excesses divided by each probe's mean excess)."""
    u: np.ndarray
    mean_excess: np.ndarray
    m: np.ndarray  # impostors per probe
    xi: float
    scale: float
    k: int

    def exceed(self, t: float) -> np.ndarray:
        """Each probe's chance that one impostor scores >= ``t`` (1: below the tail's
        threshold, where the whole gallery is well inside the body; only sizes >= m / k use
        the model there)."""
        from scipy.stats import genpareto

        z = (t - self.u) / self.mean_excess
        tail = (self.k / self.m) * genpareto.sf(np.maximum(z, 0), self.xi, 0, self.scale)
        return np.where(z < 0, self.k / self.m, tail)

    def fpir(self, t: float, n: int) -> float:
        """Expected FPIR at a gallery of ``n`` impostors drawn from each probe's tail."""
        p = np.minimum(self.exceed(t), 1 - 1e-12)
        return float(np.mean(-np.expm1(n * np.log1p(-p))))


def tail_model(runs: list[SearchScores], k: int = TAIL_K) -> TailModel:
    """:class:`TailModel` of the non-mated probes of ``runs``."""
    from scipy.stats import genpareto

    u, me, m, y = [], [], [], []
    for s in runs:
        imp = s.impostors
        for row in imp:
            v = np.sort(row[np.isfinite(row)])[::-1]
            e = v[:k] - v[k]
            u.append(float(v[k])), me.append(max(float(e.mean()), 1e-4)), m.append(len(v))
            y.append(e / me[-1])
    xi, _, scale = genpareto.fit(np.concatenate(y), floc=0)
    return TailModel(np.array(u), np.array(me), np.array(m), float(xi), float(scale), k)


def _lowest_threshold(fpir_at, fpir: float) -> float:
    """The lowest cosine threshold in [0, 1] at which ``fpir_at(t)`` (falling with t) is at
    most ``fpir`` (bisection, to 1e-12)."""
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fpir_at(mid) > fpir else (lo, mid)
    return hi


def solve_threshold(model: TailModel, n: int, fpir: float) -> float:
    """The threshold at which ``model`` expects ``fpir`` at a gallery of ``n``."""
    return _lowest_threshold(lambda t: model.fpir(t, n), fpir)


def measured_threshold(runs: list[SearchScores], size, fpir: float) -> float:
    """The lowest threshold whose expected FPIR at ``size`` (:func:`false_ids`, pooled) is
    <= ``fpir``: the model-free threshold, where the manifest reaches."""
    return _lowest_threshold(
        lambda t: np.concatenate([false_ids(s, t, size) for s in runs]).mean(), fpir)


FIT_SIZES = (60, 120, 234, 460, 1_000, 10_000, 100_000)


def fit_rule(runs: list[SearchScores], fpir: float = 1e-2, sizes=FIT_SIZES,
             fixed: float | None = None) -> tuple[float, float, pd.DataFrame]:
    """(a, b) of ``t(N) = a + b ln N`` (least squares over ``sizes``) and the solved t(N);
    ``fixed``: also the model's FPIR at that fixed threshold per size."""
    model = tail_model(runs)
    print(f"tail: shape {model.xi:.3f}, scale {model.scale:.3f} (k {model.k})")
    t = np.array([solve_threshold(model, n, fpir) for n in sizes])
    b, a = np.polyfit(np.log(sizes), t, 1)
    n_man = min(s.scores.shape[1] for s in runs)
    measured = [measured_threshold(runs, n, fpir) if n <= n_man else np.nan for n in sizes]
    out = pd.DataFrame({"N": sizes, "t_solved": t, "t_rule": a + b * np.log(sizes),
                        "t_measured": measured})
    if fixed is not None:
        out[f"model_fpir_at_{fixed:g}"] = [model.fpir(fixed, n) for n in sizes]
    return float(a), float(b), out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m experiments.cctv_operating_n",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("table", "fit", "check"):  # score files of tune seeds
        q = sub.add_parser(name)
        q.add_argument("scores", nargs="+", type=Path)
        q.add_argument("--threshold", type=float, default=None)
        q.add_argument("--fpir", type=float, default=1e-2)
        q.add_argument("--rule", default=None, help="A,B: t(N) = A + B ln N; shipped: the "
                       "insightface recogniser's SizedThreshold (pipeline.cctv.operating)")
        q.add_argument("--held-out-report", action="store_true", help="the lead's: score "
                       "held-out seeds with a frozen rule (never with fit)")
    c = sub.add_parser("cache", help="replay recorded runs into score files (scratch)")
    c.add_argument("pairs", nargs="+", help="RUN:FACES.npz")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--pool-from", nargs="+", type=Path, default=None,
                   help="recordings (.npz) of other seeds: the extras' model is fitted on "
                        "their first 48 enrolment templates, never the run's own (the first "
                        "one that is not the run itself)")
    c.add_argument("--rendered", type=Path, default=None,
                   help="the extras are these rendered faces (a `render` file) instead of the "
                        f"face-like model, at sizes {', '.join(f'+{v:,}' for v in RENDERED_SIZES)}")
    r = sub.add_parser("render", help="render and embed extra identities' enrolment photos")
    r.add_argument("--n", type=int, default=max(RENDERED_SIZES))
    r.add_argument("--seed", type=int, default=RENDER_SEED)
    r.add_argument("--out", type=Path, required=True)
    c.add_argument("--held-out-report", action="store_true",
                   help="the lead's: cache held-out seeds' recordings for table/check")
    a = p.parse_args(argv)
    if a.cmd == "render":
        if a.seed < 1_000_000:
            raise SystemExit(f"--seed {a.seed}: identity keys of runs use small seeds; take one "
                             f">= 1,000,000 so no extra is a run's traveler")
        templates, keys = render_extras(a.n, a.seed)
        a.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = a.out.with_name(a.out.name + ".tmp.npz")
        np.savez_compressed(tmp, templates=templates, keys=keys)
        tmp.replace(a.out)
        print(f"{a.out}: {len(keys):,} of {a.n:,} rendered identities enrolled")
        return
    if a.cmd == "cache":
        if (a.pool_from is None) == (a.rendered is None):
            raise SystemExit("cache: give either --pool-from (modelled extras) or --rendered")
        a.out.mkdir(parents=True, exist_ok=True)
        rendered = None if a.rendered is None else np.load(a.rendered)["templates"]
        for pair in a.pairs:
            run, faces = (Path(x) for x in pair.split(":", 1))
            seed = _seed_of(run)
            if seed in HELD_OUT and not a.held_out_report:
                raise SystemExit(f"{run}: seed {seed} is held out; tune seeds only")
            if rendered is not None:
                search_scores(run, faces, None, RENDERED_SIZES, held_out=a.held_out_report,
                              rendered=rendered).save(a.out / f"s{seed}.npz")
                print(f"seed {seed}: extras are {a.rendered}'s rendered faces")
                continue
            other = next(f for f in a.pool_from if f.resolve() != faces.resolve())
            pool = np.load(other)["enrol_vectors"][:POOL_SIZE]
            search_scores(run, faces, pool, held_out=a.held_out_report).save(
                a.out / f"s{seed}.npz")
            print(f"seed {seed}: extras fitted on {other}'s first {POOL_SIZE} enrolment templates")
        return
    runs = [SearchScores.load(f) for f in a.scores]
    if any(s.seed in HELD_OUT for s in runs) and (a.cmd == "fit" or not a.held_out_report):
        raise SystemExit("held-out seeds: the lead's, not scored here")
    seeds = ",".join(str(s.seed) for s in runs)
    pd.set_option("display.width", 200)
    if a.cmd == "fit":
        ra, rb, t = fit_rule(runs, a.fpir, fixed=a.threshold)
        print(top_growth(runs).round(4).to_string(index=False))
        print(f"\nseeds {seeds}: t(N) = {ra:.4f} + {rb:.4f} ln N at FPIR {a.fpir:g}")
        print(t.round(4).to_string(index=False))
        rule = (lambda n: ra + rb * math.log(n))
        a.threshold = None  # the table below: the fitted rule
    elif a.rule == "shipped":
        rule = shipped_threshold
    elif a.rule:
        ra, rb = (float(v) for v in a.rule.split(","))
        rule = (lambda n: ra + rb * math.log(n))
    else:
        rule = a.threshold
    if rule is not None:
        print(f"\nseeds {seeds}, threshold {a.rule or a.threshold or 'fitted'}:")
        print(size_table(runs, rule).round(4).to_string(index=False))
    if a.cmd == "table":
        print(top_growth(runs).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
