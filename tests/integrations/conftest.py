"""Shared real parts: one compressor, one photo, one fake provider server per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.middleware.gzip import GZipMiddleware

from headroom_edge import ImageCompressor
from tests.factories import photo_jpeg
from tests.integrations.fake_provider import Recorder, create_fake_provider
from tests.integrations.servers import ServerThread


@pytest.fixture(scope="session")
def compressor() -> ImageCompressor:
    return ImageCompressor()


@pytest.fixture(scope="session")
def jpeg() -> bytes:
    """A 1024x1024 photo (scikit-image's astronaut) as JPEG: the compressor picks full_low."""
    return photo_jpeg(1024, 1024)


@pytest.fixture(scope="session")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="session")
def upstream(recorder: Recorder) -> Iterator[ServerThread]:
    """The fake provider, gzipping large non-SSE responses like the real APIs do."""
    app = create_fake_provider(recorder)
    app.add_middleware(GZipMiddleware, minimum_size=500)
    with ServerThread(app) as server:
        yield server
