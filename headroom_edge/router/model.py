"""The trained query router: a user's turn -> the technique for its image.

Why a model and not only rules: questions come terse, chatty, misspelt, wrapped in context, in many
languages; a small fine-tuned multilingual MiniLM (multilingual-e5-small, 6 layers, pruned
vocabulary, int8 ONNX) generalises over phrasing where regexes cannot. When its files are missing
the caller falls back to ``headroom_edge.decision.rules`` (``RouterUnavailableError`` says so).

How a decision is made (all parameters come from metadata.json, written by training):

1. the whole turn is prepared (``query.prepare_sentences``) and, when longer than the model's
   window, split into token windows from the end (at most ``MAX_WINDOWS``);
2. each window's logits are divided by the calibrated ``temperature`` and softmaxed;
3. each window's technique is the one with the lowest expected cost under the cost matrix
   (``costs.CostMatrix``): a harmful downgrade costs far more than a missed saving;
4. the most demanding window decides (``combine.most_demanding``).

Runtime dependencies only: numpy, tokenizers, onnxruntime (sessions come from
``headroom_edge.runtime.onnx.create_session``). The files are produced by
``scripts/train_router.py``: ``model.onnx``, ``tokenizer.json``, ``labels.json``, ``metadata.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from headroom_edge.router.combine import most_demanding
from headroom_edge.router.costs import CostMatrix
from headroom_edge.router.query import prepare_sentences
from headroom_edge.runtime.models import model_dir as find_model_dir
from headroom_edge.runtime.onnx import SessionOptions, create_session
from headroom_edge.technique import Technique

SAFE_TECHNIQUE = Technique.PRESERVE
"""What an unsure router answers: keeping every pixel never loses the answer, it only costs tokens."""

DEFAULT_MIN_CONFIDENCE = 0.0
"""Used only when metadata.json carries no ``min_confidence``: the cost matrix already makes
unsure decisions safe, a threshold on top is an optional extra."""

MAX_WINDOWS = 4
"""Long turns: how many token windows (from the end of the turn) are classified. Four windows of
64 tokens cover ~250 tokens of prose; older text is system prompt or history far more often than
the ask."""

REQUIRED_FILES = ("model.onnx", "tokenizer.json", "labels.json")


class RouterUnavailableError(RuntimeError):
    """The router's model files are missing or unreadable; route with the rules instead."""


@dataclass(frozen=True)
class RouteDecision:
    """The router's answer for one question."""

    technique: Technique
    confidence: float
    """Probability of the model's top class (0.0 when the model did not run)."""
    probabilities: dict[str, float] = field(default_factory=dict)
    """Per technique value; empty when the model did not run (empty question)."""
    routed_text: str = ""
    """The text the model saw (see ``query.prepare_sentences``), windows joined by " | "."""
    fallback: bool = False
    """True when the chosen technique is not the model's top class: no question, the top
    probability was below ``min_confidence``, or the cost matrix chose a safer technique."""
    expected_costs: dict[str, float] = field(default_factory=dict)
    """Expected cost of each technique for the deciding window (empty when the model did not run)."""
    windows: int = 0
    """How many token windows were classified (0: the model did not run)."""


class QueryRouter:
    """Classifies questions with the bundled ONNX model; one tokenizer and session per instance.

    ``model_dir`` is the router's own folder (None: ``runtime.models.model_dir("router")``);
    ``device`` is passed to the session factory (None: CUDA when available, else CPU);
    ``min_confidence`` overrides the metadata's threshold (below it: ``preserve``);
    ``costs`` overrides the metadata's cost matrix (``CostMatrix``);
    ``session_options`` lets a compressor share one :class:`SessionOptions` across its models
    (its ``device`` then wins over ``device``).
    """

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        device: str | None = None,
        min_confidence: float | None = None,
        *,
        session_options: SessionOptions | None = None,
        costs: CostMatrix | None = None,
    ) -> None:
        folder = find_model_dir("router", model_dir)
        if folder is None:
            where = f"{model_dir}" if model_dir is not None else "models/router (or $HEADROOM_MODELS_DIR/router)"
            raise RouterUnavailableError(f"router model folder not found: {where}")
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise RouterUnavailableError(f"router model folder {folder} lacks {', '.join(missing)}")
        self.model_dir: Path = folder
        try:
            labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
            self.labels: tuple[Technique, ...] = tuple(Technique(labels[str(i)]) for i in range(len(labels)))
            meta_path = folder / "metadata.json"
            self.metadata: dict[str, Any] = (
                json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
            )
            self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self._session = create_session(folder / "model.onnx", session_options or SessionOptions(device=device))
        except (OSError, ValueError, KeyError) as exc:
            raise RouterUnavailableError(f"router model in {folder} could not be loaded: {exc}") from exc
        except Exception as exc:  # onnxruntime raises its own exception types for broken files
            raise RouterUnavailableError(f"router model in {folder} could not be loaded: {exc}") from exc
        truncation = self._tokenizer.truncation
        self.max_length: int = int(self.metadata.get("max_length") or (truncation or {}).get("max_length") or 64)
        if truncation is None or truncation.get("max_length") != self.max_length:
            self._tokenizer.enable_truncation(max_length=self.max_length)
        self._input_names = {i.name for i in self._session.get_inputs()}
        calibrated = self.metadata.get("min_confidence")
        self.min_confidence: float = float(
            min_confidence if min_confidence is not None else calibrated if calibrated is not None else DEFAULT_MIN_CONFIDENCE
        )
        self.temperature: float = float(self.metadata.get("temperature") or 1.0)
        if not self.temperature > 0:
            raise RouterUnavailableError(f"router metadata in {folder}: temperature must be > 0")
        self.costs: CostMatrix = costs or CostMatrix.from_json(self.metadata.get("cost_matrix"))
        self._budget = self.max_length - 2  # <s> and </s>

    def classify(self, query: str | None) -> RouteDecision:
        """Route one question."""
        return self.classify_batch([query])[0]

    def classify_batch(self, queries: list[str | None]) -> list[RouteDecision]:
        """Route many turns; each result is exactly what :meth:`classify` returns for it.

        Why not one padded model call: the int8 model quantizes activations dynamically, with one
        scale per input tensor, so in a padded batch every question's numbers depend on its
        neighbours and on the padding. That would make a decision depend on what else was in the
        request and break decision caching, so the model runs once per window, unpadded.
        """
        return [self._route(q or "") for q in queries]

    def windows(self, text: str) -> list[str]:
        """The token windows of one turn the model reads, oldest first (at most ``MAX_WINDOWS``).

        A turn that fits the model is one window. Longer turns are packed sentence by sentence
        from the end; a single sentence longer than a window is cut at token boundaries.
        """
        sentences = prepare_sentences(text)
        if not sentences:
            return []
        joined = " ".join(sentences)
        if len(self._tokenizer.encode(joined, add_special_tokens=False).ids) <= self._budget:
            return [joined]
        pieces: list[tuple[str, int]] = []
        for sentence in sentences:
            enc = self._tokenizer.encode(sentence, add_special_tokens=False)
            if len(enc.ids) <= self._budget:
                pieces.append((sentence, len(enc.ids)))
                continue
            for start in range(0, len(enc.ids), self._budget):
                span = enc.offsets[start : start + self._budget]
                pieces.append((sentence[span[0][0] : span[-1][1]], len(span)))
        windows: list[str] = []
        current: list[str] = []
        used = 0
        for sentence, n in reversed(pieces):
            if current and used + n > self._budget:
                windows.append(" ".join(reversed(current)))
                current, used = [], 0
                if len(windows) == MAX_WINDOWS:
                    break
            current.append(sentence)
            used += n
        if current and len(windows) < MAX_WINDOWS:
            windows.append(" ".join(reversed(current)))
        return list(reversed(windows))

    def _route(self, text: str) -> RouteDecision:
        windows = self.windows(text)
        if not windows:
            return RouteDecision(SAFE_TECHNIQUE, 0.0, {}, "", fallback=True)
        per_window = []
        for window in windows:
            p = self._probabilities(self._tokenizer.encode(window).ids)
            probs = {t.value: float(v) for t, v in zip(self.labels, p, strict=True)}
            top = max(probs, key=probs.__getitem__)
            chosen = SAFE_TECHNIQUE.value if probs[top] < self.min_confidence else self.costs.choose(probs)
            per_window.append((chosen, top, probs))
        final = most_demanding([c for c, _t, _p in per_window])
        # Report the window that decided (the last one with the final technique, else the last).
        deciding = next((w for w in reversed(per_window) if w[0] == final), per_window[-1])
        _chosen, top, probs = deciding
        return RouteDecision(
            technique=Technique(final),
            confidence=probs[final] if final in probs else 0.0,
            probabilities=probs,
            routed_text=" | ".join(windows),
            fallback=final != top,
            expected_costs={k: round(v, 4) for k, v in self.costs.expected(probs).items()},
            windows=len(windows),
        )

    def _probabilities(self, ids: list[int]) -> np.ndarray:
        """Temperature-scaled softmax of the model's logits for one tokenized window (no padding)."""
        input_ids = np.array([ids], dtype=np.int64)
        feeds: dict[str, np.ndarray] = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        logits = self._session.run(None, feeds)[0][0].astype(np.float64) / self.temperature
        e = np.exp(logits - logits.max())
        return e / e.sum()
