"""Finding the PP-OCR files: explicit folder, bundled models root, then the rapidocr wheel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from headroom_edge.ocr import OcrEngine, OcrUnavailableError, locate_models
from headroom_edge.ocr.models import DET_NAMES, REC_NAMES, rapidocr_models_dir
from tests.ocr.render import render_lines

REPO = Path(__file__).resolve().parents[2]


def link_models(folder: Path, det_name: str = "det.onnx", rec_name: str = "rec.onnx") -> Path:
    """A model folder made of symlinks to the installed files (no 30 MB copies)."""
    found = locate_models()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / det_name).symlink_to(found.det)
    (folder / rec_name).symlink_to(found.rec)
    return folder


def test_default_lookup_finds_detector_and_recogniser() -> None:
    found = locate_models()
    assert found.det.is_file() and found.det.name in DET_NAMES
    assert found.rec.is_file() and found.rec.name in REC_NAMES
    assert found.source in ("models_root", "rapidocr", "rapidocr+models_root")


def test_rapidocr_wheel_is_found_without_importing_it() -> None:
    """rapidocr imports cv2, which we do not ship: its folder must be found by spec only."""
    code = (
        "import sys\n"
        "from headroom_edge.ocr.models import rapidocr_models_dir\n"
        "path = rapidocr_models_dir()\n"
        "assert path is not None and (path / 'PP-OCRv6_det_small.onnx').is_file(), path\n"
        "assert 'rapidocr' not in sys.modules and 'cv2' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_rapidocr_folder_is_used_when_nothing_is_bundled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADROOM_MODELS_DIR", str(tmp_path))  # a models root without ocr/
    found = locate_models()
    assert found.source == "rapidocr"
    assert found.det.parent == rapidocr_models_dir()


def test_missing_explicit_folder_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-models"
    with pytest.raises(OcrUnavailableError, match="does not exist") as info:
        locate_models(missing)
    assert str(missing) in str(info.value)
    with pytest.raises(OcrUnavailableError, match="does not exist"):
        OcrEngine(model_dir=missing)


def test_incomplete_explicit_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "det.onnx").symlink_to(locate_models().det)
    with pytest.raises(OcrUnavailableError, match="lacks"):
        locate_models(tmp_path)


def test_explicit_folder_wins_and_works(tmp_path: Path) -> None:
    folder = link_models(tmp_path / "mine")
    found = locate_models(folder)
    assert found.source == "explicit"
    assert found.det == folder / "det.onnx" and found.rec == folder / "rec.onnx"
    engine = OcrEngine(model_dir=folder)
    assert engine.detect(Image.new("RGB", (64, 64), "white")).boxes == ()


def test_bundled_models_root_comes_before_rapidocr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link_models(tmp_path / "ocr", DET_NAMES[0], REC_NAMES[0])
    monkeypatch.setenv("HEADROOM_MODELS_DIR", str(tmp_path))
    found = locate_models()
    assert found.source == "models_root"
    assert found.det == tmp_path / "ocr" / DET_NAMES[0]


def test_nothing_installed_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real 'rapidocr' package without models shadows the wheel: as if it were absent."""
    fake = tmp_path / "site" / "rapidocr"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('must not be imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("HEADROOM_MODELS_DIR", str(tmp_path))
    with pytest.raises(OcrUnavailableError) as info:
        locate_models()
    message = str(info.value)
    assert "pip install rapidocr" in message and "ocr (absent)" in message
    with pytest.raises(OcrUnavailableError):
        OcrEngine()


def test_unloadable_model_file_fails_on_first_use(tmp_path: Path) -> None:
    """Construction only locates files; a corrupt file surfaces as OcrUnavailableError."""
    (tmp_path / "det.onnx").write_bytes(b"not an onnx model")
    (tmp_path / "rec.onnx").write_bytes(b"not an onnx model")
    engine = OcrEngine(model_dir=tmp_path)
    with pytest.raises(OcrUnavailableError, match="cannot load"):
        engine.detect(Image.new("RGB", (64, 64), "white"))


def test_a_folder_with_only_a_recogniser_takes_the_detector_from_rapidocr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """models/ocr ships only the derived int8 recogniser, not a copy of the 10 MB detector."""
    (tmp_path / "ocr").mkdir()
    (tmp_path / "ocr" / "rec.onnx").symlink_to(locate_models().rec)
    monkeypatch.setenv("HEADROOM_MODELS_DIR", str(tmp_path))
    found = locate_models()
    assert found.rec == tmp_path / "ocr" / "rec.onnx"
    assert found.det.parent == rapidocr_models_dir()
    assert found.source == "rapidocr+models_root"


def test_shipped_recogniser_is_the_int8_export_and_reads() -> None:
    """models/ocr/rec.onnx (scripts/export_ocr_int8.py): logits out, input height 32, and the
    float rapidocr model it came from still works as the fallback."""
    shipped = REPO / "models" / "ocr" / "rec.onnx"
    assert shipped.is_file() and shipped.stat().st_size < 8_000_000
    line = render_lines(["Release notes for version 2.4.1"], 24).image
    for folder in (REPO / "models" / "ocr", rapidocr_models_dir()):
        engine = OcrEngine() if folder == REPO / "models" / "ocr" else OcrEngine(model_dir=folder)
        assert (engine.files.rec == shipped) is (folder == REPO / "models" / "ocr")
        assert engine.read(line).text == "Release notes for version 2.4.1"
    int8 = OcrEngine().recognizer
    assert int8.logits and int8.height == 32
