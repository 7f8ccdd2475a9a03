"""Commands fail with one clear line, not a traceback."""

import onnxruntime as ort
import pytest
from typer.testing import CliRunner

from airtwin.cli import app
from pipeline import models

runner = CliRunner()


def test_models_download_offline_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(models, "_online", lambda *a, **k: False)
    for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(v, raising=False)
    r = runner.invoke(app, ["models", "download", "buffalo_l", "--root", str(tmp_path)])
    assert r.exit_code == 2
    assert "looks offline" in r.output and "buffalo_l.zip" in r.output
    assert "--model-dir" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "models" / "buffalo_l").exists()


def test_models_download_failure_is_wrapped(monkeypatch, tmp_path):
    import insightface.utils.storage as storage

    monkeypatch.setattr(models, "_online", lambda *a, **k: True)

    def refuse(*a, **k):
        raise ConnectionError("connection reset")
    monkeypatch.setattr(storage, "download", refuse)
    r = runner.invoke(app, ["models", "download", "buffalo_s", "--root", str(tmp_path)])
    assert r.exit_code == 2 and "connection reset" in r.output and "Instead:" in r.output


def test_unknown_pack_name():
    r = runner.invoke(app, ["models", "download", "buffalo_xl"])
    assert r.exit_code == 2 and "known: buffalo_l" in r.output


def test_missing_pack_is_named(monkeypatch, tmp_path):
    monkeypatch.delenv("AIRTWIN_MODEL_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    r = runner.invoke(app, ["calibrate", "--backend", "insightface", "--n", "10"])
    assert r.exit_code == 2 and "no insightface model pack found" in r.output
    r = runner.invoke(app, ["models", "where", "--model-dir", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_pack_files_are_picked_by_name(shared_models, tmp_path):
    p = models.find_pack(shared_models)  # YuNet beside them is not mistaken for SCRFD
    assert p.detector.name == "det_500m.onnx" and p.recogniser.name == "w600k_mbf_int8.onnx"
    (tmp_path / "det_a.onnx").write_bytes(b"")
    (tmp_path / "det_b.onnx").write_bytes(b"")
    with pytest.raises(models.ModelPackError, match="more than one detector"):
        models.find_pack(tmp_path)


@pytest.mark.skipif("CUDAExecutionProvider" in ort.get_available_providers(),
                    reason="a GPU provider is installed here: the bench would run for real")
def test_bench_on_cuda_without_gpu_says_so(pack_dir):
    r = runner.invoke(app, ["bench", "pipeline", "--backend", "insightface",
                            "--model-dir", str(pack_dir), "--provider", "cuda"])
    assert r.exit_code == 2 and "onnxruntime-gpu" in r.output and "--provider cpu" in r.output
    r = runner.invoke(app, ["bench", "pipeline", "--backend", "dlib", "--provider", "cuda"])
    assert r.exit_code == 2 and "CPU only" in r.output
    with pytest.raises(models.ModelPackError, match="unknown provider 'rocm'"):
        models.choose_providers("rocm")
