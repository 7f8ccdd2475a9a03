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


def main(argv=None) -> None:
    from experiments.cctv_corridor_tune import cache_parser

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = cache_parser(sub, "decompose")
    p.add_argument("--low", type=float, default=-0.7,
                   help="the lowest head threshold (dlib margin) of the low_heads rung")
    a = ap.parse_args(argv)
    cams = a.cameras.split(",") if a.cameras else None
    pd.set_option("display.width", 250)
    t = decompose(a.folders, a.grid, cams, a.low)
    if a.csv:
        t.to_csv(a.csv, index=False)
    print(t.round(4).to_string(index=False), "\n")
    print(shares(t).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
