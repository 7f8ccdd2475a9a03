"""Camera frames for the stakeholder page: rendered on demand from a run's records with
:class:`sim.feeds.CctvFeed`, or read from a folder ``airtwin frames`` wrote; overlays of the
ground truth (people with their track ids, left bags, incidents) and of the run's alerts.

Boxes are tables with x0, y0, x1, y1 in pixels, so rendered and saved frames share one drawing
path. Nothing here imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

PERSON, ACTOR, BAG, INCIDENT, ALERT = (60, 200, 60), (0, 160, 255), (255, 200, 0), \
    (0, 140, 255), (40, 40, 230)  # BGR
ALERT_WINDOW_S = 2.0  # alerts this close to the frame's time are drawn on it
MIN_LABEL_PX = 30  # people shorter than this on screen get no id label (it would hide them)
BOX_COLUMNS = ["x0", "y0", "x1", "y1"]


@dataclass(frozen=True)
class Overlays:
    persons: pd.DataFrame  # track_id, actor, activity, x0..y1
    objects: pd.DataFrame  # kind, owner_track_id, x0..y1
    incidents: pd.DataFrame  # label, x0..y1 (NaN: not in view)


def cctv_cameras(scenario_json: dict | None) -> list[str]:
    return [c["id"] for c in (scenario_json or {}).get("cameras", [])
            if isinstance(c, dict) and c.get("kind") == "cctv"]


def replication_records(tables: dict[str, pd.DataFrame], replication: int
                        ) -> dict[str, pd.DataFrame]:
    """One replication's record tables, without the ``replication`` column."""
    out = {}
    for name, df in tables.items():
        d = df[df["replication"] == replication] if "replication" in df else df
        out[name] = d.drop(columns="replication", errors="ignore").reset_index(drop=True)
    return out


def make_feed(scenario_json: dict, camera_id: str, records: dict[str, pd.DataFrame], seed: int):
    """A :class:`sim.feeds.CctvFeed` over a run's recorded replication (nothing simulated).
    ``scenario_json`` is the run's scenario.json, which the loader reads back as written."""
    from sim.feeds import CctvFeed
    from sim.loader import parse_scenario

    return CctvFeed(parse_scenario(scenario_json, "scenario.json"), camera_id, records=records,
                    seed=seed)


def frame_overlays(frame) -> Overlays:
    """The ground truth of a :class:`sim.feeds.Frame` as box tables."""
    persons = pd.DataFrame([(p.track_id, p.actor, p.activity, *p.box) for p in frame.persons],
                           columns=["track_id", "actor", "activity", *BOX_COLUMNS])
    objects = pd.DataFrame([(o.kind, o.owner_track_id, *o.box) for o in frame.objects],
                           columns=["kind", "owner_track_id", *BOX_COLUMNS])
    incidents = pd.DataFrame([(i.label, *(i.box or (np.nan,) * 4)) for i in frame.incidents],
                             columns=["label", *BOX_COLUMNS])
    return Overlays(persons, objects, incidents)


def alerts_near(danger_alerts: pd.DataFrame | None, camera_id: str, t: float,
                window_s: float = ALERT_WINDOW_S) -> pd.DataFrame:
    """The danger alerts of ``camera_id`` within ``window_s`` of ``t``, boxes as x0..y1."""
    cols = ["kind", "t", *BOX_COLUMNS]
    if danger_alerts is None or danger_alerts.empty:
        return pd.DataFrame(columns=cols)
    a = danger_alerts[(danger_alerts["camera"] == camera_id)
                      & ((danger_alerts["t"] - t).abs() <= window_s)]
    a = a.rename(columns={"x1": "x0", "y1": "y0", "x2": "x1", "y2": "y1"})
    return a[cols].reset_index(drop=True)


def _label(img, text: str, x: int, y: int, colour) -> None:
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
    y = max(y, h + base + 2)
    cv2.rectangle(img, (x, y - h - base - 2), (x + w + 4, y), colour, cv2.FILLED)
    cv2.putText(img, text, (x + 2, y - base), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                cv2.LINE_AA)


def _boxes(df: pd.DataFrame):
    ok = df[BOX_COLUMNS].notna().all(axis=1) if len(df) else pd.Series(dtype=bool)
    for row in df[ok].itertuples():
        yield row, tuple(int(round(getattr(row, c))) for c in BOX_COLUMNS)


def draw_overlays(image: np.ndarray, overlays: Overlays, alerts: pd.DataFrame | None = None,
                  ids: bool = True) -> np.ndarray:
    """A copy of the BGR ``image`` with boxes: people green (incident actors orange) with
    their track ids, left bags blue, incidents orange with their kind, alerts red."""
    img = image.copy()
    for row, (x0, y0, x1, y1) in _boxes(overlays.persons):
        colour = ACTOR if bool(getattr(row, "actor", False)) else PERSON
        cv2.rectangle(img, (x0, y0), (x1, y1), colour, 1)
        if ids and y1 - y0 >= MIN_LABEL_PX:
            _label(img, str(row.track_id), x0, y0, colour)
    for row, (x0, y0, x1, y1) in _boxes(overlays.objects):
        cv2.rectangle(img, (x0, y0), (x1, y1), BAG, 2)
        _label(img, "bag", x0, y1 + 16, BAG)
    for row, (x0, y0, x1, y1) in _boxes(overlays.incidents):
        cv2.rectangle(img, (x0 - 3, y0 - 3), (x1 + 3, y1 + 3), INCIDENT, 2)
        _label(img, f"truth: {row.label}", x0 - 3, y1 + 19, INCIDENT)
    if alerts is not None:
        for row, (x0, y0, x1, y1) in _boxes(alerts):
            cv2.rectangle(img, (x0 - 6, y0 - 6), (x1 + 6, y1 + 6), ALERT, 3)
            _label(img, f"ALERT {row.kind}", x0 - 6, y0 - 8, ALERT)
    return img


# --- frames written by `airtwin frames` --------------------------------------------------------
def saved_frames(folder: Path) -> list[Path]:
    """Frame images of an ``airtwin frames`` folder, in order."""
    return sorted(p for p in (folder / "frames").glob("*") if p.suffix.lower() in
                  (".jpg", ".jpeg", ".png"))


def saved_overlays(folder: Path, index: int) -> Overlays:
    """The ground truth of saved frame ``index`` (from persons/objects/incidents.parquet)."""
    def part(name, cols):
        f = folder / f"{name}.parquet"
        if not f.is_file():
            return pd.DataFrame(columns=cols)
        df = pd.read_parquet(f)
        return df[df["frame"] == index].reset_index(drop=True)

    persons = part("persons", ["track_id", "actor", "activity", *BOX_COLUMNS])
    objects = part("objects", ["kind", "owner_track_id", *BOX_COLUMNS])
    incidents = part("incidents", ["label", *BOX_COLUMNS])
    if "visible" in incidents:
        incidents = incidents[incidents["visible"].astype(bool)]
    return Overlays(persons, objects, incidents)
