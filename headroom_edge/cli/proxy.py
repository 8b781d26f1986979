"""``headroom-edge proxy``: serve the reverse proxy with uvicorn.

Every flag has a ``HEADROOM_*`` env var twin (``--openai-base-url`` / ``HEADROOM_OPENAI_BASE_URL``);
flags default to None here so that "not given" falls back to the environment, then to the
:class:`~headroom_edge.integrations.settings.ProxySettings` default.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from headroom_edge.integrations.settings import LOG_LEVELS, ProxySettings

_FLAGS: tuple[tuple[str, str, type, str], ...] = (
    # (flag, settings field, type, help)
    ("--host", "host", str, "interface to listen on (default 127.0.0.1; env HEADROOM_HOST)"),
    ("--port", "port", int, "port to listen on (default 8787; env HEADROOM_PORT)"),
    (
        "--openai-base-url",
        "openai_base_url",
        str,
        "OpenAI upstream (default https://api.openai.com)",
    ),
    (
        "--anthropic-base-url",
        "anthropic_base_url",
        str,
        "Anthropic upstream (default https://api.anthropic.com)",
    ),
    (
        "--google-base-url",
        "google_base_url",
        str,
        "Gemini upstream (default https://generativelanguage.googleapis.com)",
    ),
    (
        "--azure-openai-base-url",
        "azure_openai_base_url",
        str,
        "Azure OpenAI resource (https://RESOURCE.openai.azure.com) for /openai/...; "
        "unset: refused",
    ),
    (
        "--vertex-ai-base-url",
        "vertex_ai_base_url",
        str,
        "Vertex AI host (https://REGION-aiplatform.googleapis.com) for /v1/projects/...; "
        "unset: refused",
    ),
    (
        "--ollama-base-url",
        "ollama_base_url",
        str,
        "Ollama server (e.g. http://127.0.0.1:11434) for /api/chat, /api/generate; unset: refused",
    ),
    ("--workers", "workers", int, "compression workers (threads; with --isolate-workers one child process each)"),
    ("--queue-limit", "queue_limit", int, "compressions allowed to wait before shedding"),
    ("--time-budget", "time_budget_s", float, "seconds a request may wait for compression"),
    (
        "--max-body-bytes",
        "max_body_bytes",
        int,
        "LLM request bodies over this get 413 request_too_large (default 64 MiB)",
    ),
    (
        "--max-image-bytes",
        "max_image_bytes",
        int,
        "requests with a decoded image over this get 413 (default 32 MiB)",
    ),
    ("--fetch-max-bytes", "fetch_max_bytes", int, "largest image a URL fetch downloads"),
    ("--fetch-timeout", "fetch_timeout_s", float, "seconds one URL fetch may take"),
    (
        "--fetch-allowed-hosts",
        "fetch_allowed_hosts",
        str,
        "comma-separated hosts (.suffix for subdomains) URL fetching may reach; default any public",
    ),
    ("--connect-timeout", "connect_timeout_s", float, "upstream connect timeout, seconds"),
    ("--header-timeout", "header_timeout_s", float, "wait for upstream response headers (504)"),
    (
        "--client-header-timeout",
        "client_header_timeout_s",
        float,
        "seconds a client may take to send request headers (408 after; default 10)",
    ),
    (
        "--client-body-timeout",
        "client_body_timeout_s",
        float,
        "longest pause between request-body chunks (408 after; default 30)",
    ),
    ("--keep-alive-timeout", "keep_alive_timeout_s", float, "idle keep-alive seconds (default 5)"),
    (
        "--max-connections",
        "max_connections",
        int,
        "open connections + requests before new requests get 503 (default 1024)",
    ),
    ("--model-catalog", "model_catalog", str, "JSON model catalog merged over the packaged one"),
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``proxy`` subcommand on ``subparsers`` (from ``add_subparsers()``)."""
    parser = subparsers.add_parser(
        "proxy",
        help="run the compressing reverse proxy",
        description=(
            "Reverse proxy for OpenAI, Anthropic and Gemini that compresses request images. "
            "Use OPENAI_BASE_URL=http://HOST:PORT/v1 or ANTHROPIC_BASE_URL=http://HOST:PORT."
        ),
    )
    for flag, dest, kind, help_text in _FLAGS:
        metavar = flag.lstrip("-").upper().replace("-", "_")
        parser.add_argument(
            flag, dest=dest, type=kind, default=None, metavar=metavar, help=help_text
        )
    parser.add_argument(
        "--image-optimize",
        dest="image_optimize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compress images (default on; env HEADROOM_IMAGE_OPTIMIZE=false to turn off)",
    )
    parser.add_argument(
        "--isolate-workers",
        dest="isolate_workers",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compress in supervised child processes, so a decoder crash costs one request "
        "(default on; --no-isolate-workers uses threads in the proxy process)",
    )
    parser.add_argument(
        "--fetch-urls",
        dest="fetch_urls",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="fetch https image URLs and compress them inline (default off; env HEADROOM_FETCH_URLS)",
    )
    parser.add_argument(
        "--reject-oversize",
        dest="reject_oversize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="413 for bodies/images over the limits (default on; --no-reject-oversize forwards "
        "them uncompressed)",
    )
    parser.add_argument(
        # Own dest: the top-level parser has a --log-level too, and a subparser default would
        # overwrite its value in the shared namespace.
        "--log-level",
        dest="proxy_log_level",
        type=str.lower,
        choices=LOG_LEVELS,
        default=None,
        help="proxy log level (default info; env HEADROOM_LOG_LEVEL)",
    )
    parser.set_defaults(run=run)
    return parser


def settings_from_args(args: argparse.Namespace) -> ProxySettings:
    """Env vars, overridden by the flags that were given."""
    fields = [dest for _, dest, _, _ in _FLAGS] + [
        "image_optimize",
        "fetch_urls",
        "reject_oversize",
        "isolate_workers",
    ]
    given = {name: getattr(args, name, None) for name in fields}
    return ProxySettings.from_env(log_level=getattr(args, "proxy_log_level", None), **given)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the process exit code."""
    import uvicorn

    from headroom_edge.integrations.proxy import create_proxy_app
    from headroom_edge.integrations.serving import uvicorn_config

    settings = settings_from_args(args)
    level = settings.log_level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("headroom_edge").setLevel(level)
    uvicorn.Server(uvicorn_config(create_proxy_app(settings), settings)).run()
    return 0
