"""Images whose text size is known: pages, a table and a chart rendered with real fonts and real
text from Debian's /usr/share/doc, and headless-Chromium screenshots of HTML at set CSS sizes.

Why here and not in ``tests/factories.py``: these exist to check one measurement (the text size
analysis reports) against the truth, so each renderer also returns that truth, the cap height
of the font at the size it drew with (read from the font itself, ``getbbox("H")``).
"""

from __future__ import annotations

import gzip
import html
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
DEJAVU_MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DOC_TEXTS = (
    Path("/usr/share/doc/apt/README.md.gz"),
    Path("/usr/share/doc/bash/README.gz"),
    Path("/usr/share/doc/base-files/README"),
)
FONT_SIZES = (8, 10, 12, 14, 16, 20, 24, 32, 40)
"""The font sizes (px, the em a renderer is asked for) issue 12 asks the measurement to meet."""
CHROMIUM = shutil.which("chromium")
DEBIAN_REFERENCE = Path("/usr/share/doc/debian-reference-en/docs/index.en.html")


@dataclass(frozen=True)
class Rendered:
    """An image and the cap height (px) of its smallest text, as drawn."""

    image: Image.Image
    cap_px: float
    font_px: int


@cache
def doc_text(index: int = 0) -> str:
    """Plain prose from an installed package's README (real text, not lorem ipsum)."""
    path = DOC_TEXTS[index % len(DOC_TEXTS)]
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    words = [w for w in raw.decode("utf-8", "replace").split() if w.isprintable()]
    return " ".join(words)


def font(size: int, path: Path = DEJAVU) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def cap_height(size: int, path: Path = DEJAVU) -> float:
    """The height of a capital H at ``size`` px in the font at ``path``: the measured quantity."""
    left, top, right, bottom = font(size, path).getbbox("H")
    return float(bottom - top)


def _wrap(draw: ImageDraw.ImageDraw, words: list[str], fnt: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, line = [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if line and draw.textlength(trial, font=fnt) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    if line:
        lines.append(line)
    return lines


def text_page(size: int, *, path: Path = DEJAVU, width: int = 1240, height: int = 1754, text: int = 0) -> Rendered:
    """A white page of wrapped prose at one font size, line spacing 1.3 em (a typical body)."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    fnt = font(size, path)
    margin = max(40, width // 16)
    y = margin
    for line in _wrap(draw, doc_text(text).split(), fnt, width - 2 * margin):
        if y + size * 1.3 > height - margin:
            break
        draw.text((margin, y), line, fill="black", font=fnt)
        y += round(size * 1.3)
    return Rendered(img, cap_height(size, path), size)


def table(cell_px: int = 12, title_px: int = 32, *, width: int = 1240, height: int = 900) -> Rendered:
    """A ruled table of small text under a large title (the case measured as 22 px for 12 px)."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    draw.text((60, 40), "Package sizes by section", fill="black", font=font(title_px))
    words = doc_text(1).split()
    cell = font(cell_px)
    cols, row_h = 5, round(cell_px * 2.0)
    top, left, col_w = 60 + title_px * 2, 60, (width - 120) // 5
    rows = (height - top - 40) // row_h
    for r in range(rows + 1):
        draw.line((left, top + r * row_h, left + cols * col_w, top + r * row_h), fill="black", width=1)
    for c in range(cols + 1):
        draw.line((left + c * col_w, top, left + c * col_w, top + rows * row_h), fill="black", width=1)
    for r in range(rows):
        for c in range(cols):
            word = words[(r * cols + c) % len(words)][:14]
            label = f"{word} {r * 7 + c}" if c else word
            draw.text((left + c * col_w + 6, top + r * row_h + (row_h - cell_px) // 2 - 1), label,
                      fill="black", font=cell)
    return Rendered(img, cap_height(cell_px), cell_px)


def chart(tick_px: int = 11, *, dpi: int = 100) -> Rendered:
    """A matplotlib line chart of real numbers (the word counts of Debian READMEs' paragraphs)
    with tick labels at ``tick_px`` and a much larger title (the chart measured as 164 px)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.font_manager import FontProperties

    lengths = [len(p.split()) for p in doc_text(0).split(". ")][:40]
    points = tick_px * 72.0 / dpi  # matplotlib sizes text in points; px = pt * dpi / 72
    prop = FontProperties(fname=str(DEJAVU))
    fig, ax = plt.subplots(figsize=(12.8, 8.0), dpi=dpi)
    ax.plot(range(len(lengths)), lengths, marker="o")
    ax.set_title("Words per sentence, apt README", fontproperties=prop, fontsize=points * 2.6)
    ax.set_xlabel("sentence", fontproperties=prop, fontsize=points * 1.4)
    ax.set_ylabel("words", fontproperties=prop, fontsize=points * 1.4)
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontproperties(prop)
        label.set_fontsize(points)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    buf.seek(0)
    return Rendered(Image.open(buf).convert("RGB"), cap_height(tick_px), tick_px)


def cjk_page(size: int, *, width: int = 1240, height: int = 900) -> Rendered:
    """Chinese prose (the Universal Declaration's first article) at one size, Noto Sans CJK."""
    text = "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。" * 12
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    fnt = font(size, NOTO_CJK)
    per_line = max(1, int((width - 120) // (size * 1.05)))
    y = 60
    for start in range(0, len(text), per_line):
        if y + size * 1.5 > height - 60:
            break
        draw.text((60, y), text[start:start + per_line], fill="black", font=fnt)
        y += round(size * 1.5)
    # what a reader calls the size of CJK text: the height of a full ideograph
    left, top, right, bottom = fnt.getbbox("国")
    return Rendered(img, float(bottom - top), size)


def screenshot_html(url: str, out: Path, *, width: int = 1280, height: int = 900) -> Image.Image:
    """A real headless-Chromium screenshot (device scale 1, so CSS px are image px)."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--force-device-scale-factor=1",
             f"--window-size={width},{height}", f"--screenshot={out}", url],
            check=True, capture_output=True, timeout=120,
        )
    img = Image.open(out)
    img.load()
    return img.convert("RGB")


def html_page(size: int, folder: Path) -> Rendered:
    """A browser page of README prose in DejaVu Sans at ``size`` CSS px, under a 2x heading."""
    body = html.escape(doc_text(2))
    page = folder / f"page{size}.html"
    page.write_text(
        "<html><head><style>"
        f"body{{font-family:'DejaVu Sans';font-size:{size}px;line-height:1.35;margin:40px;background:#fff}}"
        f"h1{{font-size:{size * 2}px}}</style></head>"
        f"<body><h1>base-files FAQ</h1><p>{body}</p></body></html>",
        encoding="utf-8",
    )
    img = screenshot_html(page.as_uri(), folder / f"page{size}.png")
    return Rendered(img, cap_height(size), size)
