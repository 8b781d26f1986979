"""Real parts for the security tests: fake providers and an 'evil' host, all on 127.0.0.1.

The evil host is a full fake provider too: if the proxy could ever be steered to it, it would
answer like a provider and record the request, so "evil saw nothing" is a meaningful assertion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from headroom_edge import ImageCompressor
from headroom_edge.integrations import ProxySettings
from tests.factories import photo_jpeg
from tests.integrations.fake_provider import Recorder, create_fake_provider
from tests.integrations.servers import ServerThread


@dataclass
class Provider:
    """One fake provider server and what it received."""

    server: ServerThread
    recorder: Recorder

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.server.port}"


def _provider() -> Iterator[Provider]:
    recorder = Recorder()
    with ServerThread(create_fake_provider(recorder)) as server:
        yield Provider(server, recorder)


@pytest.fixture(scope="session")
def openai_up() -> Iterator[Provider]:
    yield from _provider()


@pytest.fixture(scope="session")
def anthropic_up() -> Iterator[Provider]:
    yield from _provider()


@pytest.fixture(scope="session")
def google_up() -> Iterator[Provider]:
    yield from _provider()


@pytest.fixture(scope="session")
def evil() -> Iterator[Provider]:
    yield from _provider()


@pytest.fixture(scope="session")
def compressor() -> ImageCompressor:
    return ImageCompressor()


@pytest.fixture(scope="session")
def jpeg() -> bytes:
    return photo_jpeg(1024, 1024)


def proxy_settings(
    openai_up: Provider, anthropic_up: Provider, google_up: Provider, **changes: object
) -> ProxySettings:
    return ProxySettings(
        openai_base_url=openai_up.url,
        anthropic_base_url=anthropic_up.url,
        google_base_url=google_up.url,
        trust_env=False,
        workers=2,
    ).with_changes(**changes)
