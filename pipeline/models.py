"""Model packs for the ``insightface`` backend: where they are, which file does what, which
onnxruntime providers run them, and downloading one for users who are online.

A pack is a folder of ONNX files as insightface ships them (``buffalo_l``: ``det_10g.onnx`` SCRFD
detector, ``w600k_r50.onnx`` ArcFace recogniser, plus models airtwin does not use). It is found
from, in order: an explicit ``model_dir``, the ``AIRTWIN_MODEL_DIR`` environment variable, then
insightface's usual ``~/.insightface/models/<name>``. Files are picked by their names (or by the
pack's ``manifest.json`` where it has one), never by guessing from tensor shapes.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

ENV_MODEL_DIR = "AIRTWIN_MODEL_DIR"
DEFAULT_PACK = "buffalo_l"
# Packs insightface publishes as zips on its model-zoo release (what its own download fetches).
KNOWN_PACKS = ("buffalo_l", "buffalo_m", "buffalo_s", "buffalo_sc", "antelopev2")
INSIGHTFACE_ROOT = "~/.insightface"
_DETECTOR_PREFIXES = ("det_", "scrfd")
_RECOGNISER_PREFIXES = ("w600k", "glint", "arcface", "webface", "ms1m")
PROVIDERS = {
    "cpu": ["CPUExecutionProvider"],
    "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
    "tensorrt": ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
}


class ModelPackError(RuntimeError):
    """A model pack that cannot be found, read or downloaded; the message says what to do."""


@dataclass(frozen=True, slots=True)
class ModelPack:
    path: Path
    detector: Path  # SCRFD ONNX file
    recogniser: Path  # ArcFace ONNX file

    @property
    def recogniser_name(self) -> str:
        return self.recogniser.stem


def _how_to_get_one(name: str) -> str:
    return (f"get a pack with `airtwin models download {name}` (needs internet), or pass "
            f"--model-dir / set {ENV_MODEL_DIR} to a folder holding a SCRFD detector "
            f"(det_*.onnx) and an ArcFace recogniser (w600k_*.onnx); the dlib backend needs "
            f"no model folder")


def pack_dir(model_dir: str | Path | None = None, name: str = DEFAULT_PACK) -> Path:
    """The pack folder: ``model_dir``, else $AIRTWIN_MODEL_DIR, else ~/.insightface/models/name."""
    for source, value in (("--model-dir", model_dir), (ENV_MODEL_DIR, os.environ.get(ENV_MODEL_DIR))):
        if value:
            path = Path(value).expanduser()
            if not path.is_dir():
                raise ModelPackError(f"model folder {path} (from {source}) does not exist "
                                     f"or is not a folder")
            return path.resolve()
    path = Path(INSIGHTFACE_ROOT, "models", name).expanduser()
    if not path.is_dir():
        raise ModelPackError(f"no insightface model pack found: no --model-dir given, "
                             f"{ENV_MODEL_DIR} not set, and {path} does not exist; "
                             + _how_to_get_one(name))
    return path.resolve()


def _pick(files: list[Path], prefixes: tuple[str, ...], role: str, folder: Path) -> Path:
    hits = [f for f in files if f.name.lower().startswith(prefixes)]
    if len(hits) != 1:
        found = ", ".join(f.name for f in files) or "no .onnx files"
        what = "no" if not hits else "more than one"
        raise ModelPackError(f"model folder {folder}: {what} {role} file (names starting with "
                             f"{' or '.join(prefixes)}); found: {found}")
    return hits[0]


def find_pack(model_dir: str | Path | None = None, name: str = DEFAULT_PACK) -> ModelPack:
    """Locate the pack and its detector and recogniser files (no model is loaded)."""
    folder = pack_dir(model_dir, name)
    from insightface.model_zoo.package_manifest import (has_model_package_manifest,
                                                       load_model_package)
    if has_model_package_manifest(folder):
        pkg = load_model_package(folder)
        return ModelPack(folder, Path(pkg.task("detection").path),
                         Path(pkg.task("recognition").path))
    files = sorted(folder.glob("*.onnx"))
    return ModelPack(folder, _pick(files, _DETECTOR_PREFIXES, "detector", folder),
                     _pick(files, _RECOGNISER_PREFIXES, "recogniser", folder))


def choose_providers(provider: str = "auto") -> list[str]:
    """onnxruntime providers for ``provider`` ('auto', 'cpu', 'cuda', 'tensorrt').

    'auto' takes CUDA when onnxruntime-gpu offers it, else CPU; TensorRT is never picked
    implicitly because its first run spends minutes building engines.
    """
    import onnxruntime as ort

    have = ort.get_available_providers()
    if provider == "auto":
        return PROVIDERS["cuda"] if "CUDAExecutionProvider" in have else PROVIDERS["cpu"]
    if provider not in PROVIDERS:
        raise ModelPackError(f"unknown provider {provider!r} (known: auto, {', '.join(PROVIDERS)})")
    need = PROVIDERS[provider][0]
    if need not in have:
        raise ModelPackError(
            f"provider {provider!r} asked for, but onnxruntime {ort.__version__} offers only "
            f"{', '.join(have)}: install onnxruntime-gpu (with a matching CUDA/cuDNN"
            f"{' and TensorRT' if provider == 'tensorrt' else ''}) on a machine with an NVIDIA "
            f"GPU, or use --provider cpu")
    return PROVIDERS[provider]


def _online(host: str = "github.com", timeout: float = 5.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def download_pack(name: str = DEFAULT_PACK, root: str = INSIGHTFACE_ROOT) -> Path:
    """Fetch a pack with insightface's own download (its model-zoo release) into
    ``<root>/models/<name>``; raise :class:`ModelPackError` with what to do when offline."""
    if name not in KNOWN_PACKS:
        raise ModelPackError(f"unknown model pack {name!r} (known: {', '.join(KNOWN_PACKS)})")
    target = Path(root, "models", name).expanduser()
    if target.is_dir() and any(target.glob("*.onnx")):
        return target
    from insightface.utils.storage import download, model_zoo_download_url

    url = model_zoo_download_url(f"{name}.zip")
    offline_help = (f"download {url} on a machine that is online, unzip it into {target} "
                    f"(or any folder, then pass --model-dir / set {ENV_MODEL_DIR}), or use the "
                    f"dlib backend, which needs no download")
    # Checked first so an offline machine gets the advice at once instead of a socket traceback.
    proxied = any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"))
    if not proxied and not _online():
        raise ModelPackError(f"cannot download {name}: no connection to github.com "
                             f"(this machine looks offline). Instead: {offline_help}")
    try:
        path = Path(download("models", name, force=False, root=root))
    except Exception as exc:  # network errors come from requests, zip errors from zipfile
        raise ModelPackError(f"downloading {name} from {url} failed ({exc}). "
                             f"Instead: {offline_help}") from exc
    if not any(path.glob("*.onnx")):
        nested = [d for d in path.iterdir() if d.is_dir() and any(d.glob("*.onnx"))]
        if len(nested) == 1:  # some zips (antelopev2) hold a folder of the same name
            return nested[0]
        raise ModelPackError(f"downloaded {name} into {path} but found no .onnx files there")
    return path
