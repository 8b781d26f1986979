"""One OCR engine for the whole OCR test session: opening the models takes ~0.5 s."""

from __future__ import annotations

import pytest

from headroom_edge.ocr import OcrEngine


@pytest.fixture(scope="session")
def engine() -> OcrEngine:
    """The real PP-OCR models, located as users get them (bundled folder or rapidocr wheel)."""
    return OcrEngine()
