"""Session fixtures for the SigLIP tests: a tiny random SigLIP snapshot and its exports.

Why a random model: no real SigLIP weights can be fetched here (no Hugging Face hub), but the
whole path -- snapshot folder -> ``scripts/export_siglip.py`` (as a subprocess, the real CLI) ->
``SiglipScorer`` -- is the same for a 2-layer, 32-wide model as for siglip-base, and the tiny one
exports in seconds. Exports are done once per session and shared.

Fixture names carry a ``siglip_`` prefix: the image-signal tests in this folder
(``test_signals.py``) use the shared fixtures of ``tests/conftest.py`` instead.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXPORT_SCRIPT = REPO / "scripts" / "export_siglip.py"


from scripts.quant_check import SATURATION_FREE_WEIGHT_CODE, check_export  # noqa: E402, F401

TINY_IMAGE_SIZE = 32
TINY_MAX_TEXT = 16
TINY_LOGIT_SCALE_LOG = math.log(10.0)
TINY_LOGIT_BIAS = -2.0

# Words of the export script's default prompts (and a few more) so the tiny tokenizer gives
# different ids to different prompts; anything else maps to <unk>.
_WORDS = (
    "a an the of with or and page text screenshot user interface source code table numbers chart "
    "graph diagram map handwritten note photo receipt sign natural fine small details cat dog"
).split()


@dataclass(frozen=True)
class SiglipExport:
    """One run of the export CLI: where it wrote, and what it printed."""

    out: Path
    stdout: str
    seconds: float


def subprocess_env() -> dict[str, str]:
    """Environment for child processes: the repository importable, one thread (shared CPU)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("OMP_NUM_THREADS", "1")
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    return env


def build_tiny_siglip(folder: Path) -> None:
    """Save a tiny random SiglipModel + fast tokenizer + PIL image processor like a hub snapshot."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import (
        PreTrainedTokenizerFast,
        SiglipConfig,
        SiglipImageProcessorPil,
        SiglipModel,
    )

    # SigLIP's real tokenizer is sentencepiece (needs a model file we cannot download); a
    # WordLevel tokenizer with the same special-token layout (</s> = pad = eos = 1) stands in.
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in _WORDS:
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", 1)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        pad_token="</s>",
        eos_token="</s>",
        model_input_names=["input_ids"],  # SigLIP is used without an attention mask
        model_max_length=TINY_MAX_TEXT,
    )

    config = SiglipConfig(
        text_config={
            "vocab_size": 64,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "max_position_embeddings": TINY_MAX_TEXT,
            "pad_token_id": 1,
            "eos_token_id": 1,
            "bos_token_id": 1,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": TINY_IMAGE_SIZE,
            "patch_size": 8,
        },
    )
    torch.manual_seed(0)
    model = SiglipModel(config).eval()
    with torch.no_grad():  # SigLIP initialises both to 0; make the affine part of the score visible
        model.logit_scale.fill_(TINY_LOGIT_SCALE_LOG)
        model.logit_bias.fill_(TINY_LOGIT_BIAS)

    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    SiglipImageProcessorPil(
        size={"height": TINY_IMAGE_SIZE, "width": TINY_IMAGE_SIZE}
    ).save_pretrained(folder)


def run_export(snapshot: Path, out: Path, *extra: str) -> SiglipExport:
    import time

    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(EXPORT_SCRIPT), "--model", str(snapshot), "--out", str(out), *extra],
        cwd=REPO,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise AssertionError(f"export failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return SiglipExport(out, proc.stdout, time.perf_counter() - started)


@pytest.fixture(scope="session")
def siglip_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder holding the tiny model as ``save_pretrained`` writes it (a "local snapshot")."""
    folder = tmp_path_factory.mktemp("siglip_snapshot")
    build_tiny_siglip(folder)
    return folder


@pytest.fixture(scope="session")
def siglip_export_int8(
    siglip_snapshot: Path, tmp_path_factory: pytest.TempPathFactory
) -> SiglipExport:
    """The default export (int8), with a labelled prompts file."""
    prompts = tmp_path_factory.mktemp("siglip_prompts") / "prompts.txt"
    prompts.write_text(
        "# label: prompt\n"
        "document: a page of text\n"
        "screenshot: a screenshot of a user interface\n"
        "photo: a natural photo\n"
        "a photo of a cat\n",
        encoding="utf-8",
    )
    out = tmp_path_factory.mktemp("siglip_int8") / "siglip"
    return run_export(siglip_snapshot, out, "--prompts", str(prompts))


@pytest.fixture(scope="session")
def siglip_export_fp32(
    siglip_snapshot: Path, tmp_path_factory: pytest.TempPathFactory
) -> SiglipExport:
    """``--no-quantize`` export with the built-in prompt set."""
    out = tmp_path_factory.mktemp("siglip_fp32") / "siglip"
    return run_export(siglip_snapshot, out, "--no-quantize")


@pytest.fixture(scope="session")
def siglip_torch_model(siglip_snapshot: Path):
    """The tiny model loaded back with transformers, as the reference."""
    from transformers import SiglipModel

    return SiglipModel.from_pretrained(siglip_snapshot, local_files_only=True).eval()
