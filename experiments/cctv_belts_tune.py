"""Where a long window's IDF1 goes at the belts: a ladder of oracles over the same detections.

    python -m experiments.cctv_belts_tune decompose /work/runs/cctv-long/s1 \\
        /work/runs/cctv-long/s2 [--grid "lost_s=4"] [--low -0.7] [--csv LADDER.csv]

Each cached camera is replayed through the stream's chain
(``experiments.cctv_corridor_tune.stream_track_camera``: head detector, ByteTrack, re-linker,
swap guard on histograms; grid keys as there) and then scored with one more failure repaired by
the ground truth at each rung (each box's person: the ground-truth box it overlaps at IoU >=
0.5, the most overlapped, ``experiments.cctv_dwell_tune.row_people``):

- ``shipped``: the chain's tracks as they are;
- ``no_wrong_links``: each re-link that joined two people (``cctv_dwell_tune.link_merges``
  ``wrong``) undone: the continuing fragment keeps an id of its own;
- ``fragments_linked``: every fragment (one tracker id between two guard splits) under its
  majority person: fragments perfectly re-linked, the guard's wrong splits healed; a fragment
  with no person keeps its id;
- ``no_swaps``: every tracked box under its own person: the tracker's swaps inside a fragment
  (boxes handed to a neighbour without a gap, which no re-linker sees) repaired;
- ``all_boxes``: plus every person box the tracker was given but did not output (a box but no
  track), each under its person;
- ``low_heads``: plus the bodies of the cached heads below the detector's threshold, down to
  ``--low`` (the cache's own, ``collect --adjust``), for persons still without a box;
- ``every_person``: every ground-truth box (IDF1 1 by construction).

The differences between rungs are the shares: wrong re-links, fragments not re-linked,
the tracker's swaps, boxes not tracked, heads only below the threshold, heads never found.

    python -m experiments.cctv_belts_tune swaps /work/runs/cctv-long/s1 [--grid ...] \\
        [--csv SWAPS.csv]

traces the two identity shares by cause, on the same replay: :func:`handovers` (a tracker id
that moves from one person to another: which stage of ByteTrack took the box, what the crowd
looks read there, walkers or standers) and :func:`fragment_starts` (a person's output id
changes: the old id went on with a neighbour, was lost, or was cut by the swap guard; the
second table, ``--csv``'s ``.fragments.csv``).

Tune seeds only (the caches refuse the held-out seeds).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

RUNGS = ("shipped", "no_wrong_links", "fragments_linked", "no_swaps", "all_boxes",
         "low_heads", "every_person")
SHARES = {"no_wrong_links": "wrong re-links", "fragments_linked": "fragments not re-linked",
          "no_swaps": "tracker swaps", "all_boxes": "box, no track",
          "low_heads": "head below threshold", "every_person": "head never found"}
COLS = ["frame", "id", "x1", "y1", "x2", "y2"]
FRESH = 10 ** 8  # ids given by the ladder to boxes of no known person


def _majority_ids(keys: np.ndarray, people: np.ndarray) -> np.ndarray:
    """Each row's fragment (``keys``) renamed to its majority person; a fragment with no known
    person keeps an id of its own."""
    from experiments.cctv_dwell_tune import majority_person

    out = np.empty(len(keys), np.int64)
    for n, k in enumerate(pd.unique(keys)):
        mine = keys == k
        p = majority_person(people[mine])
        out[mine] = p if p >= 0 else FRESH + n
    return out


def _added(cam: dict, hyp: pd.DataFrame, boxes: list) -> pd.DataFrame:
    """Rows for the persons in ``cam`` that ``hyp`` leaves without a box in a frame, from that
    frame's ``boxes``: a box goes to the person it overlaps most (IoU >= 0.5, as
    ``cctv_dwell_tune.row_people`` names a box's person), if ``hyp`` has no box of that person
    there; one box per person (the most overlapping), under the person's id."""
    from experiments.cctv_corridor_tune import _iou

    by = dict(list(hyp.groupby("frame")))
    rows = []
    for fr, b in zip(cam["frames"], boxes):
        tr, b = fr["truth"], np.asarray(b, np.float64).reshape(-1, 4)
        if not len(tr) or not len(b):
            continue
        have = by.get(fr["t"])
        covered = set(have["id"]) if have is not None else set()
        m = _iou(b, tr[["x1", "y1", "x2", "y2"]].to_numpy(float))
        owner, best = m.argmax(1), m.max(1)
        ids = tr["traveler_id"].to_numpy()
        for j in np.argsort(-best):
            person = int(ids[owner[j]])
            if best[j] >= 0.5 and person not in covered:
                rows.append((fr["t"], person, *b[j]))
                covered.add(person)
    return pd.DataFrame(rows, columns=COLS)


def _low_boxes(cam: dict, opts: dict, low: float) -> list:
    """Each frame's person boxes with the head detector's threshold at ``low`` (the edge pass's
    too), as the stream would make them."""
    from experiments.cctv_track_tune import _heads, _people, stream_options

    o = {**stream_options(), **opts, "adjust": low, "edge_adjust": low}
    return [_people(_heads(fr["heads"], o.get("height", 810), o, cam["size"], k), fr["faces"],
                    fr["face_hist"], cam["size"])[0].boxes for k, fr in enumerate(cam["frames"])]


def ladder(cam: dict, opts: dict, low: float) -> dict:
    """The rungs' tracks of one cached camera (module docstring), by rung name."""
    from experiments.cctv_corridor_tune import stream_track_camera
    from experiments.cctv_dwell_tune import link_merges, row_people
    from experiments.cctv_track_tune import truth_of

    hyp, boxes = stream_track_camera(cam, opts)
    hyp = hyp.reset_index(drop=True)
    people = row_people(cam, hyp)
    raw = np.asarray(hyp.attrs["raw_ids"])
    rid = np.asarray(hyp.attrs["relinked_ids"])
    out = {"shipped": hyp[COLS]}
    ids = hyp["id"].to_numpy().copy()
    links = link_merges(cam, hyp)
    t = hyp["frame"].to_numpy()
    for n, (_, ln) in enumerate(links[links["wrong"] == 1].iterrows()):
        ids[(rid == ln["old"]) & (raw == ln["new"]) & (t >= ln["t"] - 1e-9)] = 2 * FRESH + n
    out["no_wrong_links"] = hyp[COLS].assign(id=ids)
    # a fragment: one tracker id under one output id (the guard's splits cut it)
    keys = raw.astype(np.int64) * 10 ** 7 + hyp["id"].to_numpy() % 10 ** 7
    linked = _majority_ids(keys, people)
    out["fragments_linked"] = hyp[COLS].assign(id=linked)
    own = np.where(people >= 0, people, linked)
    swaps = hyp[COLS].assign(id=own)
    out["no_swaps"] = swaps
    more = pd.concat([swaps, _added(cam, swaps, boxes)], ignore_index=True)
    out["all_boxes"] = more
    out["low_heads"] = pd.concat([more, _added(cam, more, _low_boxes(cam, opts, low))],
                                 ignore_index=True)
    out["every_person"] = truth_of(cam)[COLS]
    return out


def decompose(folders: list[Path], spec: str, cameras: list[str] | None,
              low: float) -> pd.DataFrame:
    """One row per (options, cached camera, rung): its IDF1 and ID switches."""
    from experiments.cctv_track_tune import grid, load, score, truth_of

    rows = []
    for opts in grid(spec) if spec else [{}]:
        for f in folders:
            for c in load(f, cameras):
                truth = truth_of(c)
                for rung, hyp in ladder(c, opts, low).items():
                    m = score(truth, hyp.sort_values("frame", kind="stable"))
                    rows.append({**opts, "seed": c["seed"], "camera": c["camera"],
                                 "rung": rung, "IDF1": m["IDF1"], "IDR": m["IDR"],
                                 "ID_switches": m["ID_switches"]})
    return pd.DataFrame(rows)


def shares(t: pd.DataFrame) -> pd.DataFrame:
    """The IDF1 each failure costs (the rise from the rung below), per replayed camera."""
    keys = [k for k in t.columns if k not in ("rung", "IDF1", "IDR", "ID_switches")]
    w = t.pivot_table(index=keys, columns="rung", values="IDF1").reindex(columns=list(RUNGS))
    out = pd.DataFrame({"IDF1": w["shipped"]}, index=w.index)
    for a, b in zip(RUNGS, RUNGS[1:]):
        out[SHARES[b]] = w[b] - w[a]
    return out.reset_index()


HIGH = 0.5  # ByteTrack's first-pass score (the tracker's ``high``)
MIN_ROWS = 3  # a run: this many rows at least (shorter: a box's person misread for a moment)
WALKER_M_S = 0.5  # a person faster than this on the floor (ground truth) walks


def _runs(keys: np.ndarray) -> list[tuple]:
    """(key, first, last, count) of each run of equal ``keys`` (-1 skipped) of at least
    :data:`MIN_ROWS` rows (shorter runs are dropped, so a one-row misreading splits nothing)."""
    runs = []
    for i, v in enumerate(keys):
        if v < 0:
            continue
        if runs and runs[-1][0] == v:
            runs[-1][2:] = [i, runs[-1][3] + 1]
        else:
            runs.append([v, i, i, 1])
    return [tuple(r) for r in runs if r[3] >= MIN_ROWS]


def id_changes(people: np.ndarray, ids: np.ndarray, t: np.ndarray):
    """(person, the person's rows in time, run before, run after: :func:`_runs` tuples over
    those rows) of every change of a person's output id."""
    for p in np.unique(people[people >= 0]):
        rows = np.flatnonzero(people == p)
        rows = rows[np.argsort(t[rows], kind="stable")]
        runs = _runs(ids[rows])
        for a, b in zip(runs, runs[1:]):
            if a[0] != b[0]:
                yield p, rows, a, b


def _speed_of(full: pd.DataFrame):
    """The ground truth's floor speed of a person over the 2 s before ``t`` (NaN: unknown)."""
    from experiments.cctv_dwell_tune import _floor_speed

    by = {p: g for p, g in full.groupby("traveler_id")}
    return lambda p, t: (_floor_speed(by[p], p, t - 2.0, t) if p in by else np.nan)


def handovers(cam: dict, hyp: pd.DataFrame, still_m_s: float = 0.8, veto: float = 0.4,
              keep: float = 0.9) -> pd.DataFrame:
    """One row per tracker id that moves from one person to another (runs of :data:`MIN_ROWS`
    rows under one person, in time): the gap, the stage that took the first box of the new
    person (``first``: score >= :data:`HIGH`; ``second``; ``coast``: a predicted box), what the
    crowd looks read at that association (``floor_m_s``: the track's floor cue after its
    previous row; ``app``: its running clothes, ``keep`` per taken box, against the box's), the
    true floor speeds of both people (``v_before``, ``v_after``) and ``cause``: ``coast``,
    ``gap`` (unseen over 1 s: a take-back), ``speed unknown``, ``not asked`` (floor cue >=
    ``still_m_s``), ``clothes alike`` (asked, clothes >= ``veto``: contested or not),
    ``not vetoed`` (asked, clothes under ``veto``: so the pair was not contested where the
    library's stage associated it)."""
    from experiments.cctv_dwell_tune import _truth_rows, row_people
    from pipeline.cctv.appearance import similarity

    people = row_people(cam, hyp)
    raw = np.asarray(hyp.attrs["raw_ids"])
    t = hyp["frame"].to_numpy()
    scores = np.asarray(hyp.attrs["scores"], np.float64)
    hists, cues = hyp.attrs["hists"], list(hyp.attrs.get("speeds") or [])
    speed = _speed_of(_truth_rows(cam))
    out = []
    for r in np.unique(raw):
        mine = np.flatnonzero(raw == r)
        mine = mine[np.argsort(t[mine], kind="stable")]
        for a, b in zip(_runs(people[mine]), _runs(people[mine])[1:]):
            if a[0] == b[0]:
                continue
            k, prev = mine[b[1]], mine[b[1] - 1]
            ema = None
            for j in mine[:b[1]]:
                h = hists[j]
                if h is not None and not np.isnan(scores[j]) and np.asarray(h).sum() > 0:
                    h = np.asarray(h, np.float64)
                    ema = h if ema is None else keep * ema + (1 - keep) * h
            app = (similarity(ema.astype(np.float32), np.asarray(hists[k], np.float32))
                   if ema is not None and hists[k] is not None else np.nan)
            floor = cues[prev][1] if cues else None
            gap = t[k] - t[mine[a[2]]]
            stage = ("coast" if np.isnan(scores[k]) else
                     "first" if scores[k] >= HIGH else "second")
            cause = ("coast" if stage == "coast" else "gap" if gap > 1.0 else
                     "speed unknown" if floor is None else
                     "not asked" if floor >= still_m_s else "no clothes" if np.isnan(app) else
                     "clothes alike" if app >= veto else "not vetoed")
            out.append({"t": t[k], "id": int(r), "person_before": int(a[0]),
                        "person_after": int(b[0]), "rows_before": a[3], "rows": b[3],
                        "gap_s": gap, "stage": stage, "score": scores[k],
                        "floor_m_s": np.nan if floor is None else floor, "app": app,
                        "v_before": speed(a[0], t[mine[a[2]]]), "v_after": speed(b[0], t[k]),
                        "cause": cause})
    return pd.DataFrame(out, columns=HAND_COLS)


HAND_COLS = ["t", "id", "person_before", "person_after", "rows_before", "rows", "gap_s",
             "stage", "score", "floor_m_s", "app", "v_before", "v_after", "cause"]
FRAG_COLS = ["t", "person", "old_raw", "new_raw", "old_id", "new_id", "gap_s", "rows",
             "new_born", "exchange", "v_person", "v_taker", "cause"]


def fragment_starts(cam: dict, hyp: pd.DataFrame) -> pd.DataFrame:
    """One row per change of a person's output id (runs of :data:`MIN_ROWS` rows under one id,
    in time; ``rows``: the new run's): the old and new tracker and output ids, whether the new
    tracker id was born there (``new_born``, within 1 s) or had held the person who took the old
    id (``exchange``), the true floor speeds of the person and of that taker, and ``cause``:
    ``guard split`` (one tracker id cut by the swap guard), ``old id to neighbour`` (the old
    tracker id went on with another person within 1 s: the person left behind), ``old id still
    on the person`` (a second id on one person), ``new id, old lost`` (the old id lost and a new
    one born: the re-linker did not join them), ``existing id, old lost``."""
    from experiments.cctv_dwell_tune import _truth_rows, majority_person, row_people

    people = row_people(cam, hyp)
    raw = np.asarray(hyp.attrs["raw_ids"])
    ids = hyp["id"].to_numpy()
    t = hyp["frame"].to_numpy()
    first = {r: t[raw == r].min() for r in np.unique(raw)}
    speed = _speed_of(_truth_rows(cam))
    out = []
    for p, rows, a, b in id_changes(people, ids, t):
        i, k = rows[a[2]], rows[b[1]]
        rx, ry = raw[i], raw[k]
        later = np.flatnonzero((raw == rx) & (t > t[i] + 1e-6))
        soon = len(later) and t[later[0]] - t[i] <= 1.0
        taker = majority_person(people[later[:LINK_AHEAD]]) if soon else -1
        held = people[(raw == ry) & (t < t[k])]
        held = held[held >= 0]
        if rx == ry:
            cause = "guard split"
        elif taker not in (-1, p):
            cause = "old id to neighbour"
        elif taker == p:
            cause = "old id still on the person"
        elif first[ry] >= t[i] - 1e-6:
            cause = "new id, old lost"
        else:
            cause = "existing id, old lost"
        out.append({"t": t[k], "person": int(p), "old_raw": int(rx), "new_raw": int(ry),
                    "old_id": int(ids[i]), "new_id": int(ids[k]), "gap_s": t[k] - t[i],
                    "rows": b[3], "new_born": bool(first[ry] >= t[k] - 1.0),
                    "exchange": bool(taker >= 0 and len(held) and held[-1] == taker),
                    "v_person": speed(p, t[i]),
                    "v_taker": speed(taker, t[i]) if taker >= 0 else np.nan,
                    "cause": cause})
    return pd.DataFrame(out, columns=FRAG_COLS)


LINK_AHEAD = 5  # fragment_starts: the old id's next rows that name who took it

def swap_tables(folders: list[Path], spec: str, cameras: list[str] | None):
    """:func:`handovers` and :func:`fragment_starts` of every replayed camera."""
    from experiments.cctv_corridor_tune import replays

    hand, frag = [], []
    for opts, c, _, hyp in replays(folders, spec, cameras):
        hyp = hyp.reset_index(drop=True)
        key = {**opts, "seed": c["seed"], "camera": c["camera"]}
        hand.append(handovers(c, hyp).assign(**key))
        frag.append(fragment_starts(c, hyp).assign(**key))
    return pd.concat(hand, ignore_index=True), pd.concat(frag, ignore_index=True)


def main(argv=None) -> None:
    from experiments.cctv_corridor_tune import cache_parser

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = cache_parser(sub, "decompose")
    p.add_argument("--low", type=float, default=-0.7,
                   help="the lowest head threshold (dlib margin) of the low_heads rung")
    cache_parser(sub, "swaps")
    a = ap.parse_args(argv)
    cams = a.cameras.split(",") if a.cameras else None
    pd.set_option("display.width", 250)
    if a.cmd == "swaps":
        hand, frag = swap_tables(a.folders, a.grid, cams)
        if a.csv:
            hand.to_csv(a.csv, index=False)
            frag.to_csv(Path(a.csv).with_suffix(".fragments.csv"), index=False)
        keys = [k for k in hand.columns if k not in HAND_COLS]
        print("tracker ids moving to another person: by cause x stage, count (rows after)")
        hand = hand.assign(walkers=np.select(
            [hand["v_before"] > WALKER_M_S, hand["v_after"] > WALKER_M_S],
            ["from a walker", "to a walker"], "standers"))
        print(hand.pivot_table(index=keys + ["cause", "walkers"], columns="stage",
                               values="rows", aggfunc=["count", "sum"],
                               fill_value=0).to_string(), "\n")
        frag = frag.assign(walkers=np.select(
            [frag["v_person"] > WALKER_M_S, frag["v_taker"] > WALKER_M_S],
            ["person walks", "taker walks"], "standers"))
        print("a person's output id changes: count, rows after, new id born, exchanges")
        print(frag.groupby(keys + ["cause", "walkers"]).agg(
            n=("rows", "size"), rows=("rows", "sum"), new_born=("new_born", "sum"),
            exchange=("exchange", "sum")).to_string())
        return
    t = decompose(a.folders, a.grid, cams, a.low)
    if a.csv:
        t.to_csv(a.csv, index=False)
    print(t.round(4).to_string(index=False), "\n")
    print(shares(t).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
