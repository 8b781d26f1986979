"""Counters for the proxy and middleware, rendered in the Prometheus text format (0.0.4).

Hand-written instead of depending on ``prometheus_client``: we need a handful of counters and
one histogram, and owning them as an explicit object (not a process-global registry) lets
several apps, or tests, keep separate numbers in one process.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from headroom_edge.results import CompressionResult

LabelKey = tuple[tuple[str, str], ...]

DEFAULT_LATENCY_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip


@dataclass
class Histogram:
    """A cumulative Prometheus histogram; ``counts[i]`` counts observations <= ``buckets[i]``."""

    buckets: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        if list(self.buckets) != sorted(self.buckets):
            raise ValueError("histogram buckets must be sorted")
        self.counts = [0] * len(self.buckets)

    def observe(self, value: float) -> None:
        self.total += value
        self.count += 1
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1


@dataclass(frozen=True)
class _Spec:
    name: str
    help: str
    labelled: bool = True
    """Unlabelled counters are rendered as 0 before their first increment."""


_SPECS: tuple[_Spec, ...] = (
    _Spec("headroom_requests_total", "Proxied requests by route, upstream and status."),
    _Spec("headroom_compressions_total", "Compression runs by outcome (changed, unchanged)."),
    _Spec("headroom_images_total", "Images seen, by the technique applied."),
    _Spec("headroom_tokens_before_total", "Estimated image tokens before compression.", False),
    _Spec("headroom_tokens_after_total", "Estimated image tokens after compression.", False),
    _Spec("headroom_body_bytes_before_total", "Request body bytes before compression.", False),
    _Spec("headroom_body_bytes_after_total", "Request body bytes after compression.", False),
    _Spec("headroom_fail_open_total", "Requests sent uncompressed after an error, by reason."),
    _Spec("headroom_shed_total", "Requests sent uncompressed because of load, by reason."),
    _Spec("headroom_bypass_total", "Requests that asked to bypass compression.", False),
    _Spec("headroom_upstream_errors_total", "Upstream failures before a response, by kind."),
    _Spec("headroom_worker_restarts_total", "Compression worker processes replaced, by reason."),
)


class Metrics:
    """Thread-safe counters plus the compression latency histogram.

    Compression results are recorded from the event loop, but nothing stops an app from
    recording from threads, hence the lock.
    """

    def __init__(self, latency_buckets: Sequence[float] = DEFAULT_LATENCY_BUCKETS) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[LabelKey, float]] = {
            s.name: defaultdict(float) for s in _SPECS
        }
        self._latency = Histogram(tuple(latency_buckets))

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        """Add to a counter (one of the names this class renders)."""
        if name not in self._counters:
            raise KeyError(f"unknown metric {name!r}")
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._counters[name][key] += amount

    def value(self, name: str, **labels: str) -> float:
        """A counter's current value (0 when never incremented); handy for tests and logs."""
        with self._lock:
            return self._counters[name].get(tuple(sorted(labels.items())), 0.0)

    def count_request(self, route: str, upstream: str, status: int) -> None:
        self.inc("headroom_requests_total", route=route, upstream=upstream, status=str(status))

    def count_shed(self, reason: str) -> None:
        self.inc("headroom_shed_total", reason=reason)

    def count_fail_open(self, reason: str) -> None:
        self.inc("headroom_fail_open_total", reason=reason)

    def count_bypass(self) -> None:
        self.inc("headroom_bypass_total")

    def count_worker_restart(self, reason: str) -> None:
        self.inc("headroom_worker_restarts_total", reason=reason)

    def count_upstream_error(self, upstream: str, kind: str) -> None:
        self.inc("headroom_upstream_errors_total", upstream=upstream, kind=kind)

    def record_compression(
        self, result: CompressionResult, bytes_before: int, bytes_after: int, seconds: float
    ) -> None:
        """Record one finished compression run (changed or not)."""
        outcome = "changed" if bytes_after != bytes_before or result.changed else "unchanged"
        with self._lock:
            c = self._counters
            c["headroom_compressions_total"][(("outcome", outcome),)] += 1
            for image in result.images:
                c["headroom_images_total"][(("technique", image.technique.value),)] += 1
            c["headroom_tokens_before_total"][()] += result.original_tokens
            c["headroom_tokens_after_total"][()] += result.compressed_tokens
            c["headroom_body_bytes_before_total"][()] += bytes_before
            c["headroom_body_bytes_after_total"][()] += bytes_after
            self._latency.observe(seconds)

    def render(self) -> str:
        """The Prometheus text exposition of every metric."""
        lines: list[str] = []
        with self._lock:
            for spec in _SPECS:
                series = self._counters[spec.name]
                lines.append(f"# HELP {spec.name} {spec.help}")
                lines.append(f"# TYPE {spec.name} counter")
                if not series and not spec.labelled:
                    lines.append(f"{spec.name} 0")
                for key, value in sorted(series.items()):
                    lines.append(f"{spec.name}{_labels(key)} {_number(value)}")
            lines.extend(_histogram_lines("headroom_compression_seconds", self._latency))
        return "\n".join(lines) + "\n"


def _histogram_lines(name: str, hist: Histogram) -> Iterable[str]:
    yield f"# HELP {name} Time spent compressing one request body (worker thread)."
    yield f"# TYPE {name} histogram"
    for bound, count in zip(hist.buckets, hist.counts, strict=True):
        yield f'{name}_bucket{{le="{_number(bound)}"}} {count}'
    yield f'{name}_bucket{{le="+Inf"}} {hist.count}'
    yield f"{name}_sum {_number(hist.total)}"
    yield f"{name}_count {hist.count}"


def _labels(key: LabelKey) -> str:
    if not key:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in key)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))
