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


def test_arena_is_off_by_default_so_varying_shapes_do_not_pin_memory(tmp_path) -> None:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    from headroom_edge.runtime.onnx import create_session

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])],
    )
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    session = create_session(path, SessionOptions(device="cpu"))
    assert session.get_session_options().enable_cpu_mem_arena is False
    out = session.run(None, {"x": np.array([-1.0, 2.0], dtype=np.float32)})[0]
    assert out.tolist() == [0.0, 2.0]
