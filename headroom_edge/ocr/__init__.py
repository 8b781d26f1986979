"""Offline OCR with the PP-OCR ONNX models (numpy + Pillow + onnxruntime only).

Public API::

    from headroom_edge.ocr import OcrEngine

    engine = OcrEngine()              # raises OcrUnavailableError when no models are installed
    result = engine.read(image)       # OcrResult: .text, .lines, .mean_confidence
    found = engine.detect(image, max_side=320)   # DetectionResult: fast text-presence signals
"""

from headroom_edge.ocr.detector import DetectorParams, TextBox
from headroom_edge.ocr.engine import DetectionResult, OcrEngine, OcrLine, OcrResult
from headroom_edge.ocr.models import OcrModelFiles, OcrUnavailableError, locate_models
from headroom_edge.ocr.recognizer import Recognition, RecognizerParams

__all__ = [
    "DetectionResult",
    "DetectorParams",
    "OcrEngine",
    "OcrLine",
    "OcrModelFiles",
    "OcrResult",
    "OcrUnavailableError",
    "Recognition",
    "RecognizerParams",
    "TextBox",
    "locate_models",
]
