"""Pages with known text for the OCR benchmark, and the geometry-matched error rates that score them.

Why real text: OCR accuracy depends on the word shapes and punctuation of real prose, file names
and version strings, so every page is set from Debian's own READMEs, changelogs and man pages
under ``/usr/share`` (printable ASCII only, the characters both engines' English models cover).

Why geometry-matched scoring: a multi-column page or a table has no single reading order both
engines agree on (Tesseract reads column by column, PP-OCR's line grouping reads across). Every
piece of recognised text (a PP-OCR segment, a Tesseract word) is assigned to the drawn line whose
box holds its centre; per drawn line the pieces are joined left to right and compared with the
truth by edit distance. Pieces that land on no drawn line count as inserted characters. So the
error rates measure what was read, not which reading order an engine prefers.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from scripts.lib.stats import edit_distance

PAGE_SIZE = (1240, 1754)
"""A4 at 150 dpi, the size of the issue's slow page."""
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_TROFF = re.compile(r"\\f[BIRP]|\\[(][a-z]{2}|\\-|\\&|\\e|\\\*\[[^]]*\]|\\s[+-]?\d")

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Page:
    """A rendered page and every line of text drawn on it (its box: x0, y0, x1, y1 exclusive)."""

    name: str
    image: Image.Image
    lines: tuple[tuple[str, Box], ...]

    @property
    def text(self) -> str:
        return "\n".join(text for text, _ in self.lines)


@dataclass(frozen=True)
class Piece:
    """One piece of recognised text and where the engine found it."""

    text: str
    box: tuple[float, float, float, float]


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    if name == "noto":
        return ImageFont.truetype(str(NOTO_CJK), size)
    return ImageFont.truetype(str(DEJAVU / f"{name}.ttf"), size)


def _clean(text: str) -> list[str]:
    text = _TROFF.sub("", text)
    words = []
    for word in text.split():
        if word.startswith(".") and len(word) <= 4:  # troff requests such as .TH .SH .B
            continue
        if word.isascii() and word.isprintable() and any(c.isalnum() for c in word):
            words.append(word.strip("\\"))
    return [w for w in words if w]


def _read(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            return fh.read()
    return path.read_text(encoding="utf-8", errors="replace")


def source_words(kind: str, minimum: int = 3000) -> list[str]:
    """Words of real Debian documentation: ``readme``, ``changelog`` or ``man`` files, in a
    fixed (sorted) order so every run renders the same pages."""
    patterns = {
        "readme": ["/usr/share/doc/*/README*"],
        "changelog": ["/usr/share/doc/*/changelog.Debian.gz", "/usr/share/doc/*/changelog.gz"],
        "man": ["/usr/share/man/man1/*.1.gz", "/usr/share/man/man8/*.8.gz"],
    }[kind]
    words: list[str] = []
    for pattern in patterns:
        for path in sorted(Path("/").glob(pattern.lstrip("/"))):
            if not path.is_file():
                continue
            try:
                words += _clean(_read(path))
            except OSError:
                continue
            if len(words) >= minimum:
                return words
    if not words:
        raise RuntimeError(f"no {kind} text found under /usr/share (patterns {patterns})")
    return words


def _wrap(words: Iterator[str], fnt: ImageFont.FreeTypeFont, width: int) -> Iterator[str]:
    line = ""
    for word in words:
        trial = f"{line} {word}".strip()
        if line and fnt.getlength(trial) > width:
            yield line
            line = word
        else:
            line = trial
    if line:
        yield line


class _Canvas:
    def __init__(self, name: str, background: str = "white") -> None:
        self.name = name
        self.image = Image.new("RGB", PAGE_SIZE, background)
        self.draw = ImageDraw.Draw(self.image)
        self.lines: list[tuple[str, Box]] = []

    def text(self, xy: tuple[int, int], text: str, fnt: ImageFont.FreeTypeFont, fill: str = "black") -> None:
        self.draw.text(xy, text, font=fnt, fill=fill)
        box = tuple(int(v) for v in self.draw.textbbox(xy, text, font=fnt))
        self.lines.append((text, box))  # type: ignore[arg-type]

    def column(self, words: Iterator[str], fnt: ImageFont.FreeTypeFont, x: int, y: int, width: int,
               bottom: int, spacing: float = 1.45) -> int:
        step = int(fnt.size * spacing)
        for line in _wrap(words, fnt, width):
            if y + step > bottom:
                break
            self.text((x, y), line, fnt)
            y += step
        return y

    def page(self) -> Page:
        return Page(self.name, self.image, tuple(self.lines))


def prose(name: str, words: Sequence[str], face: str, size: int, columns: int = 1,
          heading: int = 0) -> Page:
    """Running text in one or more columns, optionally under a heading of ``heading`` px."""
    canvas = _Canvas(name)
    it = iter(words)
    top = 90
    if heading:
        canvas.text((90, top), " ".join(next(it) for _ in range(5)), font("DejaVuSans-Bold", heading))
        top += int(heading * 2.2)
    gutter = 40
    width = (PAGE_SIZE[0] - 180 - gutter * (columns - 1)) // columns
    for c in range(columns):
        canvas.column(it, font(face, size), 90 + c * (width + gutter), top, width, PAGE_SIZE[1] - 90)
    return canvas.page()


def table(name: str, words: Sequence[str], size: int) -> Page:
    """A ruled table: a header row and rows of four cells (version, date, package, summary)."""
    canvas = _Canvas(name)
    fnt, bold = font("DejaVuSans", size), font("DejaVuSans-Bold", size)
    widths = (170, 170, 250, 470)
    x0, y, row_h = 90, 90, int(size * 2.3)
    headers = ("Version", "Date", "Package", "Summary")
    it = iter(words)
    row = 0
    while y + row_h < PAGE_SIZE[1] - 90:
        x = x0
        for c, w in enumerate(widths):
            if row == 0:
                cell, f = headers[c], bold
            elif c == 0:
                cell, f = f"{row // 7 + 1}.{row % 7}.{(row * 3) % 10}-{row % 4 + 1}", fnt
            elif c == 1:
                cell, f = f"2024-{row % 12 + 1:02d}-{(row * 5) % 28 + 1:02d}", fnt
            else:
                cell = next(_wrap(it, fnt, w - 20), "")
                f = fnt
            canvas.text((x + 10, y + (row_h - size) // 2 - 2), cell, f)
            x += w
        canvas.draw.line((x0, y + row_h, x, y + row_h), fill=(120, 120, 120))
        y += row_h
        row += 1
    x = x0
    for w in (0, *widths):
        x += w
        canvas.draw.line((x, 90, x, y), fill=(120, 120, 120))
    return canvas.page()


def screenshot(name: str, words: Sequence[str]) -> Page:
    """A UI-like page: dark top bar with light text, a grey sidebar, headings, body text, buttons."""
    canvas = _Canvas(name, background="#f7f7f7")
    draw, it = canvas.draw, iter(words)
    draw.rectangle((0, 0, PAGE_SIZE[0], 64), fill="#24292f")
    x = 30
    for item in ("Dashboard", "Packages", "Changelog", "Settings", "Help"):
        canvas.text((x, 22), item, font("DejaVuSans", 15), fill="#f0f0f0")
        x += 150
    draw.rectangle((0, 64, 260, PAGE_SIZE[1]), fill="#e4e6e9")
    y = 100
    for _ in range(24):
        canvas.text((24, y), " ".join(next(it) for _ in range(2))[:24], font("DejaVuSans", 14))
        y += 40
    y = 100
    for _ in range(3):
        canvas.text((300, y), " ".join(next(it) for _ in range(4)), font("DejaVuSans-Bold", 22))
        y = canvas.column(it, font("DejaVuSans", 13), 300, y + 44, 880, y + 380) + 12
        bx = 300
        for label in ("Install", "Remove", "Details"):
            draw.rounded_rectangle((bx, y, bx + 130, y + 40), radius=6, fill="#0969da")
            canvas.text((bx + 22, y + 11), label, font("DejaVuSans", 14), fill="white")
            bx += 150
        y += 80
    return canvas.page()


def default_pages() -> list[Page]:
    """The benchmark's pages: prose 10-28 px in four faces, two and three columns, a table and a
    screenshot-like page; every one 1240 x 1754."""
    readme, changelog, man = source_words("readme"), source_words("changelog"), source_words("man")
    return [
        prose("readme-sans-12", readme, "DejaVuSans", 12, heading=28),
        prose("readme-serif-16", readme[900:], "DejaVuSerif", 16, heading=24),
        prose("man-2col-11", man, "DejaVuSans", 11, columns=2, heading=20),
        prose("man-3col-10", man[1500:], "DejaVuSerif", 10, columns=3),
        prose("changelog-mono-13", changelog, "DejaVuSansMono", 13),
        prose("readme-noto-20", readme[2000:], "noto", 20, heading=28),
        prose("changelog-sans-28", changelog[1500:], "DejaVuSans", 28),
        table("changelog-table-14", changelog[500:], 14),
        screenshot("ui-screenshot", readme[1200:]),
    ]


# --- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """Character and word error rates of one engine on one page (geometry-matched)."""

    cer: float
    wer: float
    chars: int
    words: int

    def to_dict(self) -> dict[str, float | int]:
        return {"cer": round(self.cer, 5), "wer": round(self.wer, 5), "chars": self.chars, "words": self.words}


def _owner(piece: Piece, boxes: Sequence[Box]) -> int | None:
    cx, cy = (piece.box[0] + piece.box[2]) / 2, (piece.box[1] + piece.box[3]) / 2
    best, best_d = None, None
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        pad = max(4.0, 0.35 * (y1 - y0))  # ink boxes are tight; a recognised box is looser
        if x0 - pad <= cx <= x1 + pad and y0 - pad <= cy <= y1 + pad:
            d = abs(cy - (y0 + y1) / 2)
            if best_d is None or d < best_d:
                best, best_d = i, d
    return best


def score(page: Page, pieces: Sequence[Piece]) -> Score:
    """CER and WER of ``pieces`` against the page's drawn lines (see the module docstring)."""
    boxes = [box for _, box in page.lines]
    assigned: list[list[Piece]] = [[] for _ in boxes]
    inserted_chars = inserted_words = 0
    for piece in pieces:
        if not piece.text.strip():
            continue
        owner = _owner(piece, boxes)
        if owner is None:
            inserted_chars += len(piece.text.strip())
            inserted_words += len(piece.text.split())
        else:
            assigned[owner].append(piece)
    char_errors, word_errors, chars, words = inserted_chars, inserted_words, 0, 0
    for (truth, _), got in zip(page.lines, assigned, strict=True):
        read = " ".join(p.text for p in sorted(got, key=lambda p: p.box[0]))
        want, have = " ".join(truth.split()), " ".join(read.split())
        char_errors += edit_distance(want, have)
        word_errors += edit_distance(want.split(), have.split())
        chars += len(want)
        words += len(want.split())
    return Score(char_errors / max(1, chars), word_errors / max(1, words), chars, words)
