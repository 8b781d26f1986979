"""The quality benchmark's images: real material found on a Debian machine, never drawn by us.

Four kinds, each from a source outside this project:

* ``photo``: Debian's ``mate-backgrounds`` photographs (``/usr/share/backgrounds/mate/nature``),
  sent as the JPEG files they are;
* ``document``: real READMEs, Debian changelogs and man pages under ``/usr/share``, rendered with
  Pillow and the DejaVu fonts at known pixel sizes (8-24 px) onto A4-like pages (1240 x 1754,
  plus a denser 300-dpi page and a smaller one); every rendered word is kept with its box, so the
  ground truth is exact;
* ``screenshot``: headless Chromium screenshots of the HTML Debian Reference
  (``debian-reference-en``) at common window sizes;
* ``chart``: matplotlib charts of data shipped on the machine (dpkg's package database,
  ``distro-info-data``'s release tables, the zoneinfo tree).

Everything is generated into a cache folder (default ``reports/quality/corpus``) with a manifest;
generation is deterministic (sorted inputs, fixed sizes, fixed seeds), so a re-run reuses it and
two machines with the same packages build the same pictures. Missing sources skip their item
with a note rather than failing the run.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

Kind = Literal["photo", "document", "screenshot", "chart"]
KINDS: tuple[Kind, ...] = ("photo", "document", "screenshot", "chart")
CORPUS_VERSION = 1
"""Bump when generation changes, so cached pictures from an older recipe are rebuilt."""

PHOTO_DIR = Path("/usr/share/backgrounds/mate/nature")
REFERENCE_DIR = Path("/usr/share/doc/debian-reference-en/docs")
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {"sans": "DejaVuSans.ttf", "serif": "DejaVuSerif.ttf", "mono": "DejaVuSansMono.ttf"}
A4 = (1240, 1754)
FOOTER_PX = 12


@dataclass(frozen=True)
class TruthWord:
    """A word known to be in the image: its text (normalised by the judge's rule), box as
    fractions (left, top, right, bottom) and the pixel size it was rendered at."""

    text: str
    box: tuple[float, float, float, float]
    px: int
    role: str = "body"
    """"body" or "footer" (the page's small footer line)."""


@dataclass(frozen=True)
class CorpusImage:
    name: str
    kind: Kind
    path: str
    media_type: str
    source: str
    """Where the material came from (a path under /usr/share, a package)."""
    size: tuple[int, int]
    words: tuple[TruthWord, ...] = ()
    """Rendered ground truth (documents only); other kinds take theirs from the judge."""
    text_px: int | None = None

    def data(self) -> bytes:
        return Path(self.path).read_bytes()


@dataclass(frozen=True)
class Spec:
    """One corpus item to build: ``build(out_path)`` writes the image and returns its words."""

    name: str
    kind: Kind
    suffix: str
    source: str
    build: Callable[[Path], tuple[tuple[TruthWord, ...], int | None]]
    available: bool = True
    note: str = ""


@dataclass
class Corpus:
    images: list[CorpusImage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def build_corpus(cache_dir: Path, names: set[str] | None = None) -> Corpus:
    """The corpus (or only ``names``), building what the cache does not hold yet."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = cache_dir / "manifest.json"
    manifest: dict[str, dict] = {}
    if manifest_path.exists():
        loaded = json.loads(manifest_path.read_text())
        if loaded.get("version") == CORPUS_VERSION:
            manifest = loaded["images"]
    corpus = Corpus()
    for spec in all_specs():
        if names is not None and spec.name not in names:
            continue
        if not spec.available:
            corpus.skipped.append(f"{spec.name}: {spec.note}")
            continue
        entry = manifest.get(spec.name)
        if entry is None or not Path(entry["path"]).exists():
            out = cache_dir / f"{spec.name}{spec.suffix}"
            try:
                words, text_px = spec.build(out)
            except (OSError, RuntimeError, subprocess.SubprocessError, ValueError) as exc:
                corpus.skipped.append(f"{spec.name}: {type(exc).__name__}: {exc}")
                continue
            with Image.open(out) as img:
                size = img.size
            media = {".jpg": "image/jpeg", ".png": "image/png"}[spec.suffix]
            entry = asdict(CorpusImage(spec.name, spec.kind, str(out), media, spec.source, size, words, text_px))
            manifest[spec.name] = entry
            manifest_path.write_text(json.dumps({"version": CORPUS_VERSION, "images": manifest}))
        corpus.images.append(_from_entry(entry))
    return corpus


def _from_entry(entry: dict) -> CorpusImage:
    words = tuple(TruthWord(w["text"], tuple(w["box"]), w["px"], w.get("role", "body")) for w in entry["words"])  # type: ignore[arg-type]
    return CorpusImage(entry["name"], entry["kind"], entry["path"], entry["media_type"], entry["source"],
                       tuple(entry["size"]), words, entry.get("text_px"))  # type: ignore[arg-type]


# --- specs -------------------------------------------------------------------------------------


def all_specs() -> list[Spec]:
    return photo_specs() + document_specs() + screenshot_specs() + chart_specs()


def photo_specs() -> list[Spec]:
    files = sorted(PHOTO_DIR.glob("*.jpg")) if PHOTO_DIR.is_dir() else []
    if not files:
        return [Spec("photo-none", "photo", ".jpg", str(PHOTO_DIR), _copy(PHOTO_DIR), False,
                     "mate-backgrounds is not installed")]
    return [Spec(f"photo-{p.stem.lower()}", "photo", ".jpg", str(p), _copy(p)) for p in files]


def _copy(src: Path) -> Callable[[Path], tuple[tuple[TruthWord, ...], int | None]]:
    def build(out: Path) -> tuple[tuple[TruthWord, ...], int | None]:
        shutil.copyfile(src, out)  # the photographer's JPEG, byte for byte
        return (), None
    return build


_READMES = ("apt/README.md.gz", "bash/README.gz", "coreutils/README.gz", "dbus/README.gz",
            "base-files/README.FHS")
_CHANGELOGS = ("apt", "bash", "coreutils", "tar", "grep")
_MANPAGES = ("tar", "grep", "find", "sed", "gzip")

# (source kind, index into its list, font, px, page size)
_DOCUMENTS: tuple[tuple[str, int, str, int, tuple[int, int]], ...] = (
    ("readme", 0, "sans", 10, A4),
    ("readme", 1, "serif", 12, A4),
    ("readme", 2, "sans", 14, A4),
    ("readme", 3, "sans", 18, A4),
    ("readme", 4, "serif", 24, A4),
    ("changelog", 0, "mono", 11, A4),
    ("changelog", 1, "sans", 13, A4),
    ("changelog", 2, "sans", 16, A4),
    ("changelog", 3, "serif", 20, A4),
    ("man", 0, "mono", 10, A4),
    ("man", 1, "mono", 12, A4),
    ("man", 2, "mono", 15, A4),
    ("man", 3, "sans", 8, A4),            # dense: small print
    ("changelog", 4, "mono", 12, (2480, 3508)),  # A4 at 300 dpi with 12 px text
    ("readme", 0, "sans", 12, (900, 1270)),     # a smaller page
)


def document_specs() -> list[Spec]:
    specs = []
    for kind, index, font, px, page in _DOCUMENTS:
        path = _document_source(kind, index)
        name = f"doc-{kind}{index}-{font}{px}-{page[0]}"
        if path is None:
            specs.append(Spec(name, "document", ".png", kind, _missing, False, f"no {kind} source #{index}"))
            continue
        specs.append(Spec(name, "document", ".png", str(path), _page_builder(kind, path, font, px, page)))
    return specs


def _missing(out: Path) -> tuple[tuple[TruthWord, ...], int | None]:
    raise RuntimeError("source missing")


def _document_source(kind: str, index: int) -> Path | None:
    doc = Path("/usr/share/doc")
    if kind == "readme":
        wanted = [doc / p for p in _READMES]
        fallback = sorted(doc.glob("*/README*"))
    elif kind == "changelog":
        wanted = [doc / p / "changelog.Debian.gz" for p in _CHANGELOGS]
        fallback = sorted(doc.glob("*/changelog.Debian.gz"))
    else:
        wanted = [Path(f"/usr/share/man/man1/{p}.1.gz") for p in _MANPAGES]
        fallback = sorted(Path("/usr/share/man/man1").glob("*.1.gz"))
    found = [p for p in wanted if p.is_file()]
    found += [p for p in fallback if p not in found and p.is_file() and p.stat().st_size > 2000]
    return found[index] if index < len(found) else None


def source_text(kind: str, path: Path) -> str:
    """The plain text of a README / changelog / man page as a person would read it."""
    if kind == "man":
        env = dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING="0", LC_ALL="C.UTF-8")
        proc = subprocess.run(["man", "-l", "-P", "cat", str(path)], capture_output=True, timeout=60, env=env)
        if proc.returncode != 0 or not proc.stdout:
            raise RuntimeError(f"man could not format {path}")
        text = proc.stdout.decode("utf-8", "replace")
        text = re.sub(r".\x08", "", text)  # overstrike bold / underline
    else:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8", "replace")
    text = text.replace("\t", "    ")
    return "".join(ch for ch in text if ch == "\n" or ch.isprintable())


def _page_builder(kind: str, path: Path, font: str, px: int, page: tuple[int, int]) -> Callable[[Path], tuple[tuple[TruthWord, ...], int | None]]:
    def build(out: Path) -> tuple[tuple[TruthWord, ...], int | None]:
        img, words = render_page(source_text(kind, path), FONT_DIR / FONTS[font], px, page, footer=str(path))
        img.save(out, "PNG")
        return words, px
    return build


def render_page(text: str, font_path: Path, px: int, page: tuple[int, int], footer: str) -> tuple[Image.Image, tuple[TruthWord, ...]]:
    """Lay ``text`` out on a white page at ``px`` px, keeping every word's box.

    Wraps at the page's text width, keeps blank lines, stops when the page is full; a footer
    line (the source path and a page number) sits at the bottom in ``FOOTER_PX`` type.
    """
    from scripts.lib.quality_judge import normalise

    width, height = page
    margin = max(48, width // 15)
    fnt = ImageFont.truetype(str(font_path), px)
    foot = ImageFont.truetype(str(FONT_DIR / FONTS["sans"]), FOOTER_PX)
    img = Image.new("L", page, 255)
    draw = ImageDraw.Draw(img)
    line_h = round(px * 1.4)
    bottom = height - margin - 3 * FOOTER_PX
    words: list[TruthWord] = []
    y = margin
    for para in text.splitlines():
        tokens = para.split(" ")
        line = ""
        pending = []
        for token in tokens:
            trial = f"{line} {token}" if line else token
            if draw.textlength(trial, font=fnt) > width - 2 * margin and line:
                pending.append(line)
                line = token
            else:
                line = trial
        pending.append(line)
        for row in pending:
            if y + line_h > bottom:
                break
            _draw_line(draw, row, margin, y, fnt, px, page, words, "body", normalise)
            y += line_h
        if y + line_h > bottom:
            break
    footer_line = f"{footer} - page 1"
    _draw_line(draw, footer_line, margin, height - margin - FOOTER_PX, foot, FOOTER_PX, page, words, "footer", normalise)
    return img, tuple(words)


def _draw_line(draw: ImageDraw.ImageDraw, row: str, x0: int, y: int, fnt: ImageFont.FreeTypeFont, px: int,
               page: tuple[int, int], words: list[TruthWord], role: str, normalise: Callable[[str], str | None]) -> None:
    draw.text((x0, y), row, font=fnt, fill=0)
    width, height = page
    offset = 0
    for token in row.split(" "):
        if token:
            left = x0 + draw.textlength(row[:offset], font=fnt)
            right = x0 + draw.textlength(row[: offset + len(token)], font=fnt)
            word = normalise(token)
            if word:
                words.append(TruthWord(word, (left / width, y / height, right / width, (y + px * 1.2) / height), px, role))
        offset += len(token) + 1


# --- screenshots -------------------------------------------------------------------------------

_SCREENSHOTS: tuple[tuple[str, tuple[int, int]], ...] = (
    ("index.en.html", (1280, 800)),
    ("ch01.en.html", (1440, 900)),
    ("ch02.en.html", (1920, 1080)),
    ("ch03.en.html", (1366, 768)),
    ("ch04.en.html", (1024, 1366)),
    ("ch05.en.html", (2560, 1440)),
    ("ch07.en.html", (1280, 1600)),
    ("ch10.en.html", (1600, 1000)),
)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot_specs() -> list[Spec]:
    exe = chromium()
    specs = []
    for page, size in _SCREENSHOTS:
        src = REFERENCE_DIR / page
        name = f"shot-{page.split('.')[0]}-{size[0]}x{size[1]}"
        ok = exe is not None and src.is_file()
        note = "" if ok else ("chromium is not installed" if exe is None else "debian-reference-en is not installed")
        specs.append(Spec(name, "screenshot", ".png", str(src), _shot_builder(src, size), ok, note))
    return specs


def screenshot(url: str, out: Path, size: tuple[int, int], timeout: float = 90.0) -> None:
    """One headless-Chromium screenshot of ``url`` at ``size`` (CSS px, scale factor 1)."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="shot-") as profile:
        proc = subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--force-device-scale-factor=1", f"--user-data-dir={profile}",
             f"--window-size={size[0]},{size[1]}", f"--screenshot={out}", url],
            capture_output=True, timeout=timeout,
        )
    if not out.exists():
        raise RuntimeError(f"chromium wrote no screenshot (rc {proc.returncode}): {proc.stderr.decode()[-300:]}")


def _shot_builder(src: Path, size: tuple[int, int]) -> Callable[[Path], tuple[tuple[TruthWord, ...], int | None]]:
    def build(out: Path) -> tuple[tuple[TruthWord, ...], int | None]:
        screenshot(src.as_uri(), out, size)
        with Image.open(out) as img:  # drop alpha: providers get what a screen shows
            img.convert("RGB").save(out, "PNG")
        return (), None
    return build


# --- charts ------------------------------------------------------------------------------------


def chart_specs() -> list[Spec]:
    return [Spec(name, "chart", ".png", str(src), _chart_builder(fn, src, size), src.exists(), f"{src} missing")
            for name, (fn, src, size) in _chart_rows().items()]


def _chart_rows() -> dict[str, tuple[Callable[[Path, object], None], Path, tuple[int, int]]]:
    status = Path("/var/lib/dpkg/status")
    debian = Path("/usr/share/distro-info/debian.csv")
    ubuntu = Path("/usr/share/distro-info/ubuntu.csv")
    zones = Path("/usr/share/zoneinfo")
    rows = (
        ("chart-dpkg-largest", status, _chart_dpkg_largest, (1600, 1000)),
        ("chart-dpkg-sections", status, _chart_dpkg_sections, (1400, 900)),
        ("chart-zoneinfo", zones, _chart_zoneinfo, (1200, 800)),
        ("chart-debian-releases", debian, _chart_debian_releases, (1800, 1000)),
        ("chart-ubuntu-per-year", ubuntu, _chart_ubuntu_per_year, (1600, 900)),
        ("chart-dpkg-priority", status, _chart_dpkg_priority, (1000, 1000)),
    )
    return {name: (fn, src, size) for name, src, fn, size in rows}


def _chart_builder(fn: Callable[[Path, object], None], src: Path, size: tuple[int, int]) -> Callable[[Path], tuple[tuple[TruthWord, ...], int | None]]:
    def build(out: Path) -> tuple[tuple[TruthWord, ...], int | None]:
        with _drawn_chart(fn, src, size) as fig:
            fig.savefig(out, dpi=100, format="png")  # type: ignore[attr-defined]
        with Image.open(out) as img:
            img.convert("RGB").save(out, "PNG")
        return (), None
    return build


# --- source text: what a screenshot or chart really says ---------------------------------------


def source_vocabulary(image: CorpusImage) -> frozenset[str] | None:
    """Every word (normalised by ``normalise``'s rule) of the text a screenshot or chart was made
    from: the HTML page's text, every string the chart's figure draws. None for other kinds.

    Why: those kinds take their ground truth from the judge's own reading of the untouched image,
    and Tesseract misreads some words there ("tools" as "tols", "17.5" as "175"); a misreading is
    not a word the model must keep, and a correct transcript can never match it. Ground truth is
    then what the judge reads *and* the source says, as for documents, whose truth is the text
    rendered.
    """
    from scripts.lib.quality_judge import normalise

    if image.kind == "screenshot":
        text = _html_text(Path(image.source))
    elif image.kind == "chart":
        text = _chart_text(image.name)
    else:
        return None
    return frozenset(w for w in (normalise(t) for t in text.split()) if w)


def _html_text(path: Path) -> str:
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self._skip = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("script", "style"):
                self._skip += 1
            for name, value in attrs:  # tooltips and alt texts are not drawn; titles of images are
                if name == "alt" and value:
                    self.parts.append(value)

        def handle_endtag(self, tag: str) -> None:
            if tag in ("script", "style") and self._skip:
                self._skip -= 1

        def handle_data(self, data: str) -> None:
            if not self._skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return " ".join(parser.parts)


def _chart_text(name: str) -> str:
    """The strings the chart ``name`` draws (title, labels, tick labels, annotations), from the
    same drawing code the corpus image came from."""
    from matplotlib.text import Text

    fn, src, size = _chart_rows()[name]
    with _drawn_chart(fn, src, size) as fig:
        fig.canvas.draw()  # type: ignore[attr-defined]  # tick labels exist only once drawn
        texts = [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]  # type: ignore[attr-defined]
    return " ".join(texts)


@contextmanager
def _drawn_chart(fn: Callable[[Path, object], None], src: Path, size: tuple[int, int]) -> Iterator[object]:
    """The figure ``fn`` draws from ``src`` at ``size`` px, in the corpus' style; closed after."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"font.family": "DejaVu Sans", "svg.hashsalt": "headroom"}):
        fig = plt.figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
        try:
            fn(src, fig)
            yield fig
        finally:
            plt.close(fig)


def dpkg_packages(status: Path) -> list[dict[str, str]]:
    """The installed packages of dpkg's status file, one dict of fields each."""
    packages, current = [], {}
    for line in status.read_text(errors="replace").splitlines():
        if not line.strip():
            if current:
                packages.append(current)
            current = {}
        elif not line.startswith((" ", "\t")) and ":" in line:
            key, _, value = line.partition(":")
            current[key] = value.strip()
    if current:
        packages.append(current)
    return [p for p in packages if "installed" in p.get("Status", "")]


def _chart_dpkg_largest(src: Path, fig: object) -> None:
    pkgs = sorted(dpkg_packages(src), key=lambda p: (-int(p.get("Installed-Size", "0") or 0), p["Package"]))[:12]
    names = [p["Package"] for p in pkgs]
    mb = [int(p.get("Installed-Size", "0") or 0) / 1024 for p in pkgs]
    ax = fig.add_subplot(111)  # type: ignore[attr-defined]
    bars = ax.bar(range(len(names)), mb, color="#4472c4")
    ax.set_xticks(range(len(names)), names, rotation=35, ha="right")
    ax.bar_label(bars, labels=[f"{v:.0f}" for v in mb], fontsize=11)
    ax.set_ylabel("installed size (MB)")
    ax.set_title("Largest installed Debian packages on this machine (dpkg status)")
    fig.tight_layout()  # type: ignore[attr-defined]


def _chart_dpkg_sections(src: Path, fig: object) -> None:
    totals: Counter[str] = Counter()
    for p in dpkg_packages(src):
        totals[p.get("Section", "unknown").split("/")[-1]] += int(p.get("Installed-Size", "0") or 0)
    top = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    ax = fig.add_subplot(111)  # type: ignore[attr-defined]
    names = [k for k, _ in top][::-1]
    mb = [v / 1024 for _, v in top][::-1]
    bars = ax.barh(names, mb, color="#ed7d31")
    ax.bar_label(bars, labels=[f"{v:.0f} MB" for v in mb], fontsize=10)
    ax.set_xlabel("installed size (MB)")
    ax.set_title("Installed size by Debian section")
    fig.tight_layout()  # type: ignore[attr-defined]


def _chart_zoneinfo(src: Path, fig: object) -> None:
    counts = {}
    for region in sorted(p for p in src.iterdir() if p.is_dir() and p.name[0].isupper()):
        counts[region.name] = sum(1 for f in region.rglob("*") if f.is_file())
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:9]
    ax = fig.add_subplot(111)  # type: ignore[attr-defined]
    bars = ax.bar([k for k, _ in top], [v for _, v in top], color="#70ad47")
    ax.bar_label(bars, fontsize=10)
    ax.set_ylabel("time zones")
    ax.set_title("Time zones per region in /usr/share/zoneinfo")
    ax.tick_params(axis="x", labelrotation=20)
    fig.tight_layout()  # type: ignore[attr-defined]


def _csv_rows(src: Path) -> list[dict[str, str]]:
    import csv

    with src.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _chart_debian_releases(src: Path, fig: object) -> None:
    import datetime as dt

    rows = [r for r in _csv_rows(src) if r.get("release")]
    dates = [dt.date.fromisoformat(r["release"]) for r in rows]
    ax = fig.add_subplot(111)  # type: ignore[attr-defined]
    ax.plot(dates, range(len(rows)), marker="o", color="#a5001f")
    for i, (d, r) in enumerate(zip(dates, rows, strict=True)):
        ax.annotate(f"{r['version']} {r['codename']}", (d, i), xytext=(6, -4), textcoords="offset points", fontsize=10)
    ax.set_ylabel("release number")
    ax.set_title("Debian releases by date (distro-info-data)")
    fig.tight_layout()  # type: ignore[attr-defined]


def _chart_ubuntu_per_year(src: Path, fig: object) -> None:
    per_year: Counter[str] = Counter(r["release"][:4] for r in _csv_rows(src) if r.get("release"))
    years = sorted(per_year)
    ax = fig.add_subplot(111)  # type: ignore[attr-defined]
    bars = ax.bar(years, [per_year[y] for y in years], color="#e95420")
    ax.bar_label(bars, fontsize=10)
    ax.set_ylabel("releases")
    ax.set_title("Ubuntu releases per year (distro-info-data)")
    ax.tick_params(axis="x", labelrotation=60)
    fig.tight_layout()  # type: ignore[attr-defined]


def _chart_dpkg_priority(src: Path, fig: object) -> None:
    counts: Counter[str] = Counter(p.get("Priority", "unknown") for p in dpkg_packages(src))
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ax = fig.add_subplot(111)  # type: ignore[attr-defined]
    ax.pie([v for _, v in items], labels=[f"{k} ({v})" for k, v in items], startangle=90, counterclock=False,
           textprops={"fontsize": 12})
    ax.set_title("Installed packages by priority (dpkg status)")
    fig.tight_layout()  # type: ignore[attr-defined]
