"""Real uvicorn servers on 127.0.0.1 in background threads, for end-to-end tests."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp


class ServerThread:
    """``with ServerThread(app) as server: server.url`` -- serves ``app`` until the block ends.

    The socket is bound here (port 0: the OS picks a free port) and handed to uvicorn, so there
    is no race between finding a free port and binding it. ``config`` overrides
    ``uvicorn.Config`` arguments (the proxy's connection limits: ``serving.server_options``).
    """

    def __init__(self, app: ASGIApp, **config: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        options: dict[str, Any] = {
            "log_level": "warning", "lifespan": "on", "access_log": False, "timeout_graceful_shutdown": 1
        }
        self.server = uvicorn.Server(uvicorn.Config(app, **{**options, **config}))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def refused_url() -> str:
    """A URL on a port where nothing listens (bound, then closed): connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
