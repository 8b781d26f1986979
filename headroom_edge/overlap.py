"""The work one request splits between its own thread and the helper thread.

Why: the question router (a few ms of onnxruntime) sits on the path of every uncached image,
and on a two-core machine the second core idles meanwhile. Two arrangements, by image format:

* **A JPEG: the question goes to the helper** (:class:`AskedAhead`), and the request thread
  decodes. Its draft decode at about the low-detail size takes as long as the router, and what
  follows it (graphic statistics, the JPEG encode, base64) holds the GIL: Pillow's JPEG
  encoder does not release it. Run on the helper, that work stalled the request thread while the
  router was done, and the helper's start (a thread hand-off, ~0.5 ms) sat on the critical path;
  routed on the helper instead, the router only has to finish before the decode does. Measured
  (scripts/bench.py, 1024 px JPEG, full_low): 1.19x the bare Pillow floor before, see
  docs/benchmarks.md for after. The question is asked before the base64 is even decoded
  (:func:`looks_like_jpeg` reads the first characters), so the router has the most slack.
* **Anything else: the image goes to the helper** (:class:`EarlyWork`), while the request
  thread routes: a PNG's decode is the long part, and it releases the GIL throughout (a JPEG
  comes here too when the decider's question step is not worth a thread hop: the rules
  fallback). The helper does what the request will need right after the router returns:

  1. the quick copy every FULL_LOW/TRANSCODE analysis starts from (for a JPEG, a draft decode at
     about ``QUICK_SIDE``, which the low-detail rewrite reuses: the image is decoded only once);
  2. for a photo, the FULL_LOW rewrite itself, speculatively (:func:`prepare` says which images
     count). The request uses it only when the final decision is FULL_LOW with exactly the
     context it was made for, which makes it the very outcome the technique would compute there;
     any other decision drops it unsent.

The request thread never waits for work it cannot use: a job the helper has not started (it is
busy with another request) is cancelled and the request does the work itself, and a decision
other than FULL_LOW returns at once while the helper's leftovers finish off the request's path.
Every failure on the helper is dropped: whoever needs the result meets the error again.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from PIL import Image

from headroom_edge.analysis.signals import QUICK_SIDE, quick_look
from headroom_edge.context import SourceImage, TechniqueContext
from headroom_edge.imaging import fit_size
from headroom_edge.lowdetail import low_plan
from headroom_edge.technique import Technique
from headroom_edge.techniques.base import Outcome
from headroom_edge.techniques.full_low import apply_full_low

if TYPE_CHECKING:
    from headroom_edge.decision.base import Decision
    from headroom_edge.decision.decider import AsksFirst

JPEG_BASE64_PREFIX = "/9j/"
"""Standard base64 of the bytes every JPEG starts with (FF D8 FF)."""

EARLY_DECODE_MAX_PIXELS = 2_100_000
"""Sources up to this size (1920x1080 and below) are decoded early, beside the router. Beyond it a
decode costs several routers, so when the answer turns out not to need it (a preserve or crop
question on a 12 MP photo) the speculative work outweighs the 1-2 ms it could hide: measured
1.2x slower on the saturated 2-core VM (scripts/bench_overlap.py)."""


def decodes_early(size: tuple[int, int]) -> bool:
    """Whether a source of ``size`` is small enough to decode speculatively, before the answer
    says it is needed (:data:`EARLY_DECODE_MAX_PIXELS`), on either thread."""
    return size[0] * size[1] <= EARLY_DECODE_MAX_PIXELS


@dataclass(eq=False)
class SharedSource(SourceImage):
    """A :class:`SourceImage` whose pixels two threads may ask for: this request's thread and
    the helper's early decode (:meth:`decode_early`).

    A request the early decode will satisfy waits for it instead of decoding the same bytes a
    second time; any other request (a crop's or transcode's full-size pixels) does not wait for
    a speculative decode it cannot use. The lock guards the pixel cache, never the helper's decode.
    """

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _early: tuple[tuple[int, int], threading.Event] | None = None
    """(size being decoded early, set when it is stored or has failed) while the helper decodes."""

    def pixels(self, min_size: tuple[int, int] | None = None) -> Image.Image:
        while True:
            with self._lock:
                early = self._early
                if early is None or min_size is None or min_size[0] > early[0][0] or min_size[1] > early[0][1]:
                    return super().pixels(min_size)
            early[1].wait()

    def decode_early(self, size: tuple[int, int]) -> bool:
        """Decode at ``size`` (outside the lock) and keep it, unless pixels were decoded already.
        True when this call stored the decode. Speculative, so errors are dropped: whoever needs
        the pixels decodes and meets them."""
        done = threading.Event()
        with self._lock:
            if self._decoded:
                return False
            self._early = (size, done)
        try:
            img = SourceImage(data=self.data, info=self.info, config=self.config).pixels(min_size=size)
        except Exception:
            img = None
        with self._lock:
            if img is not None:
                self._decoded.setdefault(size, img)
            self._early = None
        done.set()
        return img is not None


@dataclass(frozen=True)
class Speculated:
    """A FULL_LOW outcome computed ahead of the decision, and the context it was computed for."""

    ctx: TechniqueContext
    outcome: Outcome

    def outcome_for(self, ctx: TechniqueContext) -> Outcome | None:
        """The outcome if it was made for exactly ``ctx`` (the decision's final context), else None."""
        return self.outcome if self.ctx == ctx else None


def speculate_full_low(image: SourceImage, ctx: TechniqueContext) -> Speculated:
    """The FULL_LOW rewrite of ``image`` as a photo, the context its analysis would give it."""
    photo = replace(ctx, content="photo")
    return Speculated(photo, apply_full_low(image, photo))


def speculation_worth_it(image: SourceImage, ctx: TechniqueContext) -> bool:
    """Whether a speculative FULL_LOW rewrite may hide work: FULL_LOW is enabled and the pixels
    would change (an image already within the low-detail size is only re-labelled, in
    microseconds). Size is bounded by :data:`EARLY_DECODE_MAX_PIXELS` before this is asked."""
    if Technique.FULL_LOW not in ctx.config.techniques:
        return False
    return low_plan(ctx.family, image.size)[0] != image.size


def prepare(image: SharedSource, ctx: TechniqueContext, speculate: bool, abandoned: threading.Event) -> Speculated | None:
    """The helper's job (see the module docstring); the speculative outcome, or None.

    It stops at the first step someone else already did (the request decoded first: the helper
    started late) or that the request no longer wants (``abandoned``: the decision was not
    FULL_LOW). A JPEG is encoded as a photo at once, because nearly every JPEG is one: the
    request thread measures the graphic statistics itself once the router is done (it has
    nothing else to do then), and a JPEG that turns out to be a graphic only wastes this one
    encode. Other formats are speculated on only when their statistics say photo: graphics
    may still be kept by their analysis, and their lossless encode is the expensive one.
    """
    if not image.decode_early(fit_size(*image.size, QUICK_SIDE, QUICK_SIDE)) or not speculate:
        return None
    try:
        if image.info.format != "JPEG" and (abandoned.is_set() or quick_look(image)[1].is_graphic):
            return None
        if abandoned.is_set():
            return None
        return speculate_full_low(image, ctx)
    except Exception:  # speculative: the request computes (and meets) it itself
        return None


@dataclass(eq=False)
class EarlyWork:
    """One image's helper job, as the request thread holds it."""

    future: Future[Speculated | None]
    abandoned: threading.Event

    @classmethod
    def start(cls, executor: Executor, image: SharedSource, ctx: TechniqueContext) -> EarlyWork:
        abandoned = threading.Event()
        speculate = speculation_worth_it(image, ctx)
        return cls(executor.submit(prepare, image, ctx, speculate, abandoned), abandoned)

    def full_low_for(self, ctx: TechniqueContext) -> Outcome | None:
        """The speculative FULL_LOW outcome if it was made for exactly ``ctx``, else None.

        Waits only for a job the helper is running (its rewrite is then nearly done); a job
        still queued is cancelled, and the caller computes the outcome itself.
        """
        if self.future.cancel():
            return None
        try:
            spec = self.future.result()
        except Exception:  # noqa: BLE001 - prepare() catches its own; nothing else may leak here
            return None
        return spec.outcome_for(ctx) if spec is not None else None

    def abandon(self) -> None:
        """The request is done with this job: skip what has not started."""
        self.abandoned.set()
        self.future.cancel()


def looks_like_jpeg(data: str | bytes) -> bool:
    """Whether an image payload (base64 text, or the bytes themselves) starts like a JPEG; a
    guess for scheduling only (a wrong one costs a little overlap, never a wrong result)."""
    if isinstance(data, str):
        return data.startswith(JPEG_BASE64_PREFIX)
    return data[:3] == b"\xff\xd8\xff"


@dataclass(eq=False)
class AskedAhead:
    """The question-only step of a decision (:class:`~headroom_edge.decision.decider.AsksFirst`),
    running on the helper while the request thread works on the image."""

    future: Future[Decision | None]

    @classmethod
    def start(cls, executor: Executor, decider: AsksFirst, question: str) -> AskedAhead:
        return cls(executor.submit(decider.ask, question))

    def peek(self) -> Decision | None:
        """The answer if it is already there (never waits), else None."""
        if not self.future.done() or self.future.cancelled() or self.future.exception() is not None:
            return None
        return self.future.result()

    def result(self) -> Decision | None:
        """The answer, waiting for a helper that is computing it. None when the helper had not
        started (the job is cancelled: the caller asks on its own thread instead of queueing
        behind another request) or failed (the caller's own attempt meets the error)."""
        if self.future.cancel():
            return None
        try:
            return self.future.result()
        except Exception:  # noqa: BLE001 - the inline decision raises it where it is handled
            return None

    def abandon(self) -> None:
        """The request no longer needs the answer: skip it if it has not started."""
        self.future.cancel()


__all__ = [
    "EARLY_DECODE_MAX_PIXELS", "AskedAhead", "EarlyWork", "SharedSource", "Speculated", "decodes_early",
    "looks_like_jpeg", "prepare", "speculate_full_low", "speculation_worth_it",
]
