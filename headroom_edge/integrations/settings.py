"""The proxy's one settings object: built from ``HEADROOM_*`` env vars, then CLI flags.

Every field can be set as ``HEADROOM_<FIELD>`` (``HEADROOM_PORT=9000``,
``HEADROOM_IMAGE_OPTIMIZE=false``, ``HEADROOM_OPENAI_BASE_URL=...``); flags given on the command
line win over the environment, which wins over the defaults. Keeping it a frozen dataclass means
the app factory, the CLI and tests all pass the same explicit object around.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from headroom_edge.config import CompressionConfig, ImageLimits
from headroom_edge.integrations.constants import (
    CONNECT_TIMEOUT_S,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_QUEUE_LIMIT,
    DEFAULT_TIME_BUDGET_S,
    FALSE_VALUES,
    HEADER_TIMEOUT_S,
    TRUE_VALUES,
)
from headroom_edge.integrations.workers import default_workers

ENV_PREFIX = "HEADROOM_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
DOOR_URL_FIELDS = ("azure_openai_base_url", "vertex_ai_base_url", "ollama_base_url")
"""Upstreams of the optional doors: empty by default, and their requests refused until set."""


@dataclass(frozen=True)
class ProxySettings:
    """Everything ``create_proxy_app`` and ``headroom-edge proxy`` need."""

    host: str = "127.0.0.1"
    """Loopback by default: the proxy forwards whatever credentials clients send, so exposing
    it on a network interface must be a deliberate choice."""
    port: int = 8787
    image_optimize: bool = True
    """False forwards every body byte-identical (the compressor is never loaded)."""
    openai_base_url: str = "https://api.openai.com"
    anthropic_base_url: str = "https://api.anthropic.com"
    google_base_url: str = "https://generativelanguage.googleapis.com"
    azure_openai_base_url: str = ""
    """An Azure OpenAI resource (``https://{resource}.openai.azure.com``): ``/openai/...`` is
    forwarded there with its ``?api-version`` and ``api-key``/Bearer header as they came.
    Empty: those requests are refused (404)."""
    vertex_ai_base_url: str = ""
    """A Vertex AI regional host (``https://{region}-aiplatform.googleapis.com``) for
    ``/v1/projects/{p}/locations/{loc}/publishers/{google|anthropic}/models/...``. Empty: refused,
    never sent to a public API's host (the Bearer token is a Google OAuth token)."""
    ollama_base_url: str = ""
    """An Ollama server (``http://127.0.0.1:11434``) for its native ``/api/...`` (``/api/chat``,
    ``/api/generate``). Empty: refused. Bedrock has no such setting: its bodies are signed, so
    it is compressed inside boto3 (integrations/bedrock.py), never by the proxy."""
    workers: int = field(default_factory=default_workers)
    """Compression worker threads (not server processes: one process keeps one connection pool
    and one set of metrics)."""
    isolate_workers: bool = True
    """Run image work in supervised child processes (one per worker, models loaded in each):
    a native crash or hang then costs one request, sent uncompressed, instead of the proxy."""
    queue_limit: int = DEFAULT_QUEUE_LIMIT
    """Compressions allowed to wait for a worker; beyond that requests go out uncompressed."""
    time_budget_s: float = DEFAULT_TIME_BUDGET_S
    """Longest a request waits for its compression before it is sent uncompressed."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """LLM request bodies (JSON POSTs the proxy would buffer to compress) over this are refused
    with 413 ``request_too_large`` (or forwarded untouched with ``reject_oversize`` off)."""
    max_image_bytes: int = ImageLimits().max_payload_bytes
    """Per-image limit on the decoded payload; a request with a bigger image gets 413 (or the
    image is passed through untouched with ``reject_oversize`` off)."""
    reject_oversize: bool = True
    """413 for bodies/images over the limits instead of forwarding them uncompressed."""
    fetch_urls: bool = False
    """Fetch https image URLs, compress them and send them inline (SSRF-guarded; see
    headroom_edge.fetch). Off by default."""
    fetch_max_bytes: int = CompressionConfig().fetch_max_bytes
    fetch_timeout_s: float = CompressionConfig().fetch_timeout_s
    fetch_allowed_hosts: str = ""
    """Comma-separated host allowlist for fetching (``img.example.com,.cdn.example``); empty
    allows any public host."""
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    header_timeout_s: float = HEADER_TIMEOUT_S
    """Wait for the upstream's response headers (504 after). Non-streaming completions send
    headers only when the whole answer is ready, so this is long; streams have no read timeout."""
    client_header_timeout_s: float = 10.0
    """Deadline for a client to send a request's line and headers (slowloris guard): 408 and
    close after it. Counted from the connection's start or the next request's first byte."""
    client_body_timeout_s: float = 30.0
    """Longest gap between two request-body chunks before the request ends with 408 (a stalled
    upload must not hold a worker, a buffer and an upstream connection)."""
    keep_alive_timeout_s: float = 5.0
    """Idle keep-alive connections are closed after this (uvicorn's ``timeout_keep_alive``)."""
    max_connections: int = 1024
    """Open connections plus requests in progress; beyond it requests get 503 at once
    (uvicorn's ``limit_concurrency``)."""
    model_catalog: str = ""
    """JSON model catalog merged over the packaged one (see headroom_edge.catalog); empty uses
    the packaged table. Env HEADROOM_MODEL_CATALOG, flag --model-catalog."""
    log_level: str = "info"
    trust_env: bool = True
    """Honour HTTPS_PROXY/NO_PROXY/SSL_CERT_FILE for the upstream connections."""

    def __post_init__(self) -> None:
        for name in ("openai_base_url", "anthropic_base_url", "google_base_url", *DOOR_URL_FIELDS):
            url = getattr(self, name)
            if name in DOOR_URL_FIELDS and url == "":
                continue  # that door stays closed
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{name} must start with http:// or https://, got {url!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be in 0..65535, got {self.port}")
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        if self.queue_limit < 0:
            raise ValueError("queue_limit must be >= 0")
        for name in ("max_body_bytes", "max_image_bytes", "fetch_max_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        for name in (
            "fetch_timeout_s",
            "client_header_timeout_s",
            "client_body_timeout_s",
            "keep_alive_timeout_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")
        if self.max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        if self.log_level.lower() not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ProxySettings:
        """Defaults, then ``HEADROOM_*`` variables, then ``overrides`` whose value is not None."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw.strip() != "":
                values[f.name] = _parse(f, raw.strip())
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_changes(self, **changes: Any) -> ProxySettings:
        return dataclasses.replace(self, **changes)

    def compression_config(self, base: CompressionConfig | None = None) -> CompressionConfig:
        """``base`` (default: the library defaults) with this proxy's limits and fetch options."""
        base = base or CompressionConfig()
        hosts = tuple(h.strip() for h in self.fetch_allowed_hosts.split(",") if h.strip())
        return base.with_changes(
            limits=dataclasses.replace(base.limits, max_payload_bytes=self.max_image_bytes),
            fetch_urls=self.fetch_urls,
            fetch_max_bytes=self.fetch_max_bytes,
            fetch_timeout_s=self.fetch_timeout_s,
            fetch_allowed_hosts=hosts,
            model_catalog=self.model_catalog or base.model_catalog,
        )


def _parse(f: dataclasses.Field[Any], raw: str) -> Any:
    """Convert one env var by the field's annotated type, naming the variable on error."""
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    name = ENV_PREFIX + f.name.upper()
    try:
        if kind == "bool":
            low = raw.lower()
            if low in TRUE_VALUES:
                return True
            if low in FALSE_VALUES:
                return False
            raise ValueError("expected true/false")
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        return raw
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r}: {exc}") from None
