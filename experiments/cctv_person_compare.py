"""Person boxes for CCTV tracking side by side: the bodies detected faces imply (``faces``)
against a person detector with the faces attached (``mog2``, ...), on the same frames, the same
gallery and the same recogniser.

    python -m experiments.cctv_person_compare scenarios/cctv_identification.yaml --seed 102 \\
        --from 1300 --to 1305 --cameras corridor_far,corridor_near,reclaim_exit \\
        --persons faces,mog2 --out runs/person-compare

Each camera's frames are rendered once (kept as arrays in a scratch folder) and each enrolment
photo once, then every person source makes one ``identify-cctv`` run folder under ``--out``
(manifest gallery, ``--holdout``), evaluated as ``airtwin evaluate-tracking`` evaluates it.
Prints per-camera HOTA, IDF1 and MOTA (against everyone in view), cross-camera IDF1 and the
CPU real-time factor per source.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd


def cached_source(source, scratch: Path):
    """``source`` whose frames are rendered on the first pass and read back after, and whose
    enrolment photos are rendered once."""
    done: dict[str, list] = {}

    def frames(cid):
        if cid in done:
            for t, path, persons in done[cid]:
                yield _Frame(np.load(path), t, persons)
            return
        kept = []
        for i, f in enumerate(source.frames(cid)):
            path = scratch / f"{cid}_{i:05d}.npy"
            np.save(path, f.image)
            kept.append((f.t, path, f.persons))
            yield f
        done[cid] = kept

    photo = source.enrolment_photo and functools.lru_cache(maxsize=None)(source.enrolment_photo)
    return replace(source, frames=frames, enrolment_photo=photo)


class _Frame:
    def __init__(self, image, t, persons):
        self.image, self.t, self.persons = image, t, persons


def compare(source, persons: list[str], out: Path, seed: int, holdout: float,
            head_options: dict | None = None) -> pd.DataFrame:
    from experiments.cctv_evaluate import evaluate_run
    from experiments.cctv_identify import identify_cctv, prepare_backend
    from outputs.run import write_run

    parts = prepare_backend("insightface", frame_sizes=[c.size for c in source.cameras.values()])
    rows = []
    with tempfile.TemporaryDirectory(prefix="cctv-frames-") as scratch:
        src = cached_source(source, Path(scratch))
        for p in persons:
            tables, meta = identify_cctv(src, "manifest", parts, seed=seed, holdout=holdout,
                                         persons=p,
                                         person_options=head_options if p == "heads" else None)
            run = write_run(out / p, tables, {"seed": seed, "gallery_policy": "manifest",
                                              "mass_enrolment_policy": meta["marked"],
                                              "cctv": meta}, source.describe_json())
            ev, _ = evaluate_run(run)
            tr = ev["cctv_tracking"].set_index("camera")
            rt = ev["cctv_realtime"].set_index("camera")
            cross = float(ev["cctv_cross_camera"]["IDF1"].iloc[0])
            fr = tables["cctv_frames"].groupby("camera")
            for cam in tr.index:
                rows.append({"persons": p, "camera": cam, **{k: float(tr.loc[cam, k]) for k in
                                                             ("HOTA", "IDF1", "MOTA")},
                             "tracks": int(tr.loc[cam, "tracker_ids"]),
                             "gt_ids": int(tr.loc[cam, "gt_ids"]),
                             "boxes_per_frame": float(fr["person_boxes"].mean()[cam]),
                             "rtf_cpu": float(rt.loc[cam, "realtime_factor"]),
                             "cross_camera_IDF1": cross})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    from experiments.cctv_sources import scenario_source

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--from", dest="t_from", type=float, required=True)
    ap.add_argument("--to", dest="t_to", type=float, required=True)
    ap.add_argument("--cameras", default=None, help="comma-separated face camera ids")
    ap.add_argument("--persons", default="faces,mog2", help="person sources to compare")
    ap.add_argument("--holdout", type=float, default=0.2)
    ap.add_argument("--out", type=Path, required=True, help="folder for one run per source")
    ap.add_argument("--head-height", type=int, default=None, help="heads: rows to detect at")
    ap.add_argument("--head-every", type=int, default=None, help="heads: detect every N frames")
    a = ap.parse_args(argv)
    src = scenario_source(a.scenario, a.seed, (a.t_from, a.t_to),
                          a.cameras.split(",") if a.cameras else None)
    head_options = {k: v for k, v in (("height", a.head_height), ("every", a.head_every))
                    if v is not None}
    table = compare(src, a.persons.split(","), a.out, a.seed, a.holdout, head_options or None)
    print(f"seed {a.seed}, {a.t_from:g}-{a.t_to:g} s")
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
