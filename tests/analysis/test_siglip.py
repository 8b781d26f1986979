"""SigLIP end to end: tiny random snapshot -> export CLI -> SiglipScorer, checked against torch.

The reference for every number is transformers itself (SiglipImageProcessorPil for pixels,
SiglipModel for embeddings and logits), so these tests pin the runtime to what the real model
would compute, not to values we made up.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from PIL import Image, ImageDraw

from headroom_edge.analysis.siglip import (
    SiglipPreprocess,
    SiglipScorer,
    SiglipUnavailableError,
    is_available,
    sigmoid,
)
from headroom_edge.runtime.onnx import DeviceUnavailableError, SessionOptions

from .conftest import (
    REPO,
    SATURATION_FREE_WEIGHT_CODE,
    TINY_IMAGE_SIZE,
    TINY_LOGIT_BIAS,
    TINY_LOGIT_SCALE_LOG,
    TINY_MAX_TEXT,
    SiglipExport,
    check_export,
    subprocess_env,
)

FILES = ("vision.onnx", "text_embeds.npy", "prompts.json", "preprocess.json", "config.json")
QUANT_OPS = {"MatMulInteger", "DynamicQuantizeLinear", "QLinearMatMul", "DynamicQuantizeMatMul"}


# ------------------------------------------------------------------------------------ images


def _rendered_page() -> Image.Image:
    img = Image.new("RGB", (300, 220), "white")
    draw = ImageDraw.Draw(img)
    for row in range(12):
        draw.text(
            (12, 8 + row * 17),
            f"Line {row}: invoice total 4.50 x {row + 3} = {4.5 * (row + 3):.2f}",
            fill=(20, 20, 20),
        )
    draw.rectangle((200, 150, 290, 210), outline=(200, 30, 30), width=3)
    return img


def siglip_real_images() -> dict[str, Image.Image]:
    """Real photographs when scikit-image is installed (it ships a few), else rendered images."""
    images: dict[str, Image.Image] = {"page": _rendered_page()}
    try:
        from skimage import data
    except ImportError:
        rng = np.random.default_rng(1)
        images["noise"] = Image.fromarray(rng.integers(0, 256, (120, 90, 3), dtype=np.uint8))
        return images
    images["astronaut"] = Image.fromarray(data.astronaut())
    images["chelsea"] = Image.fromarray(data.chelsea())  # 451x300: non-square resize
    images["coffee"] = Image.fromarray(data.coffee())
    images["text_gray"] = Image.fromarray(data.text())  # mode "L"
    return images


def _transparent(img: Image.Image) -> Image.Image:
    rgba = img.convert("RGBA")
    alpha = Image.linear_gradient("L").resize(rgba.size)
    rgba.putalpha(alpha)
    return rgba


@pytest.fixture(scope="module")
def siglip_images() -> dict[str, Image.Image]:
    images = siglip_real_images()
    images["astronaut_rgba" if "astronaut" in images else "page_rgba"] = _transparent(
        images.get("astronaut", images["page"])
    )
    return images


@pytest.fixture(scope="module")
def siglip_hf_processor(siglip_snapshot: Path):
    from transformers import SiglipImageProcessorPil

    return SiglipImageProcessorPil.from_pretrained(siglip_snapshot, local_files_only=True)


@pytest.fixture(scope="module")
def siglip_hf_tokenizer(siglip_snapshot: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(siglip_snapshot, local_files_only=True)


def _hf_pixels(processor, images: list[Image.Image]) -> np.ndarray:
    return np.asarray(
        processor(images=images, return_tensors="np")["pixel_values"], dtype=np.float32
    )


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.sum(a * b, axis=-1)


def _torch_features(model, pixels: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        out = model.get_image_features(pixel_values=torch.from_numpy(pixels))
    return getattr(out, "pooler_output", out).numpy()


def _torch_probs(model, tokenizer, prompts: list[str], pixels: np.ndarray) -> np.ndarray:
    """SiglipModel's own forward: sigmoid(logits_per_image), prompts padded like SigLIP training."""
    import torch

    text = tokenizer(prompts, padding="max_length", max_length=TINY_MAX_TEXT, return_tensors="pt")
    with torch.no_grad():
        out = model(input_ids=text["input_ids"], pixel_values=torch.from_numpy(pixels))
    return torch.sigmoid(out.logits_per_image).numpy()


# ------------------------------------------------------------------------------------ export


def test_export_writes_every_file(siglip_export_int8: SiglipExport) -> None:
    out = siglip_export_int8.out
    for name in FILES:
        assert (out / name).is_file(), name
    assert not list(out.glob(".export-*")), "temporary export folder left behind"

    prompts = json.loads((out / "prompts.json").read_text())
    assert prompts == [
        {"label": "document", "prompt": "a page of text"},
        {"label": "screenshot", "prompt": "a screenshot of a user interface"},
        {"label": "photo", "prompt": "a natural photo"},
        {"label": "a_photo_of_a_cat", "prompt": "a photo of a cat"},
    ]
    text = np.load(out / "text_embeds.npy")
    assert text.dtype == np.float32 and text.shape == (4, 32)
    np.testing.assert_allclose(np.linalg.norm(text, axis=1), 1.0, atol=1e-5)

    pre = json.loads((out / "preprocess.json").read_text())
    assert pre["image_size"] == TINY_IMAGE_SIZE and pre["resample"] == "bicubic"
    assert math.isclose(pre["rescale_factor"], 1 / 255)
    assert pre["image_mean"] == [0.5, 0.5, 0.5] and pre["image_std"] == [0.5, 0.5, 0.5]

    config = json.loads((out / "config.json").read_text())
    assert config["quantized"] is True and config["source"] == "local"
    assert math.isclose(config["logit_scale"], math.exp(TINY_LOGIT_SCALE_LOG), rel_tol=1e-6)
    assert math.isclose(config["logit_bias"], TINY_LOGIT_BIAS, rel_tol=1e-6)
    assert len(config["files"]["vision.onnx"]["sha256"]) == 64
    assert config["check"]["fp32_max_abs_diff_vs_torch"] < 1e-4


def test_default_prompt_set(siglip_export_fp32: SiglipExport) -> None:
    prompts = json.loads((siglip_export_fp32.out / "prompts.json").read_text())
    labels = [p["label"] for p in prompts]
    assert {"document", "screenshot", "chart", "photo", "fine_detail"} <= set(labels)
    assert 8 <= len(labels) <= 16 and len(set(labels)) == len(labels)
    config = json.loads((siglip_export_fp32.out / "config.json").read_text())
    assert config["quantized"] is False


def test_int8_model_is_quantised(
    siglip_export_int8: SiglipExport, siglip_export_fp32: SiglipExport
) -> None:
    int8 = siglip_export_int8.out / "vision.onnx"
    fp32 = siglip_export_fp32.out / "vision.onnx"
    ops = {node.op_type for node in onnx.load(str(int8)).graph.node}
    fp32_ops = {node.op_type for node in onnx.load(str(fp32)).graph.node}
    assert ops & QUANT_OPS, sorted(ops)
    assert not fp32_ops & QUANT_OPS
    # On a 32-wide model the graph's overhead dominates the file, so size is only reported.
    print(f"\nvision.onnx bytes: int8 {int8.stat().st_size}, fp32 {fp32.stat().st_size}")
    model = onnx.load(str(int8))
    assert [i.name for i in model.graph.input] == ["pixel_values"]
    assert [o.name for o in model.graph.output] == ["image_embeds"]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [
        3,
        TINY_IMAGE_SIZE,
        TINY_IMAGE_SIZE,
    ]


def test_prompts_file_parsing(monkeypatch) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "export_siglip", REPO / "scripts" / "export_siglip.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "export_siglip", module)  # dataclasses look their module up
    spec.loader.exec_module(module)  # top level needs numpy only; torch is imported lazily
    parsed = module.parse_prompts("# c\n\nmap: a map: with a legend\nA Receipt!\n")
    assert [(p.label, p.prompt) for p in parsed] == [
        ("map", "a map: with a legend"),
        ("a_receipt", "A Receipt!"),
    ]
    with pytest.raises(ValueError, match="duplicate"):
        module.parse_prompts("x: one\nx: two\n")


# ------------------------------------------------------------------------------------ runtime


def test_preprocess_matches_transformers(
    siglip_export_int8: SiglipExport, siglip_hf_processor, siglip_images
) -> None:
    scorer = SiglipScorer(siglip_export_int8.out)
    for name, img in siglip_images.items():
        ours = scorer.preprocess(img)
        theirs = _hf_pixels(siglip_hf_processor, [img])[0]
        assert ours.dtype == np.float32 and ours.shape == (3, TINY_IMAGE_SIZE, TINY_IMAGE_SIZE), (
            name
        )
        assert float(np.max(np.abs(ours - theirs))) < 1e-4, name


def test_preprocess_settings_are_read_from_the_export(siglip_images) -> None:
    pre = SiglipPreprocess.from_dict(
        {
            "image_size": [24, 40],
            "resample": "bilinear",
            "rescale_factor": 1 / 255,
            "image_mean": [0.48, 0.45, 0.4],
            "image_std": [0.26, 0.26, 0.27],
        }
    )
    img = siglip_images["page"]
    got = pre.apply(img)
    assert got.shape == (3, 24, 40)
    expect = (
        np.asarray(img.convert("RGB").resize((40, 24), Image.Resampling.BILINEAR), np.float32) / 255
    )
    expect = ((expect - [0.48, 0.45, 0.4]) / [0.26, 0.26, 0.27]).transpose(2, 0, 1)
    np.testing.assert_allclose(got, expect, atol=1e-5)


def test_fp32_embeddings_equal_torch(
    siglip_export_fp32: SiglipExport, siglip_torch_model, siglip_hf_processor, siglip_images
) -> None:
    scorer = SiglipScorer(siglip_export_fp32.out, device="cpu")
    images = list(siglip_images.values())
    pixels = np.stack([scorer.preprocess(img) for img in images])
    raw = scorer.session.run(["image_embeds"], {"pixel_values": pixels})[0]
    reference = _torch_features(siglip_torch_model, _hf_pixels(siglip_hf_processor, images))
    diff = float(np.max(np.abs(raw - reference)))
    print(f"\nfp32 ONNX vs torch get_image_features: max |diff| {diff:.2e}")
    assert diff < 1e-4


def test_int8_embeddings_close_to_torch(
    siglip_export_int8: SiglipExport, siglip_torch_model, siglip_hf_processor, siglip_images
) -> None:
    scorer = SiglipScorer(siglip_export_int8.out)
    images = list(siglip_images.values())
    pixels = np.stack([scorer.preprocess(img) for img in images])
    raw = scorer.embed(pixels)  # normalised: cosine is unaffected
    reference = _torch_features(siglip_torch_model, _hf_pixels(siglip_hf_processor, images))
    cos = _cos(raw, reference)
    print(
        f"\nint8 ONNX vs torch cosine: min {cos.min():.4f} mean {cos.mean():.4f} "
        f"over {len(cos)} images"
    )
    assert float(cos.min()) > 0.95


def _feeds(export: SiglipExport, images) -> list[dict[str, np.ndarray]]:
    """One run per image (dynamic quantisation picks its activation step per run)."""
    pre = SiglipPreprocess.from_dict(json.loads((export.out / "preprocess.json").read_text()))
    return [{"pixel_values": pre.apply(img)[None]} for img in images]


def test_int8_products_within_their_rounding_bound(
    siglip_export_int8: SiglipExport, siglip_export_fp32: SiglipExport, siglip_images
) -> None:
    """What int8 must guarantee, whatever the model: each quantised x @ W is within the error
    its own weight and activation steps allow, and no weight code can saturate the AVX2 kernel.
    """
    result = check_export(
        siglip_export_fp32.out / "vision.onnx",
        siglip_export_int8.out / "vision.onnx",
        _feeds(siglip_export_int8, siglip_images.values()),
    )
    print(f"\nint8 export: {result.summary()}")
    assert result.nodes, "the int8 export has no quantised products"
    assert result.float_matmuls_left == 0
    assert result.ok, [n for n in result.nodes if not n.ok]
    recorded = json.loads((siglip_export_int8.out / "config.json").read_text())["check"]
    assert "0 outside their rounding bound" in recorded["int8_products_vs_rounding_bound"]


def _requantize(fp32_model: Path, out: Path, **options: Any) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32_model),
        str(out),
        op_types_to_quantize=["MatMul", "Gemm"],
        per_channel=True,
        weight_type=QuantType.QInt8,
        extra_options={"MatMulConstBOnly": True},
        **options,
    )
    return out


def test_bound_check_catches_broken_int8_exports(
    siglip_export_fp32: SiglipExport, siglip_images, tmp_path: Path
) -> None:
    """The check is no rubber stamp: the full-range quantisation the export used to write (it
    saturates on AVX2 without VNNI) and a wrong weight step both fail it."""
    fp32_model = siglip_export_fp32.out / "vision.onnx"
    feeds = _feeds(siglip_export_fp32, siglip_images.values())

    full = check_export(
        fp32_model, _requantize(fp32_model, tmp_path / "full.onnx", reduce_range=False), feeds
    )
    print(f"\nfull-range int8: {full.summary()}")
    assert not full.ok
    assert max(n.max_weight_code for n in full.nodes) > SATURATION_FREE_WEIGHT_CODE

    good = _requantize(fp32_model, tmp_path / "good.onnx", reduce_range=True)
    assert check_export(fp32_model, good, feeds).ok
    model = onnx.load(str(good))
    scale = next(i for i in model.graph.initializer if i.name.endswith("_scale") and i.dims)
    wrong = onnx.numpy_helper.to_array(scale) * 1.5  # a wrong step, as a broken quantiser's
    scale.CopyFrom(onnx.numpy_helper.from_array(wrong.astype(np.float32), scale.name))
    broken = tmp_path / "broken.onnx"
    onnx.save(model, str(broken))
    bad = check_export(fp32_model, broken, feeds)
    print(f"weight scale x1.5: {bad.summary()}")
    assert not bad.ok and not all(n.weight_rounding_ok for n in bad.nodes)


@pytest.mark.parametrize("which", ["fp32", "int8"])
def test_scores_equal_siglip_forward(
    which: str,
    siglip_export_fp32: SiglipExport,
    siglip_export_int8: SiglipExport,
    siglip_torch_model,
    siglip_hf_processor,
    siglip_hf_tokenizer,
    siglip_images,
) -> None:
    export = siglip_export_fp32 if which == "fp32" else siglip_export_int8
    scorer = SiglipScorer(export.out)
    images = list(siglip_images.values())
    results = scorer.score_batch(images)
    ours = np.array([[r.probabilities[label] for label in scorer.labels] for r in results])

    pixels = _hf_pixels(siglip_hf_processor, images)
    theirs = _torch_probs(siglip_torch_model, siglip_hf_tokenizer, list(scorer.prompts), pixels)
    # The same formula by hand from torch's embeddings, to pin what logit_scale/bias mean.
    import torch

    with torch.no_grad():
        text = siglip_hf_tokenizer(
            list(scorer.prompts),
            padding="max_length",
            max_length=TINY_MAX_TEXT,
            return_tensors="pt",
        )
        t = siglip_torch_model.get_text_features(input_ids=text["input_ids"])
        t = getattr(t, "pooler_output", t).numpy()
    i = _torch_features(siglip_torch_model, pixels)
    cos = (i / np.linalg.norm(i, axis=1, keepdims=True)) @ (
        t / np.linalg.norm(t, axis=1, keepdims=True)
    ).T
    by_hand = sigmoid(math.exp(TINY_LOGIT_SCALE_LOG) * cos + TINY_LOGIT_BIAS)
    np.testing.assert_allclose(by_hand, theirs, atol=1e-5)

    worst = float(np.max(np.abs(ours - theirs)))
    print(f"\n{which}: max |p_onnx - p_torch| {worst:.2e} over {ours.size} scores")
    assert worst < (1e-4 if which == "fp32" else 0.03)


def test_score_and_batch_agree(siglip_export_int8: SiglipExport, siglip_images) -> None:
    scorer = SiglipScorer(siglip_export_int8.out)
    images = list(siglip_images.values())[:3]
    batch = scorer.score_batch(images, batch_size=2)  # two ONNX calls: 2 + 1
    assert len(batch) == 3
    for img, got in zip(images, batch, strict=True):
        one = scorer.score(img)
        assert (
            set(one.probabilities)
            == set(scorer.labels)
            == {"document", "screenshot", "photo", "a_photo_of_a_cat"}
        )
        for label, p in one.probabilities.items():
            assert 0.0 < p < 1.0
            assert abs(p - got.probabilities[label]) < 1e-6  # int8: neighbours must not matter
        assert one.embedding.shape == (32,) and abs(float(np.linalg.norm(one.embedding)) - 1) < 1e-5
        assert one.seconds > 0 and got.seconds > 0
        assert one.best == one.top(1)[0][0] and len(one.top(10)) == 4
    assert scorer.score_batch([]) == []
    assert scorer.quantized


def test_default_lookup_uses_models_dir(
    siglip_export_int8: SiglipExport, tmp_path: Path, monkeypatch
) -> None:
    root = tmp_path / "models"
    shutil.copytree(siglip_export_int8.out, root / "siglip")
    monkeypatch.setenv("HEADROOM_MODELS_DIR", str(root))
    assert is_available()
    scorer = SiglipScorer(options=SessionOptions(device="cpu", intra_op_threads=1))
    assert scorer.model_dir == root / "siglip"
    assert scorer.session.get_providers() == ["CPUExecutionProvider"]


def test_missing_or_broken_export_is_unavailable(
    siglip_export_int8: SiglipExport, tmp_path: Path
) -> None:
    with pytest.raises(SiglipUnavailableError, match="export_siglip.py"):
        SiglipScorer(tmp_path / "nope")
    assert not is_available(tmp_path / "nope")

    partial = tmp_path / "partial"
    shutil.copytree(siglip_export_int8.out, partial)
    (partial / "vision.onnx").unlink()
    with pytest.raises(SiglipUnavailableError, match="missing vision.onnx"):
        SiglipScorer(partial)

    corrupt = tmp_path / "corrupt"
    shutil.copytree(siglip_export_int8.out, corrupt)
    with (corrupt / "vision.onnx").open("r+b") as fh:
        fh.seek(100)
        fh.write(b"\x00" * 64)
    with pytest.raises(SiglipUnavailableError, match="checksum"):
        SiglipScorer(corrupt)
    with pytest.raises(SiglipUnavailableError, match="cannot load"):
        SiglipScorer(corrupt, verify_checksum=False)

    mismatched = tmp_path / "mismatched"
    shutil.copytree(siglip_export_int8.out, mismatched)
    np.save(mismatched / "text_embeds.npy", np.ones((2, 32), np.float32))
    with pytest.raises(SiglipUnavailableError, match="inconsistent"):
        SiglipScorer(mismatched)


def test_cuda_without_provider_is_a_device_error(siglip_export_int8: SiglipExport) -> None:
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    with pytest.raises(DeviceUnavailableError):
        SiglipScorer(siglip_export_int8.out, device="cuda")
    with pytest.raises(ValueError, match="contradicts"):
        SiglipScorer(siglip_export_int8.out, device="cpu", options=SessionOptions(device="cuda"))


def test_scorer_never_imports_torch(siglip_export_int8: SiglipExport) -> None:
    code = (
        "import json, sys\n"
        "from PIL import Image\n"
        "from headroom_edge.analysis.siglip import SiglipScorer\n"
        f"s = SiglipScorer({str(siglip_export_int8.out)!r})\n"
        "r = s.score(Image.new('RGB', (64, 48), (200, 10, 10)))\n"
        "banned = ('torch', 'transformers', 'optimum')\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in banned)\n"
        "ort = 'onnxruntime' in sys.modules\n"
        "print(json.dumps({'heavy': heavy, 'ort': ort, 'n': len(r.probabilities)}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"heavy": [], "ort": True, "n": 4}
