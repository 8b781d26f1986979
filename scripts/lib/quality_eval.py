"""The quality benchmark's verdicts: is one rewrite harmful, and how do the runs add up.

Text recall ratio (the issue's definition) = the words that matter which the judge reads in what
the model sees of the compressed request, over the same count for the original request. For a
transcode the OCR text sent counts as read, plus what the judge reads in the thumbnail. A ratio
needs the original view to show at least one of the words; where even the original shows none
(a page the provider itself shrinks past legibility) the run is "unjudged", reported, and never
counted as harmful or as retained.

For a crop, the original side is the original view cut to the crop box (the benchmark does
that): both reads then see the same frame, and only the resolution differs.

Harmful = ratio < :data:`HARM_RATIO` on a text or detail question, a crop whose box misses the
question's region (covers less than :data:`MIN_COVERAGE` of it), or a region question whose
region words fall below the same ratio.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from PIL import Image

from scripts.lib.quality_judge import Judge, words_of
from scripts.lib.quality_scenarios import Box, coverage

HARM_RATIO = 0.9
MIN_COVERAGE = 0.98
"""A crop must hold 98% of the region's area: the product pads its boxes, so a miss is a
mistake, not rounding."""
TARGET_MEAN_SAVINGS = 50.0
TARGET_PROVIDER_SAVINGS = 40.0


@dataclass(frozen=True)
class Verdict:
    words: int
    """How many distinct words matter for this question."""
    seen_original: int
    seen_compressed: int
    ratio: float | None
    coverage: float | None
    """Crop runs: share of the ground-truth region inside the crop box."""
    harmful: bool
    why: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge_run(
    judge: Judge,
    category: str,
    words: set[str],
    original: Image.Image | None,
    compressed: Image.Image | None,
    ocr_text: str | None,
    *,
    crop_box: Sequence[float] | None = None,
    region_box: Box | None = None,
    read: Callable[[Iterable[Image.Image | None]], list[set[str]]] | None = None,
) -> Verdict:
    """The verdict on one run, from what the model sees before (``original``) and after.

    ``read`` reads several views at once (the benchmark passes a parallel reader); the default
    reads them one by one.
    """
    read = read or (lambda imgs: [judge.word_set(i) if i is not None else set() for i in imgs])
    cov = coverage(crop_box, region_box) if crop_box is not None and region_box is not None else None
    if words:
        seen_before, seen_after = read([original, compressed])
        if ocr_text:
            seen_after = seen_after | words_of(ocr_text)
        n_before, n_after = len(seen_before & words), len(seen_after & words)
        ratio = n_after / n_before if n_before else None
    else:
        n_before = n_after = 0
        ratio = None
    reasons = []
    if cov is not None and cov < MIN_COVERAGE:
        reasons.append(f"crop covers {cov:.0%} of the region")
    judged_text = category in ("text", "detail", "region")
    if judged_text and ratio is not None and ratio < HARM_RATIO:
        reasons.append(f"text recall {ratio:.2f} < {HARM_RATIO}")
    return Verdict(len(words), n_before, n_after, ratio, cov, bool(reasons), "; ".join(reasons))


# --- aggregation ---------------------------------------------------------------------------------


def summarise(runs: list[dict[str, Any]], key: str | None) -> list[dict[str, Any]]:
    """Rows of savings and retention, one per value of ``runs[i][key]`` (one row for None)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault("all" if key is None else str(run[key]), []).append(run)
    return [_row(name, items) for name, items in groups.items()]


def _row(name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    savings = [r["savings_percent"] for r in runs]
    before = sum(r["original_tokens"] for r in runs)
    after = sum(r["compressed_tokens"] for r in runs)
    ratios = [min(1.0, r["verdict"]["ratio"]) for r in runs if r["verdict"]["ratio"] is not None]
    needs_words = [r for r in runs if r["verdict"]["words"]]
    return {
        "group": name,
        "runs": len(runs),
        "mean_savings_percent": round(statistics.fmean(savings), 2) if savings else 0.0,
        "median_savings_percent": round(statistics.median(savings), 2) if savings else 0.0,
        "token_savings_percent": round(100.0 * (before - after) / before, 2) if before else 0.0,
        "judged": len(ratios),
        "unjudged": len(needs_words) - len(ratios),
        "mean_retention": round(statistics.fmean(ratios), 4) if ratios else None,
        "min_retention": round(min(ratios), 4) if ratios else None,
        "harmful": sum(1 for r in runs if r["verdict"]["harmful"]),
        "techniques": _counts(r["technique"] for r in runs),
    }


def _counts(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


def targets(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's three targets, each with its measured value and PASS/FAIL."""
    overall = _row("all", runs)
    per_model = summarise(runs, "model")
    worst = min(per_model, key=lambda r: r["mean_savings_percent"]) if per_model else None
    harmful = overall["harmful"]
    return [
        {"name": f"mean savings >= {TARGET_MEAN_SAVINGS:.0f}% across the mix",
         "value": f"{overall['mean_savings_percent']:.1f}%",
         "pass": overall["mean_savings_percent"] >= TARGET_MEAN_SAVINGS},
        {"name": f"mean savings >= {TARGET_PROVIDER_SAVINGS:.0f}% on every provider",
         "value": (f"lowest {worst['group']} {worst['mean_savings_percent']:.1f}%" if worst else "-"),
         "pass": bool(worst) and all(r["mean_savings_percent"] >= TARGET_PROVIDER_SAVINGS for r in per_model)},
        {"name": "zero harmful runs",
         "value": f"{harmful} of {len(runs)}",
         "pass": harmful == 0},
    ]


def worst_cases(runs: list[dict[str, Any]], n: int = 15) -> list[dict[str, Any]]:
    """Harmful runs first, then the lowest recall ratios, then the lowest savings."""
    def rank(r: dict[str, Any]) -> tuple[int, float, float]:
        ratio = r["verdict"]["ratio"]
        return (0 if r["verdict"]["harmful"] else 1, ratio if ratio is not None else 9.0, r["savings_percent"])
    return sorted(runs, key=rank)[:n]
