"""Shared fixtures for the imaging tests (the images themselves come from ``images.py``)."""

from __future__ import annotations

import pytest
from PIL import Image

from headroom_edge.config import ImageLimits
from tests.imaging import images


@pytest.fixture
def limits() -> ImageLimits:
    return ImageLimits()


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    """A natural photo (scikit-image astronaut, 512x512 RGB) or a synthetic stand-in."""
    return images.natural_photo("astronaut")


@pytest.fixture(scope="session")
def document() -> Image.Image:
    return images.document()


@pytest.fixture(scope="session")
def screenshot() -> Image.Image:
    return images.screenshot()


@pytest.fixture(scope="session")
def photo_jpeg(photo: Image.Image) -> bytes:
    return images.encode(photo, "JPEG", quality=90)
