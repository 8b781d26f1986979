"""SafeFetcher: the address policy, DNS pinning, redirects, limits, and URL images in the pipeline.

A real HTTP server on 127.0.0.1 stands in for an image host. The production policy refuses
plain http and loopback (tested below, against that same server, which must see no request);
the end-to-end tests inject a policy that allows exactly http on 127.0.0.1, plus a resolver
that plays a DNS server (the resolver is an injection point of the fetcher, not a mock of the
network: every byte still travels over a real socket). The same host also runs over TLS with a
throwaway CA, to show the socket goes to the vetted IP while SNI and certificate checks use the name.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime
import io
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import httpx
import pytest
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from headroom_edge.compressor import ImageCompressor
from headroom_edge.config import CompressionConfig, ImageLimits
from headroom_edge.decision.decider import RulesDecider
from headroom_edge.fetch import (
    AddressPolicy,
    FetchError,
    FetchRefused,
    FetchTimeout,
    FetchTooLarge,
    SafeFetcher,
    blocked_reason,
)
from headroom_edge.formats import get_format
from headroom_edge.formats.base import apply_edits
from headroom_edge.pipeline import ImagePipeline
from headroom_edge.technique import Technique
from tests.factories import photo_jpeg
from tests.integrations.servers import ServerThread

LOCAL_ONLY = AddressPolicy(
    schemes=frozenset({"http"}), ports=None, allow_networks=(ipaddress.ip_network("127.0.0.1/32"),)
)
"""The test policy: http to 127.0.0.1 only. 127.0.0.2 (also loopback) stays refused, which makes
it the 'internal address' of the rebinding and redirect tests."""

QUESTION = "What animal is this? Describe the scene."


# -- the image host ---------------------------------------------------------------------------------


class Host:
    """What the image server saw: (path, headers) per request, shared with its thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, dict[str, str]]] = []

    def add(self, request: Request) -> None:
        with self.lock:
            self.seen.append((request.url.path, dict(request.headers)))

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _ in self.seen]

    def headers_for(self, path: str) -> dict[str, str]:
        with self.lock:
            return next(h for p, h in reversed(self.seen) if p == path)


def create_image_host(host: Host, jpeg: bytes) -> Starlette:
    async def img(request: Request) -> Response:
        host.add(request)
        return Response(jpeg, media_type="image/jpeg")

    async def to(request: Request) -> Response:
        host.add(request)
        return RedirectResponse(request.query_params["loc"], status_code=302)

    async def chain(request: Request) -> Response:
        host.add(request)
        n = int(request.path_params["n"])
        return RedirectResponse("/img" if n == 0 else f"/chain/{n - 1}", status_code=301)

    async def cookie(request: Request) -> Response:
        host.add(request)
        response = RedirectResponse("/img", status_code=302)
        response.set_cookie("session", "cookie-from-the-image-host")
        return response

    async def endless(request: Request) -> Response:
        host.add(request)

        async def gen() -> AsyncIterator[bytes]:
            for _ in range(2000):  # 128 MB if nobody stops reading
                yield b"\xff" * 65536

        return StreamingResponse(gen(), media_type="image/jpeg")

    async def slow_headers(request: Request) -> Response:
        host.add(request)
        await asyncio.sleep(3)
        return Response(jpeg, media_type="image/jpeg")

    async def drip(request: Request) -> Response:
        host.add(request)

        async def gen() -> AsyncIterator[bytes]:
            for _ in range(100):
                yield b"\xff"
                await asyncio.sleep(0.1)

        return StreamingResponse(gen(), media_type="image/jpeg")

    async def missing(request: Request) -> Response:
        host.add(request)
        return Response(b"not here", status_code=404)

    async def gzipped(request: Request) -> Response:
        host.add(request)
        return Response(b"\x1f\x8b...", media_type="image/jpeg", headers={"content-encoding": "gzip"})

    return Starlette(
        routes=[
            Route("/img", img),
            Route("/to", to),
            Route("/chain/{n}", chain),
            Route("/cookie", cookie),
            Route("/endless", endless),
            Route("/slow-headers", slow_headers),
            Route("/drip", drip),
            Route("/missing", missing),
            Route("/gzipped", gzipped),
        ]
    )


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return photo_jpeg(1024, 1024)


@pytest.fixture(scope="module")
def image_host(jpeg: bytes) -> Iterator[tuple[ServerThread, Host]]:
    host = Host()
    with ServerThread(create_image_host(host, jpeg)) as server:
        yield server, host


@pytest.fixture
def server(image_host: tuple[ServerThread, Host]) -> ServerThread:
    return image_host[0]


@pytest.fixture
def host(image_host: tuple[ServerThread, Host]) -> Host:
    image_host[1].seen.clear()
    return image_host[1]


class Dns:
    """A resolver answering from a script: ``answers[i]`` for the i-th lookup (the last repeats)."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self.answers = [list(a) for a in answers]
        self.calls: list[str] = []

    def __call__(self, name: str, port: int) -> list[str]:
        self.calls.append(name)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


def never_called(name: str, port: int) -> list[str]:
    raise AssertionError(f"the resolver must not be asked about {name}")


def local_fetcher(resolver: object = None, **kwargs: object) -> SafeFetcher:
    return SafeFetcher(policy=LOCAL_ONLY, resolver=resolver or Dns(["127.0.0.1"]), **kwargs)  # type: ignore[arg-type]


# -- the address table --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.5.4", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.170.2", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("100.64.0.1", "CGNAT"),
        ("100.127.255.254", "CGNAT"),
        ("100.100.100.200", "cloud metadata"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("198.18.0.1", "benchmarking"),
        ("192.0.0.170", "IETF"),
        ("192.0.2.10", "documentation"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("fd00:ec2::254", "cloud metadata"),
        ("ff02::1", "multicast"),
        ("fec0::1", "site-local"),
        ("2001:db8::1", "documentation"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("::ffff:127.0.0.1", "IPv6 form of a loopback"),
        ("::ffff:10.0.0.1", "IPv6 form of a private"),
        ("::ffff:169.254.169.254", "IPv6 form of a cloud metadata"),
        ("::ffff:100.64.0.1", "IPv6 form of a CGNAT"),
        ("64:ff9b::7f00:1", "IPv6 form of a loopback"),
        ("64:ff9b::a9fe:a9fe", "IPv6 form of a cloud metadata"),
        ("2002:7f00:1::1", "IPv6 form of a loopback"),
        ("2002:a00:1::", "IPv6 form of a private"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("::ffff:0:7f00:1", "IPv4-translated"),
        ("not-an-ip", "not a plain IP"),
    ],
)
def test_blocked_addresses(address: str, why: str) -> None:
    reason = blocked_reason(address)
    assert reason is not None and why in reason


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "100.63.255.255",  # just below CGNAT
        "100.128.0.1",  # just above CGNAT
        "172.32.0.1",  # just above 172.16/12
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(address) is None
    AddressPolicy().check_address("example.com", address)


def test_allow_networks_is_the_only_exception() -> None:
    LOCAL_ONLY.check_address("images.test", "127.0.0.1")
    for address in ("127.0.0.2", "10.0.0.1", "::1", "::ffff:127.0.0.1"):
        with pytest.raises(FetchRefused):
            LOCAL_ONLY.check_address("images.test", address)
    with pytest.raises(FetchRefused, match="loopback"):
        AddressPolicy().check_address("images.test", "127.0.0.1")


# -- refused before any connection (default policy) -------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://example.com/a.png", "scheme 'http'"),
        ("ftp://example.com/a.png", "scheme 'ftp'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("gopher://example.com/", "scheme 'gopher'"),
        ("https://user:secret@example.com/a.png", "credentials"),
        ("https://example.com:8443/a.png", "port 8443"),
        ("https://example.com:22/a.png", "port 22"),
        ("https://127.0.0.1/a.png", "loopback"),
        ("https://[::1]/a.png", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("https://[::ffff:127.0.0.1]/a.png", "IPv6 form of a loopback"),
        ("https://[fd00:ec2::254]/latest/meta-data/", "cloud metadata"),
        ("https://100.64.0.1/a.png", "CGNAT"),
        ("https://0.0.0.0/a.png", "unspecified"),
        ("https://metadata.google.internal/computeMetadata/v1/", "metadata/local name"),
        ("https://metadata/computeMetadata/v1/", "metadata/local name"),
        ("https://localhost/a.png", "metadata/local name"),
        ("https://LOCALHOST./a.png", "metadata/local name"),
        ("https://db.internal/a.png", "local-only domain"),
        ("https://printer.local/a.png", "local-only domain"),
        ("https://app.localhost/a.png", "local-only domain"),
        ("not a url at all", "scheme"),
    ],
)
def test_default_policy_refuses_before_resolving(url: str, why: str) -> None:
    with pytest.raises(FetchRefused, match=why):
        SafeFetcher(resolver=never_called).fetch(url)


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "017700000001"])
def test_numeric_host_spellings_are_judged_after_real_resolution(host: str) -> None:
    """glibc resolves these spellings to 127.0.0.1; the check runs on what the resolver says."""
    with pytest.raises(FetchRefused, match="loopback"):
        SafeFetcher().fetch(f"https://{host}/a.png")


def test_any_forbidden_address_in_the_answer_refuses_the_host() -> None:
    dns = Dns(["93.184.216.34", "10.0.0.7"])
    with pytest.raises(FetchRefused, match="10.0.0.7"):
        SafeFetcher(resolver=dns).fetch("https://mixed.example/a.png")
    assert dns.calls == ["mixed.example"]


def test_allowlist() -> None:
    fetcher = SafeFetcher(
        policy=AddressPolicy(allowed_hosts=("img.example.com", ".cdn.example")),
        resolver=Dns(["10.0.0.1"]),
    )
    with pytest.raises(FetchRefused, match="allowlist"):
        fetcher.fetch("https://evil.example/a.png")
    with pytest.raises(FetchRefused, match="allowlist"):
        fetcher.fetch("https://img.example.com.evil.example/a.png")
    # Allowed names still go through the address check: 10.0.0.1 is refused.
    for url in ("https://img.example.com/a.png", "https://a.b.cdn.example/a.png"):
        with pytest.raises(FetchRefused, match="private"):
            fetcher.fetch(url)


def test_from_config() -> None:
    config = CompressionConfig(
        fetch_urls=True, fetch_max_bytes=1234, fetch_timeout_s=1.5, fetch_allowed_hosts=("img.example",)
    )
    fetcher = SafeFetcher.from_config(config)
    assert fetcher.max_bytes == 1234 and fetcher.timeout_s == 1.5 and fetcher.max_redirects == 3
    assert fetcher.policy == AddressPolicy(allowed_hosts=("img.example",))
    assert fetcher.policy.schemes == frozenset({"https"}) and fetcher.policy.allow_networks == ()
    small = CompressionConfig(fetch_urls=True, limits=ImageLimits(max_payload_bytes=1000))
    assert SafeFetcher.from_config(small).max_bytes == 1000  # never more than the image limit


def test_default_policy_refuses_a_live_loopback_server(server: ServerThread, host: Host) -> None:
    """The same server the permissive tests reach: with the default rules nothing connects."""
    urls = [
        f"http://127.0.0.1:{server.port}/img",  # plain http
        f"https://127.0.0.1:{server.port}/img",  # port, and loopback
        f"http://images.test:{server.port}/img",
    ]
    for url in urls:
        with pytest.raises(FetchRefused):
            SafeFetcher(resolver=Dns(["127.0.0.1"])).fetch(url)
    # Even with scheme and port opened up, the default address rules refuse loopback.
    wide = AddressPolicy(schemes=frozenset({"http", "https"}), ports=None)
    with pytest.raises(FetchRefused, match="loopback"):
        SafeFetcher(policy=wide).fetch(f"http://127.0.0.1:{server.port}/img")
    with pytest.raises(FetchRefused, match="loopback"):
        SafeFetcher(policy=wide, resolver=Dns(["127.0.0.1"])).fetch(f"http://images.test:{server.port}/img")
    assert host.paths() == []


# -- end to end against the local server (permissive policy) --------------------------------------


def test_fetch_end_to_end(server: ServerThread, host: Host, jpeg: bytes) -> None:
    dns = Dns(["127.0.0.1"])
    got = local_fetcher(dns).fetch(f"http://images.test:{server.port}/img?X-Amz-Signature=s3cr3t")
    assert got.data == jpeg and got.media_type == "image/jpeg"
    assert got.host == "images.test" and got.address == "127.0.0.1" and got.redirects == 0
    assert dns.calls == ["images.test"]
    headers = host.headers_for("/img")
    assert headers["host"] == f"images.test:{server.port}"  # the name, not the pinned IP
    assert headers["accept-encoding"] == "identity"
    assert not {"cookie", "authorization", "proxy-authorization", "x-api-key"} & set(headers)


def test_rebinding_cannot_switch_the_connection(server: ServerThread, host: Host, jpeg: bytes) -> None:
    """Answer 1: the allowed address; answer 2: an internal one. The fetcher asks once and
    connects to exactly the address it vetted, so the second answer never matters."""
    dns = Dns(["127.0.0.1"], ["127.0.0.2"])
    got = local_fetcher(dns).fetch(f"http://rebind.test:{server.port}/img")
    assert got.data == jpeg and got.address == "127.0.0.1"
    assert dns.calls == ["rebind.test"]
    assert host.paths() == ["/img"]


def test_rebinding_is_caught_on_a_redirect_hop(server: ServerThread, host: Host) -> None:
    """Each hop is resolved and vetted anew: the same name now pointing inside is refused."""
    dns = Dns(["127.0.0.1"], ["127.0.0.2"])
    target = f"http://rebind.test:{server.port}/img"
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.2"):
        local_fetcher(dns).fetch(f"http://rebind.test:{server.port}/to?loc={target}")
    assert dns.calls == ["rebind.test", "rebind.test"]
    assert host.paths() == ["/to"]


def test_redirects_are_followed_up_to_three(server: ServerThread, host: Host, jpeg: bytes) -> None:
    got = local_fetcher().fetch(f"http://images.test:{server.port}/chain/2")
    assert got.data == jpeg and got.redirects == 3
    with pytest.raises(FetchError, match="more than 3 redirects"):
        local_fetcher().fetch(f"http://images.test:{server.port}/chain/3")
    assert host.paths().count("/img") == 1  # the 4th redirect was never followed


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("http://127.0.0.2:{port}/img", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::1]:{port}/img", "loopback"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata/local name"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("http://user:pw@images.test:{port}/img", "credentials"),
    ],
)
def test_redirects_to_forbidden_places_are_refused(
    server: ServerThread, host: Host, location: str, why: str
) -> None:
    loc = location.format(port=server.port)
    with pytest.raises(FetchRefused, match=why):
        local_fetcher().fetch(f"http://images.test:{server.port}/to?loc={loc}")
    assert host.paths() == ["/to"]


def test_https_to_http_downgrade_is_refused() -> None:
    """Every hop, redirects included, goes through ``check_url`` first: under the default
    policy an https image redirecting to http stops there, before any lookup."""
    with pytest.raises(FetchRefused, match="scheme 'http'"):
        AddressPolicy().check_url(httpx.URL("http://images.example/a.png"))


def test_cookies_set_by_a_hop_are_not_sent(server: ServerThread, host: Host, jpeg: bytes) -> None:
    got = local_fetcher().fetch(f"http://images.test:{server.port}/cookie")
    assert got.data == jpeg and got.redirects == 1
    assert "cookie" not in host.headers_for("/img")


def test_size_limit_from_content_length(server: ServerThread, jpeg: bytes) -> None:
    with pytest.raises(FetchTooLarge, match="announces"):
        local_fetcher(max_bytes=len(jpeg) - 1).fetch(f"http://images.test:{server.port}/img")
    assert local_fetcher(max_bytes=len(jpeg)).fetch(f"http://images.test:{server.port}/img").data == jpeg


def test_size_limit_while_streaming(server: ServerThread) -> None:
    start = time.monotonic()
    with pytest.raises(FetchTooLarge, match="more than 1000000 bytes"):
        local_fetcher(max_bytes=1_000_000).fetch(f"http://images.test:{server.port}/endless")
    assert time.monotonic() - start < 3  # cut off, not read to the end (128 MB)


def test_timeout_waiting_for_headers(server: ServerThread) -> None:
    start = time.monotonic()
    with pytest.raises(FetchTimeout):
        local_fetcher(timeout_s=0.5).fetch(f"http://images.test:{server.port}/slow-headers")
    assert time.monotonic() - start < 1.5


def test_timeout_for_a_dripping_body(server: ServerThread) -> None:
    start = time.monotonic()
    with pytest.raises(FetchTimeout):
        local_fetcher(timeout_s=0.5).fetch(f"http://images.test:{server.port}/drip")
    assert time.monotonic() - start < 1.5


def test_http_errors_and_encoded_bodies(server: ServerThread) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        local_fetcher().fetch(f"http://images.test:{server.port}/missing")
    with pytest.raises(FetchError, match="gzip"):
        local_fetcher().fetch(f"http://images.test:{server.port}/gzipped")


def test_connection_refused_is_a_fetch_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="cannot connect"):
        local_fetcher().fetch(f"http://images.test:{port}/img")


def test_error_messages_never_carry_path_or_query(server: ServerThread) -> None:
    secret = "X-Amz-Signature=deadbeefcafe"
    for url in (
        f"http://images.test:{server.port}/missing?{secret}",
        f"https://metadata.google.internal/x?{secret}",
        f"http://images.test:{server.port}/chain/9?{secret}",
    ):
        with pytest.raises(FetchError) as info:
            local_fetcher().fetch(url)
        assert "deadbeef" not in str(info.value) and "/missing" not in str(info.value)


# -- URL images through the pipeline -----------------------------------------------------------------


def _chat_body(url: str) -> dict:
    return {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": QUESTION},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    }


def _anthropic_body(url: str) -> dict:
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 100,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "url", "url": url}},
                    {"type": "text", "text": QUESTION},
                ],
            }
        ],
    }


def _run(pipeline: ImagePipeline, format_name: str, body: dict) -> list:
    fmt = get_format(format_name)
    slots = fmt.find_images(body)
    processed = [pipeline.process(slot, fmt.provider, fmt.model(body)) for slot in slots]
    apply_edits(fmt, [(s, p.edit) for s, p in zip(slots, processed, strict=True) if p.edit is not None])
    return [p.result for p in processed]


def _pipeline(fetcher: SafeFetcher | None) -> ImagePipeline:
    return ImagePipeline(CompressionConfig(fetch_urls=True), RulesDecider(), None, fetcher=fetcher)


def _decoded_size(b64text: str) -> tuple[int, int]:
    with Image.open(io.BytesIO(base64.b64decode(b64text))) as img:
        return img.size


def test_pipeline_fetches_compresses_and_inlines_openai(server: ServerThread, jpeg: bytes) -> None:
    url = f"http://images.test:{server.port}/img?sig=abc"
    body = _chat_body(url)
    (result,) = _run(_pipeline(local_fetcher()), "openai_chat", body)
    assert result.error is None and result.technique is Technique.FULL_LOW
    assert result.original_bytes == len(jpeg) and result.compressed_tokens < result.original_tokens
    assert result.reason.startswith("fetched ") and "images.test" in result.reason
    assert "sig=abc" not in result.reason
    part = body["messages"][0]["content"][1]["image_url"]
    assert part["url"].startswith("data:image/") and part["detail"] == "low"
    assert max(_decoded_size(part["url"].split(",", 1)[1])) <= 512


def test_pipeline_fetches_and_inlines_anthropic(server: ServerThread) -> None:
    body = _anthropic_body(f"http://images.test:{server.port}/img")
    (result,) = _run(_pipeline(local_fetcher()), "anthropic_messages", body)
    assert result.error is None and result.technique is Technique.FULL_LOW
    source = body["messages"][0]["content"][0]["source"]
    assert source["type"] == "base64" and source["media_type"].startswith("image/")
    assert max(_decoded_size(source["data"])) < 1024


def test_pipeline_leaves_the_part_untouched_when_the_fetch_fails(server: ServerThread) -> None:
    body = _chat_body(f"http://images.test:{server.port}/missing")
    before = copy.deepcopy(body)
    (result,) = _run(_pipeline(local_fetcher()), "openai_chat", body)
    assert body == before
    assert result.technique is Technique.PRESERVE and result.decided_by == "skip"
    assert "not fetched" in result.reason and result.error and "HTTP 404" in result.error


def test_pipeline_fetch_over_the_image_limit_is_left_as_a_url(server: ServerThread, jpeg: bytes) -> None:
    body = _chat_body(f"http://images.test:{server.port}/img")
    before = copy.deepcopy(body)
    fetcher = local_fetcher(max_bytes=len(jpeg) // 2)
    (result,) = _run(_pipeline(fetcher), "openai_chat", body)
    assert body == before and result.error and "FetchTooLarge" in result.error


def test_compressor_with_fetching_on_uses_the_default_policy(server: ServerThread, host: Host) -> None:
    """ImageCompressor(config=fetch_urls=True) builds the production fetcher: a loopback URL
    is refused and the body goes out byte-identical; the server never hears of it."""
    compressor = ImageCompressor(config=CompressionConfig(fetch_urls=True), decider=RulesDecider(), ocr=None)
    for url in (f"http://127.0.0.1:{server.port}/img", f"https://127.0.0.1:{server.port}/img"):
        raw = json.dumps(_chat_body(url)).encode()
        out = compressor.compress_body(raw)
        assert out.body is raw and not out.changed
        (image,) = out.result.images
        assert image.technique is Technique.PRESERVE and "FetchRefused" in (image.error or "")
    assert host.paths() == []


def test_fetching_is_off_by_default(server: ServerThread, host: Host) -> None:
    compressor = ImageCompressor(decider=RulesDecider(), ocr=None)
    assert compressor.config.fetch_urls is False
    out = compressor.compress_body(json.dumps(_chat_body(f"https://images.example/{server.port}.jpg")))
    (image,) = out.result.images
    assert "fetching is disabled" in image.reason and not out.changed
    assert _pipeline(None).fetcher is not None  # the default fetcher exists only when asked for
    assert ImagePipeline(CompressionConfig(), RulesDecider(), None).fetcher is None


# -- TLS: the connection goes to the pinned IP, the certificate is checked against the name ----------


def _tls_files(directory: Path, name: str) -> tuple[Path, Path, Path]:
    """A throwaway CA and a leaf certificate for ``name`` only (no IP address in it)."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "headroom-edge test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return ca_pem, cert_pem, key_pem


@pytest.fixture(scope="module")
def tls_host(jpeg: bytes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerThread, Host, Path]]:
    """The image host over HTTPS with a certificate for ``images.test`` (and nothing else)."""
    ca_pem, cert_pem, key_pem = _tls_files(tmp_path_factory.mktemp("tls"), "images.test")
    host = Host()
    app = create_image_host(host, jpeg)
    server = ServerThread(app)  # its socket and start/stop, with a TLS-configured uvicorn
    server.server = uvicorn.Server(uvicorn.Config(
        app, log_level="warning", lifespan="on", access_log=False,
        timeout_graceful_shutdown=1, ssl_certfile=str(cert_pem), ssl_keyfile=str(key_pem),
    ))
    server.thread = threading.Thread(target=server.server.run, kwargs={"sockets": [server.sock]}, daemon=True)
    with server:
        yield server, host, ca_pem


def _https_fetcher(ca_pem: Path, resolver: Dns) -> SafeFetcher:
    """The default https-only policy, with the test port and 127.0.0.1 let through."""
    policy = AddressPolicy(ports=None, allow_networks=(ipaddress.ip_network("127.0.0.1/32"),))
    return SafeFetcher(policy=policy, resolver=resolver, ssl_context=ssl.create_default_context(cafile=str(ca_pem)))


def test_https_connects_to_the_pinned_ip_and_verifies_the_name(
    tls_host: tuple[ServerThread, Host, Path], jpeg: bytes
) -> None:
    """The certificate names only images.test, the socket goes to 127.0.0.1: success means
    SNI and verification used the host name while the connection used the vetted IP."""
    server, host, ca_pem = tls_host
    host.seen.clear()
    dns = Dns(["127.0.0.1"])
    got = _https_fetcher(ca_pem, dns).fetch(f"https://images.test:{server.port}/img")
    assert got.data == jpeg and got.address == "127.0.0.1" and dns.calls == ["images.test"]
    assert host.headers_for("/img")["host"] == f"images.test:{server.port}"


def test_https_certificate_for_another_name_is_refused(tls_host: tuple[ServerThread, Host, Path]) -> None:
    server, host, ca_pem = tls_host
    host.seen.clear()
    with pytest.raises(FetchError, match="cannot connect"):
        _https_fetcher(ca_pem, Dns(["127.0.0.1"])).fetch(f"https://other.test:{server.port}/img")
    with pytest.raises(FetchError):  # and without our CA, the test CA is not trusted at all
        SafeFetcher(policy=AddressPolicy(ports=None, allow_networks=(ipaddress.ip_network("127.0.0.1/32"),)),
                    resolver=Dns(["127.0.0.1"])).fetch(f"https://images.test:{server.port}/img")
    assert host.paths() == []
