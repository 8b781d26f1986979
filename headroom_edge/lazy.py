"""Parts built on first use, once: the compressor's one mechanism for expensive models.

Loading the router, SigLIP or the OCR engine costs hundreds of milliseconds and memory, and many
compressors never need some of them (a request without text questions never runs OCR). So each is
wrapped in a :class:`Lazy`: built by the first caller that needs it, exactly once even when worker
threads race for it, and never rebuilt afterwards, including when the build returned None ("not
installed"), which is an answer too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    """A value built by ``build`` on the first :meth:`get`, or given up front."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._loaded = False
        self._value: T | None = None

    @classmethod
    def of(cls, value: T) -> Lazy[T]:
        """An already built value (an explicit part passed by the caller)."""
        lazy = cls(lambda: value)
        lazy._value, lazy._loaded = value, True
        return lazy

    @property
    def loaded(self) -> bool:
        return self._loaded

    def get(self) -> T:
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._value = self._build()
                    self._loaded = True
        return self._value  # type: ignore[return-value]
