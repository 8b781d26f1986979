#!/usr/bin/env python
"""Export a SigLIP checkpoint into the files ``headroom_edge.analysis.siglip`` loads.

Why a build-time script: the runtime must never import torch or transformers, so everything that
needs them happens here, once. The image tower becomes an (int8) ONNX model; the text tower is
only ever asked about a fixed set of prompts, so its answers are precomputed and saved as a
matrix. At runtime scoring an image is one ONNX call plus a matrix product.

Output folder (``--out``, default ``models/siglip``)::

    vision.onnx       image tower: pixel_values [batch,3,H,W] float32 -> image_embeds [batch,D]
                      (SigLIP's get_image_features, i.e. after the attention-pooling head; not
                      normalised). int8 dynamic quantisation unless --no-quantize.
    text_embeds.npy   float32 [P, D], L2-normalised prompt embeddings, same order as prompts.json
    prompts.json      [{"label": "document", "prompt": "a page of text"}, ...]
    preprocess.json   image size, resample filter, rescale factor, mean/std (from the processor)
    config.json       logit_scale / logit_bias, source model, checksums, quantisation facts.
                      Written last: a folder without it is an unfinished export.

Scores are ``sigmoid(logit_scale * cos(image, prompt) + logit_bias)``; ``logit_scale`` in
config.json is already exponentiated (the model stores its log).

Needs (build time only): ``pip install torch transformers onnx onnxruntime`` (onnxscript too on
recent torch). ``--model`` is a local Hugging Face snapshot folder (``save_pretrained`` output or
a downloaded snapshot) or a hub id such as ``google/siglip-base-patch16-224``; a hub id only
works where the hub can be reached (or the model is already in the local HF cache).

Example::

    python scripts/export_siglip.py --model google/siglip-base-patch16-224 --out models/siglip
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

if __name__ == "__main__":  # run by path: import from this checkout (scripts/__init__.py)
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from headroom_edge.analysis.siglip import file_sha256  # noqa: E402
from scripts.quant_check import check_export  # noqa: E402

logger = logging.getLogger("export_siglip")

OPSET = 17
FORMAT_VERSION = 1
PROBE_IMAGES = 8


@dataclass(frozen=True)
class Prompt:
    """One text query; ``label`` is the short name the compression policy keys on."""

    label: str
    prompt: str


DEFAULT_PROMPTS: tuple[Prompt, ...] = (
    Prompt("document", "a page of text"),
    Prompt("screenshot", "a screenshot of a user interface"),
    Prompt("code", "a screenshot of source code"),
    Prompt("table", "a table of numbers"),
    Prompt("chart", "a chart or graph"),
    Prompt("diagram", "a diagram"),
    Prompt("map", "a map"),
    Prompt("handwriting", "a handwritten note"),
    Prompt("receipt", "a photo of a receipt"),
    Prompt("sign_text", "a photo of a sign with text"),
    Prompt("photo", "a natural photo"),
    Prompt("fine_detail", "a photo with fine small details"),
)

_LABELLED = re.compile(r"^([A-Za-z0-9_\-]+)\s*:\s*(\S.*)$")

_RESAMPLE_NAMES = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}


# --------------------------------------------------------------------------------------------
# prompts


def slug(text: str) -> str:
    """A label for a prompt given without one: lower-case words joined by underscores."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "_".join(words[:6]) or "prompt"


def parse_prompts(text: str) -> list[Prompt]:
    """Parse a prompts file: one ``label: prompt`` (or bare ``prompt``) per line, ``#`` comments.

    Bare prompts get a label made from their words. Labels must be unique because the runtime
    returns a label -> probability mapping.
    """
    prompts: list[Prompt] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LABELLED.match(line)
        if match:
            prompts.append(Prompt(match.group(1), match.group(2).strip()))
        else:
            prompts.append(Prompt(slug(line), line))
    if not prompts:
        raise ValueError("the prompts file holds no prompts")
    labels = [p.label for p in prompts]
    dupes = sorted({label for label in labels if labels.count(label) > 1})
    if dupes:
        raise ValueError(f"duplicate prompt labels: {', '.join(dupes)}")
    return prompts


# --------------------------------------------------------------------------------------------
# loading


@dataclass(frozen=True)
class Loaded:
    model: Any
    tokenizer: Any
    image_processor: Any
    source: str
    """"local" (a folder) or "hub" (an id resolved by huggingface_hub)."""


def load(model_ref: str) -> Loaded:
    """Load SiglipModel, its tokenizer and image processor from a folder or a hub id.

    A folder is loaded with ``local_files_only=True`` so a typo never turns into a hub request.
    """
    from transformers import AutoImageProcessor, AutoTokenizer, SiglipModel

    is_dir = Path(model_ref).is_dir()
    kwargs: dict[str, Any] = {"local_files_only": True} if is_dir else {}
    try:
        model = SiglipModel.from_pretrained(model_ref, **kwargs)
    except OSError as exc:
        hint = (
            ""
            if is_dir
            else " (a hub id needs Hugging Face hub access; otherwise pass a local snapshot folder)"
        )
        raise SystemExit(f"cannot load SigLIP model {model_ref!r}: {exc}{hint}") from exc
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(model_ref, **kwargs)
    try:
        # The runtime re-implements the PIL path; read settings from that backend explicitly.
        image_processor = AutoImageProcessor.from_pretrained(model_ref, backend="pil", **kwargs)
    except TypeError:  # older transformers without backends
        image_processor = AutoImageProcessor.from_pretrained(model_ref, **kwargs)
    return Loaded(model, tokenizer, image_processor, "local" if is_dir else "hub")


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (list, tuple)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def image_size(loaded: Loaded, override: int | None) -> tuple[int, int]:
    """(height, width) the vision tower is exported at: --image-size, else the processor's size."""
    if override:
        return override, override
    size = getattr(loaded.image_processor, "size", None)
    if size is not None and _get(size, "height") and _get(size, "width"):
        return int(_get(size, "height")), int(_get(size, "width"))
    return _pair(loaded.model.config.vision_config.image_size)


def preprocess_config(loaded: Loaded, height: int, width: int) -> dict[str, Any]:
    """The preprocessing the runtime must reproduce, read from the checkpoint's processor."""
    proc = loaded.image_processor
    if getattr(proc, "do_center_crop", False):
        raise SystemExit("processor uses center crop; only a plain HxW resize is supported")
    size = getattr(proc, "size", None)
    if size is not None and _get(size, "shortest_edge"):
        raise SystemExit("processor resizes by shortest edge; only a plain HxW resize is supported")
    resample = getattr(proc, "resample", 3)
    resample_name = (
        _RESAMPLE_NAMES.get(int(resample), "bicubic") if resample is not None else "bicubic"
    )
    mean = getattr(proc, "image_mean", None) or (0.5, 0.5, 0.5)
    std = getattr(proc, "image_std", None) or (0.5, 0.5, 0.5)
    mean = [float(mean)] * 3 if isinstance(mean, (int, float)) else [float(v) for v in mean]
    std = [float(std)] * 3 if isinstance(std, (int, float)) else [float(v) for v in std]
    do_rescale = bool(getattr(proc, "do_rescale", True))
    do_normalize = bool(getattr(proc, "do_normalize", True))
    return {
        "image_size": height if height == width else [height, width],
        "height": height,
        "width": width,
        "resample": resample_name,
        "convert_rgb": "composite_on_white",
        "rescale_factor": float(getattr(proc, "rescale_factor", 1 / 255)) if do_rescale else 1.0,
        "image_mean": mean if do_normalize else [0.0, 0.0, 0.0],
        "image_std": std if do_normalize else [1.0, 1.0, 1.0],
        "layout": "NCHW",
    }


# --------------------------------------------------------------------------------------------
# vision tower


def _pooled(output: Any) -> Any:
    """get_*_features returns a tensor on older transformers, a ModelOutput on newer ones."""
    pooled = getattr(output, "pooler_output", None)
    return output if pooled is None else pooled


def export_vision(loaded: Loaded, height: int, width: int, path: Path) -> None:
    """Trace the image tower (TorchScript exporter: the robust path for ViTs) to ``path``."""
    import torch

    model = loaded.model
    native = _pair(model.config.vision_config.image_size)
    interpolate = (height, width) != native

    class VisionTower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
            out = self.model.get_image_features(
                pixel_values=pixel_values, interpolate_pos_encoding=interpolate
            )
            return _pooled(out)

    dummy = torch.randn(2, 3, height, width, dtype=torch.float32)
    with torch.no_grad():
        torch.onnx.export(
            VisionTower().eval(),
            (dummy,),
            str(path),
            input_names=["pixel_values"],
            output_names=["image_embeds"],
            dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def torch_image_embeds(loaded: Loaded, pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    import torch

    interpolate = (height, width) != _pair(loaded.model.config.vision_config.image_size)
    with torch.no_grad():
        out = loaded.model.get_image_features(
            pixel_values=torch.from_numpy(pixels), interpolate_pos_encoding=interpolate
        )
    return _pooled(out).numpy().astype(np.float32)


@dataclass(frozen=True)
class QuantizeResult:
    quantized: bool
    note: str
    excluded_nodes: list[str]


def _quant_candidates(path: Path) -> list[str]:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type in ("MatMul", "Gemm")]


def quantize(fp32: Path, int8: Path) -> QuantizeResult:
    """int8 dynamic quantisation of the weight MatMul/Gemm ops (per channel, QInt8, 7-bit range).

    ``reduce_range`` keeps weight codes within +-64. Without it, onnxruntime's u8 x s8 kernel on
    AVX2 CPUs without VNNI (``vpmaddubsw``, int16 pair sums) saturates and the products come out
    wrong by far more than their rounding step (seen: 15x the bound, embedding cosine 0.57 to
    torch); ``scripts/quant_check.py`` checks every product against that bound after export.

    Attention's activation x activation MatMuls stay fp32 (``MatMulConstBOnly``): quantising
    both sides dynamically costs accuracy for little speed. If the quantiser fails on the whole
    graph, each candidate node is tried alone and the ones that fail are kept in fp32; if nothing
    can be quantised the fp32 model is kept and the result says so.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    def run(exclude: list[str]) -> None:
        quantize_dynamic(
            str(fp32),
            str(int8),
            op_types_to_quantize=["MatMul", "Gemm"],
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=exclude,
            extra_options={"MatMulConstBOnly": True},
        )

    try:
        run([])
        return QuantizeResult(True, "MatMul/Gemm weights int8 per channel", [])
    except Exception as exc:  # noqa: BLE001 - the quantiser raises many kinds
        logger.warning("whole-graph quantisation failed (%s); trying node by node", exc)
    candidates = _quant_candidates(fp32)
    failing: list[str] = []
    for name in candidates:
        try:
            run([other for other in candidates if other != name])
        except Exception:  # noqa: BLE001
            failing.append(name)
    if len(failing) == len(candidates):
        int8.unlink(missing_ok=True)
        return QuantizeResult(False, "quantisation failed for every node; kept fp32", failing)
    try:
        run(failing)
    except Exception as exc:  # noqa: BLE001
        int8.unlink(missing_ok=True)
        return QuantizeResult(False, f"quantisation failed ({exc}); kept fp32", candidates)
    return QuantizeResult(True, f"{len(failing)} node(s) kept in fp32", failing)


def probe_pixels(height: int, width: int, count: int = PROBE_IMAGES) -> np.ndarray:
    """Deterministic stand-in images (gradients, stripes, noise) in SigLIP's [-1, 1] range.

    Used only to measure how far the exported model drifts from torch; real images would be
    better but the export must not need any data.
    """
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    out = np.empty((count, 3, height, width), dtype=np.float32)
    for i in range(count):
        kind = i % 4
        if kind == 0:
            base = np.stack([xx / width, yy / height, (xx + yy) / (width + height)])
        elif kind == 1:
            base = np.stack([((xx // (2 + i)) % 2), ((yy // (3 + i)) % 2), 0.5 + 0 * xx])
        elif kind == 2:
            base = rng.random((3, height, width), dtype=np.float32)
        else:
            base = 0.5 + 0.5 * np.sin(np.stack([xx, yy, xx * yy / max(width, 1)]) / (2.0 + i))
        out[i] = base * 2.0 - 1.0
    return out


def onnx_embeds(path: Path, pixels: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    session = ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])
    # One image per run, as the runtime does for int8 (dynamic quantisation scales per batch).
    rows = [
        session.run(["image_embeds"], {"pixel_values": pixels[i : i + 1]})[0]
        for i in range(len(pixels))
    ]
    return np.concatenate(rows)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.sum(a * b, axis=-1)


# --------------------------------------------------------------------------------------------
# text tower


def text_embeds(loaded: Loaded, prompts: list[Prompt]) -> np.ndarray:
    """L2-normalised text embeddings, tokenised as SigLIP was trained (padded to max length)."""
    import torch

    max_length = int(loaded.model.config.text_config.max_position_embeddings)
    batch = loaded.tokenizer(
        [p.prompt for p in prompts],
        padding="max_length",
        max_length=max_length,
        truncation=True,
        return_tensors="pt",
    )
    inputs = {
        k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "position_ids")
    }
    with torch.no_grad():
        emb = _pooled(loaded.model.get_text_features(**inputs)).numpy().astype(np.float64)
    emb /= np.linalg.norm(emb, axis=-1, keepdims=True)
    return emb.astype(np.float32)


# --------------------------------------------------------------------------------------------
# writing


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _write_npy(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, array)
    os.replace(tmp, path)


_HF_CACHE = re.compile(
    r"models--(?P<org>[^/]+?)--(?P<name>[^/]+)/snapshots/(?P<rev>[0-9a-f]{7,64})/?$"
)


def model_identity(model_ref: str, source: str) -> dict[str, Any]:
    """Where the weights came from: a hub id, or a folder (named as a hub id when it is a cache
    snapshot ``.../models--org--name/snapshots/<rev>``): the provenance needed to redo it."""
    if source == "hub":
        return {"model": model_ref, "source": "hub", "revision": None}
    path = Path(model_ref).resolve()
    match = _HF_CACHE.search(path.as_posix())
    if match:
        return {
            "model": f"{match['org']}/{match['name']}",
            "source": "local",
            "revision": match["rev"],
        }
    return {"model": path.name, "source": "local", "revision": None}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        required=True,
        help="local HF snapshot folder, or a hub id (needs hub access), e.g. "
        "google/siglip-base-patch16-224",
    )
    parser.add_argument(
        "--out", default="models/siglip", help="output folder (default models/siglip)"
    )
    parser.add_argument(
        "--prompts",
        type=Path,
        help="file with one 'label: prompt' per line (default: built-in set)",
    )
    parser.add_argument(
        "--image-size", type=int, help="square input size (default: the processor's)"
    )
    parser.add_argument(
        "--no-quantize", action="store_true", help="keep vision.onnx in fp32 (bigger, exact)"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    started = time.perf_counter()
    prompts = (
        parse_prompts(args.prompts.read_text(encoding="utf-8"))
        if args.prompts
        else list(DEFAULT_PROMPTS)
    )
    loaded = load(args.model)
    height, width = image_size(loaded, args.image_size)
    pre = preprocess_config(loaded, height, width)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").unlink(missing_ok=True)  # the folder is "unfinished" until rewritten

    with tempfile.TemporaryDirectory(dir=out, prefix=".export-") as tmpdir:
        fp32 = Path(tmpdir) / "vision.fp32.onnx"
        export_vision(loaded, height, width, fp32)
        pixels = probe_pixels(height, width)
        reference = torch_image_embeds(loaded, pixels, height, width)
        fp32_out = onnx_embeds(fp32, pixels)
        fp32_diff = float(np.max(np.abs(fp32_out - reference)))
        quant = QuantizeResult(False, "--no-quantize", [])
        final = fp32
        int8_cos: float | None = None
        int8_bound: str | None = None
        if not args.no_quantize:
            int8 = Path(tmpdir) / "vision.int8.onnx"
            quant = quantize(fp32, int8)
            if quant.quantized:
                bound = check_export(
                    fp32, int8, [{"pixel_values": pixels[i : i + 1]} for i in range(len(pixels))]
                )
                int8_bound = bound.summary()
                if not bound.ok:
                    print(f"export_siglip: int8 export is broken: {int8_bound}", file=sys.stderr)
                    return 1
                final = int8
                int8_cos = float(np.min(_cosines(onnx_embeds(int8, pixels), reference)))
        os.replace(final, out / "vision.onnx")
        fp32_bytes = fp32.stat().st_size if fp32.exists() else (out / "vision.onnx").stat().st_size

    embeds = text_embeds(loaded, prompts)
    _write_npy(out / "text_embeds.npy", embeds)
    _write_json(out / "prompts.json", [asdict(p) for p in prompts])
    _write_json(out / "preprocess.json", pre)

    import torch
    import transformers

    raw_scale = float(loaded.model.logit_scale.detach().reshape(-1)[0])
    raw_bias = float(loaded.model.logit_bias.detach().reshape(-1)[0])
    vision_path = out / "vision.onnx"
    config = {
        "format_version": FORMAT_VERSION,
        **model_identity(args.model, loaded.source),
        "embed_dim": int(embeds.shape[1]),
        "num_prompts": len(prompts),
        "logit_scale": float(np.exp(raw_scale)),
        "logit_scale_log": raw_scale,
        "logit_bias": raw_bias,
        "score": "sigmoid(logit_scale * cos(image_embeds, text_embeds) + logit_bias)",
        "quantized": quant.quantized,
        "quantization": {
            "method": "onnxruntime quantize_dynamic, QInt8 (reduce_range, codes within +-64), "
            "per channel, MatMul/Gemm weights"
            if quant.quantized
            else None,
            "note": quant.note,
            "fp32_nodes": quant.excluded_nodes,
        },
        "opset": OPSET,
        "files": {
            "vision.onnx": {"sha256": file_sha256(vision_path), "bytes": vision_path.stat().st_size},
            "text_embeds.npy": {"sha256": file_sha256(out / "text_embeds.npy")},
        },
        "fp32_onnx_bytes": fp32_bytes,
        "check": {
            "probe_images": PROBE_IMAGES,
            "fp32_max_abs_diff_vs_torch": fp32_diff,
            "int8_min_cosine_vs_torch": int8_cos,
            "int8_products_vs_rounding_bound": int8_bound,
        },
        "exported_with": {"torch": torch.__version__, "transformers": transformers.__version__},
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _write_json(out / "config.json", config)
    print(
        f"wrote {out}: vision.onnx {vision_path.stat().st_size / 1e6:.1f} MB "
        f"({'int8' if quant.quantized else 'fp32'}; fp32 {fp32_bytes / 1e6:.1f} MB), "
        f"{len(prompts)} prompts, D={embeds.shape[1]}, fp32 max|diff| {fp32_diff:.2e}"
        + (f", int8 min cos {int8_cos:.4f}" if int8_cos is not None else "")
        + f" in {time.perf_counter() - started:.1f}s"
    )
    if int8_cos is not None and int8_cos < 0.95:
        logger.warning("int8 agreement is low (min cosine %.4f); consider --no-quantize", int8_cos)
    return 0


if __name__ == "__main__":
    sys.exit(main())
