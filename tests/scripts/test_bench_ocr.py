"""Smoke test of scripts/bench_ocr.py: its scoring rules on known pieces, and one small page end
to end against the real tesseract CLI. No timing assertions (claims live in the report)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headroom_edge.ocr import OcrEngine
from scripts import bench_ocr
from scripts.ocr_pages import Page, Piece, default_pages, prose, score, source_words


def small_page() -> Page:
    """The top of a real README page at 20 px: a few lines, so the smoke test stays short."""
    page = prose("readme-top", source_words("readme"), "DejaVuSans", 20)
    lines = tuple(line for line in page.lines if line[1][3] < 260)
    bottom = min(line[1][1] for line in page.lines if line[1][3] >= 260) - 1  # above the next line
    return Page("readme-top", page.image.crop((0, 0, page.image.width, bottom)), lines)


def test_score_is_geometry_matched() -> None:
    page = Page("p", small_page().image, (("hello world", (10, 10, 200, 30)), ("second line", (10, 50, 200, 70))))
    exact = [Piece("second line", (12, 48, 190, 72)), Piece("hello world", (12, 8, 190, 32))]  # any order
    assert score(page, exact).cer == 0.0 and score(page, exact).wer == 0.0
    split = [Piece("world", (110, 10, 200, 30)), Piece("hello", (10, 10, 100, 30)), Piece("second line", (10, 50, 200, 70))]
    assert score(page, split).cer == 0.0  # pieces of one line are joined left to right
    missing = score(page, exact[:1])
    assert missing.cer == pytest.approx(11 / 22) and missing.wer == pytest.approx(2 / 4)
    stray = score(page, [*exact, Piece("noise", (500, 500, 560, 520))])
    assert stray.cer == pytest.approx(5 / 22)  # text on no drawn line counts as inserted


def test_pages_are_a4_and_varied() -> None:
    pages = default_pages()
    assert len(pages) >= 8 and len({p.name for p in pages}) == len(pages)
    assert all(p.image.size == (1240, 1754) and len(p.lines) >= 20 for p in pages)


def test_one_page_end_to_end(tmp_path: Path, ocr_engine: OcrEngine) -> None:
    summary = bench_ocr.bench_pages(ocr_engine, [small_page()], runs=1)
    (row,) = summary["pages"]
    assert row["ours_s"] > 0 and row["tesseract_s"] > 0 and row["ratio"] > 0
    # the reference is the faster of Tesseract's default-threads and single-thread runs
    assert row["tesseract_s"] == min(row["tesseract_default_s"], row["tesseract_single_thread_s"])
    assert row["ours"]["cer"] <= 0.05 and row["tesseract"]["cer"] <= 0.2
    report = {"when": "now", "command": "test", "runs": 1, "tesseract": "tesseract", "load_before": "0",
              "load_after": "0", "cores": 2, "threads": 2, "summary": summary, "read_max_side": 1280,
              "width_scale": 1.0, "seconds_per_column": 1e-4,
              "models": {"det": "det.onnx", "rec": "rec.onnx", "source": "test"}}
    paths = bench_ocr.write_reports(report, tmp_path)
    assert json.loads(paths["json"].read_text())["summary"]["pages"][0]["page"] == "readme-top"
    text = paths["md"].read_text()
    assert ("PASS" in text or "FAIL" in text) and "Worst pages" in text and "1 thread" in text
