"""Shipped scenarios validate and run; every kind of bad scenario gets its clear error."""

import json
from pathlib import Path

import numpy as np
import pytest

from sim.kpi import headline, kpi_tables
from sim.loader import ScenarioError, load_scenario, parse_scenario, scenario_json
from sim.terminal import simulate

from tiny_scenarios import tiny_data

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
DEFAULT = next(p for p in SCENARIOS if p.name == "icn_t1_arrivals_peak.yaml")


def test_the_five_shipped_scenarios_are_there():
    names = {p.stem for p in SCENARIOS}
    assert {"icn_t1_arrivals_peak", "regional_airport", "icn_t1_egate_outage",
            "icn_t1_delayed_surge", "icn_t1_full_day"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_shipped_scenario_validates_and_runs(path):
    text = path.read_text()
    assert text.startswith("#"), "a scenario opens with a comment saying what it covers"
    s = load_scenario(path)
    assert s.flights.schedule
    first = min(f.time_s + f.delay_s for f in s.flights.schedule)
    short = s.model_copy(update={"horizon_s": min(s.horizon_s, first + 1800.0)})
    rec = simulate(short, np.random.default_rng(0))
    frames = rec.frames()
    assert len(frames["travelers"]) == sum(f.passengers for f in s.flights.schedule)
    assert frames["travelers"]["arrive_t"].notna().any()
    head = headline(frames, kpi_tables(frames, short), short)
    assert head["travelers_arrived"] > 0


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_resolved_scenario_json_round_trips(path):
    s = load_scenario(path)
    again = parse_scenario(json.loads(scenario_json(s)), "scenario.json")
    # The CSV schedule is inlined, so its file name is dropped; everything else is equal.
    assert again.flights.schedule_csv is None
    assert again.model_dump(exclude={"flights": {"schedule_csv"}}) == s.model_dump(
        exclude={"flights": {"schedule_csv"}})


def test_full_day_reads_its_csv_schedule():
    s = load_scenario(next(p for p in SCENARIOS if p.stem == "icn_t1_full_day"))
    assert s.flights.schedule_csv == "data/icn_day_schedule.csv"
    assert len(s.flights.schedule) > 400
    assert 95_000 <= sum(f.passengers for f in s.flights.schedule) <= 105_000


def test_variants_differ_from_the_default_only_where_they_say():
    base = load_scenario(DEFAULT)
    outage = load_scenario(DEFAULT.with_name("icn_t1_egate_outage.yaml"))
    surge = load_scenario(DEFAULT.with_name("icn_t1_delayed_surge.yaml"))
    assert outage.immigration.outages and not base.immigration.outages
    assert outage.flights == base.flights and outage.immigration.desks == base.immigration.desks
    assert [f.delay_s for f in surge.flights.schedule if f.delay_s] and \
        surge.immigration == base.immigration
    on_blocks = sorted(f.time_s + f.delay_s for f in surge.flights.schedule)[:5]
    assert on_blocks[-1] - on_blocks[0] <= 600  # five aircraft within ten minutes


def write(tmp_path, text, name="bad.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def yaml_of(data) -> str:
    return json.dumps(data)  # JSON is YAML


def test_bad_yaml(tmp_path):
    p = write(tmp_path, "name: x\nhorizon_s: [1, 2\n")
    with pytest.raises(ScenarioError, match=r"bad.yaml: not valid YAML \(line \d+, column \d+\)"):
        load_scenario(p)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope.yaml: scenario file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_unknown_field(tmp_path):
    src = DEFAULT.read_text().replace("seed:", "seeed:", 1)
    with pytest.raises(ScenarioError, match=r"bad.yaml: seeed: unknown field"):
        load_scenario(write(tmp_path, src))


def test_unknown_nested_field_names_its_path(tmp_path):
    data = tiny_data()
    data["immigration"]["desks"][0]["service_tme"] = 30
    with pytest.raises(ScenarioError,
                       match=r"bad.yaml: immigration.desks\[0\].service_tme: unknown field"):
        load_scenario(write(tmp_path, yaml_of(data)))


def test_negative_count(tmp_path):
    data = tiny_data(immigration__egate_banks__0__count=-2)
    with pytest.raises(ScenarioError, match=r"immigration.egate_banks\[0\].count: must be >= 0, "
                                            r"got -2"):
        load_scenario(write(tmp_path, yaml_of(data)))


def test_times_out_of_order(tmp_path):
    data = tiny_data(immigration__roster=[{"desks": "dk", "start_s": 600, "end_s": 300,
                                           "open": 1}])
    with pytest.raises(ScenarioError, match=r"immigration.roster\[0\]: end_s must be after "
                                            r"start_s, got 600.0 → 300.0"):
        load_scenario(write(tmp_path, yaml_of(data)))


def test_flight_after_the_horizon(tmp_path):
    data = tiny_data(flights__schedule__0__time_s=5000)
    with pytest.raises(ScenarioError, match=r"flights.schedule\[0\].time_s: flight F1 arrives "
                                            r"at 5000 s, not before horizon_s 3600"):
        load_scenario(write(tmp_path, yaml_of(data)))


def test_missing_csv(tmp_path):
    data = tiny_data(flights__schedule_csv="data/absent.csv")
    with pytest.raises(ScenarioError, match=r"bad.yaml: flights.schedule_csv: file not found: "
                                            r".*absent.csv"):
        load_scenario(write(tmp_path, yaml_of(data)))


def test_bad_csv_row_names_the_row(tmp_path):
    (tmp_path / "s.csv").write_text("id,time_s,passengers,gate\nA1,10,5,gate\nA2,20,-3,gate\n")
    data = tiny_data(flights__schedule_csv="s.csv", flights__schedule=[])
    with pytest.raises(ScenarioError, match=r"s.csv \(row 3\): passengers: must be >= 0"):
        load_scenario(write(tmp_path, yaml_of(data)))
    (tmp_path / "s.csv").write_text("id,time,passengers,gate\n")
    with pytest.raises(ScenarioError, match=r"missing columns \['time_s'\]"):
        load_scenario(write(tmp_path, yaml_of(data)))


@pytest.mark.parametrize("change, message", [
    ({"flights__schedule__0__gate": "pier_z"},
     r"flights.schedule\[0\].gate: not a zone of kind 'gate', got 'pier_z'"),
    ({"immigration__roster": [{"desks": "dx", "start_s": 0, "end_s": 10, "open": 1}]},
     r"immigration.roster\[0\].desks: unknown desk group 'dx'"),
    ({"immigration__outages": [{"bank": "gx", "start_s": 0, "end_s": 10, "gates": 1}]},
     r"immigration.outages\[0\].bank: unknown e-gate bank 'gx'"),
    ({"terminal__walks__0__to": "nowhere"},
     r"terminal.walks\[0\].to: unknown zone 'nowhere'"),
    ({"cameras": [{"id": "c1", "zone": "attic", "kind": "cctv"}]},
     r"cameras\[0\].zone: unknown zone 'attic'"),
    ({"level_of_service": {"waits": {"kiosk": {"max_wait_s": 60}}}},
     r"level_of_service.waits.kiosk: not a processor kind"),
    ({"travelers__mix": {"national": 0.5, "visitor": 0.4}},
     r"travelers.mix: class shares must sum to 1, got 0.9000"),
    ({"immigration__desks__0__service_time": {"dist": "lognormal", "mean": -3, "sd": 1}},
     r"immigration.desks\[0\].service_time.mean: must be > 0"),
])
def test_bad_references_and_values(tmp_path, change, message):
    with pytest.raises(ScenarioError, match=r"bad.yaml: " + message):
        load_scenario(write(tmp_path, yaml_of(tiny_data(**change))))
