"""One image part through decode -> decision -> technique -> result, failing open.

This is the per-image unit of work the compressor runs for every slot a wire format finds. It
never raises: any failure leaves the part exactly as the client sent it and is recorded in the
:class:`ImageResult` (``error``), so a request is never broken by its images.

Given a helper thread (``overlap``), the question and the image work run side by side on two
cores (:mod:`headroom_edge.overlap`): for a JPEG the helper routes the question while this thread
decodes; for other formats the helper decodes (and for a photo prepares the low-detail rewrite)
while this thread routes.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from headroom_edge.analysis.signals import quick_look
from headroom_edge.cache import LRUCache
from headroom_edge.config import CompressionConfig
from headroom_edge.context import SourceImage, TechniqueContext
from headroom_edge.decision.base import Decision
from headroom_edge.decision.decider import AsksFirst
from headroom_edge.decision.policy import keep_geometry
from headroom_edge.fetch import FetchedImage, FetchError, SafeFetcher
from headroom_edge.formats.base import ImageEdit, ImageSlot
from headroom_edge.formats.datauri import decode_base64
from headroom_edge.formats.tools import ComputerUse
from headroom_edge.imaging import probe_image
from headroom_edge.overlap import (
    AskedAhead,
    EarlyWork,
    SharedSource,
    Speculated,
    decodes_early,
    looks_like_jpeg,
    speculate_full_low,
    speculation_worth_it,
)
from headroom_edge.results import OVER_LIMIT, DecidedBy, ImageResult
from headroom_edge.technique import Technique
from headroom_edge.techniques import apply_technique
from headroom_edge.techniques.base import Outcome, untouched

if TYPE_CHECKING:
    from headroom_edge.decision.decider import Decider
    from headroom_edge.ocr import OcrEngine

__all__ = ["OVER_LIMIT", "ImagePipeline", "Processed"]  # OVER_LIMIT: older imports of it from here

logger = logging.getLogger("headroom_edge.pipeline")

CacheKey = tuple[bytes, str, str, str | None, str | None, str | None, ComputerUse | None]


@dataclass(frozen=True)
class Processed:
    """The edit to apply (None: leave the part alone) and the result to report."""

    edit: ImageEdit | None
    result: ImageResult


def _safe_error(exc: BaseException) -> str:
    """An error description for results and logs: type and message, bounded, no payloads.

    Our own errors (ImageError, ValueError from base64 decoding) are written never to include
    input data; anything else is cut short so a library message cannot carry an image along.
    """
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def _cache_key(
    payload: bytes, slot: ImageSlot, provider: str, model: str | None, computer_use: ComputerUse | None,
) -> CacheKey:
    """Everything a decision depends on besides the (per-pipeline) config.

    sha256 rather than blake2b: hardware-accelerated (SHA-NI) on these CPUs, twice as fast on
    image payloads (0.13 vs 0.25 ms for 236 KB of base64).
    """
    return (hashlib.sha256(payload).digest(), slot.question, provider, model, slot.detail, slot.media_resolution,
            computer_use)


def _worth_it(outcome: Outcome, original_tokens: int) -> bool:
    """Whether a rewrite pays for itself.

    Every technique must cost fewer tokens than the original, except CROP, which may cost the
    same: on OpenAI tile models a square crop is priced like the whole image (both are scaled to
    768 px), yet the named region then reaches the model at up to twice the resolution, which is
    exactly what a region question needs.
    """
    if outcome.technique is Technique.CROP:
        return outcome.tokens <= original_tokens
    return outcome.tokens < original_tokens


class ImagePipeline:
    """Processes image slots with one config, decider, OCR engine and decision cache."""

    def __init__(
        self,
        config: CompressionConfig,
        decider: Decider,
        ocr: OcrEngine | None,
        cache: LRUCache[CacheKey, Processed] | None = None,
        fetcher: SafeFetcher | None = None,
        overlap: Executor | None = None,
    ) -> None:
        self.config = config
        self.decider = decider
        self._asker: AsksFirst | None = decider if isinstance(decider, AsksFirst) and decider.slow_to_ask else None
        """The decider, when its question step is worth asking on the helper (checked once: a
        runtime protocol check costs tens of microseconds)."""
        self.ocr = ocr
        self.overlap = overlap
        """The helper thread that does the image work while the calling thread routes the
        question (:mod:`headroom_edge.overlap`); None does everything inline."""
        self.cache = cache if cache is not None else LRUCache(config.cache_size)
        self.fetcher: SafeFetcher | None = None
        """Used only when ``config.fetch_urls`` is on; None there builds the default one."""
        if config.fetch_urls:
            self.fetcher = fetcher if fetcher is not None else SafeFetcher.from_config(config)

    def process(
        self, slot: ImageSlot, provider: str, model: str | None, *, computer_use: ComputerUse | None = None,
    ) -> Processed:
        """The edit and result for one slot. ``computer_use`` (the request declares such a tool,
        :func:`~headroom_edge.formats.tools.find_computer_use`) keeps the image's geometry."""
        started = time.perf_counter()
        try:
            processed = self._process(slot, provider, model, computer_use)
        except Exception as exc:  # fail open: the image goes through untouched
            logger.warning("image %s left untouched after an error: %s", slot.location, _safe_error(exc))
            processed = Processed(
                None,
                ImageResult(
                    index=slot.index, technique=Technique.PRESERVE, original_tokens=0, compressed_tokens=0,
                    confidence=0.0, reason="processing failed: image passed through untouched",
                    decided_by="error", error=_safe_error(exc),
                ),
            )
        return Processed(processed.edit, replace(processed.result, seconds=time.perf_counter() - started))

    def _process(self, slot: ImageSlot, provider: str, model: str | None, computer_use: ComputerUse | None) -> Processed:
        source = slot.source
        if source.kind == "url" and self.fetcher is not None:
            return self._process_url(slot, provider, model, computer_use)
        if source.kind != "base64" or source.data is None:
            what = "URL" if source.kind == "url" else "file id"
            return Processed(None, ImageResult(
                index=slot.index, technique=Technique.PRESERVE, original_tokens=0, compressed_tokens=0,
                confidence=1.0, reason=f"image given by {what}: left untouched (fetching is disabled)",
                decided_by="skip",
            ))
        data = source.data
        key = _cache_key(data.encode("ascii", "surrogateescape"), slot, provider, model, computer_use)
        return self._cached(key, slot, lambda: self._decide_on_base64(slot, provider, model, data, computer_use))

    def _decide_on_base64(
        self, slot: ImageSlot, provider: str, model: str | None, text: str, computer_use: ComputerUse | None,
    ) -> Processed:
        """Decode the base64 and decide; a JPEG's question is already on its way to the helper
        meanwhile (the decode of a large payload takes a millisecond of the router's slack)."""
        asked = self._ask_ahead(slot, text, computer_use)
        try:
            data = decode_base64(text)
        except BaseException:
            if asked is not None:
                asked.abandon()
            raise
        return self._decide_on_bytes(slot, provider, model, data, computer_use, asked)

    def _cached(self, key: CacheKey, slot: ImageSlot, compute: Callable[[], Processed]) -> Processed:
        """The cached outcome for ``key`` (re-indexed for this slot), else ``compute()``, kept
        unless it failed: an error may be transient and must not stick to those bytes."""
        hit = self.cache.get(key)
        if hit is not None:
            return Processed(hit.edit, replace(hit.result, index=slot.index, cached=True))
        processed = compute()
        if processed.result.error is None:
            self.cache.put(key, processed)
        return processed

    def _process_url(
        self, slot: ImageSlot, provider: str, model: str | None, computer_use: ComputerUse | None,
    ) -> Processed:
        """Fetch a URL image (SSRF-guarded), then decide on its bytes like an inline one.

        A rewrite with new bytes turns the part into inline data (each format's ``render`` does
        that for url sources); a detail-only edit keeps the URL; any fetch failure leaves the
        part exactly as sent, with the reason in the result. Results name the host only: the
        path and query of a signed URL are credentials.
        """
        assert self.fetcher is not None and slot.source.url is not None
        try:
            fetched = self.fetcher.fetch(slot.source.url)
        except FetchError as exc:
            logger.info("image %s: URL not fetched: %s", slot.location, _safe_error(exc))
            return Processed(None, ImageResult(
                index=slot.index, technique=Technique.PRESERVE, original_tokens=0, compressed_tokens=0,
                confidence=1.0, reason=f"image given by URL: not fetched ({exc}); left untouched",
                decided_by="skip", error=_safe_error(exc),
            ))
        key = _cache_key(b"fetched\0" + fetched.data, slot, provider, model, computer_use)
        done = self._cached(
            key, slot, lambda: self._decide_on_bytes(
                slot, provider, model, fetched.data, computer_use, self._ask_ahead(slot, fetched.data, computer_use)),
        )
        return Processed(done.edit, replace(done.result, reason=f"{_fetched_note(fetched)}; {done.result.reason}"))

    def _ask_ahead(
        self, slot: ImageSlot, data: str | bytes, computer_use: ComputerUse | None,
    ) -> AskedAhead | None:
        """The question sent to the helper (:class:`~headroom_edge.overlap.AskedAhead`) when
        there is one, the payload looks like a JPEG, the decider's question step is worth a
        thread hop, and the question matters (computer use decides without it)."""
        if self._asker is None or self.overlap is None or computer_use is not None or not looks_like_jpeg(data):
            return None
        return AskedAhead.start(self.overlap, self._asker, slot.question)

    def _decide_on_bytes(
        self, slot: ImageSlot, provider: str, model: str | None, data: bytes, computer_use: ComputerUse | None,
        asked: AskedAhead | None = None,
    ) -> Processed:
        try:
            return self._decide_on_probed(slot, provider, model, data, computer_use, asked)
        finally:
            if asked is not None:
                asked.abandon()

    def _decide_on_probed(
        self, slot: ImageSlot, provider: str, model: str | None, data: bytes, computer_use: ComputerUse | None,
        asked: AskedAhead | None,
    ) -> Processed:
        limit = self.config.limits.max_payload_bytes
        if len(data) > limit:
            return Processed(None, ImageResult(
                index=slot.index, technique=Technique.PRESERVE, original_tokens=0, compressed_tokens=0,
                confidence=1.0, original_bytes=len(data), compressed_bytes=len(data), decided_by=OVER_LIMIT,
                reason=f"image payload of {len(data)} bytes is over the per-image limit of {limit} bytes: "
                       "passed through untouched",
                error=f"ImageTooLarge: {len(data)} > {limit} bytes", signals={"limit_bytes": limit},
            ))
        info = probe_image(data, self.config.limits)
        image = SharedSource(data=data, info=info, config=self.config)
        ctx = TechniqueContext(provider, model, slot.detail, slot.media_resolution, self.config, ocr=self.ocr)
        original_tokens = ctx.tokens(image.size)

        if info.animated:
            outcome = untouched(image, ctx, "animated image: passed through untouched (frames would be lost)")
            return self._finish(slot, image, original_tokens, outcome, 1.0, "skip", {})

        if computer_use is not None:
            return self._decide_and_apply(slot, image, ctx, original_tokens, keep_geometry(computer_use), None)
        if asked is not None:
            speculated = self._look_meanwhile(image, ctx, asked)
            return self._decide_and_apply(slot, image, ctx, original_tokens, None, None, asked.result(), speculated)
        early = self._start_early(image, ctx)
        try:
            return self._decide_and_apply(slot, image, ctx, original_tokens, None, early)
        finally:
            if early is not None:
                early.abandon()

    def _start_early(self, image: SharedSource, ctx: TechniqueContext) -> EarlyWork | None:
        """The helper's job for this image (:mod:`headroom_edge.overlap`), when there is a helper
        and the image is small enough for speculative work to pay."""
        if self.overlap is None or not decodes_early(image.size):
            return None
        return EarlyWork.start(self.overlap, image, ctx)

    @staticmethod
    def _look_meanwhile(image: SharedSource, ctx: TechniqueContext, asked: AskedAhead) -> Speculated | None:
        """While the helper routes a JPEG's question: take the quick look (a draft decode at about
        the low-detail size, and the graphic statistics) that every FULL_LOW or TRANSCODE decision
        starts from, and the low-detail rewrite reuses. Skipped when the answer is already in and
        needs no look, when the technique cannot use it, or when the image is too large for a
        speculative decode to pay (``overlap.decodes_early``). Speculative: an error is left to
        whoever needs the pixels.

        If the router is still running after the look and the image is a photo, this thread would
        only wait: it encodes the FULL_LOW rewrite meanwhile (returned; the decision uses it only
        if it is FULL_LOW for exactly that context, see :meth:`Speculated.outcome_for`). The
        encode holds the GIL, so the router's last Python steps may wait for it: at worst the
        request pays the encode it would have paid anyway, or, for another answer, one wasted
        encode of the low-detail size (~1 ms at 512 px)."""
        if not decodes_early(image.size):
            return None
        if Technique.FULL_LOW not in ctx.config.techniques and Technique.TRANSCODE not in ctx.config.techniques:
            return None
        known = asked.peek()
        if known is not None and known.technique not in (Technique.FULL_LOW, Technique.TRANSCODE):
            return None
        try:
            graphic = quick_look(image)[1].is_graphic
            if graphic or known is not None or asked.peek() is not None or not speculation_worth_it(image, ctx):
                return None
            return speculate_full_low(image, ctx)
        except Exception:  # noqa: BLE001 - the decision or technique that needs the pixels meets it
            return None

    def _decide_and_apply(
        self, slot: ImageSlot, image: SharedSource, ctx: TechniqueContext, original_tokens: int,
        decision: Decision | None, early: EarlyWork | None, asked: Decision | None = None,
        speculated: Speculated | None = None,
    ) -> Processed:
        """Decide (unless ``decision`` is given: computer use decides before any question; or
        finish from ``asked``, the question step the helper already ran), then apply the
        technique; a FULL_LOW already prepared for exactly this context (by the helper, ``early``,
        or by this thread while the router ran, ``speculated``) is taken instead of being computed
        a second time.

        The decision runs on this thread, so a PRESERVE answer returns as soon as the router does;
        the helper's unused work finishes off this request's path.
        """
        if decision is None and asked is not None and self._asker is not None:
            decision = self._asker.decide(slot.question, image, ctx, asked=asked)
        elif decision is None:
            decision = self.decider.decide(slot.question, image, ctx)
        technique = decision.technique
        if technique not in self.config.techniques:
            outcome = untouched(image, ctx, f"{technique.value} is disabled by configuration")
        else:
            graphic = decision.signals.get("graphic")
            content = "auto" if graphic is None else ("graphic" if graphic else "photo")
            ctx = replace(ctx, region=decision.region, content=content, legible_px=decision.legible_px)
            prepared = None
            if technique is Technique.FULL_LOW and early is not None:
                prepared = early.full_low_for(ctx)
            elif technique is Technique.FULL_LOW and speculated is not None:
                prepared = speculated.outcome_for(ctx)
            outcome = prepared if prepared is not None else apply_technique(technique, image, ctx)
            if outcome.technique is not Technique.PRESERVE and not _worth_it(outcome, original_tokens):
                costly = {"ocr_skipped": "tokens"} if technique is Technique.TRANSCODE else {}
                outcome = untouched(
                    image, ctx, f"{technique.value} would not save tokens ({outcome.tokens} >= {original_tokens})",
                    **{**outcome.signals, **costly},
                )
            if technique is Technique.TRANSCODE and outcome.technique is Technique.PRESERVE:
                outcome = self._fit_instead(image, ctx, outcome, original_tokens)
        outcome = replace(outcome, reason=f"{decision.reason}; {outcome.reason}")
        return self._finish(slot, image, original_tokens, outcome, decision.confidence, decision.decided_by,
                            {**decision.signals, **outcome.signals})

    def _fit_instead(self, image: SharedSource, ctx: TechniqueContext, kept: Outcome, original_tokens: int) -> Outcome:
        """A transcode whose text costs as much as the image (``kept`` says so with
        ``ocr_skipped="tokens"``) becomes FIT when a cheaper size keeps every measured line
        legible (``config.transcode_falls_back_to_fit``); otherwise ``kept`` stands."""
        if kept.signals.get("ocr_skipped") != "tokens" or not self.config.transcode_falls_back_to_fit \
                or Technique.FIT not in self.config.techniques:
            return kept
        fitted = apply_technique(Technique.FIT, image, replace(ctx, every_line=True))
        if fitted.technique is not Technique.FIT or not _worth_it(fitted, original_tokens):
            return kept
        return replace(fitted, reason=f"{kept.reason}; instead every line kept legible: {fitted.reason}",
                       signals={**kept.signals, **fitted.signals})

    def _finish(
        self, slot: ImageSlot, image: SourceImage, original_tokens: int, outcome: Outcome,
        confidence: float, decided_by: DecidedBy, signals: dict[str, object],
    ) -> Processed:
        result = ImageResult(
            index=slot.index,
            technique=outcome.technique,
            original_tokens=original_tokens,
            compressed_tokens=outcome.tokens,
            confidence=round(float(confidence), 4),
            reason=outcome.reason,
            original_bytes=len(image.data),
            compressed_bytes=outcome.nbytes,
            original_size=image.size,
            compressed_size=outcome.size,
            media_type=outcome.media_type,
            decided_by=decided_by,
            signals=signals,
        )
        return Processed(outcome.edit, result)


def _fetched_note(fetched: FetchedImage) -> str:
    via = f" after {fetched.redirects} redirect(s)" if fetched.redirects else ""
    return f"fetched {len(fetched.data)} bytes from {fetched.host}{via}"
