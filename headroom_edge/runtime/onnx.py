"""The one place that creates onnxruntime sessions.

Why one place: the execution provider choice, thread counts and logging must be identical for the
router, the OCR models and SigLIP, and a user's ``device=`` argument must mean the same everywhere.

Thread counts default to the cores the process may actually use (cgroup/affinity aware through
``os.sched_getaffinity``), capped at 4: these models are small, and on a 2-core VM that also serves
HTTP, letting onnxruntime spin one thread per core of the host starves the event loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import onnxruntime as ort

from headroom_edge.runtime.cores import usable_cores

logger = logging.getLogger("headroom_edge.runtime")

Device = Literal["cpu", "cuda"]

_CUDA = "CUDAExecutionProvider"
_CPU = "CPUExecutionProvider"


class DeviceUnavailableError(RuntimeError):
    """``device="cuda"`` was asked for but this onnxruntime build has no CUDA provider."""


def resolve_providers(device: str | None, available: list[str] | None = None) -> list[str]:
    """Map a user's ``device`` to onnxruntime provider names.

    ``None`` picks CUDA when this onnxruntime build reports it, else CPU; ``"cuda"`` without it is
    an error rather than a silent fallback, because a user who asked for a GPU wants to know.
    """
    have = list(ort.get_available_providers() if available is None else available)
    if device is None:
        return [_CUDA, _CPU] if _CUDA in have else [_CPU]
    wanted = device.lower()
    if wanted in ("cuda", "gpu") or wanted.startswith("cuda:"):
        if _CUDA not in have:
            raise DeviceUnavailableError(
                "device='cuda' was requested but onnxruntime reports no CUDAExecutionProvider "
                f"(available: {', '.join(have)}). Install onnxruntime-gpu, or pass device='cpu'."
            )
        return [_CUDA, _CPU]
    if wanted == "cpu":
        return [_CPU]
    raise ValueError(f"unknown device {device!r}: use None, 'cpu' or 'cuda'")


@dataclass(frozen=True)
class SessionOptions:
    """How sessions are built; one instance is shared by every model of a compressor."""

    device: str | None = None
    intra_op_threads: int = 0
    """0 = min(usable cores, 4)."""
    memory_arena: bool = False
    """onnxruntime's CPU arena keeps the peak of every input shape it has seen. OCR pages and
    batches of text lines vary in shape, so with the arena a long-running proxy grows by hundreds
    of MB; without it allocations cost a few percent of speed (measured on the text detector)."""

    def threads(self) -> int:
        return self.intra_op_threads or min(usable_cores(), 4)


def create_session(path: str | Path, options: SessionOptions | None = None) -> ort.InferenceSession:
    """Open one ONNX model with the configured providers and thread budget."""
    options = options or SessionOptions()
    providers = resolve_providers(options.device)
    so = ort.SessionOptions()
    so.intra_op_num_threads = options.threads()
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    so.enable_cpu_mem_arena = options.memory_arena
    # Idle onnxruntime threads otherwise spin after each run and take the cores from Pillow's
    # decode/resize/encode on the same small VM (measured: 52 ms -> 25 ms per full_low request).
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(path), sess_options=so, providers=providers)
    logger.info(
        "onnx session %s: providers=%s threads=%d",
        Path(path).name,
        session.get_providers(),
        so.intra_op_num_threads,
    )
    return session
