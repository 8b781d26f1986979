"""The quality benchmark's independent judge: Tesseract (Debian ``tesseract-ocr``, the CLI).

Why Tesseract: the product reads text with PP-OCR, so judging its rewrites with PP-OCR would
grade the product with its own eyes. Tesseract is a different engine trained on different data;
what it can still read in the picture a provider's model resolves is a conservative, independent
proxy for what that model can read.

Words are normalised (lower case, surrounding punctuation dropped, at least two characters with a
letter or digit) so that "Debian," and "debian" match. Results are cached on disk by the SHA-256
of the exact PNG the judge read, so a re-run reads nothing twice.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

_TOKEN = re.compile(r"[^\W_]+(?:[.,:/'\-][^\W_]+)*", re.UNICODE)
MIN_CONFIDENCE = 60.0
"""Tesseract words below this confidence (0-100) are not counted as read."""
TIMEOUT_S = 120.0


@dataclass(frozen=True)
class JudgedWord:
    """A word Tesseract read, with its box as fractions (left, top, right, bottom) of the image."""

    text: str
    box: tuple[float, float, float, float]
    height_px: int


def normalise(token: str) -> str | None:
    """The comparable form of one word, or None when it is too short to count."""
    match = _TOKEN.search(token.lower())
    if match is None:
        return None
    word = match.group(0)
    return word if len(word) >= 2 else None


def words_of(text: str) -> set[str]:
    """The normalised word set of free text (e.g. the OCR text a transcode sent)."""
    out = set()
    for raw in text.split():
        word = normalise(raw)
        if word:
            out.add(word)
    return out


def tesseract_version() -> str | None:
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    return (proc.stdout or proc.stderr).splitlines()[0].strip() if proc.returncode == 0 else None


class Judge:
    """Reads images with the ``tesseract`` CLI; one instance per run, cache shared on disk."""

    def __init__(self, cache_dir: Path) -> None:
        exe = shutil.which("tesseract")
        if exe is None:
            raise RuntimeError(
                "the judge needs the tesseract CLI (Debian: apt-get install tesseract-ocr)"
            )
        self.exe = exe
        self.cache_dir = cache_dir
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.reads = 0
        self.hits = 0

    def read(self, img: Image.Image) -> list[JudgedWord]:
        """Every confident word Tesseract finds in ``img``."""
        png = _png(img)
        key = hashlib.sha256(png).hexdigest()
        cached = self.cache_dir / f"{key}.json"
        if cached.exists():
            self.hits += 1
            return [JudgedWord(w["text"], tuple(w["box"]), w["h"]) for w in json.loads(cached.read_text())]  # type: ignore[arg-type]
        words = self._run(png, img.size)
        self.reads += 1
        # A unique temporary name: two threads may read the same image at once
        # (a preserved image is both "before" and "after"), and a shared name
        # lets one thread's replace take the other's file away.
        fd, tmp_name = tempfile.mkstemp(dir=self.cache_dir, prefix=f"{key}.", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(json.dumps([{"text": w.text, "box": list(w.box), "h": w.height_px} for w in words]))
        os.replace(tmp_name, cached)
        return words

    def word_set(self, img: Image.Image) -> set[str]:
        return {w.text for w in self.read(img)}

    def _run(self, png: bytes, size: tuple[int, int]) -> list[JudgedWord]:
        with tempfile.TemporaryDirectory(prefix="judge-") as tmp:
            src = Path(tmp) / "in.png"
            src.write_bytes(png)
            env = dict(os.environ, OMP_THREAD_LIMIT="1")  # the benchmark runs judges in parallel
            proc = subprocess.run(
                [self.exe, str(src), "stdout", "-l", "eng", "--psm", "3", "tsv"],
                capture_output=True, text=True, timeout=TIMEOUT_S, env=env,
            )
        if proc.returncode != 0:
            raise RuntimeError(f"tesseract failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
        return parse_tsv(proc.stdout, size)


def parse_tsv(tsv: str, size: tuple[int, int]) -> list[JudgedWord]:
    """Tesseract's TSV output -> confident, normalised words with fractional boxes."""
    width, height = size
    words = []
    for line in tsv.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        try:
            conf = float(cols[10])
            left, top, w, h = (int(v) for v in cols[6:10])
        except ValueError:
            continue
        word = normalise(cols[11])
        if word is None or conf < MIN_CONFIDENCE:
            continue
        box = (left / width, top / height, (left + w) / width, (top + h) / height)
        words.append(JudgedWord(word, box, h))
    return words


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()
