"""The missed-person jumps on the long windows: does a track's clothes tell the head behind from
its own person when it takes a box again after a miss?

    python -m experiments.cctv_jump_tune returns /work/runs/cctv-heal/long/s1 \\
        [--grid "looks_missed=0"] [--csv RETURNS.csv]

Each cached camera is replayed through the stream's chain
(``experiments.cctv_corridor_tune.stream_track_camera``; grid keys as there). A **return** is a
row of a library track (the tracker's own id, before the re-linker and the swap guard) that took
a box (its clothing histogram known) after one or more frames without one: the moment a
missed-person jump happens (``experiments.cctv_relink_tune.jump_kinds``, ``missed``: the
stander's own head not found, the track takes the head right behind). For each return: how long
the track went without a box (``gap_s``), the true person under its last box before and under
the box it takes (``cctv_dwell_tune.row_people``; ``right``: one person), and ``sim``: the
clothing similarity (:func:`pipeline.cctv.appearance.similarity`) of the box's histogram against
the track's running clothes as :class:`pipeline.cctv.crowd_looks.CrowdLooks` keeps them (an
exponential mean, ``keep`` 0.9 of the old per taken box).

The table: per refusal level ``v``, how many right and wrong returns read under it (a veto at
``v`` on a standing track's return, :class:`pipeline.cctv.crowd_looks.CrowdLooksConfig`
``missed``, refuses the wrong ones it catches and the right ones too), and the rows the wrong
ones went on carrying under the track.

Tune seeds only (the caches refuse the held-out seeds).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

KEEP = 0.9  # the running clothes' memory, as CrowdLooksConfig.keep ships
LEVELS = (0.2, 0.3, 0.4, 0.5, 0.6)  # the table's refusal levels


def returns(cam: dict, hyp: pd.DataFrame, keep: float = KEEP) -> pd.DataFrame:
    """One row per return of ``hyp`` (index 0..n-1; module docstring)."""
    from experiments.cctv_dwell_tune import row_people
    from pipeline.cctv.appearance import similarity

    people = row_people(cam, hyp)
    raw = np.asarray(hyp.attrs["raw_ids"])
    hists = hyp.attrs["hists"]
    t = hyp["frame"].to_numpy()
    step = 1.0 / cam["fps"]
    out = []
    for rid in np.unique(raw):
        if rid < 0:
            continue
        rows = np.flatnonzero(raw == rid)
        rows = rows[np.argsort(t[rows], kind="stable")]
        look, last = None, None
        for j in rows:
            h = hists[j]
            if h is None or not np.asarray(h).sum() > 0:
                continue
            h = np.asarray(h, np.float64)
            if look is not None and t[j] - t[last] > 1.5 * step:
                n_after = int(np.count_nonzero((people[rows] == people[j]) & (t[rows] >= t[j])))
                out.append({"raw_id": int(rid), "t": t[j], "gap_s": t[j] - t[last],
                            "before": int(people[last]), "after": int(people[j]),
                            "right": bool(people[last] == people[j]),
                            "sim": similarity(look.astype(np.float32), h.astype(np.float32)),
                            "rows_after": n_after})
            look = h if look is None else keep * look + (1 - keep) * h
            last = j
    return pd.DataFrame(out, columns=["raw_id", "t", "gap_s", "before", "after", "right", "sim",
                                      "rows_after"])


def table(t: pd.DataFrame) -> pd.DataFrame:
    """Per replay and refusal level: right / wrong returns read under it, and the wrong ones'
    rows after (returns between two known people only)."""
    known = t[(t["before"] >= 0) & (t["after"] >= 0)]
    keys = [c for c in t.columns if c not in ("raw_id", "t", "gap_s", "before", "after",
                                               "right", "sim", "rows_after")]
    rows = []
    for key, g in known.groupby(keys) if keys else [((), known)]:
        key = key if isinstance(key, tuple) else (key,)
        wrong, right = g[~g["right"]], g[g["right"]]
        for v in LEVELS:
            rows.append({**dict(zip(keys, key)), "level": v, "right": len(right),
                         "right_under": int((right["sim"] < v).sum()), "wrong": len(wrong),
                         "wrong_under": int((wrong["sim"] < v).sum()),
                         "wrong_rows_under": int(wrong.loc[wrong["sim"] < v, "rows_after"].sum()),
                         "wrong_rows": int(wrong["rows_after"].sum())})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    from experiments.cctv_corridor_tune import cache_parser
    from experiments.cctv_dwell_tune import _per_replay

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    cache_parser(sub, "returns")
    a = ap.parse_args(argv)
    cams = a.cameras.split(",") if a.cameras else None
    pd.set_option("display.width", 250)
    t = _per_replay(returns, a.folders, a.grid, cams, a.csv)
    print(t.groupby(["seed", "right"])["sim"].describe().round(3).to_string(), "\n")
    print(table(t).to_string(index=False))


if __name__ == "__main__":
    main()
