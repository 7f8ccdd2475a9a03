"""The tune tools refuse every held-out CCTV seed, the long-window ones (104, 105: FPIR 1e-3)
as well as the peak minutes (101-103), before rendering anything. Fails where 104-105 are
missing from the one list (experiments.cctv_track_tune.HELD_OUT)."""

from pathlib import Path

import pytest

from experiments import cctv_speed_check

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "cctv_identification.yaml"


@pytest.mark.parametrize("seed", [101, 104, 105, 110])
def test_a_held_out_seed_is_refused(seed):
    with pytest.raises(SystemExit, match="held out"):
        cctv_speed_check.main(["band-cost", str(SCENARIO), "--seed", str(seed), "--from",
                               "1340", "--to", "1341", "--cameras", "hall_exit"])
