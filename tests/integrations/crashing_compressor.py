"""A real ImageCompressor that crashes or hangs its process on request, for the process-pool tests.

It lives in its own importable module because it runs in the pool's child processes: a body
holding ``CRASH-NATIVE`` dereferences a null pointer (SIGSEGV, the way a decoder bug dies), one
holding ``HANG-FOREVER`` never returns; anything else is compressed by the real compressor.
"""

from __future__ import annotations

import ctypes
import time
from typing import Any

from headroom_edge import ImageCompressor
from headroom_edge.config import CompressionConfig

CRASH = b"CRASH-NATIVE"
HANG = b"HANG-FOREVER"


class CrashingCompressor(ImageCompressor):
    def compress_body(self, body: Any, **kwargs: Any) -> Any:
        if isinstance(body, bytes) and CRASH in body:
            ctypes.string_at(0)  # segfault: no Python exception, the process just dies
        if isinstance(body, bytes) and HANG in body:
            while True:
                time.sleep(1)
        return super().compress_body(body, **kwargs)


def crashing_factory(config: CompressionConfig | None) -> CrashingCompressor:
    return CrashingCompressor(config=config)
