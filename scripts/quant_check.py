"""What an int8 export must guarantee, checked node by node against its own quantisation step.

``onnxruntime.quantization.quantize_dynamic`` turns every ``x @ W`` with a constant ``W`` into
``DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_q) -> Cast -> Mul(x_scale * W_scale)``. Rounding
to the nearest grid point bounds the error of that one product exactly::

    x_hat = x + e_x,  |e_x| <= dx / 2      (dx: the activation scale, chosen per call)
    W_hat = W + e_W,  |e_W| <= s_n / 2     (s_n: the weight scale of output channel n)
    |x_hat @ W_hat - x @ W|[n] <= sum_k |W_kn| dx/2 + |x_k| s_n/2 + dx s_n/4

so each quantised node is judged by a tolerance that follows from its own step, whatever the
model. Whole-model agreement (cosine to the float model) is not a guarantee int8 can give: a
badly conditioned network can amplify in-bound rounding; the per-node bound is.

It also catches the failure that broke int8 exports on AVX2 CPUs without VNNI: onnxruntime's
u8 x s8 kernel there multiplies pairs with ``vpmaddubsw``, whose int16 sum saturates when
``2 * 255 * |w_q|`` exceeds 32767. Weights must therefore stay within +-64 (``reduce_range``);
:func:`check_export` reports the largest weight code, and the per-node bound fails wherever
saturation actually happened on the machine running the check.

Used by ``scripts/export_siglip.py`` (the export verifies itself) and by the SigLIP tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The largest |weight code| for which u8 x s8 pair products cannot saturate int16 accumulators:
# 2 * 255 * 64 = 32640 <= 32767 (onnxruntime's reduce_range range for QInt8 is [-64, 64]).
SATURATION_FREE_WEIGHT_CODE = 64
_QUANTIZED = "_quantized"
_TRANSPOSED = "_Transposed"


@dataclass(frozen=True)
class NodeCheck:
    """One quantised product: how far it is from exact, as a fraction of its rounding bound."""

    node: str
    weight: str
    worst_ratio: float  # max over outputs of |error| / bound; <= 1 means within the step
    max_weight_code: int  # largest |W_q - zero point|
    weight_rounding_ok: bool  # |dequantised W - W| <= s/2 everywhere

    @property
    def ok(self) -> bool:
        return (
            self.worst_ratio <= 1.0
            and self.max_weight_code <= SATURATION_FREE_WEIGHT_CODE
            and self.weight_rounding_ok
        )


@dataclass(frozen=True)
class ExportCheck:
    nodes: list[NodeCheck]
    float_matmuls_left: int  # MatMul nodes with a constant B that were not quantised

    @property
    def ok(self) -> bool:
        return bool(self.nodes) and all(n.ok for n in self.nodes)

    @property
    def worst(self) -> NodeCheck:
        return max(self.nodes, key=lambda n: n.worst_ratio)

    def summary(self) -> str:
        if not self.nodes:
            return "no quantised MatMul found"
        bad = [n for n in self.nodes if not n.ok]
        worst = self.worst
        return (
            f"{len(self.nodes)} int8 products, {len(bad)} outside their rounding bound; "
            f"worst {worst.worst_ratio:.3f} of the bound ({worst.node}); "
            f"max |weight code| {max(n.max_weight_code for n in self.nodes)}"
        )


def _original_weight(weights: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The float weight a quantised initializer came from (the quantiser transposes Gemm's B
    with ``transB=1`` into ``<name>_Transposed``)."""
    if name in weights:
        return weights[name].astype(np.float64)
    if name.endswith(_TRANSPOSED) and name[: -len(_TRANSPOSED)] in weights:
        return weights[name[: -len(_TRANSPOSED)]].astype(np.float64).T
    raise KeyError(f"no float weight for quantised initializer {name!r}")


def _session(model_bytes: bytes):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(model_bytes, sess_options=so, providers=["CPUExecutionProvider"])


def check_export(
    fp32_path: Path, int8_path: Path, feeds: list[dict[str, np.ndarray]]
) -> ExportCheck:
    """Runs the int8 model on each feed and checks every MatMulInteger against its bound.

    ``fp32_path`` supplies the original weights (same initializer names without the
    ``_quantized`` suffix). Each feed is one run, as dynamic quantisation picks its activation
    scale per run.
    """
    import onnx
    from onnx import numpy_helper

    fp32 = onnx.load(str(fp32_path))
    int8 = onnx.load(str(int8_path))
    weights = {i.name: numpy_helper.to_array(i) for i in fp32.graph.initializer}
    inits = {i.name: numpy_helper.to_array(i) for i in int8.graph.initializer}
    producers = {out: node for node in int8.graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in int8.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    plans = []  # (node name, weight name, float input, activation scale, float output)
    for node in int8.graph.node:
        if node.op_type != "MatMulInteger" or not node.input[1].endswith(_QUANTIZED):
            continue
        dql = producers[node.input[0]]
        if dql.op_type != "DynamicQuantizeLinear":
            continue
        cast = consumers[node.output[0]][0]
        mul = consumers[cast.output[0]][0]
        plans.append((node.name, node.input[1], dql.input[0], dql.output[1], mul.output[0]))

    exposed = {name for plan in plans for name in plan[2:]}
    graph_outputs = {o.name for o in int8.graph.output}
    for name in sorted(exposed - graph_outputs):
        int8.graph.output.append(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
        )
    session = _session(int8.SerializeToString())
    out_names = [o.name for o in session.get_outputs()]
    runs = [dict(zip(out_names, session.run(None, feed), strict=True)) for feed in feeds]

    checks = []
    for node_name, qname, x_name, dx_name, y_name in plans:
        wname = qname[: -len(_QUANTIZED)]
        w = _original_weight(weights, wname)
        scale = inits[wname + "_scale"].astype(np.float64)
        zero = inits[wname + "_zero_point"].astype(np.int64)
        codes = inits[qname].astype(np.int64) - zero
        w_hat = codes * scale
        rounding_ok = bool(np.all(np.abs(w_hat - w) <= scale / 2 * (1 + 1e-6) + 1e-12))
        worst = 0.0
        for run in runs:
            x = run[x_name].astype(np.float64).reshape(-1, w.shape[0])
            y = run[y_name].astype(np.float64).reshape(-1, w.shape[1])
            dx = float(run[dx_name])
            exact = x @ w
            bound = (
                np.abs(w).sum(axis=0) * dx / 2
                + np.abs(x) @ (np.broadcast_to(scale, (w.shape[0], w.shape[1])) / 2)
                + w.shape[0] * dx * scale / 4
            )
            # float32 accumulation in the kernel's final scaling: a relative hair of slack
            tol = bound + 1e-5 * (np.abs(exact) + 1e-6)
            worst = max(worst, float(np.max(np.abs(y - exact) / tol)))
        checks.append(
            NodeCheck(node_name, wname, worst, int(np.abs(codes).max()), rounding_ok)
        )
    left = sum(
        1 for n in int8.graph.node if n.op_type == "MatMul" and any(i in weights for i in n.input)
    )
    return ExportCheck(checks, left)
