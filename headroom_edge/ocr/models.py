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
    """"explicit", "models_root", "rapidocr", or both joined by "+" when the detector and the
    recogniser come from different folders (the detector's first: "rapidocr+models_root")."""


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
    """Find the OCR models: ``explicit``, else each file from ``<models root>/ocr``, then from
    rapidocr's folder.

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
    folders: list[tuple[Path, str]] = []
    candidates = (
        (model_dir("ocr"), "models_root", "<models root>/ocr (absent)"),
        (rapidocr_models_dir(), "rapidocr", "rapidocr package (not installed, or without models/)"),
    )
    for candidate, source, absent in candidates:
        if candidate is None:
            looked.append(absent)
            continue
        folders.append((candidate, source))
        looked.append(str(candidate))
    # Each file from the first folder that has it: models/ocr ships only what it derives (the
    # int8 recogniser) and takes the detector from the rapidocr wheel instead of a 10 MB copy.
    det = next(((f / n, s) for f, s in folders for n in DET_NAMES if (f / n).is_file()), None)
    rec = next(((f / n, s) for f, s in folders for n in REC_NAMES if (f / n).is_file()), None)
    if det is None or rec is None:
        raise OcrUnavailableError(
            f"no OCR models found (need {wanted}); looked in: {', '.join(looked)}. "
            "Install them with `pip install rapidocr --no-deps`, or pass model_dir=."
        )
    rec_folder = rec[0].parent
    sources = dict.fromkeys((det[1], rec[1]))
    return OcrModelFiles(
        det=det[0],
        rec=rec[0],
        cls=next((f / n for f, _ in folders for n in CLS_NAMES if (f / n).is_file()), None),
        dict_file=_first(rec_folder, DICT_NAMES),
        source="+".join(sources),
    )
