"""Tiny scenarios for the terminal model's tests, built as data (like a parsed YAML file)."""

import copy

TINY = {
    "name": "tiny",
    "seed": 1,
    "horizon_s": 3600,
    "terminal": {
        "zones": [
            {"id": "gate", "kind": "gate", "area_m2": 100},
            {"id": "hall", "kind": "immigration_hall", "area_m2": 100},
            {"id": "reclaim", "kind": "baggage_reclaim", "area_m2": 100},
            {"id": "customs", "kind": "customs", "area_m2": 50},
            {"id": "out", "kind": "exit", "area_m2": 50},
        ],
        "walks": [
            {"from": "gate", "to": "hall", "distance_m": 10},
            {"from": "hall", "to": "reclaim", "distance_m": 10},
            {"from": "reclaim", "to": "customs", "distance_m": 10},
            {"from": "customs", "to": "out", "distance_m": 10},
        ],
        # Exact traces walk at free speed: three travelers on a 10 m x 4 m walk are crowded
        # enough to slow by a few 1e-11 s (tests/sim/test_sim_walking.py covers congestion).
        "walking": {"congestion": False},
    },
    "immigration": {
        "egate_banks": [{"id": "eg", "count": 1, "transaction_time": 10,
                         "eligible": ["national"]}],
        "desks": [{"id": "dk", "count": 1, "classes": ["national", "visitor"],
                   "service_time": 30}],
        "recognizer": {"profile": {"fta_rate": 0, "fnmr": 0, "latency": 0}},
    },
    "flights": {
        "deplaning": {"door_open_s": 0, "rate_per_min": 60},
        "schedule": [{"id": "F1", "time_s": 0, "passengers": 2, "gate": "gate"}],
    },
    "travelers": {"mix": {"national": 1.0}, "egate_enrolment": {"national": 1.0},
                  "consent_rate": 1.0, "walking_speed": 1.0, "checked_bag_rate": 0.0},
    "baggage": {"first_bag_s": 0, "delivery_window_s": 0},
    "customs": {"officers": 0, "inspection_rate": 0},
}


def tiny_data(**changes) -> dict:
    """TINY with ``a__b__0__c=value`` style changes (dict keys and list indices)."""
    data = copy.deepcopy(TINY)
    for path, value in changes.items():
        node = data
        keys = [int(k) if k.isdigit() else k for k in path.split("__")]
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return data
