"""TRANSCODE: send the image's text (offline OCR) instead of, or beside, its pixels.

By default a low-detail thumbnail stays next to the text (``transcode_keep_thumbnail``): OCR text
alone loses layout (tables, columns, forms), and the thumbnail costs only the low-detail price.
When OCR finds no confident text the image is preserved: a wrong transcript is worse than tokens.
"""

from __future__ import annotations

import math

from headroom_edge.formats.base import ImageEdit
from headroom_edge.imaging import resize_to
from headroom_edge.runtime.memory import release_free_memory
from headroom_edge.technique import Technique
from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext, untouched
from headroom_edge.techniques.full_low import apply_full_low
from headroom_edge.tokens import estimate_text_tokens

OCR_MAX_PIXELS = 2048 * 2048
"""Pages are OCRed at most at this many pixels. A budget by area rather than by side: a long
screenshot (1000 x 8000) keeps its text legible where a 2048 side limit would shrink it 4x."""
TEXT_HEADER = "[Text extracted from the image by OCR]"


def apply_transcode(source: SourceImage, ctx: TechniqueContext) -> Outcome:
    if ctx.ocr is None:
        return untouched(source, ctx, "transcode needs OCR, which is not available")
    from headroom_edge.ocr import OcrUnavailableError

    img = source.pixels()
    if img.width * img.height > OCR_MAX_PIXELS:
        scale = math.sqrt(OCR_MAX_PIXELS / (img.width * img.height))
        img = resize_to(img, max(1, int(img.width * scale)), max(1, int(img.height * scale)))
    try:
        ocr = ctx.ocr.read(img)
    except OcrUnavailableError as exc:
        return untouched(source, ctx, f"transcode needs OCR, which is not available ({exc})")
    finally:
        release_free_memory()  # OCR's page-sized buffers would otherwise stay resident
    text = ocr.text.strip()
    signals = {"ocr_chars": len(text), "ocr_confidence": round(ocr.mean_confidence, 4), "ocr_lines": len(ocr.lines)}
    if len(text) < ctx.config.min_ocr_chars or ocr.mean_confidence < ctx.config.min_ocr_confidence:
        return untouched(source, ctx, "OCR found no confident text: image kept", **signals)
    body = f"{TEXT_HEADER}\n{text}"
    text_tokens = estimate_text_tokens(body)
    if not ctx.config.transcode_keep_thumbnail:
        edit = ImageEdit(text=body, keep_image=False)
        return Outcome(Technique.TRANSCODE, edit, text_tokens, None, len(body.encode()), None,
                       "image replaced by its OCR text", signals)
    thumb = apply_full_low(source, ctx)
    base = thumb.edit or ImageEdit()
    edit = ImageEdit(data=base.data, media_type=base.media_type, detail=base.detail,
                     media_resolution=base.media_resolution, text=body, keep_image=True)
    return Outcome(
        Technique.TRANSCODE, edit, text_tokens + thumb.tokens, thumb.size, thumb.nbytes + len(body.encode()),
        thumb.media_type, "OCR text plus a low-detail thumbnail for layout", signals,
    )
