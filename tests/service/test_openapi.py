"""The OpenAPI document tells the truth: schemathesis generates requests from it, valid and
invalid, sends them to a real ``airtwin serve`` on loopback and runs every check it has (status
codes, bodies and headers as declared, valid data accepted, invalid data refused, auth enforced,
unsupported methods answered 405, no 5xx), in every phase, as ``schemathesis run --checks all``.

The server is its own (memory-only store): generated enrolments must not land in the gallery the
other service tests search. Runs are deterministic (fixed seed, no example database) and bounded
(``MAX_EXAMPLES`` per operation and phase).

Pictures are the one thing a JSON Schema cannot describe: the document says the ``image`` part is
``image/jpeg`` or ``image/png``, and a strategy registered for those media types sends real ones
(faces, a face-less frame, a small PNG, and CCTV frames of the site's cameras' size). Everything
else is generated from the document alone.

The server watches the incidents demo's floor (``--site``), so ``POST /v1/analyze`` runs danger
detection and ``POST /v1/cctv/frame`` CCTV identification for real (a frame strategy sends each
camera's size with a synthetic face walking through it, so tracks and face searches run). The
document gives the site's camera ids as ``camera_id``'s examples, so the
examples phase sends each camera a frame of its size: the 200 answer and its body are checked too,
not only the refusals (generated ids are never a camera of the site).
"""

from __future__ import annotations

from collections import Counter

import cv2
import httpx
import jsonschema_rs
import numpy as np
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.specs.openapi.media_types import unregister_all

from floorplan.site import read_site
from http_helpers import TOKEN
from pipeline.service.imaging import encode_jpeg
from pipeline.service.launcher import ServiceProcess

MAX_EXAMPLES = 50
SEED = 20240610
FACE_WALKER_SEED = 6161  # synthetic identity walking through CCTV frames


@pytest.fixture(scope="module")
def fresh_service(tmp_path_factory, site_file):
    tmp = tmp_path_factory.mktemp("openapi")
    (tmp / "token").write_text(TOKEN + "\n")
    proc = ServiceProcess(["--backend", "dlib", "--token-file", str(tmp / "token"),
                           "--audit-log", str(tmp / "audit.jsonl"), "--site", str(site_file)],
                          env={"AIRTWIN_API_TOKEN": None, "AIRTWIN_TEMPLATE_KEY": None})
    proc.start()
    yield proc
    proc.stop()


def cctv_frame(width: int, height: int) -> np.ndarray:
    """An empty hall as a camera of that size sees it: a grey floor with tile lines."""
    frame = np.full((height, width, 3), 175, np.uint8)
    frame[::40] = 140
    return frame


def faces_frames(width: int, height: int) -> list[bytes]:
    """JPEG frames of that size with a synthetic face walking through (CCTV identification
    finds, tracks and searches it)."""
    from experiments.cctv_composite import Walker, composite_stream

    walker = Walker(1, (FACE_WALKER_SEED, 0), 45, 0.0, 600, height // 4, (40, 40, 200))
    return [encode_jpeg(f.image) for f in composite_stream("cam", [walker], 0.5, 1.0,
                                                           size=(width, height))]


@pytest.fixture(scope="module")
def pictures(faces, site_file) -> dict[str, bytes]:
    """What an ``image`` part holds, registered for the run and unregistered after it; the
    JPEG frame of each CCTV camera of the site, by camera id."""
    cameras = read_site(site_file).cameras
    sizes = sorted({(c.width, c.height) for c in cameras})
    jpegs = {size: encode_jpeg(cctv_frame(*size)) for size in sizes}
    walking = [jpeg for size in sizes for jpeg in faces_frames(*size)]
    small = np.full((64, 64, 3), 90, np.uint8)
    pngs = [cv2.imencode(".png", frame)[1].tobytes()
            for frame in [small, *(cctv_frame(w, h) for w, h in sizes)]]
    schemathesis.openapi.media_type("image/jpeg",
                                    st.sampled_from([*faces.enrol, faces.blank, *jpegs.values(),
                                                     *walking]))
    schemathesis.openapi.media_type("image/png", st.sampled_from(pngs))
    yield {c.id: jpegs[c.width, c.height] for c in cameras}
    unregister_all()


def form_fields_are_valid(doc: dict, case, body: dict | None = None) -> bool:
    """Whether the form fields of a multipart ``case`` (all but its files; ``body`` in place of
    its own when given) meet the document."""
    content = doc["paths"][case.path][case.method.lower()]["requestBody"]["content"]
    ref = content["multipart/form-data"]["schema"]["$ref"]
    form = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    body = case.body if body is None else body
    fields = {k: v for k, v in body.items() if not isinstance(v, bytes)}
    files = set(body) - set(fields)
    schema = {**form, "properties": {k: v for k, v in form["properties"].items() if k not in files},
              "required": [k for k in form.get("required", []) if k not in files]}
    return jsonschema_rs.Draft202012Validator(schema).is_valid(fields)


def as_sent(body: dict) -> dict:
    """A multipart body as its parts arrive: schemathesis sends a list as one part per item, so
    a one-item list arrives as exactly the parts of its item."""
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in body.items()}


def describe(check, case, interaction) -> str:
    failure, sample = check.failure_info.failure, check.failure_info.code_sample
    phase = case.meta.phase if case.meta is not None else None
    where = f"\n  {phase.name.value}: {getattr(phase.data, 'description', '')}" if phase else ""
    got = ""
    if interaction is not None and interaction.response is not None:
        got = (f"\n  got {interaction.response.status_code}: "
               f"{(interaction.response.content or b'')[:300]!r}")
    return (f"{check.name}: {failure.operation}: {failure.title}: {failure.message}{where}"
            f"{got}\n  "
            f"{sample[:400]}{'...' if len(sample) > 400 else ''}")


def run_schemathesis(url: str, frames: dict[str, bytes]) -> tuple[list[str], Counter]:
    """Every phase with every check; the problems found and the statuses answered, by operation
    (``frames``: a JPEG frame of each CCTV camera of the service's site, by camera id)."""
    config = SchemathesisConfig.from_dict({
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                       "mode": "all"},
        "checks": {"enabled": True},
        "auth": {"openapi": {"apiToken": {"bearer": TOKEN}}},
        "request-timeout": 60,
    })
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", config=config)
    doc = schema.raw_schema

    @schema.hook
    def filter_failure(ctx, failure, case, response) -> bool:
        # schemathesis 4.32's coverage phase sends a multipart body with custom-encoded parts
        # with every other required field set to "" and calls it valid: the document forbids
        # that (template_id has a pattern, consent is a boolean), so the server is right to say
        # 422. Only that mislabelling is dropped; a valid body refused still fails the test.
        # And its negative phase turns a string field into a one-item list and calls the body
        # invalid, but a one-item list is sent as the same single part as the string: the server
        # receives a valid body and is right to answer it. Only bodies whose parts as sent meet
        # the document are dropped; a two-item list is refused (422, "sent 2 times").
        if not isinstance(case.body, dict):
            return True
        if "positive_data_acceptance" in failure.checks and not form_fields_are_valid(doc, case):
            return False
        return not ("negative_data_rejection" in failure.checks
                    and form_fields_are_valid(doc, case, as_sent(case.body)))

    @schema.hook
    def before_add_examples(ctx, examples):
        # schemathesis 4.32's examples phase completes an example body (here: the site's camera
        # ids, from the document) by drawing the parts it lacks from the JSON Schema alone,
        # without the image part's encoding: the image becomes a short string, not a picture,
        # yet the case is called valid. Each such case gets a frame of its camera's size, as
        # the registered strategies give every other phase, so it is valid and answered 200.
        for case in examples:
            if isinstance(case.body, dict) and case.body.get("camera_id") in frames:
                case.body["image"] = frames[case.body["camera_id"]]
                case.multipart_content_types = {"image": "image/jpeg"}

    problems: list[str] = []
    answered: Counter = Counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for case_id, interaction in event.recorder.interactions.items():
                if interaction.response is not None:
                    operation = event.recorder.cases[case_id].value.operation.label
                    answered[operation, interaction.response.status_code] += 1
            for case_id, checks in event.recorder.checks.items():
                problems += [describe(c, event.recorder.cases[case_id].value,
                                      event.recorder.interactions.get(case_id))
                             for c in checks if c.failure_info is not None]
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            problems.append(f"error: {event}")
    return sorted(set(problems)), answered


def test_the_service_does_what_its_document_says(fresh_service, pictures):
    problems, answered = run_schemathesis(fresh_service.url, pictures)
    assert answered.total() > 100, f"only {answered.total()} requests were answered"
    # Frames were analysed, not only refused: the 200 body was checked against the document.
    assert answered["POST /v1/analyze", 200] > 0, sorted(answered.items())
    assert answered["POST /v1/cctv/frame", 200] > 0, sorted(answered.items())
    assert not problems, f"{len(problems)} problems:\n\n" + "\n\n".join(problems)


def test_every_error_is_documented_as_error_body(fresh_service, site_file):
    doc = httpx.get(f"{fresh_service.url}/openapi.json").json()
    assert "HTTPValidationError" not in str(doc)
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                if status >= "400" and path != "/readyz":
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), (method, path, status)
    enroll = doc["paths"]["/v1/enroll"]["post"]
    assert "401" in enroll["responses"] and enroll["security"] == [{"apiToken": []}]
    for path in ("/v1/enroll", "/v1/verify", "/v1/identify", "/v1/analyze", "/v1/cctv/frame"):
        responses = doc["paths"][path]["post"]["responses"]
        assert responses["429"]["headers"]["Retry-After"]["required"] is True
        form = doc["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]
        name = form["schema"]["$ref"].rsplit("/", 1)[-1]
        assert doc["components"]["schemas"][name]["properties"]["image"]["minLength"] == 1
        assert form["encoding"]["image"]["contentType"] == "image/jpeg, image/png"
    k = doc["components"]["schemas"]["Body_identify_v1_identify_post"]["properties"]["k"]
    assert (k["minimum"], k["maximum"]) == (1, 100)  # 100: ServiceConfig.max_top_k's default
    analyze = doc["paths"]["/v1/analyze"]["post"]
    assert {"404", "409", "413", "415", "422", "429", "503"} <= set(analyze["responses"])
    form = doc["components"]["schemas"]["Body_analyze_v1_analyze_post"]["properties"]
    assert form["camera_id"]["examples"] == [c.id for c in read_site(site_file).cameras]
    cctv = doc["paths"]["/v1/cctv/frame"]["post"]
    assert {"404", "409", "413", "415", "422", "429", "503"} <= set(cctv["responses"])
    form = doc["components"]["schemas"]["Body_cctv_frame_v1_cctv_frame_post"]["properties"]
    assert form["camera_id"]["examples"] == [c.id for c in read_site(site_file).cameras]
    body = doc["components"]["schemas"]["CctvFrameResponse"]["properties"]
    assert {"tracks", "identifications", "threshold"} <= set(body)
