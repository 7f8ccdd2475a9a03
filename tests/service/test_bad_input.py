"""Every bad input gets a 4xx whose body names the problem; none crashes the server."""

from __future__ import annotations

import cv2
import httpx
import numpy as np
import pytest

from http_helpers import auth, enroll, jpeg_part, verify


@pytest.fixture(scope="module")
def enrolled(service, faces):
    assert enroll(service.url, "bad-A", faces.enrol[0]).status_code == 200
    return "bad-A"


def post_verify(url, image_bytes, template_id="bad-A"):
    return httpx.post(f"{url}/v1/verify", files=jpeg_part(image_bytes),
                      data={"template_id": template_id}, timeout=60)


def expect(r: httpx.Response, status: int, code: str, *words: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code, body
    for w in words:
        assert w in body["detail"], body
    return body


def test_not_an_image(service, enrolled):
    expect(post_verify(service.url, b"GIF89a this is not a photo"), 415, "not_an_image",
           "image", "not a JPEG or PNG")


def test_truncated_jpeg(service, enrolled, faces):
    data = faces.live[0]
    expect(post_verify(service.url, data[: len(data) * 2 // 3]), 422, "truncated_image",
           "truncated", str(len(data) * 2 // 3))


def without_quant_tables(jpeg: bytes) -> bytes:
    """The JPEG with its DQT segments cut out: whole, well framed, and undecodable."""
    out, i = bytearray(jpeg[:2]), 2
    while jpeg[i + 1] != 0xDA:
        n = 2 + int.from_bytes(jpeg[i + 2:i + 4], "big")
        if jpeg[i + 1] != 0xDB:
            out += jpeg[i:i + n]
        i += n
    return bytes(out + jpeg[i:])


def test_corrupt_jpeg(service, enrolled, faces):
    expect(post_verify(service.url, without_quant_tables(faces.live[0])), 422, "corrupt_image",
           "JPEG", "could not decode")
    # A JPEG start and then noise: no frame header at all.
    noise = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    expect(post_verify(service.url, b"\xff\xd8\xff\x00" + noise), 422, "corrupt_image",
           "no readable image header")


def test_truncated_png(service, enrolled):
    ok, png = cv2.imencode(".png", np.full((64, 64, 3), 90, np.uint8))
    png = png.tobytes()
    expect(post_verify(service.url, png[:-20]), 422, "truncated_image", "PNG")


def test_empty_body(service, enrolled):
    expect(post_verify(service.url, b""), 422, "empty_image", "empty")
    r = httpx.post(f"{service.url}/v1/verify", data={"template_id": "bad-A"}, timeout=30)
    expect(r, 422, "invalid_request", "image")  # no image part at all


def test_over_the_byte_limit(service, enrolled):
    # The test server takes 1 MiB images: a body far over it is refused before it is read...
    big = b"\xff\xd8\xff" + bytes(3 * 1024 * 1024)
    expect(post_verify(service.url, big), 413, "body_too_large", "MiB")
    # ...and an image just over it (the body still within the form allowance) by the image check.
    expect(post_verify(service.url, b"\xff\xd8\xff" + bytes(1024 * 1024)), 413,
           "image_too_large", "1.0 MiB")


def test_over_the_pixel_limit(service, enrolled):
    ok, jpeg = cv2.imencode(".jpg", np.zeros((4200, 4200, 3), np.uint8))
    assert len(jpeg) < 1024 * 1024  # under the byte limit: the pixel count is what is refused
    expect(post_verify(service.url, jpeg.tobytes()), 422, "too_many_pixels", "4200x4200")


def test_unknown_template_id(service, faces):
    expect(verify(service.url, "nobody-42", faces.live[0]), 404, "unknown_template", "nobody-42")


def test_bad_fields(service, faces):
    expect(verify(service.url, "has space", faces.live[0]), 422, "invalid_request", "template_id")
    r = httpx.post(f"{service.url}/v1/identify", files=jpeg_part(faces.live[0]),
                   data={"k": "1000"}, timeout=30)
    expect(r, 422, "invalid_request", "k", "1000")
    r = enroll(service.url, "x-1", faces.enrol[0], consent="maybe", headers=auth())
    expect(r, 422, "invalid_request", "consent")


def test_fields_read_as_the_document_declares(service, faces):
    # Only what the OpenAPI types say: no lax integers or booleans, no empty field read as absent.
    for k in ("+5", "05", "1_0", "5.0"):
        r = httpx.post(f"{service.url}/v1/identify", files=jpeg_part(faces.live[0]),
                       data={"k": k}, timeout=30)
        expect(r, 422, "invalid_request", "k: must be a whole number", f"(got {k!r})")
    r = httpx.post(f"{service.url}/v1/identify", files=jpeg_part(faces.live[0]),
                   data={"k": ""}, timeout=30)
    expect(r, 422, "invalid_request", "k: is empty")
    for consent in ("yes", "1", "True"):
        r = enroll(service.url, "x-3", faces.enrol[0], consent=consent, headers=auth())
        expect(r, 422, "invalid_request", "consent: must be true or false")


def test_a_field_sent_twice_is_refused(service, enrolled, faces):
    # The document declares one value per field; FastAPI alone would keep the last one sent.
    r = httpx.post(f"{service.url}/v1/verify", files=jpeg_part(faces.live[0]),
                   data={"template_id": ["bad-A", "nobody-7"]}, timeout=60)
    expect(r, 422, "invalid_request", "template_id: sent 2 times")
    parts = [("image", ("a.jpg", faces.live[0], "image/jpeg"))] * 2
    r = httpx.post(f"{service.url}/v1/verify", files=parts, data={"template_id": "bad-A"},
                   timeout=60)
    expect(r, 422, "invalid_request", "image: sent 2 times")


def test_unknown_paths_and_methods(service):
    expect(httpx.get(f"{service.url}/v2/nothing"), 404, "not_found", "/v2/nothing")
    r = httpx.get(f"{service.url}/v1/verify")
    expect(r, 405, "method_not_allowed", "GET /v1/verify")
    assert r.headers["allow"] == "POST"


def test_missing_token(service, faces):
    expect(enroll(service.url, "x-2", faces.enrol[0], headers={}), 401, "missing_token",
           "Authorization: Bearer")


def test_server_survives_it_all(service):
    assert httpx.get(f"{service.url}/healthz").status_code == 200
    text = httpx.get(f"{service.url}/metrics").text
    assert 'status="500"' not in text


def test_streamed_body_over_the_limit(service, enrolled):
    # No Content-Length (chunked): the body is counted as it arrives and cut off past the limit.
    def chunks():
        yield (b"--xx\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
               b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff")
        for _ in range(48):
            yield bytes(64 * 1024)

    r = httpx.post(f"{service.url}/v1/verify", content=chunks(), timeout=60,
                   headers={"Content-Type": "multipart/form-data; boundary=xx"})
    expect(r, 413, "body_too_large", "streamed")
