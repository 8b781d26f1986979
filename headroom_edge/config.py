"""One settings object for everything the compression core decides with.

Being a frozen dataclass it can be hashed into cache keys: a decision is a pure function of
(image bytes, question, provider, model, config), which keeps rewritten bytes stable turn after
turn and the provider's prompt cache valid.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from headroom_edge.catalog import ModelCatalog, load_catalog
from headroom_edge.technique import Technique


@dataclass(frozen=True)
class ImageLimits:
    """Bounds that protect the process from hostile or accidental huge inputs."""

    max_payload_bytes: int = 32 * 1024 * 1024
    """Largest decoded image payload we will touch; bigger ones pass through untouched."""
    max_pixels: int = 80_000_000
    """Decompression-bomb guard: images declaring more pixels are not decoded."""
    max_side: int = 30_000


@dataclass(frozen=True)
class CompressionConfig:
    """Knobs of the compression core. Defaults are the safe, documented behaviour."""

    techniques: frozenset[Technique] = frozenset(Technique)
    """Techniques the compressor may apply; a disabled one falls back to PRESERVE."""
    transcode_keep_thumbnail: bool = True
    """Keep a low-detail thumbnail next to the OCR text. On by default: OCR text alone loses
    layout (tables, forms, reading order), and the thumbnail costs only the low-detail price."""
    min_ocr_confidence: float = 0.80
    """Mean recognition confidence below which transcode falls back to preserve."""
    min_ocr_chars: int = 2
    """Fewer recognised characters than this means 'no real text': transcode falls back.
    Kept low on purpose: a sign reading "EXIT" or "24" is real text; confidence is the guard."""
    ocr_budget_s: float | None = None
    """Longest a transcode's recognition may take (seconds); a page estimated slower (its line
    columns x the engine's measured rate) keeps its image at once instead of running OCR. None:
    only the job's own deadline (the proxy's ``--time-budget``) bounds it."""
    jpeg_quality: int = 85
    transcode_falls_back_to_fit: bool = True
    """A transcode whose text would cost as much as the image (OCR skipped after detection, or
    the transcript plus thumbnail no cheaper) sends FIT instead of the untouched original when a
    cheaper size keeps every measured line legible (``fitplan.every_line_bar``): the question
    reads the text, and legible text is what FIT keeps. Not after a skip for time: a request in
    a hurry takes the untouched path at once."""
    fit_preserve_questions: bool = False
    """Opt-in: a question that asked for the untouched image (fine detail, or a router unsure of
    it) on a page, chart or screenshot with measured text gets FIT instead when a cheaper size
    keeps every measured line legible (``fitplan.every_line_bar``, policy row 6). Off by default
    because the quality benchmark measured it harmful on screenshots: Tesseract recall 0.25-0.75
    on 4 of 160 screenshot runs (2026-12-01), and again 0.25-0.53 on 4 runs after the bar moved
    from the low percentile to the smallest line. Those fits resample a screenshot by 0.95-0.96
    for a 2-33% saving, and its 8-11 px UI figures do not survive the resampling. Photos,
    computer-use screenshots and images without measured text are untouched either way."""
    crop_zoom: float = 1.0
    """How much more detail than the whole image gave a crop may buy (>= 1). 1.0 sends the named
    region at the scale the provider's model saw it inside the full image (no loss, the cost
    follows the region's area); 2.0 asks for twice that, capped at the region's native pixels
    (never upsampled) and at the original image's token cost (see ``techniques.crop``)."""
    limits: ImageLimits = field(default_factory=ImageLimits)
    patch_multipliers: tuple[tuple[str, float], ...] = ()
    """Overrides for OpenAI 32-px patch model multipliers, as (model prefix, multiplier) pairs
    (applied over :attr:`model_catalog`; see ``ModelCatalog.with_patch_multipliers``)."""
    model_catalog: ModelCatalog | str | os.PathLike[str] | None = None
    """A model catalog merged over the packaged one (a JSON file path, a dict in the same format,
    or a ``ModelCatalog``): new model names and billing families without a release. None uses
    the file named by ``HEADROOM_MODEL_CATALOG``, else the packaged table. A dict is turned into
    a ``ModelCatalog`` here, so the config stays hashable; a bad table or unreadable file fails at
    construction with a ``CatalogError``."""
    router_min_confidence: float | None = None
    """Below this router confidence the safe technique (preserve) is chosen; None uses the
    threshold calibrated on the held-out split at training time (models/router/metadata.json)."""
    router_harm_weight: float | None = None
    """How much more a harmful downgrade costs than the cost matrix says (> 0): the router picks
    the technique with the lowest expected cost, so higher is safer and saves less. None uses
    the operating point chosen on the calibration split (models/router/metadata.json); the
    curve to choose from is in README ("Operating curve")."""
    router_costs: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] | None = None
    """A whole cost matrix, ``((true, ((chosen, cost), ...)), ...)`` (tuples keep the config
    hashable); None uses the model's. ``router_harm_weight`` still scales its lossy entries."""
    cache_size: int = 512
    """Entries in the per-compressor decision cache (keyed by content hash)."""
    fetch_urls: bool = False
    """Fetch ``https`` image URLs, compress them and send them inline. Off by default: fetching
    makes this process open connections that clients choose (see headroom_edge.fetch for the
    SSRF guards). A URL that cannot be fetched is left untouched, with the reason recorded."""
    fetch_max_bytes: int = 20 * 1024 * 1024
    """Largest image body a fetch will download; larger ones are left as URLs."""
    fetch_timeout_s: float = 5.0
    """Time budget of one fetch, redirects included."""
    fetch_allowed_hosts: tuple[str, ...] = ()
    """Empty: any public host. Otherwise exact host names or ``.suffix`` entries (subdomains).
    The address checks apply to allow-listed hosts too."""

    def __post_init__(self) -> None:
        if isinstance(self.crop_zoom, bool) or not (isinstance(self.crop_zoom, (int, float)) and math.isfinite(self.crop_zoom) and self.crop_zoom >= 1.0):
            raise ValueError(f"crop_zoom must be a finite number >= 1.0, got {self.crop_zoom!r}")
        # Read the table now, so a bad file or dict fails where it is configured (proxy start-up)
        # and not in the middle of a request. Files are parsed once per version (load_catalog).
        if isinstance(self.model_catalog, Mapping):
            object.__setattr__(self, "model_catalog", load_catalog(self.model_catalog))
        elif self.model_catalog is not None:
            load_catalog(self.model_catalog)

    @cached_property
    def catalog(self) -> ModelCatalog:
        """The catalog requests are priced with: :attr:`model_catalog` (or the environment's or
        packaged one) with :attr:`patch_multipliers` applied. Built once per config."""
        return load_catalog(self.model_catalog).with_patch_multipliers(self.patch_multipliers or None)

    def with_changes(self, **changes: Any) -> CompressionConfig:
        return replace(self, **changes)
