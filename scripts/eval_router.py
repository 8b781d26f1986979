"""Evaluate the committed query router (models/router) on labelled questions.

Usage::

    .venv/bin/python scripts/eval_router.py                       # the held-out split
    .venv/bin/python scripts/eval_router.py --file questions.txt  # your own labelled questions
    .venv/bin/python scripts/eval_router.py --errors              # also list the mistakes

``--file`` takes ``label | question`` lines (``#`` comments allowed), JSON lines with
``text``/``query``/``question`` and ``label``/``technique`` keys, or ``label<TAB>question`` lines.
Questions go through ``QueryRouter.classify`` exactly as in production (ask extraction, the
calibrated low-confidence fallback to preserve).

Metrics (also imported by train_router.py):

* accuracy: routed technique == label.
* harmful-downgrade rate: among questions labelled ``preserve`` or ``transcode`` (the answer needs
  pixels or text that a cheaper technique loses), the fraction routed to ``full_low`` or ``crop``.
  Routing to the other of the two, or anything routed *up* to preserve, is not harmful: it only
  costs tokens.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABELS = ("full_low", "preserve", "crop", "transcode")
HARMFUL_FROM = ("preserve", "transcode")
HARMFUL_TO = ("full_low", "crop")
SAFE_LABEL = "preserve"


def accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(np.asarray(y) == np.asarray(pred))) if len(y) else 0.0


def confusion_matrix(y: np.ndarray, pred: np.ndarray, n: int) -> list[list[int]]:
    m = np.zeros((n, n), dtype=int)
    for t, p in zip(y, pred, strict=True):
        m[int(t), int(p)] += 1
    return m.tolist()


def harmful_downgrade_rate(y: np.ndarray, pred: np.ndarray, labels: tuple[str, ...] = LABELS) -> float:
    src = np.isin(np.asarray(y), [labels.index(name) for name in HARMFUL_FROM])
    if not src.any():
        return 0.0
    dst = np.isin(np.asarray(pred), [labels.index(name) for name in HARMFUL_TO])
    return float(np.mean(dst[src]))


def apply_threshold(probs: np.ndarray, threshold: float, labels: tuple[str, ...] = LABELS) -> np.ndarray:
    """argmax, except the safe label where the top probability is below ``threshold``."""
    pred = probs.argmax(1)
    pred[probs.max(1) < threshold] = labels.index(SAFE_LABEL)
    return pred


def calibrate_threshold(probs: np.ndarray, y: np.ndarray, labels: tuple[str, ...] = LABELS,
                        tolerance: float = 0.005) -> tuple[float, list[dict[str, float]]]:
    """Pick the low-confidence threshold.

    Among thresholds whose accuracy stays within ``tolerance`` of using no threshold, take the one
    with the fewest harmful downgrades, and the smallest such threshold on ties (fewest needless
    fallbacks to preserve). Returns it and a coarse curve for the metadata.
    """
    grid = np.round(np.arange(0.30, 0.991, 0.01), 2)
    base = accuracy(y, probs.argmax(1))
    best: tuple[float, float] | None = None
    curve: list[dict[str, float]] = []
    for t in grid:
        pred = apply_threshold(probs, float(t), labels)
        acc, harm = accuracy(y, pred), harmful_downgrade_rate(y, pred, labels)
        fallback = float(np.mean(probs.max(1) < t))
        if round(float(t) * 100) % 5 == 0:
            curve.append({"threshold": float(t), "accuracy": round(acc, 4), "harmful": round(harm, 4),
                          "fallback_rate": round(fallback, 4)})
        if acc >= base - tolerance and (best is None or harm < best[1] - 1e-12):
            best = (float(t), harm)
    return (best[0] if best else 0.30), curve


def read_labelled(path: Path) -> list[tuple[str, str]]:
    """(label, question) pairs from a .txt ("label | q" or "label<TAB>q") or .jsonl file."""
    rows: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#") or s.startswith("//"):
            continue
        if s.startswith("{"):
            obj = json.loads(s)
            text = obj.get("text") or obj.get("query") or obj.get("question") or ""
            label = obj.get("label") or obj.get("technique") or ""
        elif "\t" in s:
            label, text = s.split("\t", 1)
        else:
            label, _, text = s.partition("|")
        label, text = label.strip(), text.strip()
        if label not in LABELS:
            raise SystemExit(f"{path}:{number}: unknown label {label!r} (use one of {', '.join(LABELS)})")
        rows.append((label, text))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, help="labelled questions instead of the held-out split")
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--errors", action="store_true", help="print every misrouted question")
    parser.add_argument("--min-confidence", type=float, default=None, help="override the calibrated threshold")
    args = parser.parse_args()

    from headroom_edge.router import QueryRouter

    router = QueryRouter(model_dir=args.model_dir, device="cpu", min_confidence=args.min_confidence)
    if args.file:
        rows = read_labelled(args.file)
        name = str(args.file)
    else:
        sys.path.insert(0, str(ROOT / "scripts"))
        import router_data

        data = router_data.build()
        rows = [(e.label, e.text) for e in data.heldout]
        name = f"held-out split ({len(rows)} questions, train sha256 {data.train_hash()[:12]}...)"
        if data.train_hash() != router.metadata.get("data", {}).get("train_sha256"):
            print("warning: the generator's training set differs from the one the model was trained on")
    decisions = router.classify_batch([text for _, text in rows])
    y = np.array([LABELS.index(label) for label, _ in rows])
    pred = np.array([LABELS.index(d.technique.value) for d in decisions])
    print(f"{name}: min_confidence {router.min_confidence}")
    print(f"accuracy {accuracy(y, pred):.4f}  harmful-downgrade rate {harmful_downgrade_rate(y, pred):.4f}  "
          f"low-confidence fallbacks {sum(d.fallback for d in decisions)}")
    print("confusion matrix (rows = true, columns = routed):")
    print(" " * 11 + " ".join(f"{name:>9s}" for name in LABELS))
    for label, row in zip(LABELS, confusion_matrix(y, pred, len(LABELS)), strict=True):
        print(f"{label:>10s} " + " ".join(f"{v:9d}" for v in row))
    if args.errors:
        for (label, text), d in zip(rows, decisions, strict=True):
            if d.technique.value != label:
                print(f"  {label:>9s} -> {d.technique.value:9s} ({d.confidence:.2f}{' fallback' if d.fallback else ''}) {text!r}")


if __name__ == "__main__":
    main()
