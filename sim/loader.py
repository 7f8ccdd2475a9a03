"""Load a scenario: YAML → defaults (CSV schedule, profile file) → validation → frozen object.

Every failure is a :class:`ScenarioError` whose message names the file, the field path and the
rule, e.g. ``scenarios/icn.yaml: immigration.egate_banks[0].count: must be >= 0, got -2``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.layout import fill_layout
from sim.scenario import ROUTE, Scenario, ZoneKind

PROCESSOR_KINDS = ("egate", "desk", "customs")  # what level_of_service.waits is keyed by

__all__ = ["ScenarioError", "load_scenario", "parse_scenario", "scenario_json"]


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``str()`` names file, field path and rule."""


def _loc(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _rule(err: dict) -> str:
    msg = err["msg"].removeprefix("Value error, ")
    msg = msg.replace("Input should be greater than or equal to", "must be >=")
    msg = msg.replace("Input should be greater than", "must be >")
    msg = msg.replace("Input should be less than or equal to", "must be <=")
    if err["type"] == "extra_forbidden":
        msg = "unknown field (not in the schema; check the spelling)"
    if err["type"] == "missing":
        return "required field is missing"
    return f"{msg}, got {err.get('input')!r}" if "got" not in msg else msg


def _format(source: str, exc: ValidationError, csv_rows: tuple[int, str] | None) -> str:
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        # pydantic puts the union tag in the path (e.g. ``.lognormal``); drop it for readers.
        loc = [p for p in loc if p not in {"fixed", "exponential", "uniform", "lognormal", "gamma",
                                           "triangular", "empirical"}]
        where = source
        if (csv_rows and loc[:2] == ["flights", "schedule"] and len(loc) > 2
                and isinstance(loc[2], int) and loc[2] >= csv_rows[0]):
            where = f"{csv_rows[1]} (row {loc[2] - csv_rows[0] + 2})"
            loc = loc[3:]
        lines.append(f"{where}: {_loc(loc)}: {_rule(err)}")
    return "\n".join(lines)


def _read_schedule_csv(path: Path, source: str) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ScenarioError(f"{source}: flights.schedule_csv: file not found: {path}")
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        required = {"id", "time_s", "passengers", "gate"}
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise ScenarioError(f"{path}: missing columns {sorted(missing)} "
                                f"(need id,time_s,passengers,gate[,origin,delay_s])")
        return [{k: v for k, v in row.items() if v not in (None, "")} for row in reader]


def _check_references(s: Scenario) -> list[str]:
    """Rules that span fields: every id used must exist, times must fall inside the run."""
    errs: list[str] = []
    zones = {z.id: z for z in s.terminal.zones}
    for kind in ROUTE[1:]:
        n = sum(z.kind == kind for z in zones.values())
        if n != 1:
            errs.append(f"terminal.zones: need exactly one zone of kind {kind.value!r}, got {n}")
    gates = {z.id for z in zones.values() if z.kind == ZoneKind.gate}
    if not gates:
        errs.append("terminal.zones: need at least one zone of kind 'gate'")
    for i, w in enumerate(s.terminal.walks):
        for end in ("from_zone", "to_zone"):
            if getattr(w, end) not in zones:
                errs.append(f"terminal.walks[{i}].{end[:-5]}: unknown zone {getattr(w, end)!r}")
    if not errs:
        legs = [(g, s.zone_of_kind(ZoneKind.immigration_hall).id) for g in gates]
        ids = [s.zone_of_kind(k).id for k in ROUTE[1:]]
        legs += list(zip(ids, ids[1:]))
        have = {(w.from_zone, w.to_zone) for w in s.terminal.walks}
        for a, b in legs:
            if (a, b) not in have and not s.terminal.doors:  # with doors, routed on the plan
                errs.append(f"terminal.walks: missing walk from {a!r} to {b!r} (or give "
                            f"terminal.doors to route walks on the floor plan)")
    errs += _check_doors(s, zones)
    imm = s.immigration
    banks = {b.id: b for b in imm.egate_banks}
    desks = {d.id: d for d in imm.desks}
    if len(banks) != len(imm.egate_banks) or len(desks) != len(imm.desks):
        errs.append("immigration: e-gate bank and desk group ids must be unique")
    for i, w in enumerate(imm.roster):
        if w.desks not in desks:
            errs.append(f"immigration.roster[{i}].desks: unknown desk group {w.desks!r}")
        elif w.open > desks[w.desks].count:
            errs.append(f"immigration.roster[{i}].open: must be <= the group's count "
                        f"{desks[w.desks].count}, got {w.open}")
    for i, o in enumerate(imm.outages):
        if o.bank not in banks:
            errs.append(f"immigration.outages[{i}].bank: unknown e-gate bank {o.bank!r}")
        elif o.gates > banks[o.bank].count:
            errs.append(f"immigration.outages[{i}].gates: must be <= the bank's count "
                        f"{banks[o.bank].count}, got {o.gates}")
    served = {c for d in imm.desks for c in d.classes}
    for c in ("national", "resident", "visitor", "first_time_visitor"):
        if getattr(s.travelers.mix, c) > 0 and c not in {x.value for x in served}:
            errs.append(f"immigration.desks: no desk group serves class {c!r}")
    seen = set()
    for i, f in enumerate(s.flights.schedule):
        if f.gate not in gates:
            errs.append(f"flights.schedule[{i}].gate: not a zone of kind 'gate', got {f.gate!r}")
        if f.time_s + f.delay_s >= s.horizon_s:
            errs.append(f"flights.schedule[{i}].time_s: flight {f.id} arrives at "
                        f"{f.time_s + f.delay_s:.0f} s, not before horizon_s {s.horizon_s:.0f}")
        if f.id in seen:
            errs.append(f"flights.schedule[{i}].id: duplicate flight id {f.id!r}")
        seen.add(f.id)
    for i, c in enumerate(s.cameras):
        if c.zone not in zones:
            errs.append(f"cameras[{i}].zone: unknown zone {c.zone!r}")
        if c.kind == "egate" and c.bank not in banks:
            errs.append(f"cameras[{i}].bank: an egate camera needs an existing bank, "
                        f"got {c.bank!r}")
    if len({c.id for c in s.cameras}) != len(s.cameras):
        errs.append("cameras: ids must be unique")
    for i, inc in enumerate(s.incidents):
        if inc.zone not in zones:
            errs.append(f"incidents[{i}].zone: unknown zone {inc.zone!r}")
        if inc.time_s + inc.duration_s > s.horizon_s:
            errs.append(f"incidents[{i}].time_s: ends at {inc.time_s + inc.duration_s:.0f} s, "
                        f"after horizon_s {s.horizon_s:.0f}")
    los = s.level_of_service
    for kind in los.waits:
        if kind not in PROCESSOR_KINDS:
            errs.append(f"level_of_service.waits.{kind}: not a processor kind "
                        f"(one of {', '.join(PROCESSOR_KINDS)})")
    for kind in los.space:
        if kind not in {k.value for k in ZoneKind}:
            errs.append(f"level_of_service.space.{kind}: not a zone kind "
                        f"(one of {', '.join(k.value for k in ZoneKind)})")
    return errs


def _check_doors(s: Scenario, zones: dict) -> list[str]:
    """A door joins two known zones that have polygons, at a point on both outlines."""
    from shapely.geometry import Point, Polygon

    errs = []
    for i, d in enumerate(s.terminal.doors):
        where = f"terminal.doors[{i}]"
        unknown = [z for z in d.between if z not in zones]
        if unknown:
            errs.append(f"{where}.between: unknown zone {unknown[0]!r}")
            continue
        a, b = (zones[z] for z in d.between)
        if a.id == b.id:
            errs.append(f"{where}.between: a door joins two different zones, got {a.id!r} twice")
            continue
        if a.polygon is None or b.polygon is None:
            errs.append(f"{where}.between: zones with doors need polygons, "
                        f"{(a if a.polygon is None else b).id!r} has none")
            continue
        p = Point(d.at)
        for z in (a, b):
            gap = Polygon(z.polygon).exterior.distance(p)
            if gap > 0.05:
                errs.append(f"{where}.at: must lie on the wall of zone {z.id!r}, got "
                            f"({d.at[0]:g}, {d.at[1]:g}), {gap:.2f} m off it")
    return errs


def _check_routes(s: Scenario, source: str) -> None:
    """With doors, every walk of the route must exist on the floor plan."""
    from floorplan.routing import RouteError
    from sim.walking import walk_routes

    try:
        walk_routes(s)
    except (RouteError, KeyError) as exc:
        raise ScenarioError(f"{source}: terminal.doors: {exc.args[0]}") from None


def parse_scenario(data: Any, source: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    """Validate an already-parsed mapping; ``base_dir`` resolves relative file references."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: (top level): must be a mapping of fields, "
                            f"got {type(data).__name__}")
    base_dir = base_dir or Path.cwd()
    data = dict(data)
    csv_rows = None
    flights = data.get("flights")
    if isinstance(flights, dict) and flights.get("schedule_csv"):
        csv_path = (base_dir / flights["schedule_csv"]).resolve()
        rows = _read_schedule_csv(csv_path, source)
        yaml_rows = list(flights.get("schedule") or [])
        csv_rows = (len(yaml_rows), str(csv_path))
        data["flights"] = {**flights, "schedule": yaml_rows + rows}
    recog = (data.get("immigration") or {}).get("recognizer") if isinstance(
        data.get("immigration"), dict) else None
    if isinstance(recog, dict) and recog.get("profile_file"):
        prof_path = (base_dir / recog["profile_file"]).resolve()
        if not prof_path.is_file():
            raise ScenarioError(f"{source}: immigration.recognizer.profile_file: "
                                f"file not found: {prof_path}")
        try:
            profile = json.loads(prof_path.read_text())["profile"]
        except (ValueError, KeyError) as exc:
            raise ScenarioError(f"{prof_path}: not a saved recognizer profile ({exc})") from exc
        data["immigration"] = {**data["immigration"],
                               "recognizer": {**recog, "profile": profile}}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format(source, exc, csv_rows)) from None
    errs = _check_references(scenario)
    if errs:
        raise ScenarioError("\n".join(f"{source}: {e}" for e in errs))
    scenario = fill_layout(scenario)
    if scenario.terminal.doors:
        _check_routes(scenario, source)
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: scenario file not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ScenarioError(f"{path}: not valid YAML{where}: "
                            f"{getattr(exc, 'problem', exc)}") from None
    return parse_scenario(data, str(path), path.parent)


def scenario_json(s: Scenario) -> str:
    """The resolved scenario as JSON that :func:`parse_scenario` reads back to an equal object.

    The CSV schedule and the recognizer profile file are already inlined, so their file names
    are dropped (re-reading the CSV would add its flights twice)."""
    flights = s.flights.model_copy(update={"schedule_csv": None})
    recog = s.immigration.recognizer.model_copy(update={"profile_file": None})
    imm = s.immigration.model_copy(update={"recognizer": recog})
    resolved = s.model_copy(update={"flights": flights, "immigration": imm})
    return resolved.model_dump_json(by_alias=True, indent=1)
