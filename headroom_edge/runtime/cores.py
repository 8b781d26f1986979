"""How many CPU cores this process may use, without importing onnxruntime.

The onnxruntime sessions size their thread pools by it and the integrations' worker pools too;
the latter are built by light modules (the middleware, the proxy settings) that must not pull
in onnxruntime just to count cores, so the count lives here and ``runtime.onnx`` re-exports it.
"""

from __future__ import annotations

import os


def usable_cores() -> int:
    """Cores in this process's CPU affinity set (a ``taskset`` or container limit counts, not
    the host's core count), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)
