"""The trained query router: a user's question -> the technique for its image.

Why a model and not only rules: questions come terse, chatty, misspelt, wrapped in context and
politeness; a small fine-tuned MiniLM (int8 ONNX, ~23 MB, ~1-2 ms per question on 2 CPU cores)
generalises over phrasing where regexes cannot. When its files are missing the caller falls back to
``headroom_edge.decision.rules`` (``RouterUnavailableError`` says so).

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

from headroom_edge.router.query import DEFAULT_MAX_WORDS, extract_ask
from headroom_edge.runtime.models import model_dir as find_model_dir
from headroom_edge.runtime.onnx import SessionOptions, create_session
from headroom_edge.technique import Technique

SAFE_TECHNIQUE = Technique.PRESERVE
"""What an unsure router answers: keeping every pixel never loses the answer, it only costs tokens."""

DEFAULT_MIN_CONFIDENCE = 0.5
"""Used only when metadata.json carries no calibrated ``min_confidence``."""

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
    """The part of the question the model saw (see ``query.extract_ask``)."""
    fallback: bool = False
    """True when the safe technique was chosen instead of the model's answer: no question, or the
    top probability was below the router's ``min_confidence``."""


class QueryRouter:
    """Classifies questions with the bundled ONNX model; one tokenizer and session per instance.

    ``model_dir`` is the router's own folder (None: ``runtime.models.model_dir("router")``);
    ``device`` is passed to the session factory (None: CUDA when available, else CPU);
    ``min_confidence`` overrides the threshold calibrated at training time (metadata.json);
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
        self._max_words = max(8, min(DEFAULT_MAX_WORDS, int(self.max_length * 0.65)))

    def classify(self, query: str | None) -> RouteDecision:
        """Route one question."""
        return self.classify_batch([query])[0]

    def classify_batch(self, queries: list[str | None]) -> list[RouteDecision]:
        """Route many questions; each result is exactly what :meth:`classify` returns for it.

        Why not one padded model call: the int8 model quantizes activations dynamically, with one
        scale per input tensor, so in a padded batch every question's numbers depend on its
        neighbours and on the padding. That moves near-tie decisions (about 1 in 70 held-out
        questions), which would make a decision depend on what else was in the request and break
        decision caching. Tokenization is still batched; the model runs once per question
        (~1-2 ms each on 2 cores); padding from the batch encode is dropped again.
        """
        routed = [extract_ask(q or "", self._max_words) for q in queries]
        todo = [i for i, text in enumerate(routed) if text.strip()]
        results: list[RouteDecision] = [
            RouteDecision(SAFE_TECHNIQUE, 0.0, {}, "", fallback=True) for _ in queries
        ]
        if not todo:
            return results
        encodings = self._tokenizer.encode_batch([routed[i] for i in todo])
        for row, i in enumerate(todo):
            enc = encodings[row]
            p = self._probabilities([t for t, m in zip(enc.ids, enc.attention_mask, strict=True) if m])
            top = int(p.argmax())
            confidence = float(p[top])
            low = confidence < self.min_confidence
            results[i] = RouteDecision(
                technique=SAFE_TECHNIQUE if low else self.labels[top],
                confidence=confidence,
                probabilities={t.value: float(v) for t, v in zip(self.labels, p, strict=True)},
                routed_text=routed[i],
                fallback=low,
            )
        return results

    def _probabilities(self, ids: list[int]) -> np.ndarray:
        """Softmax of the model's logits for one tokenized question (no padding)."""
        input_ids = np.array([ids], dtype=np.int64)
        feeds: dict[str, np.ndarray] = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        logits = self._session.run(None, feeds)[0][0].astype(np.float64)
        e = np.exp(logits - logits.max())
        return e / e.sum()
