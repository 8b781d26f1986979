"""Image work in supervised child processes, so a native crash or hang costs one request.

Decoders and ONNX kernels are C code: a segfault or an endless loop in one of them, inside a
thread, takes the whole proxy down (every request in flight) or wedges a worker forever.
:class:`ProcessCompressor` is a :class:`~headroom_edge.integrations.compression.BodyCompressor`
whose ``compress_body`` hands the body to one of ``processes`` child processes, each with its own
:class:`~headroom_edge.ImageCompressor` (models load once per child), and waits for the answer on
a pipe:

* a child that dies mid-job (crash, OOM kill) raises :class:`WorkerCrashed`; the caller fails
  open (the request goes out uncompressed) and a fresh child is started in the background;
* a job past its deadline (:mod:`headroom_edge.runtime.cancel`, set by the worker pool from the
  request's budget) raises :class:`~headroom_edge.runtime.cancel.Cancelled`: the child runs the
  job under the same deadline and stops at its next OCR checkpoint; one that does not within
  :data:`KILL_GRACE_S` is killed and replaced. A job past ``hang_timeout_s`` gets its child
  killed and raises :class:`WorkerHung`;
* while a replacement is still loading, jobs for it raise :class:`WorkerStarting` at once (at
  startup a job may wait, within its deadline, for the first children to load).

It keeps the thread :class:`~headroom_edge.integrations.workers.WorkerPool` in front: the pool
does admission, budgets and shedding; each of its threads blocks on one child (so ``processes``
should equal the pool's ``max_workers``). Children start with ``forkserver`` (a clean,
single-threaded parent that has the package imported, so a restart takes a fork plus model
loading, not a fresh interpreter); ``spawn`` where forkserver does not exist.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from headroom_edge.config import CompressionConfig
from headroom_edge.integrations.metrics import Metrics
from headroom_edge.runtime.cancel import Cancelled, Deadline, current_deadline, deadline_scope

logger = logging.getLogger("headroom_edge.procpool")

POLL_S = 0.05
"""How often a waiting thread looks at its deadline's cancel flag."""
KILL_GRACE_S = 1.0
"""After the deadline, how long a child gets to stop at its own next checkpoint (it runs the job
under the same deadline) before it is killed: a restart reloads the models, a checkpoint is free."""


class WorkerCrashed(Exception):
    """The child process died while compressing (the request is sent uncompressed)."""


class WorkerHung(Exception):
    """The child exceeded ``hang_timeout_s`` and was killed."""


class WorkerStarting(Exception):
    """No child is ready yet (a replacement is still loading its models)."""


def default_factory(config: CompressionConfig | None) -> Any:
    """Build the child's compressor (runs in the child; must be a picklable top-level function)."""
    from headroom_edge.compressor import ImageCompressor

    return ImageCompressor(config=config)


@dataclass(frozen=True)
class _Job:
    body: bytes
    path: str | None
    provider: str | None
    wire_format: str | None
    model: str | None
    budget_s: float | None
    """Seconds left on the caller's deadline when the job was sent (the child's own deadline)."""


def _child_main(
    conn: Connection, factory: Callable[[CompressionConfig | None], Any], config: Any
) -> None:
    """A child's whole life: build the compressor, say ready, then answer jobs until EOF."""
    compressor = factory(config)
    _warm_up(compressor)
    conn.send(("ready", None))
    while True:
        try:
            job: _Job | None = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            with deadline_scope(Deadline.after(job.budget_s)):
                out = compressor.compress_body(
                    job.body,
                    path=job.path,
                    provider=job.provider,
                    wire_format=job.wire_format,
                    model=job.model,
                )
            reply: tuple[str, Any] = ("ok", out)
        except Cancelled:
            reply = ("cancelled", None)
        except Exception as exc:  # reported by type only: messages may quote request data
            reply = ("error", type(exc).__name__)
        conn.send(reply)


def _warm_up(compressor: Any) -> None:
    """Compress one small generated request so the models load before the child says ready
    (a restarted child must not make its first real request pay for loading)."""
    import base64
    import io
    import json

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (768, 768), (90, 140, 200)).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    body = {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    }
    try:
        compressor.compress_body(json.dumps(body).encode("utf-8"), wire_format="openai_chat")
    except Exception:  # a warm-up failure only means the first real request loads the models
        logger.debug("worker warm-up failed", exc_info=True)


class _Child:
    """One child process, its pipe, and whether it has finished loading."""

    def __init__(self, ctx: Any, factory: Callable[..., Any], config: Any, initial: bool) -> None:
        self.conn, child_end = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=_child_main, args=(child_end, factory, config), daemon=True, name="headroom-worker"
        )
        self.process.start()
        child_end.close()
        self.ready = False
        self.initial = initial
        """Started with the pool: a job may wait (within its deadline) for it to load. A
        replacement after a crash is not waited for: jobs fail open until it is ready."""

    def wait_ready(self, timeout: float) -> bool:
        if self.ready:
            return True
        if wait([self.conn, self.process.sentinel], timeout) and self.conn.poll():
            try:
                kind, _ = self.conn.recv()
            except (EOFError, OSError):
                return False
            self.ready = kind == "ready"
        return self.ready

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class ProcessCompressor:
    """A ``BodyCompressor`` that runs each ``compress_body`` in a supervised child process."""

    def __init__(
        self,
        config: CompressionConfig | None = None,
        *,
        processes: int = 1,
        factory: Callable[[CompressionConfig | None], Any] = default_factory,
        hang_timeout_s: float | None = 120.0,
        start_timeout_s: float = 120.0,
        kill_grace_s: float = KILL_GRACE_S,
        metrics: Metrics | None = None,
        start_method: str | None = None,
    ) -> None:
        if processes < 1:
            raise ValueError("processes must be >= 1")
        method = start_method or (
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        )
        self._ctx = multiprocessing.get_context(method)
        self.config = config
        self.factory = factory
        self.hang_timeout_s = hang_timeout_s
        self.start_timeout_s = start_timeout_s
        self.kill_grace_s = kill_grace_s
        self.metrics = metrics
        self.restarts = 0
        """Children replaced after a crash, hang or deadline kill (for metrics and tests)."""
        self._idle: queue.Queue[_Child] = queue.Queue()
        self._all: set[_Child] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._started = False
        self.processes = processes

    def start(self) -> None:
        """Start the children (idempotent). Separate from construction so that an app which is
        built but never served (tests, ``--help``) starts no processes."""
        with self._lock:
            if self._started:
                return
            self._started = True
        if self._ctx.get_start_method() == "forkserver":
            # Children fork from a server that has the package imported already (takes effect
            # when this process starts its forkserver; a no-op once one runs).
            self._ctx.set_forkserver_preload(["headroom_edge.compressor"])
        for _ in range(self.processes):
            self._idle.put(self._start(initial=True))

    # -- BodyCompressor --------------------------------------------------------------------
    @staticmethod
    def body_may_have_images(body: bytes) -> bool:
        from headroom_edge.compressor import ImageCompressor

        return ImageCompressor.body_may_have_images(body)

    def compress_body(
        self,
        body: Any,
        *,
        path: str | None = None,
        provider: str | None = None,
        wire_format: str | None = None,
        model: str | None = None,
    ) -> Any:
        """Compress in a child; raises (and the caller fails open) on crash, hang or deadline."""
        if self._closed or not self._started:
            raise WorkerStarting("process pool is not running")
        try:
            child = self._idle.get(timeout=self.start_timeout_s)
        except queue.Empty:
            raise WorkerStarting("no compression worker free") from None
        try:
            return self._run_on(child, bytes(body), path, provider, wire_format, model)
        finally:
            self._idle.put(self._current(child))

    @property
    def pids(self) -> list[int]:
        """Process ids of the live children."""
        with self._lock:
            return [c.pid for c in self._all if c.pid is not None and c.process.is_alive()]

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until every child has loaded (tests, benchmarks, a warm start)."""
        end = time.monotonic() + (self.start_timeout_s if timeout is None else timeout)
        with self._lock:
            children = list(self._all)
        return all(c.wait_ready(max(0.0, end - time.monotonic())) for c in children)

    def close(self) -> None:
        """Stop every child (idempotent)."""
        self._closed = True
        with self._lock:
            children, self._all = list(self._all), set()
        for child in children:
            try:
                child.conn.send(None)
            except (OSError, ValueError):
                pass
            child.process.join(timeout=1)
            child.kill()

    # -- internals -------------------------------------------------------------------------
    def _start(self, initial: bool = False) -> _Child:
        child = _Child(self._ctx, self.factory, self.config, initial)
        with self._lock:
            self._all.add(child)
        return child

    def _current(self, child: _Child) -> _Child:
        """``child`` if it is still usable, else a freshly started replacement."""
        if child.process.is_alive() and not child.conn.closed:
            return child
        with self._lock:
            self._all.discard(child)
        if self._closed:
            return child
        self.restarts += 1
        return self._start()

    def _replace(self, child: _Child, reason: str, why: str) -> None:
        logger.warning("compression worker %s %s; restarting it", child.pid, why)
        if self.metrics is not None:
            self.metrics.count_worker_restart(reason)
        child.kill()

    def _run_on(
        self,
        child: _Child,
        body: bytes,
        path: str | None,
        provider: str | None,
        wire_format: str | None,
        model: str | None,
    ) -> Any:
        deadline = current_deadline()
        limit = self.hang_timeout_s
        start = time.monotonic()

        def left() -> float | None:
            remaining = None if deadline is None else deadline.remaining()
            if limit is not None:
                hang_left = limit - (time.monotonic() - start)
                remaining = hang_left if remaining is None else min(remaining, hang_left)
            return remaining

        if not child.ready:
            budget = left() if child.initial else 0.0
            if not child.wait_ready(0.0 if budget is None else max(0.0, budget)):
                if not child.process.is_alive():
                    self._replace(child, "crashed", "died while starting")
                raise WorkerStarting("compression worker is still loading")
        job = _Job(body, path, provider, wire_format, model, left())
        try:
            child.conn.send(job)
        except (OSError, ValueError):
            self._replace(child, "crashed", "lost its pipe")
            raise WorkerCrashed("compression worker is gone") from None
        while True:
            remaining = left()
            if remaining is not None and remaining <= 0:
                break
            step = POLL_S if remaining is None else min(POLL_S, remaining)
            if wait([child.conn, child.process.sentinel], step):
                return self._reply(child)
        hung = deadline is None or not deadline.expired()
        if not hung and wait([child.conn, child.process.sentinel], self.kill_grace_s):
            return self._reply(child)  # stopped at its own checkpoint: "cancelled", no restart
        if hung:
            self._replace(child, "hung", "hung")
        else:
            self._replace(child, "deadline", "ran past its deadline")
        if hung:
            raise WorkerHung("compression worker hung")
        raise Cancelled()

    def _reply(self, child: _Child) -> Any:
        try:
            kind, value = child.conn.recv()
        except (EOFError, OSError):
            code = child.process.exitcode
            child.process.join(timeout=1)
            self._replace(child, "crashed", f"crashed (exit code {child.process.exitcode or code})")
            raise WorkerCrashed("compression worker crashed") from None
        if kind == "ok":
            return value
        if kind == "cancelled":
            raise Cancelled()
        raise RuntimeError(f"compression failed in worker: {value}")
