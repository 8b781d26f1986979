"""Offline OCR with the PP-OCR ONNX models (numpy + Pillow + onnxruntime only).

Public API::

    from headroom_edge.ocr import OcrEngine

    engine = OcrEngine()              # raises OcrUnavailableError when no models are installed
    result = engine.read(image)       # OcrResult: .text, .lines, .mean_confidence
    result = engine.read(image, limits=ReadLimits(max_text_tokens=800, max_seconds=2.0))
    result.skipped                    # why recognition did not run, after detection (or None)
    found = engine.detect(image, max_side=320)   # DetectionResult: fast text-presence signals
"""

from headroom_edge.ocr.detector import DetectorParams, TextBox
from headroom_edge.ocr.engine import DetectionResult, OcrEngine, OcrLine, OcrResult
from headroom_edge.ocr.models import OcrModelFiles, OcrUnavailableError, locate_models
from headroom_edge.ocr.recognizer import Recognition, RecognizerParams
from headroom_edge.ocr.volume import ReadLimits, RecognitionCost, estimate_chars

__all__ = [
    "DetectionResult",
    "DetectorParams",
    "OcrEngine",
    "OcrLine",
    "OcrModelFiles",
    "OcrResult",
    "OcrUnavailableError",
    "ReadLimits",
    "Recognition",
    "RecognitionCost",
    "RecognizerParams",
    "TextBox",
    "estimate_chars",
    "locate_models",
]
