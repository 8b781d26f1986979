"""Where the PP-OCR ONNX files are found.

Why three places: a user may point at their own folder; the repository may bundle the models under
``<models root>/ocr``; and the ``rapidocr`` wheel already carries the same PP-OCR files, so a plain
``pip install rapidocr --no-deps`` makes OCR work offline without us redistributing 30 MB.

The rapidocr package is found with ``importlib.util.find_spec`` and never imported: importing it
pulls in cv2, which this library does not ship.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from headroom_edge.runtime.models import model_dir

DET_NAMES: tuple[str, ...] = ("PP-OCRv6_det_small.onnx", "det.onnx")
"""Detector file names tried in order inside a models folder."""
REC_NAMES: tuple[str, ...] = ("PP-OCRv6_rec_small.onnx", "rec.onnx")
"""Recogniser file names tried in order; its character list is read from the ONNX metadata."""
CLS_NAMES: tuple[str, ...] = ("ch_ppocr_mobile_v2.0_cls_mobile.onnx", "cls.onnx")
"""Optional text-orientation classifier (not used by the engine: documents are upright)."""
DICT_NAMES: tuple[str, ...] = ("rec_dict.txt", "ppocrv6_dict.txt")
"""Sidecar character lists, used only when the recogniser has no ``character`` metadata."""


class OcrUnavailableError(RuntimeError):
    """No usable OCR model files were found; the message lists where we looked."""


@dataclass(frozen=True)
class OcrModelFiles:
    """The files of one OCR model set and where they came from (for logs and results)."""

    det: Path
    rec: Path
    cls: Path | None
    dict_file: Path | None
    source: str
    """"explicit", "models_root" or "rapidocr"."""


def rapidocr_models_dir() -> Path | None:
    """The ``models/`` folder of an installed rapidocr package, found without importing it."""
    try:
        spec = importlib.util.find_spec("rapidocr")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "models"
        if path.is_dir():
            return path
    return None


def _first(folder: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        path = folder / name
        if path.is_file():
            return path
    return None


def files_in(folder: Path, source: str) -> OcrModelFiles | None:
    """The model set in one folder, or None when its detector or recogniser is missing."""
    det = _first(folder, DET_NAMES)
    rec = _first(folder, REC_NAMES)
    if det is None or rec is None:
        return None
    return OcrModelFiles(
        det=det,
        rec=rec,
        cls=_first(folder, CLS_NAMES),
        dict_file=_first(folder, DICT_NAMES),
        source=source,
    )


def locate_models(explicit: str | os.PathLike[str] | None = None) -> OcrModelFiles:
    """Find the OCR models: ``explicit``, then ``<models root>/ocr``, then rapidocr's folder.

    An explicit folder that is missing or incomplete is an error rather than a silent fallback:
    a user who named a folder expects those models to run.
    """
    wanted = f"{DET_NAMES[0]} and {REC_NAMES[0]} (or det.onnx and rec.onnx)"
    if explicit is not None:
        folder = Path(explicit)
        if not folder.is_dir():
            raise OcrUnavailableError(f"OCR model folder {folder} does not exist")
        found = files_in(folder, "explicit")
        if found is None:
            raise OcrUnavailableError(f"OCR model folder {folder} lacks {wanted}")
        return found
    looked: list[str] = []
    candidates = (
        (model_dir("ocr"), "models_root", "<models root>/ocr (absent)"),
        (rapidocr_models_dir(), "rapidocr", "rapidocr package (not installed, or without models/)"),
    )
    for candidate, source, absent in candidates:
        if candidate is None:
            looked.append(absent)
            continue
        found = files_in(candidate, source)
        if found is not None:
            return found
        looked.append(str(candidate))
    raise OcrUnavailableError(
        f"no OCR models found (need {wanted}); looked in: {', '.join(looked)}. "
        "Install them with `pip install rapidocr --no-deps`, or pass model_dir=."
    )
