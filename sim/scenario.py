"""The scenario schema: a terminal, its processors, flights, travelers, cameras and targets.

Units: times in seconds from the start of the run, distances in metres, areas in m², speeds in
m/s. Every model is frozen and forbids unknown fields, so a typo in a YAML file is an error.
Loading (YAML → defaults → validation → frozen object) lives in :mod:`sim.loader`.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.distributions import Distribution, Fixed, Lognormal

Point = tuple[float, float]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TravelerClass(str, Enum):
    national = "national"
    resident = "resident"  # registered foreign resident
    visitor = "visitor"  # foreign visitor who has entered before
    first_time_visitor = "first_time_visitor"  # fingerprints and photo taken at the desk


CLASSES = tuple(c.value for c in TravelerClass)


class ZoneKind(str, Enum):
    gate = "gate"  # aircraft gate / pier where travelers deplane
    immigration_hall = "immigration_hall"
    baggage_reclaim = "baggage_reclaim"
    customs = "customs"
    exit = "exit"  # arrivals hall / landside
    corridor = "corridor"  # rendered only; nobody stops there


# The route every arriving traveler follows, by zone kind.
ROUTE = (ZoneKind.gate, ZoneKind.immigration_hall, ZoneKind.baggage_reclaim, ZoneKind.customs,
         ZoneKind.exit)


class Zone(Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    kind: ZoneKind
    area_m2: float = Field(gt=0)
    # Floor polygon in terminal metres (x east, y north). Omitted: laid out automatically.
    polygon: list[Point] | None = Field(default=None, min_length=3)
    # Set by sim.layout when it drew the polygon (a sketch from the area, not the scenario's).
    laid_out: bool = False
    # Direction travelers are allowed to move in, as a unit-free vector (for counterflow).
    flow_direction: Point | None = None


class Walk(Model):
    """Walking distance between two zones along the passenger path."""

    from_zone: str = Field(alias="from")
    to_zone: str = Field(alias="to")
    distance_m: float = Field(ge=0)


class DoorConfig(Model):
    """An opening in the wall two touching zones share. A scenario with doors walks on its
    floor plan: walking routes and distances are shortest paths through doors and around
    processors, belts and barriers (``floorplan.routing``); typed ``walks`` still override."""

    between: tuple[str, str]  # the two zone ids
    at: Point  # a point on the shared wall, terminal metres
    width_m: float = Field(default=2.0, gt=0.6)  # clear width of the opening, m


class BarrierConfig(Model):
    """A wall or a rope line inside a zone that routes walk around (terminal metres)."""

    points: list[Point] = Field(min_length=2)


class WalkingConfig(Model):
    """How the fast mode moves travelers between processors."""

    # Speed falls with the density of the corridor walked (Weidmann 1993); off: free speed.
    congestion: bool = True
    # Effective width of a walk between zones, m: its floor (distance x width) holds the crowd
    # whose density sets the speed.
    corridor_width_m: float = Field(default=4.0, gt=0)
    # A queue holds what its line's length allows at the row's slot spacing; the rest wait in
    # the hall in front of it (spillback), crowding the walk into the hall. Off: unlimited.
    queue_space: bool = True
    # Typed walks between drawn zones last at least as long as the stretch sim.positions draws
    # of them (sim.walking.typed_span, referral_span), so nobody is drawn hurrying. Off (the
    # default, the figures of before): a typed walk shorter than its drawn route is drawn at
    # whatever pace fits its typed time.
    cover_drawn_routes: bool = False


class TerminalConfig(Model):
    zones: list[Zone] = Field(min_length=1)
    walks: list[Walk] = Field(default_factory=list)
    doors: list[DoorConfig] = Field(default_factory=list)
    barriers: list[BarrierConfig] = Field(default_factory=list)
    walking: WalkingConfig = Field(default_factory=WalkingConfig)


class Placement(Model):
    """Where a row of processors stands and where its queue snakes, in terminal metres."""

    origin: Point  # position of processor 0
    spacing_m: float = Field(default=1.2, gt=0)  # between neighbouring processors, along +x
    queue_path: list[Point] | None = Field(default=None, min_length=2)  # head first
    slot_spacing_m: float = Field(default=0.8, gt=0)  # between travelers standing in the queue


class EgateBank(Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    count: int = Field(ge=0)
    transaction_time: Distribution = Field(
        default_factory=lambda: Lognormal(dist="lognormal", mean=13.0, sd=3.0))
    eligible: list[TravelerClass] = Field(
        default_factory=lambda: [TravelerClass.national, TravelerClass.resident])
    placement: Placement | None = None


class DeskGroup(Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    count: int = Field(ge=0)
    classes: list[TravelerClass] = Field(min_length=1)
    service_time: Distribution = Field(
        default_factory=lambda: Lognormal(dist="lognormal", mean=60.0, sd=20.0))
    # First-time visitors give fingerprints and a photo: their service time is scaled.
    first_time_factor: float = Field(default=1.6, ge=1)
    placement: Placement | None = None


class RosterWindow(Model):
    desks: str  # desk group id
    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    open: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.end_s <= self.start_s:
            raise ValueError(f"end_s must be after start_s, got {self.start_s} → {self.end_s}")
        return self


class Outage(Model):
    bank: str
    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    gates: int = Field(ge=1)  # how many gates of the bank go out of service

    @model_validator(mode="after")
    def _ordered(self):
        if self.end_s <= self.start_s:
            raise ValueError(f"end_s must be after start_s, got {self.start_s} → {self.end_s}")
        return self


class RecognizerProfile(Model):
    """How an e-gate's recognizer behaves, as measured (``airtwin profile``) or configured."""

    fta_rate: float = Field(default=0.01, ge=0, le=1)  # failure to acquire a usable face
    fnmr: float = Field(default=0.02, ge=0, le=1)  # genuine traveler rejected
    fmr: float = Field(default=0.001, ge=0, le=1)  # impostor accepted (no impostors yet)
    latency: Distribution = Field(default_factory=lambda: Fixed(value=0.3))  # s per attempt


class AppearanceChangeConfig(Model):
    """``live`` mode: how travelers changed since their enrolment (passport) photo. On by
    default: a photo is up to ten years old at a real border (sim.faces.ChangeSettings)."""

    enabled: bool = True
    photo_age_years_max: float = Field(default=10.0, ge=0, le=15)  # years, drawn uniformly
    weight_sd_bmi: float = Field(default=2.0, ge=0, le=10)  # BMI points over ten years, sd
    hairstyle_change: float = Field(default=0.4, ge=0, le=1)  # probability per traveler
    facial_hair_change: float = Field(default=0.3, ge=0, le=1)  # male-presenting only
    glasses: float = Field(default=0.15, ge=0, le=1)  # wears glasses at the gate, not in the photo


class LookAlikeConfig(Model):
    """``live`` mode: a share of travelers who are a sibling or twin of the traveler before them
    (same demographics: the same face family), for stress-testing false matches and watchlist
    false hits; labelled in the recognition records."""

    share: float = Field(default=0.0, ge=0, le=0.5)
    twin_share: float = Field(default=0.25, ge=0, le=1)  # of the look-alikes, identical twins


class RecognizerConfig(Model):
    mode: Literal["profile", "live"] = "profile"
    profile: RecognizerProfile = Field(default_factory=RecognizerProfile)
    profile_file: str | None = None  # a saved ``airtwin profile`` result, relative to the YAML
    appearance_change: AppearanceChangeConfig = Field(default_factory=AppearanceChangeConfig)
    look_alikes: LookAlikeConfig = Field(default_factory=LookAlikeConfig)


class Customs(Model):
    officers: int = Field(default=4, ge=0)
    inspection_rate: float = Field(default=0.05, ge=0, le=1)  # share sent to the red channel
    inspection_time: Distribution = Field(
        default_factory=lambda: Lognormal(dist="lognormal", mean=120.0, sd=60.0))


class Immigration(Model):
    egate_banks: list[EgateBank] = Field(default_factory=list)
    desks: list[DeskGroup] = Field(min_length=1)
    roster: list[RosterWindow] = Field(default_factory=list)
    outages: list[Outage] = Field(default_factory=list)
    recognizer: RecognizerConfig = Field(default_factory=RecognizerConfig)
    # An e-gate reject or failure to acquire sends the traveler to a desk.
    referral_walk_m: float = Field(default=15.0, ge=0)


class Mix(Model):
    """Shares per traveler class; must sum to 1."""

    national: float = Field(default=0.0, ge=0, le=1)
    resident: float = Field(default=0.0, ge=0, le=1)
    visitor: float = Field(default=0.0, ge=0, le=1)
    first_time_visitor: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _sums_to_one(self):
        total = self.national + self.resident + self.visitor + self.first_time_visitor
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"class shares must sum to 1, got {total:.4f}")
        return self

    def shares(self) -> list[float]:
        return [getattr(self, c) for c in CLASSES]


class Flight(Model):
    id: str
    time_s: float = Field(ge=0)  # on-blocks time
    passengers: int = Field(ge=0)
    origin: str = ""
    gate: str  # zone id of kind gate
    mix: Mix | None = None  # defaults to travelers.mix
    delay_s: float = Field(default=0.0, ge=0)


class Deplaning(Model):
    door_open_s: Distribution = Field(default_factory=lambda: Fixed(value=180.0))
    rate_per_min: float = Field(default=20.0, gt=0)  # travelers leaving the aircraft per minute


class Flights(Model):
    schedule: list[Flight] = Field(default_factory=list)
    schedule_csv: str | None = None  # columns: id,time_s,passengers,origin,gate[,delay_s]
    deplaning: Deplaning = Field(default_factory=Deplaning)


class Demographics(Model):
    """Shares used to give synthetic identities their attributes (for per-group error rates)."""

    skin_tone: dict[str, float] = Field(
        default_factory=lambda: {"I-II": 0.3, "III-IV": 0.45, "V-VI": 0.25})
    age_band: dict[str, float] = Field(
        default_factory=lambda: {"18-29": 0.25, "30-44": 0.35, "45-59": 0.25, "60+": 0.15})
    sex_presentation: dict[str, float] = Field(
        default_factory=lambda: {"female": 0.5, "male": 0.5})

    @field_validator("skin_tone", "age_band", "sex_presentation")
    @classmethod
    def _shares(cls, value: dict[str, float]):
        if not value or any(v < 0 for v in value.values()) or abs(sum(value.values()) - 1) > 1e-6:
            raise ValueError(f"shares must be >= 0 and sum to 1, got {value}")
        return value


class Travelers(Model):
    mix: Mix
    # Share of each class enrolled for e-gates, and of those, the share consenting to use them.
    egate_enrolment: dict[TravelerClass, float] = Field(
        default_factory=lambda: {TravelerClass.national: 0.9, TravelerClass.resident: 0.6})
    consent_rate: float = Field(default=0.97, ge=0, le=1)
    party_size: Distribution = Field(default_factory=lambda: Fixed(value=1.0))
    walking_speed: Distribution = Field(
        default_factory=lambda: Lognormal(dist="lognormal", mean=1.3, sd=0.25))  # m/s
    checked_bag_rate: float = Field(default=0.75, ge=0, le=1)
    demographics: Demographics = Field(default_factory=Demographics)

    @field_validator("egate_enrolment")
    @classmethod
    def _rates(cls, value):
        for k, v in value.items():
            if not 0 <= v <= 1:
                raise ValueError(f"enrolment rate for {k.value} must be in [0, 1], got {v}")
        return value


class Baggage(Model):
    first_bag_s: Distribution = Field(default_factory=lambda: Fixed(value=900.0))  # after on-blocks
    delivery_window_s: float = Field(default=1200.0, ge=0)  # first to last bag of a flight


class FaceCameraConfig(Model):
    """What makes a CCTV camera able to see faces: the sensor's exposure (motion blur at walking
    speed) and its video compression. The mount (2.5-4 m up, facing the flow, narrow field of
    view, 1920x1080 or 3840x2160) is the camera's own position, yaw, tilt, fov and resolution."""

    shutter_s: float = Field(default=0.01, gt=0, le=0.1)  # exposure time per frame, s
    jpeg_quality: int = Field(default=80, ge=10, le=100)  # the stream's compression (JPEG 1-100)
    # The CCTV head detector's far band on this camera (pipeline.vision.heads.HeadDetector(band=)):
    # heads ending in the frame's top head_band rows (of 1080) looked for again at 1080 rows;
    # 0: off. For far cameras, whose back rows hold heads smaller than the 810-row window
    # (docs/cctv.md: a cheap far band); `airtwin identify-cctv --head-band CAMERA=ROWS` overrides it.
    head_band: int = Field(default=0, ge=0, le=1080)
    # The CCTV person tracker reports a track from the frame of its first head on this camera,
    # not from its second (pipeline.cctv.persons.LibraryTracker(born=True)); False: off. For far
    # cameras, where a walker's head entering the frame or found again after a miss is found
    # frame by frame (docs/cctv.md: a track from its first head).
    track_born: bool = False


class Camera(Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    zone: str
    kind: Literal["egate", "cctv"]
    fps: float = Field(default=10.0, gt=0, le=120)
    resolution: tuple[int, int] = (1280, 720)
    position: tuple[float, float, float] | None = None  # x, y, height in metres
    yaw_deg: float = 0.0  # heading of the optical axis on the floor plane
    tilt_deg: float = Field(default=35.0, ge=0, le=90)  # below horizontal
    fov_deg: float = Field(default=70.0, gt=5, lt=170)  # horizontal field of view
    bank: str | None = None  # for egate cameras
    # Set on a cctv camera placed for faces (choke points): its frames show every traveler's own
    # face at true pixel size, posed, motion-blurred and compressed (sim.cctv.face_view).
    faces: FaceCameraConfig | None = None

    @model_validator(mode="after")
    def _faces_on_cctv(self):
        if self.faces is not None and self.kind != "cctv":
            raise ValueError(f"faces: only a cctv camera can be a face camera, got kind "
                             f"{self.kind!r}")
        return self


IncidentKind = Literal[
    "abandoned_bag", "running", "fall", "loitering", "counterflow", "overcrowding", "tailgating"]


class Incident(Model):
    kind: IncidentKind
    time_s: float = Field(ge=0)
    zone: str
    duration_s: float = Field(default=60.0, gt=0)
    params: dict[str, float | int | str] = Field(default_factory=dict)


class WaitTarget(Model):
    max_wait_s: float = Field(gt=0)
    source: str = ""


class SpaceBand(Model):
    # m² per traveler: above ``high`` over-design, between optimum, below ``low`` sub-optimum.
    low_m2: float = Field(gt=0)
    high_m2: float = Field(gt=0)
    source: str = ""

    @model_validator(mode="after")
    def _ordered(self):
        if self.high_m2 < self.low_m2:
            raise ValueError(f"high_m2 must be >= low_m2, got {self.low_m2} → {self.high_m2}")
        return self


_ADRM = ("IATA Airport Development Reference Manual, 10th ed. (2014), "
         "Level of Service optimum matrix")


class LevelOfService(Model):
    """Targets per processor kind (waits) and zone kind (space). Defaults: IATA ADRM optimum."""

    waits: dict[str, WaitTarget] = Field(default_factory=lambda: {
        # ADRM optimum for inbound passport control: 5–10 min; the band's upper edge is the target.
        "egate": WaitTarget(max_wait_s=600, source=_ADRM + ": passport control 5-10 min"),
        "desk": WaitTarget(max_wait_s=600, source=_ADRM + ": passport control 5-10 min"),
        # No ADRM band for customs; airtwin's own default.
        "customs": WaitTarget(max_wait_s=300, source="airtwin default (no IATA band)"),
    })
    space: dict[str, SpaceBand] = Field(default_factory=lambda: {
        "immigration_hall": SpaceBand(low_m2=1.0, high_m2=1.2,
                                      source=_ADRM + ": passport control 1.0-1.2 m²/pax"),
        "baggage_reclaim": SpaceBand(low_m2=1.5, high_m2=1.7,
                                     source=_ADRM + ": baggage reclaim 1.5-1.7 m²/pax"),
    })


class WatchlistConfig(Model):
    """Watchlisted synthetic identities, searched 1:N at e-gates in ``live`` recognizer mode.

    ``planted`` arriving travelers (picked by seed) are on the list; ``extra_identities`` listed
    people never travel (they make the gallery larger, as a real one is).
    """

    planted: int = Field(default=0, ge=0)
    extra_identities: int = Field(default=0, ge=0)
    top_k: int = Field(default=5, ge=1)  # candidates returned per search
    threshold_fmr: float = Field(default=1e-4, gt=0, lt=1)  # calibrated point used as 1:N cut


class Scenario(Model):
    name: str
    description: str = ""
    seed: int = Field(default=0, ge=0)
    horizon_s: float = Field(gt=0)  # simulated time; whoever is inside then is reported inside
    # fast: the SimPy model alone; pedestrian: JuPedSim also walks the immigration hall
    # (sim/pedestrian/hall.py), replication 0, after the fast replications
    mode: Literal["fast", "pedestrian"] = "fast"
    terminal: TerminalConfig
    immigration: Immigration
    flights: Flights
    travelers: Travelers
    baggage: Baggage = Field(default_factory=Baggage)
    customs: Customs = Field(default_factory=Customs)
    cameras: list[Camera] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    level_of_service: LevelOfService = Field(default_factory=LevelOfService)
    watchlist: WatchlistConfig = Field(default_factory=WatchlistConfig)  # live recognizer mode only

    # --- look-ups used by the model and the renderers -------------------------------------
    def zone(self, zone_id: str) -> Zone:
        for z in self.terminal.zones:
            if z.id == zone_id:
                return z
        raise KeyError(f"unknown zone {zone_id!r}")

    def zone_of_kind(self, kind: ZoneKind) -> Zone:
        for z in self.terminal.zones:
            if z.kind == kind:
                return z
        raise KeyError(f"no zone of kind {kind.value!r}")

    def walk_distance(self, from_zone: str, to_zone: str) -> float:
        """The typed walking distance (see ``sim.layout.walk_routes`` for routed ones)."""
        for w in self.terminal.walks:
            if w.from_zone == from_zone and w.to_zone == to_zone:
                return w.distance_m
        raise KeyError(f"no walk from {from_zone!r} to {to_zone!r}")

    def camera(self, camera_id: str) -> Camera:
        for c in self.cameras:
            if c.id == camera_id:
                return c
        known = ", ".join(c.id for c in self.cameras) or "none"
        raise KeyError(f"unknown camera {camera_id!r} (scenario has: {known})")
