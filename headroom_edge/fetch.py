"""Fetching ``https`` image URLs without turning the compressor into an SSRF tool.

Off by default (``CompressionConfig.fetch_urls``). When on, a request that names an image by URL
makes *this* process open a connection, so a client could aim it at things only the proxy can
reach: ``http://169.254.169.254/`` (cloud credentials), ``https://10.0.0.5/admin``, a service on
loopback. :class:`SafeFetcher` therefore:

* accepts only the schemes and ports of its :class:`AddressPolicy` (default: ``https`` on 443),
  no credentials in the URL, and optionally only allow-listed hosts;
* resolves the host itself and refuses the fetch when ANY resolved address is private, loopback,
  link-local, multicast, reserved, unspecified, CGNAT (100.64/10), a cloud metadata address, or
  an IPv6 form embedding one of those (IPv4-mapped, NAT64, 6to4); well-known metadata host names
  (``metadata.google.internal`` ...) are refused by name before any lookup;
* connects to the vetted IP itself (the URL handed to httpx carries the IP, so nothing resolves
  the name a second time: a DNS rebind between check and connect cannot switch the target),
  while TLS SNI, certificate verification and the ``Host`` header keep the host name;
* follows at most ``max_redirects`` redirects by hand, re-vetting every hop exactly like the first;
* bounds time (one deadline for the whole fetch, redirects included; every socket operation gets
  what is left of it, so a server that stalls mid-body can stretch a fetch to at most about twice
  ``timeout_s``) and size (Content-Length is checked first, then the stream is cut as soon as it
  passes ``max_bytes``);
* sends no credentials: no cookies, no Authorization, no client headers, a fresh connection per
  hop (a TLS connection verified for one name is never reused for another), and ignores
  ``HTTP(S)_PROXY`` environment variables.

Errors are :class:`FetchError` with log-safe messages: they name the host, never the path or
query, which for signed URLs (S3, GCS) *is* a credential.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from headroom_edge._version import __version__

if TYPE_CHECKING:
    from headroom_edge.config import CompressionConfig

logger = logging.getLogger("headroom_edge.fetch")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> IP address strings``. Injectable so tests can play a DNS server."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_TIMEOUT_S = 5.0
DEFAULT_MAX_REDIRECTS = 3

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle instance metadata
        "169.254.170.2",  # AWS ECS task metadata / credentials
        "169.254.169.253",  # AWS VPC DNS
        "100.100.100.200",  # Alibaba Cloud metadata
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS VPC DNS over IPv6
    )
)
"""Named separately so a refusal says *why*; every one is also inside a blocked range."""

METADATA_HOSTNAMES: frozenset[str] = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.com",
        "instance-data",
        "instance-data.ec2.internal",
        "localhost",
    }
)
"""Names refused before any lookup (a hosts file or search domain could map them anywhere)."""

BLOCKED_SUFFIXES: tuple[str, ...] = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")

BLOCKED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(net), why)
    for net, why in (
        ("0.0.0.0/8", "unspecified/this-network"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "CGNAT shared address space"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay anycast"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible (deprecated)"),
        ("::ffff:0:0:0/96", "IPv4-translated"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard-only"),
        ("2001::/23", "IETF protocol assignments (Teredo, ...)"),
        ("2001:db8::/32", "documentation"),
        ("fc00::/7", "unique local (private)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local (deprecated)"),
        ("ff00::/8", "multicast"),
    )
)
"""Explicit table, so the answer does not depend on the Python version's ``is_global`` list;
``ipaddress``'s own flags are checked as well, as a second net."""

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """The image could not be fetched; the message is safe to log (host only, no path/query)."""


class FetchRefused(FetchError):
    """The policy forbids this URL or one of the addresses its host resolves to."""


class FetchTooLarge(FetchError):
    """The response is (or announces itself as) bigger than ``max_bytes``."""


class FetchTimeout(FetchError):
    """The whole fetch, redirects included, took longer than ``timeout_s``."""


def blocked_reason(address: str | IPAddress) -> str | None:
    """Why ``address`` must not be connected to, or None for a public unicast address.

    Unparseable text (including scoped IPv6 such as ``fe80::1%eth0``) is refused. IPv6 forms
    that embed an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::a.b.c.d``,
    6to4 ``2002:AABB:CCDD::``) are judged by the address they embed.
    """
    try:
        ip = address if isinstance(address, (ipaddress.IPv4Address, ipaddress.IPv6Address)) else ipaddress.ip_address(address)
    except ValueError:
        return "not a plain IP address"
    if ip in METADATA_ADDRESSES:
        return "cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None
        )
        if embedded is not None:
            inner = blocked_reason(embedded)
            return f"IPv6 form of a {inner} address" if inner else None
    for network, why in BLOCKED_NETWORKS:
        if ip.version == network.version and ip in network:
            return why
    for flag in ("is_loopback", "is_private", "is_link_local", "is_multicast", "is_reserved", "is_unspecified"):
        if getattr(ip, flag):
            return flag[3:].replace("_", "-")
    if not ip.is_global:
        return "not globally routable"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """What a fetch may reach. The default is the strict production policy.

    Tests (and deployments with an internal image mirror) inject a wider one, e.g.
    ``AddressPolicy(schemes=frozenset({"http"}), ports=None,
    allow_networks=(ipaddress.ip_network("127.0.0.1/32"),))``; the default never changes.
    """

    schemes: frozenset[str] = frozenset({"https"})
    ports: frozenset[int] | None = frozenset({443})
    """Allowed ports; None allows any."""
    allowed_hosts: tuple[str, ...] = ()
    """Empty: any public host. Otherwise exact names (``img.example.com``) or suffixes with a
    leading dot (``.example.com`` matches its subdomains). Never bypasses the address checks."""
    allow_networks: tuple[IPNetwork, ...] = ()
    """Exceptions to the address blocklist (and to the blocked host names)."""

    def check_url(self, url: httpx.URL) -> None:
        """Raise :class:`FetchRefused` unless scheme, credentials, host and port are allowed."""
        scheme = url.scheme.lower()
        host = _host_name(url)
        if scheme not in self.schemes:
            raise FetchRefused(f"scheme {scheme or '(none)'!r} is not allowed (allowed: {', '.join(sorted(self.schemes))})")
        if url.userinfo:
            raise FetchRefused(f"URL for {host} carries credentials")
        if not host:
            raise FetchRefused("URL has no host")
        port = url.port or (443 if scheme == "https" else 80)
        if self.ports is not None and port not in self.ports:
            raise FetchRefused(f"port {port} of {host} is not allowed")
        if self.allowed_hosts and not any(_host_matches(host, entry) for entry in self.allowed_hosts):
            raise FetchRefused(f"host {host} is not in the fetch allowlist")
        if not self._allowed_literal(host):
            if host in METADATA_HOSTNAMES:
                raise FetchRefused(f"host {host} is a metadata/local name")
            if host.endswith(BLOCKED_SUFFIXES):
                raise FetchRefused(f"host {host} is under a local-only domain")

    def check_address(self, host: str, address: str) -> None:
        """Raise :class:`FetchRefused` unless ``address`` (one of ``host``'s) may be reached."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise FetchRefused(f"{host} resolves to an unusable address") from None
        if any(ip.version == net.version and ip in net for net in self.allow_networks):
            return
        why = blocked_reason(ip)
        if why is not None:
            raise FetchRefused(f"{host} resolves to {ip} ({why})")

    def _allowed_literal(self, host: str) -> bool:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(ip.version == net.version and ip in net for net in self.allow_networks)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (order kept, duplicates dropped).

    Bounded in time by the resolver's own configuration (resolv.conf timeout/attempts), not by
    the fetch deadline, which is checked again right after.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {type(exc).__name__}") from None
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


@dataclass(frozen=True)
class FetchedImage:
    """The bytes of one fetched URL and where they finally came from (no path, no query)."""

    data: bytes
    media_type: str | None
    host: str
    address: str
    redirects: int = 0


@dataclass
class SafeFetcher:
    """Fetches one image URL under :class:`AddressPolicy`, size and time limits.

    Thread-safe: each fetch uses its own short-lived transport; the SSL context (loading the CA
    bundle costs milliseconds) is built once per fetcher and only read afterwards.
    """

    policy: AddressPolicy = field(default_factory=AddressPolicy)
    resolver: Resolver = system_resolver
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    ssl_context: ssl.SSLContext | None = None
    """None: a verifying context from httpx (certifi, or SSL_CERT_FILE/SSL_CERT_DIR)."""
    _ssl: ssl.SSLContext = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.timeout_s <= 0 or self.max_redirects < 0:
            raise ValueError("max_bytes and timeout_s must be positive, max_redirects >= 0")
        self._ssl = self.ssl_context if self.ssl_context is not None else httpx.create_ssl_context()

    @classmethod
    def from_config(cls, config: CompressionConfig) -> SafeFetcher:
        """The production fetcher for a config: default address policy plus its host allowlist.

        Never downloads more than the per-image limit either: a fetched image over
        ``limits.max_payload_bytes`` could not be compressed anyway.
        """
        return cls(
            policy=AddressPolicy(allowed_hosts=tuple(config.fetch_allowed_hosts)),
            max_bytes=min(config.fetch_max_bytes, config.limits.max_payload_bytes),
            timeout_s=config.fetch_timeout_s,
        )

    def fetch(self, url: str) -> FetchedImage:
        """The body of ``url`` after at most ``max_redirects`` vetted redirects.

        Raises :class:`FetchError` (or a subclass) for every failure; never anything else for
        network, policy or protocol problems.
        """
        deadline = time.monotonic() + self.timeout_s
        try:
            current = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise FetchRefused("not a valid URL") from None
        for hop in range(self.max_redirects + 1):
            result = self._hop(current, deadline)
            if isinstance(result, FetchedImage):
                fetched = FetchedImage(result.data, result.media_type, result.host, result.address, hop)
                logger.debug("fetched %d bytes from %s after %d redirect(s)", len(fetched.data), fetched.host, hop)
                return fetched
            try:
                current = current.join(result)
            except (httpx.InvalidURL, TypeError, ValueError):
                raise FetchRefused(f"{_host_name(current)} redirected to an invalid URL") from None
        raise FetchError(f"more than {self.max_redirects} redirects")

    # -- one request ----------------------------------------------------------------------------
    def _hop(self, url: httpx.URL, deadline: float) -> FetchedImage | str:
        """Fetch ``url`` itself: the image, or the Location of a redirect (not followed here)."""
        self.policy.check_url(url)
        host = _host_name(url)
        scheme = url.scheme.lower()
        port = url.port or (443 if scheme == "https" else 80)
        addresses = self._vetted_addresses(host, port, deadline)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return self._request(url, host, address, deadline)
            except httpx.ConnectError as exc:  # try the next vetted address (IPv6 -> IPv4, ...)
                last_error = exc
            except httpx.TimeoutException:
                raise FetchTimeout(f"fetching from {host} took longer than {self.timeout_s:g}s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"fetching from {host} failed: {type(exc).__name__}") from None
        raise FetchError(f"cannot connect to {host}: {type(last_error).__name__}")

    def _vetted_addresses(self, host: str, port: int, deadline: float) -> list[str]:
        """Resolve once; refuse if any address is forbidden (a mixed answer is an attack sign)."""
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        try:
            addresses = [str(literal)] if literal is not None else list(self.resolver(host, port))
        except OSError as exc:
            raise FetchError(f"cannot resolve {host}: {type(exc).__name__}") from None
        _check_deadline(deadline, host, self.timeout_s)
        if not addresses:
            raise FetchError(f"{host} resolves to no address")
        for address in addresses:
            self.policy.check_address(host, address)
        return addresses

    def _request(self, url: httpx.URL, host: str, address: str, deadline: float) -> FetchedImage | str:
        pinned = url.copy_with(host=address)  # the connection goes to this IP and nowhere else
        request = httpx.Request(
            "GET",
            pinned,
            headers={
                "Host": url.netloc.decode("ascii"),
                "Accept": "image/*",
                "Accept-Encoding": "identity",  # size limits apply to the bytes we keep
                "User-Agent": f"headroom-edge/{__version__} (image fetch)",
            },
            extensions={"timeout": _timeouts(deadline, host, self.timeout_s)},
        )
        if url.scheme.lower() == "https" and _is_name(host):
            request.extensions["sni_hostname"] = host  # SNI + certificate check use the name
        with httpx.HTTPTransport(verify=self._ssl, trust_env=False, retries=0) as transport:
            response = transport.handle_request(request)
            try:
                return self._read(response, host, address, deadline)
            finally:
                response.close()

    def _read(self, response: httpx.Response, host: str, address: str, deadline: float) -> FetchedImage | str:
        status = response.status_code
        if status in REDIRECT_STATUSES:
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"{host} answered {status} without a Location")
            return location
        if status != 200:
            raise FetchError(f"{host} answered HTTP {status}")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise FetchError(f"{host} sent a {encoding!r}-encoded body")
        declared = response.headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise FetchTooLarge(f"{host} announces {int(declared)} bytes, over the limit of {self.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():  # as received: the deadline is checked per read
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchTooLarge(f"{host} sent more than {self.max_bytes} bytes")
            chunks.append(chunk)
            _check_deadline(deadline, host, self.timeout_s)
        media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower() or None
        return FetchedImage(b"".join(chunks), media_type, host, address)


def _host_name(url: httpx.URL) -> str:
    """The URL's host, ASCII (IDNA) and lower case, without a trailing dot or IPv6 brackets."""
    try:
        raw = url.raw_host.decode("ascii")
    except UnicodeDecodeError:
        return ""
    return raw.strip("[]").rstrip(".").lower()


def _host_matches(host: str, entry: str) -> bool:
    entry = entry.strip().lower().rstrip(".")
    if not entry:
        return False
    if entry.startswith("."):
        return host.endswith(entry)
    return host == entry


def _is_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


def _check_deadline(deadline: float, host: str, timeout_s: float) -> None:
    if time.monotonic() >= deadline:
        raise FetchTimeout(f"fetching from {host} took longer than {timeout_s:g}s")


def _timeouts(deadline: float, host: str, timeout_s: float) -> dict[str, float]:
    """httpx timeouts for one request: whatever is left of the fetch-wide deadline."""
    _check_deadline(deadline, host, timeout_s)
    left = max(0.001, deadline - time.monotonic())
    return {"connect": left, "read": left, "write": left, "pool": left}
