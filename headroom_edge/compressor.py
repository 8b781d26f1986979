"""``ImageCompressor``: the public entry point of the compression core.

Two ways in, one path through:

* :meth:`ImageCompressor.compress` takes a bare message list (what SDK users hold) and returns a
  new list;
* :meth:`ImageCompressor.compress_body` takes a whole raw request body (what the middleware, proxy
  and httpx transport hold) and returns the rewritten body of the same type.

Both find the wire format, run every image slot through :class:`~headroom_edge.pipeline.ImagePipeline`
and rewrite the slots: message lists and dicts in a copy with
:func:`~headroom_edge.formats.base.apply_edits`, raw bodies by splicing the changed fields into
the client's own text (:mod:`headroom_edge.formats.body`, which also parses them). Neither ever
raises for bad input: unknown shapes and broken images pass through untouched.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from headroom_edge.config import CompressionConfig
from headroom_edge.decision.decider import Decider, PolicyDecider, RouterDecider, RulesDecider
from headroom_edge.formats import detect_format, format_for_messages, get_format
from headroom_edge.formats.base import ImageEdit, ImageSlot, WireFormat, apply_edits
from headroom_edge.formats.body import can_splice, may_have_images, parse_body, render_body
from headroom_edge.formats.tools import find_computer_use
from headroom_edge.lazy import Lazy
from headroom_edge.pipeline import ImagePipeline
from headroom_edge.providers import PROVIDERS, canonical_provider
from headroom_edge.results import CompressionResult
from headroom_edge.runtime.cores import usable_cores
from headroom_edge.runtime.onnx import SessionOptions, resolve_providers

logger = logging.getLogger("headroom_edge")

BodyT = TypeVar("BodyT", bytes, str, dict)



@dataclass(frozen=True)
class BodyCompression(Generic[BodyT]):
    """The outcome of :meth:`ImageCompressor.compress_body`.

    ``body`` has the type that was passed in; when nothing changed it IS the object passed in
    (same bytes, byte-identical), so callers can forward it without re-serialising.
    """

    body: BodyT
    changed: bool
    result: CompressionResult
    wire_format: str | None


class ImageCompressor:
    """Picks and applies the cheapest safe technique for every image of a request.

    Args:
        model_id: folder of the query-router model (``QueryRouter``'s ``model_dir``; the public
            name stays ``model_id``); None uses the bundled ``models/router``. Without router
            files the documented question rules decide (and results say so); a model_id that
            cannot be loaded is an error.
        use_siglip: use the SigLIP image encoder when its model files are installed.
        device: None (CUDA when onnxruntime has it, else CPU), "cpu" or "cuda".
        config: the :class:`CompressionConfig`; defaults are the safe, documented behaviour.
        decider: an explicit decider (tests, custom policies); overrides model_id/use_siglip.
        ocr: an explicit OCR engine; None loads the bundled PP-OCR models on first use.
    """

    def __init__(
        self,
        model_id: str | None = None,
        use_siglip: bool = True,
        device: str | None = None,
        *,
        config: CompressionConfig | None = None,
        decider: Decider | None = None,
        ocr: Any | None = None,
    ) -> None:
        resolve_providers(device)  # a bad or unavailable device is a clear error now, not later
        self.model_id = model_id
        self.use_siglip = use_siglip
        self.device = device
        self.config = config or CompressionConfig()
        self.session_options = SessionOptions(device=device)
        # One mechanism for every expensive part: built on first use, once (headroom_edge.lazy).
        self._decider: Lazy[Decider] = Lazy.of(decider) if decider is not None else Lazy(self._build_decider)
        self._ocr: Lazy[Any | None] = Lazy.of(ocr) if ocr is not None else Lazy(self._build_ocr)
        self._lazy_ocr = _LazyOcr(self._ocr)  # what the pipeline and the analyzer hold
        # One helper thread decodes while the calling thread routes the question (both release
        # the GIL); on a single core there is nothing to overlap with. Its thread starts on first use.
        self._overlap = ThreadPoolExecutor(1, "headroom-decode") if usable_cores() >= 2 else None
        self._pipeline: Lazy[ImagePipeline] = Lazy(
            lambda: ImagePipeline(self.config, self.decider, self._lazy_ocr, overlap=self._overlap)
        )
        self._local = threading.local()

    # -- lazily built parts ---------------------------------------------------------------
    @property
    def decider(self) -> Decider:
        return self._decider.get()

    def _router_costs(self, model_costs: Any) -> Any:
        """The router's cost matrix under this config: a configured matrix or the model's own
        (``model_costs``), its lossy entries scaled by ``router_harm_weight`` when set."""
        from headroom_edge.router import CostMatrix

        config = self.config
        costs = model_costs
        if config.router_costs is not None:
            costs = CostMatrix({t: dict(row) for t, row in config.router_costs})
        if config.router_harm_weight is not None:
            costs = costs.scaled(config.router_harm_weight)
        return costs

    def _build_decider(self) -> Decider:
        """Router (or rules when its files are missing) wrapped in the image-analysis policy."""
        from headroom_edge.analysis.signals import ImageAnalyzer
        from headroom_edge.router import QueryRouter, RouterUnavailableError

        inner: Decider
        try:
            # One thread: a query is ~1.7 ms of work either way (scripts/bench_router.py), and
            # the second core stays free for image work of concurrent requests.
            router_options = replace(self.session_options, intra_op_threads=1)
            router = QueryRouter(model_dir=self.model_id,
                                 min_confidence=self.config.router_min_confidence,
                                 session_options=router_options)
            router.costs = self._router_costs(router.costs)
            inner = RouterDecider(router)
        except RouterUnavailableError as exc:
            if self.model_id is not None:
                raise  # an explicitly named router that cannot load is the caller's error
            logger.warning("query router unavailable, using the question rules: %s", exc)
            inner = RulesDecider()
        return PolicyDecider(inner, ImageAnalyzer(self._lazy_ocr, self._build_siglip()))

    def _build_siglip(self) -> Any | None:
        if not self.use_siglip:
            return None
        from headroom_edge.analysis.siglip import SiglipScorer, SiglipUnavailableError, is_available

        if not is_available():
            logger.info("SigLIP not installed (models/siglip): image analysis uses the OCR detector only")
            return None
        try:
            return SiglipScorer(options=self.session_options)
        except SiglipUnavailableError as exc:
            logger.warning("SigLIP unavailable: %s", exc)
            return None

    @property
    def ocr(self) -> Any | None:
        """The OCR engine (None when its models are not installed), loaded on first use."""
        return self._ocr.get()

    def _build_ocr(self) -> Any | None:
        from headroom_edge.ocr import OcrEngine, OcrUnavailableError

        try:
            return OcrEngine(session_options=self.session_options)
        except OcrUnavailableError as exc:
            logger.warning("OCR unavailable, transcode will preserve images: %s", exc)
            return None

    @property
    def pipeline(self) -> ImagePipeline:
        return self._pipeline.get()

    # -- results ----------------------------------------------------------------------------
    @property
    def last_result(self) -> CompressionResult | None:
        """The result of this thread's most recent compress call (None before the first).

        Per thread on purpose: one compressor serves concurrent requests from worker threads,
        and each caller must see its own request's result. (The httpx transports and SDK
        clients instead keep the last request of the transport, whatever thread sent it.)
        """
        return getattr(self._local, "result", None)

    @property
    def last_savings(self) -> float:
        """Token savings of this thread's most recent call, in percent (0.0 before the first).

        A float always, so ``f"{c.last_savings:.0f}%"`` works before any call; the SDK clients'
        ``last_savings`` is None instead, because there "no request yet" must stay visible.
        """
        result = self.last_result
        return result.savings_percent if result is not None else 0.0

    # -- message-list API ------------------------------------------------------------------
    def has_images(self, messages: Any) -> bool:
        """Whether any message holds an image part in any supported provider format."""
        if not isinstance(messages, list):
            return False
        for provider in PROVIDERS:
            try:
                fmt, body = format_for_messages(provider, messages)
            except ValueError:
                continue
            if fmt.find_images(body):
                return True
        return False

    def compress(self, messages: list[Any], provider: str = "openai", model: str | None = None) -> list[Any]:
        """A rewritten copy of ``messages`` (the input is never mutated).

        Raises ValueError for an unknown provider; anything the compressor cannot handle
        (including absurdly deep nesting) comes back unchanged.
        """
        try:
            fmt, body = format_for_messages(provider, copy.deepcopy(messages))
            _, edits = self._compress_parsed(body, fmt, path=None, model=model)
            apply_edits(fmt, edits)
        except RecursionError:
            self._local.result = CompressionResult()
            return messages
        return body[fmt.messages_key]

    # -- whole-body API --------------------------------------------------------------------
    @staticmethod
    def body_may_have_images(raw: bytes) -> bool:
        """Cheap byte scan: False means the body certainly holds no image part (skip JSON parsing)."""
        return may_have_images(raw)

    def compress_body(
        self,
        body: BodyT,
        *,
        path: str | None = None,
        provider: str | None = None,
        wire_format: str | None = None,
        model: str | None = None,
    ) -> BodyCompression[BodyT]:
        """Compress a raw request body; returns the same type it was given.

        A rewritten bytes/str body is the client's text with only the changed image fields
        spliced in (see :mod:`headroom_edge.formats.body`); a body that is not strict UTF-8
        JSON comes back as the very object passed in.
        """
        if isinstance(body, dict):
            return self._compress_dict(body, path, provider, wire_format, model)
        if not isinstance(body, (bytes, bytearray, str)):
            raise TypeError(f"compress_body takes bytes, str or dict, not {type(body).__name__}")
        if not may_have_images(body):
            return self._unchanged(body, None)
        parsed = parse_body(body)  # None: not strict UTF-8 JSON, so it passes through as sent
        if parsed is None:
            return self._unchanged(body, None)
        fmt = self._pick_format(parsed.value, path, provider, wire_format)
        if fmt is None:
            return self._unchanged(body, None)
        try:
            result, edits = self._compress_parsed(parsed.value, fmt, path=path, model=model)
        except RecursionError:  # an image part nested absurdly deep
            return self._unchanged(body, fmt.name)
        if not result.changed or not edits:
            return BodyCompression(body, False, result, fmt.name)
        try:
            if can_splice(edits):
                text = render_body(parsed, fmt, edits)
            else:  # text placed outside a part list, single-image slots: edit the parsed body
                apply_edits(fmt, edits)
                text = _dump_json(parsed.value)
        except (ValueError, RecursionError):
            # An edit that cannot be placed (an image part written with escaped key names, so
            # the parser kept no spans for it): the body goes as it came, and the result says so.
            return self._unchanged(body, fmt.name)
        out: Any = text if isinstance(body, str) else text.encode("utf-8")
        return BodyCompression(out, True, result, fmt.name)

    def _compress_dict(
        self, body: dict[str, Any], path: str | None, provider: str | None,
        wire_format: str | None, model: str | None,
    ) -> BodyCompression[Any]:
        """A parsed body: rewritten in a deep copy (the caller's dict is never mutated)."""
        try:
            parsed = copy.deepcopy(body)
        except RecursionError:  # nested deeper than the recursion limit: leave it alone
            return self._unchanged(body, None)
        fmt = self._pick_format(parsed, path, provider, wire_format)
        if fmt is None:
            return self._unchanged(body, None)
        try:
            result, edits = self._compress_parsed(parsed, fmt, path=path, model=model)
            apply_edits(fmt, edits)
        except RecursionError:  # rendering deep-copies an image part nested absurdly deep
            return self._unchanged(body, fmt.name)
        if not result.changed or not edits:
            return BodyCompression(body, False, result, fmt.name)
        return BodyCompression(parsed, True, result, fmt.name)

    # -- internals -------------------------------------------------------------------------
    def _unchanged(self, body: BodyT, fmt: str | None) -> BodyCompression[BodyT]:
        result = CompressionResult(wire_format=fmt)
        self._local.result = result
        return BodyCompression(body, False, result, fmt)

    @staticmethod
    def _pick_format(body: dict[str, Any], path: str | None, provider: str | None, wire_format: str | None) -> WireFormat | None:
        if wire_format is not None:
            return get_format(wire_format)
        fmt = detect_format(body, path)
        if fmt is not None and provider is not None and fmt.provider != canonical_provider(provider):
            return None  # the caller's provider and the body disagree: do not guess
        return fmt

    def _compress_parsed(
        self, body: dict[str, Any], fmt: WireFormat, *, path: str | None, model: str | None
    ) -> tuple[CompressionResult, list[tuple[ImageSlot, ImageEdit]]]:
        """Decide and run every image; returns the result and the edits, not yet applied (the
        raw-body path renders them by splicing, the others apply them to their copy)."""
        slots = fmt.find_images(body)
        model = model or fmt.model(body, path)
        pipeline = self.pipeline if slots else None
        computer_use = find_computer_use(body) if slots else None  # its screenshots keep their geometry
        results = []
        edits = []
        for slot in slots:
            assert pipeline is not None
            processed = pipeline.process(slot, fmt.provider, model, computer_use=computer_use)
            results.append(processed.result)
            if processed.edit is not None:
                edits.append((slot, processed.edit))
        result = CompressionResult(images=tuple(results), provider=fmt.provider, model=model, wire_format=fmt.name)
        self._local.result = result
        for item in results:
            logger.debug(
                "image %d: %s %d->%d tokens (%s)", item.index, item.technique.value,
                item.original_tokens, item.compressed_tokens, item.reason,
            )
        return result, edits


def _dump_json(value: Any) -> str:
    """Compact JSON with text kept as UTF-8 (ASCII escapes only where a lone surrogate, valid as
    a JSON escape but not as UTF-8, forces them)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":"))
    return text


class _LazyOcr:
    """The OCR engine as the pipeline and the analyzer hold it: loaded when a transcode or a text
    check actually needs it, an ``OcrUnavailableError`` there when it is not installed."""

    def __init__(self, engine: Lazy[Any | None]) -> None:
        self._lazy = engine

    def _engine(self) -> Any:
        engine = self._lazy.get()
        if engine is None:
            from headroom_edge.ocr import OcrUnavailableError

            raise OcrUnavailableError("no OCR models are installed")
        return engine

    def read(self, img: Any, **kwargs: Any) -> Any:
        return self._engine().read(img, **kwargs)

    def detect(self, img: Any, **kwargs: Any) -> Any:
        return self._engine().detect(img, **kwargs)
