"""Fixtures shared across test packages: the real parts that are expensive to build.

Each is session-scoped and built from what ships (bundled models, PyPI photos), so a test that
needs "the default compressor" or "the real OCR engine" gets the same one instead of its own copy.
A package-level conftest may still override a name for its own needs.
"""

from __future__ import annotations

import pytest

from headroom_edge import ImageCompressor
from headroom_edge.ocr import OcrEngine
from tests import factories


@pytest.fixture(scope="session")
def compressor() -> ImageCompressor:
    """The default compressor (router or rules, image-analysis policy, bundled OCR)."""
    return ImageCompressor()


@pytest.fixture(scope="session")
def ocr_engine() -> OcrEngine:
    """The real PP-OCR models, located as users get them (bundled folder or rapidocr wheel)."""
    return OcrEngine()


@pytest.fixture(scope="session")
def jpeg() -> bytes:
    """A 1024x1024 photo (scikit-image's astronaut) as JPEG: general questions send it low."""
    return factories.photo_jpeg(1024, 1024)
