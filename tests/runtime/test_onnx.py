import pytest

from headroom_edge.runtime.onnx import (
    DeviceUnavailableError,
    SessionOptions,
    resolve_providers,
    usable_cores,
)

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"


def test_default_prefers_cuda_when_present() -> None:
    assert resolve_providers(None, [CUDA, CPU]) == [CUDA, CPU]
    assert resolve_providers(None, [CPU]) == [CPU]


def test_cuda_without_provider_is_a_clear_error() -> None:
    with pytest.raises(DeviceUnavailableError, match="onnxruntime-gpu"):
        resolve_providers("cuda", [CPU])


def test_cpu_forces_cpu_even_with_cuda() -> None:
    assert resolve_providers("cpu", [CUDA, CPU]) == [CPU]
    assert resolve_providers("cuda:0", [CUDA, CPU]) == [CUDA, CPU]


def test_unknown_device() -> None:
    with pytest.raises(ValueError, match="unknown device"):
        resolve_providers("tpu", [CPU])


def test_threads_are_bounded_for_small_vms() -> None:
    assert 1 <= SessionOptions().threads() <= min(usable_cores(), 4)
    assert SessionOptions(intra_op_threads=3).threads() == 3
