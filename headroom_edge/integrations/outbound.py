"""Compress the LLM calls an app makes, without changing how it builds its SDK clients.

The SDKs (openai, anthropic, google-genai) all send through httpx (or its ``httpx2`` fork), and
every client, the SDKs' default ones included, ends in ``HTTPTransport.handle_request`` or
``AsyncHTTPTransport.handle_async_request``. Like OpenTelemetry's and Sentry's httpx
integrations, we wrap those two methods on the classes, explicitly and reversibly: clients
built before or after installing are covered, and removing puts the very same function objects
back. The patch is process-wide by nature (the classes are), so one :class:`Hooks` object
records what was patched and who asked for it; everything else is per caller.

Who compresses a call is decided when it is sent:

* inside a request served by :class:`~headroom_edge.integrations.middleware.HeadroomMiddleware`
  (``outbound=True``), that middleware's :class:`OutboundCompressor`, with the request's bypass,
  time budget, pool and metrics (see :mod:`headroom_edge.integrations.context`);
* elsewhere, the one installed by :func:`instrument` (scripts, workers, task queues), if any;
* otherwise nobody: the original method runs with the original request object.

A call is an LLM call when it is a JSON POST to one of the known LLM paths
(:data:`~headroom_edge.integrations.routes.DEFAULT_ROUTES`) on any host, or only on the hosts in
``outbound_hosts``. Every other request reaches the original method as the very object it was.
Responses are never touched, so streams arrive as the provider sends them.

Nothing here imports httpx until :meth:`Hooks.add` patches it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import importlib
import importlib.util
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from headroom_edge.integrations.compression import (
    BodyCompressor,
    BodyRewrite,
    fail_open_reason,
    must_propagate,
)
from headroom_edge.integrations.constants import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_QUEUE_LIMIT,
    DEFAULT_TIME_BUDGET_S,
)
from headroom_edge.integrations.context import RequestContext, current
from headroom_edge.integrations.metrics import Metrics
from headroom_edge.integrations.rewriter import Plan, RequestRewriter
from headroom_edge.integrations.routes import DEFAULT_ROUTES, Route
from headroom_edge.integrations.workers import Shed, WorkerPool
from headroom_edge.results import CompressionResult

logger = logging.getLogger("headroom_edge.outbound")

OUTBOUND_UPSTREAM = "outbound"
"""``upstream`` label of ``headroom_requests_total`` for calls the app itself made."""
_HTTP_LIBRARIES = ("httpx", "httpx2")
_SYNC_METHOD = ("HTTPTransport", "handle_request")
_ASYNC_METHOD = ("AsyncHTTPTransport", "handle_async_request")


class OutboundCompressor:
    """Compresses the LLM calls that reach an instrumented httpx transport.

    ``compressor`` defaults to a lazily built :class:`headroom_edge.ImageCompressor`. Work runs
    in ``pool`` (a new :class:`WorkerPool` unless given) with its shedding and time budget; any
    failure sends the call as it was. ``outbound_hosts``: only calls to these hosts (``"host"``
    or ``"host:port"``, case-insensitive) are compressed; None means any host.
    """

    def __init__(
        self,
        compressor: BodyCompressor | None = None,
        *,
        routes: Iterable[str | Route] = DEFAULT_ROUTES,
        outbound_hosts: Iterable[str] | None = None,
        pool: WorkerPool | None = None,
        max_workers: int | None = None,
        queue_limit: int = DEFAULT_QUEUE_LIMIT,
        time_budget_s: float | None = DEFAULT_TIME_BUDGET_S,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        metrics: Metrics | None = None,
    ) -> None:
        self.rewriter = RequestRewriter(compressor, routes=routes, max_body_bytes=max_body_bytes)
        self.hosts = _host_set(outbound_hosts)
        self.metrics = metrics if metrics is not None else Metrics()
        self.owns_pool = pool is None
        self.pool = pool if pool is not None else WorkerPool(max_workers, queue_limit, time_budget_s)

    @property
    def last_result(self) -> CompressionResult | None:
        """The result of the most recent compressed call (any thread); each request served by
        the middleware also keeps its own in ``request.state.headroom``."""
        return self.rewriter.last_result

    def close(self) -> None:
        if self.owns_pool:
            self.pool.close(wait=False)

    # -- the two send paths ------------------------------------------------------------------
    def send(self, original: Callable[..., Any], transport: Any, request: Any) -> Any:
        """Sync path: plan, compress (in the request's pool when we can get there), send."""
        context = current()
        plan = self._plan(request, context)
        if plan is None:
            return original(transport, request)
        rewrite = plan.cached or self._compress_blocking(plan, context)
        response = original(transport, self._finish(request, plan, rewrite, context))
        self._count(plan.route, context, response)
        return response

    async def send_async(self, original: Callable[..., Any], transport: Any, request: Any) -> Any:
        """Async path: the CPU work goes to the pool, the event loop keeps serving."""
        context = current()
        plan = self._plan(request, context)
        if plan is None:
            return await original(transport, request)
        rewrite = plan.cached or await self._compress_async(plan, context)
        response = await original(transport, self._finish(request, plan, rewrite, context))
        self._count(plan.route, context, response)
        return response

    # -- steps ---------------------------------------------------------------------------------
    def _plan(self, request: Any, context: RequestContext | None) -> Plan | None:
        """None for anything that is not an LLM call worth compressing (sent as it is)."""
        try:
            route = self.rewriter.candidate(request)
            if route is None or not self._host_allowed(request.url):
                return None
            if context is not None and context.bypass:
                self.metrics.count_bypass()
                return None
            plan = self.rewriter.plan(request, route)
            if plan is not None and context is not None and context.is_inbound_body(plan.raw):
                return None  # a gateway forwarding what the middleware already compressed
            return plan
        except Exception as exc:  # fail-open: a request shape we did not foresee
            self.metrics.count_fail_open("error")
            logger.warning("outbound check failed (%s); call sent as-is", type(exc).__name__)
            return None

    def _host_allowed(self, url: Any) -> bool:
        if self.hosts is None:
            return True
        host = str(url.host).lower()
        return host in self.hosts or f"{host}:{url.port}" in self.hosts

    async def _compress_async(self, plan: Plan, context: RequestContext | None) -> BodyRewrite | None:
        budget = context.budget_s if context is not None else None
        try:
            if not _on_loop_thread():  # not asyncio (trio): the pool is asyncio-based
                import anyio.to_thread

                return await anyio.to_thread.run_sync(self.rewriter.compress, plan)
            return await self.pool.run(self.rewriter.compress, plan, budget_s=budget)
        except BaseException as exc:
            return self._failed(exc, inline=False)

    def _compress_blocking(self, plan: Plan, context: RequestContext | None) -> BodyRewrite | None:
        """From a worker thread of the serving loop: through the pool. Anywhere else (a script,
        or a sync SDK call blocking the loop thread itself) in this thread."""
        loop = context.loop if context is not None else None
        if loop is not None and loop.is_running() and not _on_loop_thread():
            budget = context.budget_s if context is not None else None
            job = self.pool.run(self.rewriter.compress, plan, budget_s=budget)
            try:
                future = asyncio.run_coroutine_threadsafe(job, loop)
            except BaseException as exc:
                job.close()
                return self._failed(exc, inline=False)
            try:
                return future.result(timeout=None if budget is None else budget + 1.0)
            except concurrent.futures.TimeoutError:
                future.cancel()
                self.metrics.count_shed("time_budget")
                return None
            except BaseException as exc:
                return self._failed(exc, inline=False)
        try:
            return self.rewriter.compress(plan)
        except BaseException as exc:
            return self._failed(exc, inline=True)

    def _failed(self, exc: BaseException, *, inline: bool) -> None:
        if isinstance(exc, Shed):
            self.metrics.count_shed(exc.reason)
            logger.warning("outbound compression shed (%s); call sent uncompressed", exc.reason)
            return None
        if must_propagate(exc, inline=inline):
            raise exc
        self.metrics.count_fail_open(fail_open_reason(exc))
        logger.warning("outbound compression failed (%s); call sent as-is", type(exc).__name__)
        return None

    def _finish(
        self, request: Any, plan: Plan, rewrite: BodyRewrite | None, context: RequestContext | None
    ) -> Any:
        """Record the result (metrics once per distinct body, the request's results per call)
        and return the request to send."""
        if rewrite is None:
            return request
        if rewrite.result is not None:
            if plan.cached is None:
                after = len(rewrite.body) if rewrite.changed else len(plan.raw)
                self.metrics.record_compression(rewrite.result, len(plan.raw), after, rewrite.seconds)
            if context is not None and rewrite.result.images:
                context.add_result(rewrite.result)
        return self.rewriter.apply(request, rewrite)

    def _count(self, route: Route, context: RequestContext | None, response: Any) -> None:
        inbound = context.route_label if context is not None else "-"
        status = getattr(response, "status_code", 0)
        self.metrics.count_request(inbound, f"{OUTBOUND_UPSTREAM}:{route.name}", status)


@dataclass
class _Patch:
    """One replaced method: where, the original (None when inherited), and our wrapper."""

    cls: type
    name: str
    original: Any
    wrapper: Any


class Hooks:
    """The process's httpx patch and the compressors that want it.

    Installed while at least one owner holds it (each mounted middleware between its lifespan
    startup and shutdown, plus :func:`instrument`); the last one out restores the classes.
    ``process_owner`` is the one :func:`instrument` made: it handles calls made outside any
    middleware request.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: list[OutboundCompressor] = []
        self._patches: list[_Patch] = []
        self.process_owner: OutboundCompressor | None = None

    @property
    def installed(self) -> bool:
        return bool(self._patches)

    def holds(self, owner: OutboundCompressor) -> bool:
        return any(o is owner for o in self._owners)

    def add(self, owner: OutboundCompressor) -> None:
        with self._lock:
            self._add(owner)

    def remove(self, owner: OutboundCompressor) -> None:
        with self._lock:
            self._remove(owner)

    def set_process_owner(self, make: Callable[[], OutboundCompressor]) -> OutboundCompressor:
        """The :func:`instrument` owner: the existing one, or a new one from ``make``."""
        with self._lock:
            if self.process_owner is None:
                owner = make()
                self._add(owner)
                self.process_owner = owner
            return self.process_owner

    def clear_process_owner(self) -> OutboundCompressor | None:
        with self._lock:
            owner, self.process_owner = self.process_owner, None
            if owner is not None:
                self._remove(owner)
            return owner

    def _add(self, owner: OutboundCompressor) -> None:
        if not self._patches:
            self._patches = _patch_all(self)  # first, so a failure leaves no owner behind
        if not self.holds(owner):
            self._owners.append(owner)

    def _remove(self, owner: OutboundCompressor) -> None:
        self._owners = [o for o in self._owners if o is not owner]
        if not self._owners and self._patches:
            _unpatch_all(self._patches)
            self._patches = []

    def resolve(self) -> OutboundCompressor | None:
        """Who compresses a call sent from here, now (None: send it untouched)."""
        context = current()
        owners = self._owners
        if context is not None and any(o is context.owner for o in owners):
            return context.owner  # type: ignore[no-any-return]
        return self.process_owner


HOOKS = Hooks()
"""The one registry: the patched classes are process-wide, so what patched them must be too."""


def instrument(
    compressor: BodyCompressor | None = None,
    *,
    outbound_hosts: Iterable[str] | None = None,
    **options: Any,
) -> OutboundCompressor:
    """Compress the LLM calls this process makes through httpx (sync and async), everywhere.

    For code without an ASGI app. Idempotent: while instrumented, a second call returns the
    same :class:`OutboundCompressor` and changes nothing. ``options`` are those of
    :class:`OutboundCompressor` (``routes``, ``max_workers``, ``time_budget_s``, ...).
    """
    return HOOKS.set_process_owner(
        lambda: OutboundCompressor(compressor, outbound_hosts=outbound_hosts, **options)
    )


def uninstrument() -> None:
    """Undo :func:`instrument` (a no-op when not instrumented). httpx is restored exactly once
    no mounted middleware still needs the hooks."""
    owner = HOOKS.clear_process_owner()
    if owner is not None:
        owner.close()


def _patch_all(hooks: Hooks) -> list[_Patch]:
    """Wrap both transports of httpx and (when installed) httpx2; all or nothing."""
    patches: list[_Patch] = []
    try:
        for library in _HTTP_LIBRARIES:
            if library != "httpx" and importlib.util.find_spec(library) is None:
                continue
            module = importlib.import_module(library)
            for (cls_name, method), is_async in ((_SYNC_METHOD, False), (_ASYNC_METHOD, True)):
                cls = getattr(module, cls_name)
                original = cls.__dict__.get(method)
                make = _async_wrapper if is_async else _sync_wrapper
                wrapper = make(hooks, cls, method)
                setattr(cls, method, wrapper)
                patches.append(_Patch(cls, method, original, wrapper))
    except BaseException:
        _unpatch_all(patches)
        raise
    return patches


def _unpatch_all(patches: list[_Patch]) -> None:
    for patch in reversed(patches):
        if patch.cls.__dict__.get(patch.name) is not patch.wrapper:
            continue  # someone wrapped ours since; ours now passes through (no owners left)
        if patch.original is None:
            delattr(patch.cls, patch.name)
        else:
            setattr(patch.cls, patch.name, patch.original)


def _sync_wrapper(hooks: Hooks, cls: type, method: str) -> Any:
    original = _unbound(cls, method)

    @functools.wraps(original)
    def handle_request(self: Any, request: Any) -> Any:
        owner = hooks.resolve()
        if owner is None:
            return original(self, request)
        return owner.send(original, self, request)

    return handle_request


def _async_wrapper(hooks: Hooks, cls: type, method: str) -> Any:
    original = _unbound(cls, method)

    @functools.wraps(original)
    async def handle_async_request(self: Any, request: Any) -> Any:
        owner = hooks.resolve()
        if owner is None:
            return await original(self, request)
        return await owner.send_async(original, self, request)

    return handle_async_request


def _unbound(cls: type, method: str) -> Callable[..., Any]:
    function: Callable[..., Any] = getattr(cls, method)
    return function


def _on_loop_thread() -> bool:
    """Whether an asyncio loop runs in this thread (False under trio and in plain threads)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _host_set(hosts: Iterable[str] | None) -> frozenset[str] | None:
    if hosts is None:
        return None
    if isinstance(hosts, str):
        hosts = [hosts]
    return frozenset(h.strip().lower() for h in hosts if h.strip())
