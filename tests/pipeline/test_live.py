"""Live recognizer mode end to end on a tiny scenario, and profile files that scenarios load."""

import json
import math

import numpy as np
import pytest

from pipeline.calibration import save_calibration
from experiments.live_egate import LiveGateVerifier, live_verifier_factory
from experiments.profile import build_profile, save_profile, synthetic_transactions
from sim.loader import parse_scenario
from sim.replications import run_one


def _tiny(default_scenario, **recognizer):
    d = default_scenario.model_dump(mode="json", by_alias=True)
    d["horizon_s"] = 3000
    d["flights"]["schedule"] = [{"id": "T1", "time_s": 0, "passengers": 6, "gate": "pier_east"}]
    d["flights"]["deplaning"]["door_open_s"] = {"dist": "fixed", "value": 10}
    d["travelers"]["mix"] = {"national": 1.0}
    d["travelers"]["party_size"] = {"dist": "fixed", "value": 1}
    d["travelers"]["egate_enrolment"] = {"national": 1.0}
    d["travelers"]["consent_rate"] = 1.0
    # Same-day photos unless a test asks for change over time (see conftest.SAME_DAY).
    d["immigration"]["recognizer"]["appearance_change"] = {"enabled": False}
    d["immigration"]["recognizer"].update(recognizer)
    d["incidents"] = []
    d["immigration"]["roster"] = []
    d["watchlist"] = {"planted": 2, "extra_identities": 2, "top_k": 3}
    return parse_scenario(d, "tiny")


def test_live_mode_runs_the_real_pipeline(default_scenario, dlib_calibration, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRTWIN_CALIBRATION_DIR", str(tmp_path))
    save_calibration(dlib_calibration)
    s = _tiny(default_scenario, mode="live")
    factory = live_verifier_factory(s, backend="dlib")
    assert factory.operating_point.calibrated
    rep = run_one(s, 0, 123, factory)
    tx, rec = rep.records["egate_transactions"], rep.records["recognition"]
    assert len(tx) == len(rec) >= 6  # everyone enrolled and consenting: all go to e-gates
    merged = tx.merge(rec, on="traveler_id")
    assert (merged["outcome"] == merged["decision"]).all()
    assert np.allclose(merged["recognizer_s"], merged["total_s"])  # measured latency is used
    assert (rec["total_s"] > 0).all() and (rec["detect_s"] > 0).all() and rec["genuine"].all()
    assert rec["threshold"].eq(dlib_calibration.thresholds["1e-03"]).all()
    assert (rec["decision"] == "pass").mean() >= 0.5
    passed = rec[rec["decision"] == "pass"]
    assert (passed["score"] >= passed["threshold"]).all()
    assert set(rec["skin_tone"]) <= {"I-II", "III-IV", "V-VI"}
    assert (rec["photo_age_years"] == 0).all() and (rec["look_alike_of"] == -1).all()
    # watchlist: every acquired capture was searched; planted travelers find themselves first
    searches, hits = rep.records["watchlist_searches"], rep.records["watchlist_hits"]
    assert len(searches) == (rec["decision"] != "fta").sum()
    mated = searches[searches["mated"]]
    assert len(mated) >= 1 and (mated["mate_rank"] == 1).all()
    assert set(hits["traveler_id"]) <= set(searches["traveler_id"])
    assert (searches[~searches["mated"]]["mate_rank"].isna()).all()


def test_live_mode_ages_photos_and_labels_look_alikes(default_scenario, dlib_recognizer):
    # Ten-year-old photos and every traveler after the first a sibling or twin of the one
    # before: the ground truth lands in the recognition records.
    from pipeline.calibration import OperatingPoint

    s = _tiny(default_scenario, mode="live", appearance_change={"enabled": True},
              look_alikes={"share": 0.5, "twin_share": 0.5})
    v = LiveGateVerifier(s, dlib_recognizer, OperatingPoint(0.9, 1e-3, True, "test"), 3)

    class Traveler:
        consent, skin_tone, age_band, sex = True, "III-IV", "30-44", "male"

        def __init__(self, i):
            self.id, self.identity_key = i, (3, i)
    for i in range(6):
        v.verify(Traveler(i), 10.0 * i)
    rec = v.frames()["recognition"]
    assert rec["photo_age_years"].between(0, 10).all() and rec["photo_age_years"].gt(0).any()
    kin = rec[rec["look_alike_of"] >= 0]
    assert len(kin) >= 1 and (kin["look_alike_of"] == kin["traveler_id"] - 1).all()
    assert set(kin["look_alike_kind"]) <= {"twin", "sibling"}
    assert rec.loc[rec["traveler_id"] == 0, "look_alike_of"].item() == -1


def test_live_verifier_never_enrols_a_non_consenting_traveler(default_scenario, dlib_recognizer):
    from pipeline.calibration import OperatingPoint

    s = _tiny(default_scenario)
    v = LiveGateVerifier(s, dlib_recognizer, OperatingPoint(0.9, 1e-3, True, "test"), 0)

    class Refuser:
        id, consent, identity_key = 7, False, (0, 7)
        skin_tone, age_band, sex = "I-II", "30-44", "female"
    with pytest.raises(ValueError, match="did not consent"):
        v.verify(Refuser(), 10.0)
    assert v.frames()["recognition"].empty


def test_profile_round_trip_loads_into_a_scenario(default_scenario, dlib_recognizer,
                                                  dlib_calibration, tmp_path):
    from pipeline.calibration import OperatingPoint

    op = OperatingPoint(dlib_calibration.thresholds["1e-03"], 1e-3, True, "fixture")
    table = synthetic_transactions(dlib_recognizer, op, n=3)
    assert len(table) == 6 and table["genuine"].sum() == 3
    prof = build_profile(table, dlib_recognizer, "dlib", op)
    path = save_profile(prof, tmp_path / "dlib_profile.json")
    saved = json.loads(path.read_text())
    assert saved["profile"]["latency"]["dist"] == "empirical"
    assert len(saved["profile"]["latency"]["values"]) == 3
    d = default_scenario.model_dump(mode="json", by_alias=True)
    d["immigration"]["recognizer"] = {"mode": "profile", "profile_file": "dlib_profile.json"}
    s = parse_scenario(d, "with_profile", base_dir=tmp_path)
    p = s.immigration.recognizer.profile
    assert p.fta_rate == pytest.approx(saved["profile"]["fta_rate"])
    assert p.fnmr == pytest.approx(saved["profile"]["fnmr"])
    assert p.latency.mean == pytest.approx(np.mean(saved["profile"]["latency"]["values"]))
    assert all(v > 0 for v in saved["profile"]["latency"]["values"])
    assert not math.isnan(saved["threshold"]) and saved["calibrated"]
