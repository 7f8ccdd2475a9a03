"""Uploaded image bytes to a BGR array, refusing what the pipeline cannot take, with a reason.

Only JPEG and PNG are taken (what cameras and e-gates send). The checks run from cheap to dear:
size, magic bytes, the header's pixel count (so a decompression bomb is refused before it is
decoded), the end marker (OpenCV decodes a truncated JPEG into a grey-padded picture and only
warns, so truncation must be caught here), then the decode itself.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.service.errors import ServiceError

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers that carry the image size (all SOFn but DHT, JPG and DAC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 4096 * 4096
    min_side: int = 16


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.1f} MiB" if n >= 1_048_576 else f"{n} bytes"


def image_format(data: bytes) -> str | None:
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith(PNG_MAGIC):
        return "png"
    return None


def jpeg_size(data: bytes) -> tuple[int, int] | str:
    """(width, height) from the first SOF segment, walking the marker segments; else why not:
    ``"truncated"`` when the data ends first, ``"corrupt"`` when the segments make no sense."""
    i = 2
    while True:
        if i + 4 > len(data):
            return "truncated"
        if data[i] != 0xFF:
            return "corrupt"
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker < 0xC0 and marker != 0x01:  # not a marker (FF 00 is stuffing): not a header
            return "corrupt"
        if marker == 0x01 or 0xD0 <= marker <= 0xD9:  # segments without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in _SOF:
            if i + 9 > len(data):
                return "truncated"
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        if marker == 0xDA:  # scan data before any frame header
            return "corrupt"
        i += 2 + length


def png_size(data: bytes) -> tuple[int, int] | str:
    if len(data) < 24:
        return "truncated"
    if data[12:16] != b"IHDR":
        return "corrupt"
    w, h = struct.unpack(">II", data[16:24])
    return w, h


def jpeg_truncated(data: bytes) -> bool:
    """True when there is no scan, or no end-of-image marker follows the last start-of-scan.

    Inside entropy-coded data 0xFF is always stuffed (FF 00) or a restart marker, so FF D9 after
    the last FF DA is the real end; an EXIF thumbnail's own FF D9 comes before the main scan.
    """
    sos = data.rfind(b"\xff\xda")
    return sos < 0 or data.rfind(b"\xff\xd9") < sos


def decode_image(data: bytes, limits: ImageLimits = ImageLimits(), field: str = "image") -> np.ndarray:
    """Decode a JPEG or PNG upload to a uint8 BGR (H, W, 3) array or raise :class:`ServiceError`."""
    if not data:
        raise ServiceError(422, "empty_image", f"{field}: the upload is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        raise ServiceError(413, "image_too_large", f"{field}: {_mb(len(data))} is over the "
                           f"{_mb(limits.max_bytes)} limit")
    fmt = image_format(data)
    if fmt is None:
        head = data[:8].hex(" ")
        raise ServiceError(415, "not_an_image", f"{field}: not a JPEG or PNG image "
                           f"(first bytes: {head}; {len(data)} bytes)")
    size = jpeg_size(data) if fmt == "jpeg" else png_size(data)
    if size == "truncated":
        raise ServiceError(422, "truncated_image", f"{field}: {fmt.upper()} is truncated (it ends "
                           f"inside its headers; {len(data)} bytes received)")
    if not isinstance(size, tuple):
        raise ServiceError(422, "corrupt_image", f"{field}: {fmt.upper()} has no readable "
                           f"image header ({len(data)} bytes)")
    w, h = size
    if w * h > limits.max_pixels:
        raise ServiceError(422, "too_many_pixels", f"{field}: {w}x{h} = {w * h} pixels is over "
                           f"the {limits.max_pixels} pixel limit")
    if min(w, h) < limits.min_side:
        raise ServiceError(422, "image_too_small", f"{field}: {w}x{h} pixels; need at least "
                           f"{limits.min_side} pixels a side")
    if fmt == "jpeg" and jpeg_truncated(data):
        raise ServiceError(422, "truncated_image", f"{field}: JPEG is truncated (no end-of-image "
                           f"marker after the image data; {len(data)} bytes received)")
    if fmt == "png" and b"IEND" not in data[-16:]:
        raise ServiceError(422, "truncated_image", f"{field}: PNG is truncated (no IEND chunk at "
                           f"the end; {len(data)} bytes received)")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.shape[:2] != (h, w):
        raise ServiceError(422, "corrupt_image", f"{field}: {fmt.upper()} data is corrupt "
                           f"(OpenCV could not decode {w}x{h} pixels from {len(data)} bytes)")
    return image


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    """JPEG bytes of a BGR image (for clients, tests and benchmarks)."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"could not encode a {image.shape} image as JPEG")
    return buf.tobytes()
