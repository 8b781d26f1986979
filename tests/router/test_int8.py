"""The committed router is an int8 model the AVX2 kernels compute correctly.

onnxruntime's u8 x s8 MatMulInteger on AVX2 CPUs without VNNI sums pairs in int16 and saturates
when weight codes use the full +-127 (scripts/quant_check.py explains the bound). A router
quantised that way still loads and answers, just wrongly on those CPUs: this guards the
committed file, not only the script that makes it.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from headroom_edge.runtime.models import model_dir
from scripts.quant_check import SATURATION_FREE_WEIGHT_CODE


def test_router_weight_codes_cannot_saturate() -> None:
    folder = model_dir("router")
    assert folder is not None, "no bundled router"
    model = onnx.load(str(folder / "model.onnx"))
    inits = {i.name: i for i in model.graph.initializer}
    weights = {n.input[1] for n in model.graph.node if n.op_type == "MatMulInteger"}
    assert weights, "the router is not an int8 model"
    worst = 0
    for name in weights:
        codes = numpy_helper.to_array(inits[name]).astype(np.int64)
        zero_name = name.removesuffix("_quantized") + "_zero_point"
        zero = numpy_helper.to_array(inits[zero_name]).astype(np.int64) if zero_name in inits else 0
        worst = max(worst, int(np.abs(codes - zero).max()))
    assert worst <= SATURATION_FREE_WEIGHT_CODE, f"weight codes up to {worst}"
