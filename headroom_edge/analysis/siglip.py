"""Zero-shot image tags from an exported SigLIP vision encoder.

Why: the compression policy wants to know whether an image is a page of text, a screenshot, a
chart or a detailed photo before it decides how hard to compress it. SigLIP answers that with one
image-encoder pass: ``scripts/export_siglip.py`` (build time, torch) turns the image tower into an
int8 ONNX model and precomputes the embeddings of a fixed prompt list, so here scoring is an ONNX
call plus a matrix product -- numpy, onnxruntime and Pillow only, never torch.

Each prompt is scored independently, as SigLIP was trained (a sigmoid, not a softmax over the
prompts): ``p = sigmoid(logit_scale * cos(image, prompt) + logit_bias)``. Probabilities of
different labels therefore need not sum to 1.

A default install ships no SigLIP model; :class:`SiglipScorer` then raises
:class:`SiglipUnavailableError`, which callers treat as "no SigLIP signal".
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from headroom_edge.imaging.ops import flatten_alpha
from headroom_edge.runtime.models import model_dir as find_model_dir
from headroom_edge.runtime.onnx import DeviceUnavailableError, SessionOptions, create_session

MODEL_NAME = "siglip"
VISION_FILE = "vision.onnx"
TEXT_FILE = "text_embeds.npy"
PROMPTS_FILE = "prompts.json"
PREPROCESS_FILE = "preprocess.json"
CONFIG_FILE = "config.json"
REQUIRED_FILES = (VISION_FILE, TEXT_FILE, PROMPTS_FILE, PREPROCESS_FILE, CONFIG_FILE)
SUPPORTED_FORMAT = 1
EXPORT_HINT = (
    "build one with `python scripts/export_siglip.py --model google/siglip-base-patch16-224 "
    "--out models/siglip` (needs torch + transformers and Hugging Face hub access)"
)

_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
}


class SiglipUnavailableError(RuntimeError):
    """No usable SigLIP export: folder or files missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class SiglipPreprocess:
    """The export's image preprocessing, reproducing transformers' PIL SigLIP processor.

    Steps: alpha composited onto white (as transformers' ``convert_to_rgb``), RGB, a plain resize
    to ``height x width`` (aspect ratio not kept, as SigLIP was trained), ``* rescale_factor``,
    ``(x - mean) / std``, channels first.
    """

    height: int
    width: int
    resample: str = "bicubic"
    rescale_factor: float = 1 / 255
    image_mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    image_std: tuple[float, float, float] = (0.5, 0.5, 0.5)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiglipPreprocess:
        size = data.get("image_size")
        height = data.get("height") or (size[0] if isinstance(size, list) else size)
        width = data.get("width") or (size[1] if isinstance(size, list) else size)
        if not height or not width:
            raise ValueError("preprocess.json gives no image size")
        resample = str(data.get("resample", "bicubic")).lower()
        if resample not in _RESAMPLE:
            raise ValueError(f"unknown resample filter {resample!r}")
        mean = tuple(float(v) for v in data.get("image_mean", (0.5, 0.5, 0.5)))
        std = tuple(float(v) for v in data.get("image_std", (0.5, 0.5, 0.5)))
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise ValueError("image_mean/image_std must hold 3 values (std > 0)")
        return cls(
            height=int(height),
            width=int(width),
            resample=resample,
            rescale_factor=float(data.get("rescale_factor", 1 / 255)),
            image_mean=mean,  # type: ignore[arg-type]
            image_std=std,  # type: ignore[arg-type]
        )

    def apply(self, img: Image.Image) -> np.ndarray:
        """One image -> float32 array [3, height, width]."""
        rgb = to_rgb(img)
        if rgb.size != (self.width, self.height):
            rgb = rgb.resize((self.width, self.height), resample=_RESAMPLE[self.resample])
        pixels = np.asarray(rgb, dtype=np.float32) * np.float32(self.rescale_factor)
        mean = np.asarray(self.image_mean, dtype=np.float32)
        std = np.asarray(self.image_std, dtype=np.float32)
        pixels = (pixels - mean) / std
        return np.ascontiguousarray(pixels.transpose(2, 0, 1))


def to_rgb(img: Image.Image) -> Image.Image:
    """RGB, with any transparency composited onto white (what transformers does for SigLIP)."""
    if "A" in img.getbands() or img.info.get("transparency") is not None:
        return flatten_alpha(img)  # the same pixels as transformers' composite onto white
    return img if img.mode == "RGB" else img.convert("RGB")


@dataclass(frozen=True)
class SiglipScores:
    """What SigLIP says about one image."""

    probabilities: dict[str, float]
    """label -> sigmoid probability that the prompt describes the image (independent per label)."""
    embedding: np.ndarray = field(repr=False)
    """L2-normalised image embedding, float32 [D] (for dedup/similarity by callers)."""
    seconds: float
    """Preprocess + inference time; in a batch, this image's equal share of the batch time."""

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        """The ``n`` most probable labels, best first."""
        ranked = sorted(self.probabilities.items(), key=lambda kv: kv[1], reverse=True)
        return ranked[:n]

    @property
    def best(self) -> str:
        return self.top(1)[0][0]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Overflow-free logistic function."""
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def file_sha256(path: Path) -> str:
    """The checksum ``config.json`` records for ``vision.onnx`` (written by
    scripts/export_siglip.py, verified on load): one function, so the two cannot disagree."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SiglipUnavailableError(f"SigLIP export file {path} is unreadable: {exc}") from exc


def resolve_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The export folder to load, or SiglipUnavailableError saying where it looked."""
    found = find_model_dir(MODEL_NAME, explicit)
    if found is None:
        where = (
            f"{Path(explicit)} does not exist"
            if explicit is not None
            else "no models/siglip folder ($HEADROOM_MODELS_DIR, the repository's models/, "
            "<prefix>/share/headroom_edge/models)"
        )
        raise SiglipUnavailableError(f"SigLIP is not installed: {where}; {EXPORT_HINT}")
    missing = [name for name in REQUIRED_FILES if not (found / name).is_file()]
    if missing:
        raise SiglipUnavailableError(
            f"SigLIP export in {found} is incomplete (missing {', '.join(missing)}); {EXPORT_HINT}"
        )
    return found


def is_available(model_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether an export folder with every file exists (cheap: nothing is loaded or verified)."""
    try:
        resolve_dir(model_dir)
    except SiglipUnavailableError:
        return False
    return True


class SiglipScorer:
    """Scores images against the export's prompts with the int8 SigLIP image tower.

    Loading reads every file and checks them against each other (and the model's checksum from
    config.json, unless ``verify_checksum=False``); anything wrong is a
    :class:`SiglipUnavailableError`, so a half-copied folder never produces scores.
    """

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        device: str | None = None,
        *,
        options: SessionOptions | None = None,
        verify_checksum: bool = True,
    ) -> None:
        if options is not None and device is not None and options.device != device:
            raise ValueError(f"device={device!r} contradicts options.device={options.device!r}")
        self.options = options or SessionOptions(device=device)
        self.model_dir = resolve_dir(model_dir)
        self.config: dict[str, Any] = _read_json(self.model_dir / CONFIG_FILE)
        if not isinstance(self.config, dict):
            raise SiglipUnavailableError(f"{self.model_dir / CONFIG_FILE} is not a JSON object")
        version = self.config.get("format_version", SUPPORTED_FORMAT)
        if version != SUPPORTED_FORMAT:
            raise SiglipUnavailableError(
                f"SigLIP export format {version} in {self.model_dir} is not supported "
                f"(expected {SUPPORTED_FORMAT}); re-run scripts/export_siglip.py"
            )
        vision = self.model_dir / VISION_FILE
        if verify_checksum:
            self._verify(vision)
        try:
            self.preprocessing = SiglipPreprocess.from_dict(
                _read_json(self.model_dir / PREPROCESS_FILE)
            )
            self.logit_scale = float(self.config["logit_scale"])
            self.logit_bias = float(self.config["logit_bias"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SiglipUnavailableError(
                f"SigLIP export in {self.model_dir} is invalid: {exc}"
            ) from exc
        prompts = _read_json(self.model_dir / PROMPTS_FILE)
        try:
            self.labels: tuple[str, ...] = tuple(str(p["label"]) for p in prompts)
            self.prompts: tuple[str, ...] = tuple(str(p["prompt"]) for p in prompts)
            text = np.load(self.model_dir / TEXT_FILE, allow_pickle=False)
        except (KeyError, TypeError, OSError, ValueError) as exc:
            raise SiglipUnavailableError(
                f"SigLIP export in {self.model_dir} is invalid: {exc}"
            ) from exc
        if (
            text.ndim != 2
            or text.shape[0] != len(self.labels)
            or len(set(self.labels)) != len(self.labels)
        ):
            raise SiglipUnavailableError(
                f"SigLIP export in {self.model_dir} is inconsistent: text_embeds {text.shape} for "
                f"{len(self.labels)} prompts (labels must be unique)"
            )
        # Re-normalise: cheap, and keeps scores right even for a hand-made text_embeds.npy.
        text = text.astype(np.float32)
        self.text_embeds = text / np.maximum(np.linalg.norm(text, axis=1, keepdims=True), 1e-12)
        try:
            self.session = create_session(vision, self.options)
        except DeviceUnavailableError:
            raise  # the user asked for a GPU explicitly: that is their error, not "no SigLIP"
        except Exception as exc:  # onnxruntime raises its own exception types
            raise SiglipUnavailableError(f"cannot load {vision}: {exc}") from exc
        # Dynamic int8 quantisation picks one activation scale per tensor, i.e. per *batch*: an
        # image batched with others would score slightly differently than alone. Scores must not
        # depend on the neighbours (caching, reproducible decisions), so int8 runs one per call.
        self._one_per_run = self.quantized
        self._input = self.session.get_inputs()[0].name
        self._output = self.session.get_outputs()[0].name
        out_dim = self.session.get_outputs()[0].shape[-1]
        if isinstance(out_dim, int) and out_dim != self.text_embeds.shape[1]:
            raise SiglipUnavailableError(
                f"SigLIP export in {self.model_dir} is inconsistent: image embeddings have "
                f"{out_dim} dims, text embeddings {self.text_embeds.shape[1]}"
            )

    def _verify(self, vision: Path) -> None:
        expected = self.config.get("files", {}).get(VISION_FILE, {}).get("sha256")
        if expected and file_sha256(vision) != expected:
            raise SiglipUnavailableError(
                f"{vision} does not match the checksum in config.json (corrupt or from another "
                "export); re-run scripts/export_siglip.py"
            )

    @property
    def quantized(self) -> bool:
        return bool(self.config.get("quantized", False))

    def preprocess(self, img: Image.Image) -> np.ndarray:
        """One image -> float32 [3, H, W], exactly as the export's processor would prepare it."""
        return self.preprocessing.apply(img)

    def embed(self, pixels: np.ndarray) -> np.ndarray:
        """Preprocessed batch [N, 3, H, W] -> L2-normalised image embeddings [N, D]."""
        pixels = np.ascontiguousarray(pixels, np.float32)
        if self._one_per_run and len(pixels) > 1:
            raw = np.concatenate([self._run(pixels[i : i + 1]) for i in range(len(pixels))])
        else:
            raw = self._run(pixels)
        return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)

    def _run(self, pixels: np.ndarray) -> np.ndarray:
        return self.session.run([self._output], {self._input: pixels})[0].astype(np.float32)

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """Normalised image embeddings [N, D] -> per-prompt probabilities [N, P]."""
        logits = self.logit_scale * (embeddings @ self.text_embeds.T) + self.logit_bias
        return sigmoid(logits.astype(np.float64))

    def score(self, img: Image.Image) -> SiglipScores:
        return self.score_batch([img])[0]

    def score_batch(self, images: Iterable[Image.Image], batch_size: int = 8) -> list[SiglipScores]:
        """Score many images, ``batch_size`` at a time (bounds memory on big batches).

        fp32 exports run each chunk as one ONNX call; int8 exports run one image per call (see
        ``__init__``), so a score never depends on which other images shared the batch.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        items: Sequence[Image.Image] = list(images)
        results: list[SiglipScores] = []
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            began = time.perf_counter()
            pixels = np.stack([self.preprocess(img) for img in chunk])
            emb = self.embed(pixels)
            probs = self.probabilities(emb)
            share = (time.perf_counter() - began) / len(chunk)
            for row, vector in zip(probs, emb, strict=True):
                results.append(
                    SiglipScores(
                        probabilities={
                            label: float(p) for label, p in zip(self.labels, row, strict=True)
                        },
                        embedding=vector,
                        seconds=share,
                    )
                )
        return results
