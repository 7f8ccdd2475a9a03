"""A belt-stander's ids more than ``window_s`` apart: why no re-link joined them, and what each
reason costs.

    python -m experiments.cctv_relink_tune census /work/runs/cctv-long/s1 \\
        /work/runs/cctv-long/s2 [--grid "r_exchange_s=0"] [--gap 4] [--csv CENSUS.csv]

Each cached camera is replayed through the stream's chain
(``experiments.cctv_corridor_tune.stream_track_camera``; grid keys as there). Every person's
output ids in time (runs of ``cctv_belts_tune.MIN_ROWS`` rows under one id, each box's person as
``cctv_dwell_tune.row_people`` reads it); every two consecutive ids of one person whose runs lie
more than ``--gap`` seconds apart is a **pair**, with the reason no re-link joined them, the
first that holds (the re-linker's dwell rule at :class:`pipeline.cctv.relink.RelinkConfig`'s
defaults, as if ``dwell_s`` were on):

- ``back``: the new id is one the person carried before (``MIN_ROWS`` rows or more): a return
  to an earlier id, such as the swap guard's rejoin or heal, which repairs the id it leaves;
- ``guard split``: one tracker id cut by the swap guard (:mod:`pipeline.cctv.swaps`);
- ``existing id``: the new id was not born on the person (it had followed someone else);
- ``old id went on``: the old id is in view (on someone else) when the new one is born: a swap,
  which no re-link continues;
- ``short, not joined``: apart ``window_s`` or less (the short re-link's gates refused it);
- ``gap > dwell_s``: lost longer than ``DWELL_S``;
- ``not still``: the old id's head strayed more than ``still_radius`` over its last ``still_s``;
- ``moved``: the new head point is more than ``dwell_gate`` body heights from the old last place;
- ``scale``: box widths more than ``max_scale`` apart;
- ``clothes``: torso histograms under ``dwell_appearance``;
- ``margin``: someone in view near the place at least as alike (``dwell_margin``);
- ``dwell off``: the dwell rule would have joined them (it is off by default).

Where the old id went on, what the chain saw at its first row on someone else (the jump):
``jump_dt`` seconds after its last row on the person, ``jump_score`` the box score it took
(under ByteTrack's high score 0.5: its second stage), ``jump_h`` how far (body heights) that
box's head point lies from the old id's last one on the person, and ``own_score`` the score of
the person's own box in that frame (NaN: the person had no box there, missed). A jump at a high
score while the person's own box scored low is ByteTrack's first stage handing the stander's
track the neighbour's head (:class:`pipeline.cctv.crowd_looks.CrowdLooksConfig` ``place``).

Each reason's size: the IDF1 the window gains when every pair of that reason is joined by an
oracle (both runs, the old id's and the new id's rows on the person, under one id of the
person's own), and the rows of the pairs' new runs. Pairs apart ``--gap`` or less are listed
too (``long`` False), with the short re-link's reasons.

``heals`` lists the swap guard's heals (:class:`pipeline.cctv.swaps.SwapConfig` ``heal_s``;
``--grid "s_heal_s=30"``): per heal, the person under the old id's last rows before the cut and
under the new id's rows after the heal (majority of up to ``HEAL_ROWS`` rows), ``right`` where
they are one person, and how many rows the old id then carries.

    python -m experiments.cctv_relink_tune heals /work/runs/cctv-long/s1 --grid "s_heal_s=30"

Tune seeds only (the caches refuse the held-out seeds).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

DWELL_S = 120.0  # census: the dwell rule's horizon taken as "on"
REASONS = ("back", "guard split", "existing id", "old id went on", "short, not joined", "gap > dwell_s", "not still", "moved", "scale",
           "clothes", "margin", "dwell off")
COLS = ["frame", "id", "x1", "y1", "x2", "y2"]
FRESH = 10 ** 8  # repaired: ids of the person's own
HEAL_ROWS = 10  # heals: rows read either side
PAIR_COLS = ["person", "old", "new", "t_first", "t_lost", "t_new", "t_end", "gap_s", "rows",
             "stood_s", "reach_h", "dist_h", "dist_stay_h", "scale", "app", "rival", "settle",
             "settle_s", "jump_dt", "jump_score", "jump_h", "own_score", "reason"]
SETTLE_ROWS = 5  # settle: windows of this many of the new run's rows (SwapConfig.heal_frames)
SETTLE_AT = 0.65  # settle_s: the first window this alike (HIST_GUARD's rejoin_similarity)


def _head(hyp: pd.DataFrame) -> np.ndarray:
    return np.column_stack([(hyp["x1"] + hyp["x2"]).to_numpy() / 2, hyp["y1"].to_numpy()])


def pairs(cam: dict, hyp: pd.DataFrame, gap_s: float = 4.0) -> pd.DataFrame:
    """One row per pair (module docstring) of the replay ``hyp`` (index 0..n-1)."""
    from experiments.cctv_belts_tune import MIN_ROWS, id_changes
    from experiments.cctv_dwell_tune import row_people
    from pipeline.cctv.appearance import similarity
    from pipeline.cctv.relink import HEIGHT_PER_WIDTH, RelinkConfig

    cfg = RelinkConfig()
    people = row_people(cam, hyp)
    ids = hyp["id"].to_numpy()
    raw = np.asarray(hyp.attrs["raw_ids"])
    t = hyp["frame"].to_numpy()
    xy = _head(hyp)
    width = np.maximum((hyp["x2"] - hyp["x1"]).to_numpy(), 1.0)
    hists = hyp.attrs["hists"]
    first = pd.Series(t).groupby(ids).min().to_dict()
    out = []
    for p, rows, a, b in id_changes(people, ids, t):
        i, k = rows[a[2]], rows[b[1]]
        o, n = ids[i], ids[k]
        if t[k] - t[i] < gap_s:
            continue
        born = first[n]
        height = HEIGHT_PER_WIDTH * width[i]
        mine = np.flatnonzero((ids == o) & (t <= t[i]) & (people == p))
        stay = np.median(xy[mine], axis=0)
        trail = mine[t[mine] >= t[i] - cfg.still_s]
        reach = np.hypot(*(xy[trail] - xy[i]).T).max() / height
        on = np.flatnonzero((ids == o) & (np.abs(t - born) < 0.5 + 1e-6))
        dist = np.hypot(*(xy[k] - xy[i])) / height
        dist_stay = np.hypot(*(xy[k] - stay)) / height
        hs = [hists[j] for j in mine if hists[j] is not None]
        app = (similarity(np.sum(hs, axis=0), hists[k])
               if hs and hists[k] is not None else np.nan)
        now = np.flatnonzero((np.abs(t - t[k]) < 1e-6) & (ids != n))
        near = now[np.hypot(*(xy[now] - xy[i]).T) / height <= cfg.dwell_gate]
        rival = max((similarity(np.sum(hs, axis=0), hists[j]) for j in near
                     if hists[j] is not None), default=0.0) if hs else 0.0
        scale = width[k] / width[i]
        settle, settle_s = _settle(hs, hists, rows[b[1]:b[2] + 1], t)
        jump = _jump(ids, t, people, np.asarray(hyp.attrs["scores"], np.float64), xy, o, i,
                     height)
        back = np.count_nonzero(ids[rows[:b[1]]] == n) >= MIN_ROWS
        reason = ("back" if back else "guard split" if raw[i] == raw[k] else
                  "existing id" if born < t[k] - 1.0 else
                  "old id went on" if len(on) else
                  "short, not joined" if t[k] - t[i] <= cfg.window_s else
                  "gap > dwell_s" if t[k] - t[i] > DWELL_S else
                  "not still" if t[i] - t[mine[0]] < cfg.still_s
                  or reach > cfg.still_radius else
                  "moved" if dist > cfg.dwell_gate else
                  "scale" if not 1 / cfg.max_scale <= scale <= cfg.max_scale else
                  "clothes" if not app >= cfg.dwell_appearance else
                  "margin" if app < rival + cfg.dwell_margin else "dwell off")
        out.append({"person": int(p), "old": int(o), "new": int(n), "t_first": t[rows[a[1]]],
                    "t_lost": t[i], "t_new": t[k], "t_end": t[rows[b[2]]],
                    "gap_s": t[k] - t[i], "rows": b[3], "stood_s": t[i] - t[mine[0]],
                    "reach_h": reach, "dist_h": dist, "dist_stay_h": dist_stay, "scale": scale,
                    "app": app, "rival": rival, "settle": settle,
                    "settle_s": settle_s - t[k], **jump, "reason": reason})
    return pd.DataFrame(out, columns=PAIR_COLS)


def jump_kinds(allp: pd.DataFrame) -> pd.DataFrame:
    """The pairs whose old id went on, by what the chain saw at the jump (module docstring):
    ``first stage``: it took a high head while the person's own scored low; ``missed``: the
    person had no box then (``near``: the neighbour's head under :data:`NEAR_H` body heights
    away); ``no row after`` (the old id was in view at the new one's birth, on no known
    person, then lost); ``other``. Pairs and rows per replay."""
    from experiments.cctv_belts_tune import HIGH

    went = allp[allp["reason"] == "old id went on"].copy()
    went["kind"] = np.select(
        [went["jump_dt"].isna(),
         went["own_score"].notna() & (went["own_score"] < HIGH) & (went["jump_score"] >= HIGH),
         went["own_score"].isna()], ["no row after", "first stage", "missed"], "other")
    went["near"] = went["jump_h"] < NEAR_H
    keys = [c for c in went.columns if c not in PAIR_COLS + ["long", "kind", "near"]]
    return went.groupby(keys + ["kind"]).agg(pairs=("rows", "size"), rows=("rows", "sum"),
                                             near=("near", "sum"))


NEAR_H = 0.1  # jump_kinds: a neighbour's head this near (body heights): one behind the other


def _jump(ids, t, people, scores, xy, old: int, last: int, height: float) -> dict:
    """The old id's first row after row ``last`` (its last on the person): when, at what
    score, how far (body heights), and the score of the person's own box then (module
    docstring)."""
    after = np.flatnonzero((ids == old) & (t > t[last] + 1e-6))
    if not len(after):
        return {"jump_dt": np.nan, "jump_score": np.nan, "jump_h": np.nan, "own_score": np.nan}
    j = after[np.argmin(t[after])]
    own = np.flatnonzero((people == people[last]) & (np.abs(t - t[j]) < 1e-6) & (ids != old))
    return {"jump_dt": t[j] - t[last], "jump_score": scores[j],
            "jump_h": np.hypot(*(xy[j] - xy[last])) / height,
            "own_score": scores[own].max() if len(own) else np.nan}


def _settle(old: list, hists: list, new: np.ndarray, t: np.ndarray) -> tuple[float, float]:
    """How alike the new run's looks come back to the old id's (the heal's view): the highest
    similarity of a window of :data:`SETTLE_ROWS` of the new run's histograms against the sum
    of the old's, and the time of the first window at :data:`SETTLE_AT` (NaN: none)."""
    from pipeline.cctv.appearance import similarity

    seen = [j for j in new if hists[j] is not None]
    if not old or len(seen) < SETTLE_ROWS:
        return np.nan, np.nan
    ref = np.sum(old, axis=0)
    sims = [similarity(ref, np.sum([hists[j] for j in seen[w:w + SETTLE_ROWS]], axis=0))
            for w in range(len(seen) - SETTLE_ROWS + 1)]
    at = next((t[seen[w + SETTLE_ROWS - 1]] for w, v in enumerate(sims) if v >= SETTLE_AT),
              np.nan)
    return float(max(sims)), at


def repaired(hyp: pd.DataFrame, people: np.ndarray, chosen: pd.DataFrame) -> pd.DataFrame:
    """``hyp``'s rows with each chosen pair's two runs (the old id's and the new id's rows on
    the person) under one id of the person's own: the pair perfectly joined, the ids' rows on
    others left as they were."""
    out = hyp[COLS].copy()
    ids = out["id"].to_numpy()
    new = ids.copy()
    t = out["frame"].to_numpy()
    for _, r in chosen.iterrows():
        mine = people == r["person"]
        for i, a, b in ((r["old"], r["t_first"], r["t_lost"]), (r["new"], r["t_new"], r["t_end"])):
            new[mine & (ids == i) & (t >= a - 1e-6) & (t <= b + 1e-6)] = FRESH + r["person"]
    out["id"] = new
    return out


def census(folders: list[Path], spec: str, cameras: list[str] | None,
           gap_s: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every pair of every replay, one row per replay and reason: pairs, new-run rows and the
    IDF1 gained when that reason's pairs are repaired)."""
    from experiments.cctv_corridor_tune import replays
    from experiments.cctv_dwell_tune import row_people
    from experiments.cctv_track_tune import score

    allp, sizes = [], []
    for opts, c, truth, hyp in replays(folders, spec, cameras):
        hyp = hyp.reset_index(drop=True)
        key = {**opts, "seed": c["seed"], "camera": c["camera"]}
        p = pairs(c, hyp, 0.0)
        p["long"] = p["gap_s"] > gap_s
        allp.append(p.assign(**key))
        people = row_people(c, hyp)
        base = score(truth, hyp[COLS])["IDF1"]
        scored = int(pd.concat([fr["truth"] for fr in c["frames"]]).shape[0])
        for (long, reason), chosen in list(p.groupby(["long", "reason"])) + [
                ((True, "all"), p[p["long"]]), ((False, "all"), p[~p["long"]])]:
            gain = (score(truth, repaired(hyp, people, chosen))["IDF1"] - base) \
                if len(chosen) else 0.0
            sizes.append({**key, "long": long, "reason": reason, "pairs": len(chosen),
                          "rows": int(chosen["rows"].sum()),
                          "row_share": chosen["rows"].sum() / scored, "IDF1": base,
                          "IDF1_gain": gain})
    return pd.concat(allp, ignore_index=True), pd.DataFrame(sizes)


def _majority(people: np.ndarray) -> int:
    known = people[people >= 0]
    return int(np.bincount(known).argmax()) if len(known) else -1


def heals(folders: list[Path], spec: str, cameras: list[str] | None) -> pd.DataFrame:
    """One row per heal of the swap guard in every replay (module docstring)."""
    from experiments.cctv_corridor_tune import replays
    from experiments.cctv_dwell_tune import row_people
    from experiments.cctv_track_tune import score

    out = []
    for opts, c, truth, hyp in replays(folders, spec, cameras):
        hyp = hyp.reset_index(drop=True)
        print({**opts, "seed": c["seed"], "camera": c["camera"],
               **score(truth, hyp[COLS])})
        people = row_people(c, hyp)
        ids, t = hyp["id"].to_numpy(), hyp["frame"].to_numpy()
        raw = np.asarray(hyp.attrs["raw_ids"])
        for th, new, old in hyp.attrs["heals"]:
            here = np.flatnonzero((ids == old) & (np.abs(t - th) < 1e-6))
            key = raw[here[0]] if len(here) else -1
            before = np.flatnonzero((ids == old) & (t < th))[-HEAL_ROWS:]
            mid = np.flatnonzero(ids == new)
            after = np.flatnonzero((ids == old) & (t >= th) & (raw == key))
            p_old, p_after = _majority(people[before]), _majority(people[after[:HEAL_ROWS]])
            out.append({**opts, "seed": c["seed"], "camera": c["camera"], "t": th,
                        "new": new, "old": old, "cut_s": th - (t[before[-1]] if len(before)
                                                               else np.nan),
                        "new_rows": len(mid), "person_old": p_old,
                        "person_new": _majority(people[mid]), "person_after": p_after,
                        "right": p_old == p_after and p_old >= 0, "rows_after": len(after)})
    return pd.DataFrame(out)


def main(argv=None) -> None:
    from experiments.cctv_corridor_tune import cache_parser

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = cache_parser(sub, "census")
    p.add_argument("--gap", type=float, default=4.0, help="seconds between two ids of a pair")
    cache_parser(sub, "heals")
    a = ap.parse_args(argv)
    cams = a.cameras.split(",") if a.cameras else None
    pd.set_option("display.width", 250)
    if a.cmd == "heals":
        h = heals(a.folders, a.grid, cams)
        if a.csv:
            h.to_csv(a.csv, index=False)
        print(h.round(3).to_string(index=False))
        if len(h):
            print(f"heals {len(h)}, right {int(h['right'].sum())}, rows after "
                  f"{int(h['rows_after'].sum())} (right {int(h.loc[h['right'], 'rows_after'].sum())})")
        return
    allp, sizes = census(a.folders, a.grid, cams, a.gap)
    if a.csv:
        allp.to_csv(a.csv, index=False)
    print(sizes.round(4).to_string(index=False))
    print(jump_kinds(allp).to_string())


if __name__ == "__main__":
    main()
