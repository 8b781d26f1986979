"""The ``headroom-edge compress --preview OUT.html`` page: each image beside what the model sees.

One self-contained HTML file for a person to open locally: images are embedded as data URIs
(small JPEG/PNG renderings, never written to a log), every text is escaped, and a Content
Security Policy forbids anything outside the file, so opening it fetches nothing.

The geometry is fixed (:class:`PageLayout`): every image gets a section of the same height with
the original in the left frame and the model's view in the right one, so a test can find them
in a screenshot without parsing the page.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

from PIL import Image

from headroom_edge.imaging import fit_size, resize_to
from headroom_edge.preview import ImageView, SeenImage
from headroom_edge.results import CompressionResult

__all__ = ["PageLayout", "render_page"]

ORIGINAL_MAX_SIDE = 960
"""The original is embedded at most this large: the frame shows it at half that, and a page of
several full-size photos would be tens of megabytes."""
VIEW_PNG_MAX_PIXELS = 600_000
"""Model views up to this many pixels are embedded losslessly (PNG), larger ones as JPEG."""


@dataclass(frozen=True)
class PageLayout:
    """Pixel geometry of the page (CSS px), the same for every section."""

    pad: int = 16
    header_h: int = 72
    meta_h: int = 88
    frame_w: int = 480
    frame_h: int = 360
    gap: int = 24
    label_h: int = 40
    text_h: int = 120
    section_gap: int = 24

    @property
    def section_h(self) -> int:
        return self.meta_h + self.frame_h + self.label_h + self.text_h + self.section_gap

    def frame_box(self, index: int, pane: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) of frame ``pane`` (0 original, 1 model view) of section
        ``index``, in page px."""
        left = self.pad + pane * (self.frame_w + self.gap)
        top = self.pad + self.header_h + index * self.section_h + self.meta_h
        return left, top, left + self.frame_w, top + self.frame_h

    @property
    def page_w(self) -> int:
        return 2 * self.pad + 2 * self.frame_w + self.gap


def render_page(views: list[ImageView], result: CompressionResult, layout: PageLayout | None = None) -> str:
    """The whole HTML document for one compressed request."""
    lay = layout or PageLayout()
    total = (
        f"{result.original_tokens} \u2192 {result.compressed_tokens} image tokens "
        f"({result.savings_percent:.1f}% saved) \u00b7 provider {result.provider} \u00b7 "
        f"model {result.model or '-'} \u00b7 format {result.wire_format}"
    )
    sections = "\n".join(_section(view, lay) for view in views) or "<p>No images in this request.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>headroom-edge preview</title>
<style>{_css(lay)}</style></head>
<body>
<header><h1>headroom-edge: what the model sees</h1><p>{html.escape(total)}</p></header>
{sections}
</body></html>
"""


def _css(lay: PageLayout) -> str:
    return (
        f"body{{margin:0;padding:{lay.pad}px;width:{lay.page_w - 2 * lay.pad}px;background:#fff;color:#111;"
        "font:14px/1.35 'DejaVu Sans',sans-serif}"
        f"header{{height:{lay.header_h}px;overflow:hidden}}"
        "h1{font-size:22px;margin:0 0 6px 0}header p{margin:0}"
        f"section{{height:{lay.section_h}px;overflow:hidden}}"
        f".meta{{height:{lay.meta_h}px;overflow:hidden}}.meta p{{margin:0}}"
        f".pair{{display:flex;gap:{lay.gap}px}}.pane{{width:{lay.frame_w}px}}"
        f".frame{{width:{lay.frame_w}px;height:{lay.frame_h}px;background:#e8e8e8;display:flex;"
        "align-items:center;justify-content:center;overflow:hidden}"
        ".frame img{width:100%;height:100%;object-fit:contain;display:block}"
        f".label{{height:{lay.label_h}px;overflow:hidden;font-size:13px}}"
        f"pre{{height:{lay.text_h}px;margin:0;overflow:auto;background:#f6f6f6;font-size:12px;"
        "white-space:pre-wrap}pre:empty{background:none}"
    )


def _section(view: ImageView, lay: PageLayout) -> str:
    r = view.result
    sizes = _size(r.original_size) + " \u2192 " + _size(r.compressed_size)
    meta = (
        f"<p><b>image {r.index}</b>: <b>{html.escape(r.technique.value)}</b> \u00b7 tokens "
        f"{r.original_tokens} \u2192 {r.compressed_tokens} \u00b7 sent {html.escape(sizes)} \u00b7 "
        f"decided by {html.escape(r.decided_by)}</p>"
        f"<p>reason: {html.escape(r.reason)}</p>"
        + (f"<p>error: {html.escape(r.error)}</p>" if r.error else "")
    )
    left = _pane(view.original, ORIGINAL_MAX_SIDE, "original", original=True)
    right = _pane(view.compressed, None, "model sees (compressed)", original=False)
    text = html.escape(view.ocr_text) if view.ocr_text else ""
    return (
        f'<section><div class="meta">{meta}</div><div class="pair">{left}{right}</div>'
        f"<pre>{text}</pre></section>"
    )


def _pane(seen: SeenImage | None, max_side: int | None, title: str, *, original: bool) -> str:
    if seen is None:
        body, label = "<span>no image sent</span>", title
    else:
        img = seen.image
        label = f"{title}: sent {_size(seen.sent_size)}, model resolves {_size(seen.view_size)}"
        if original:
            label = f"{title}: {_size(seen.sent_size)}, model resolves {_size(seen.view_size)}"
        body = f'<img alt="{html.escape(title)}" src="{_data_uri(img, max_side)}">'
    return f'<div class="pane"><div class="frame">{body}</div><div class="label">{html.escape(label)}</div></div>'


def _data_uri(img: Image.Image, max_side: int | None) -> str:
    if max_side is not None and max(img.size) > max_side:
        img = resize_to(img, *fit_size(img.width, img.height, max_side, max_side))
    buf = io.BytesIO()
    if max_side is None and img.width * img.height <= VIEW_PNG_MAX_PIXELS:
        img.save(buf, "PNG", optimize=False)
        media = "image/png"
    else:
        img.convert("RGB").save(buf, "JPEG", quality=88)
        media = "image/jpeg"
    return f"data:{media};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def _size(size: tuple[int, int] | None) -> str:
    return f"{size[0]}x{size[1]}" if size else "-"
