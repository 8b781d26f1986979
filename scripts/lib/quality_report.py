"""The quality benchmark's Markdown report and its savings-vs-harm chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scripts.lib.report import targets_table

GROUPS = (("provider", "model"), ("category", "category"), ("image kind", "kind"))


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Savings at equal quality (scripts/bench_quality.py)",
        "",
        f"Measured {report['when']} on commit `{report['commit']}` with `{report['command']}`: "
        f"{report['n_scenarios']} scenarios x {len(report['models'])} provider families = "
        f"{len(report['runs'])} runs, {report['seconds']:.0f} s, load average {report['loadavg']}.",
        f"Judge: {report['judge']} (never the product's PP-OCR); corpus `{report['corpus_dir']}` "
        f"({report['n_images']} images" + (f"; skipped: {', '.join(report['skipped'])}" if report["skipped"] else "") + ").",
        "",
        "Text recall ratio = ground-truth words the judge reads in what the provider's model sees of the "
        "compressed request / the same for the original request (OCR text sent by a transcode counts as "
        "read; for a crop the original side is the original view cut to the crop box, so both reads see the "
        "same frame). Harmful = ratio < 0.9 on a text, detail or region question, or a crop that covers less "
        "than 98% of the question's region. Unjudged = even the original view shows none of the words. "
        "Ground truth: the rendered words of a document; for a screenshot or chart, the words the judge "
        "reads in the full-resolution original that its source text (the HTML page, the chart's strings) "
        "also has, so a Tesseract misreading is not counted as a word to keep.",
        "",
        "## Targets",
        "",
        *targets_table(report["targets"]),
    ]
    for title, _ in GROUPS:
        lines += ["", f"## By {title}", "", _table(report["summary"][title])]
    lines += ["", "## All runs", "", _table(report["summary"]["all"]), "", "## Worst cases", "",
              "| scenario | model | technique | tokens | recall | words (orig/comp) | coverage | harm | reason |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in report["worst"]:
        v = r["verdict"]
        ratio = "-" if v["ratio"] is None else f"{v['ratio']:.2f}"
        cov = "-" if v["coverage"] is None else f"{v['coverage']:.2f}"
        lines.append(
            f"| {r['scenario']} | {r['model']} | {r['technique']} | {r['original_tokens']}->{r['compressed_tokens']} "
            f"| {ratio} | {v['seen_original']}/{v['seen_compressed']} of {v['words']} | {cov} | "
            f"{'yes: ' + v['why'] if v['harmful'] else 'no'} | {_cell(r['reason'])} |"
        )
    lines += ["", f"Chart: `{report['chart']}` (savings vs text recall per run, and per provider)." , ""]
    return "\n".join(lines)


def _table(rows: list[dict[str, Any]]) -> str:
    out = ["| group | runs | mean saved | token-weighted | judged (unjudged) | mean recall | min recall | harmful | techniques |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        mean = "-" if r["mean_retention"] is None else f"{r['mean_retention']:.3f}"
        low = "-" if r["min_retention"] is None else f"{r['min_retention']:.3f}"
        tech = ", ".join(f"{k} {v}" for k, v in r["techniques"].items())
        out.append(f"| {r['group']} | {r['runs']} | {r['mean_savings_percent']:.1f}% | {r['token_savings_percent']:.1f}% "
                   f"| {r['judged']} ({r['unjudged']}) | {mean} | {low} | {r['harmful']} | {tech} |")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")[:90]


def render_chart(report: dict[str, Any], path: Path) -> None:
    """Left: every judged run, savings vs recall ratio (harmful in red). Right: per provider,
    mean savings and harmful runs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = report["runs"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 6), dpi=100)
    colours = {"general": "#888888", "detail": "#4472c4", "region": "#70ad47", "text": "#ed7d31"}
    for cat, colour in colours.items():
        pts = [(r["savings_percent"], min(1.2, r["verdict"]["ratio"])) for r in runs
               if r["category"] == cat and r["verdict"]["ratio"] is not None]
        if pts:
            ax1.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, alpha=0.7, c=colour, label=cat)
    harm = [(r["savings_percent"], min(1.2, r["verdict"]["ratio"] if r["verdict"]["ratio"] is not None else 0.0))
            for r in runs if r["verdict"]["harmful"]]
    if harm:
        ax1.scatter([p[0] for p in harm], [p[1] for p in harm], s=70, facecolors="none", edgecolors="red",
                    label="harmful")
    ax1.axhline(0.9, color="red", lw=0.8, ls="--")
    ax1.set_xlim(-5, 100)
    ax1.set_ylim(-0.02, 1.25)
    ax1.set_xlabel("image tokens saved (%)")
    ax1.set_ylabel("text recall ratio (compressed / original view)")
    ax1.set_title("Every judged run")
    ax1.legend(loc="lower left", fontsize=9)
    rows = report["summary"]["provider"]
    names = [r["group"] for r in rows]
    ax2.bar(range(len(rows)), [r["mean_savings_percent"] for r in rows], color="#4472c4", label="mean saved (%)")
    ax2.set_xticks(range(len(rows)), names, rotation=15)
    ax2.axhline(40, color="#4472c4", lw=0.8, ls="--")
    ax2.set_ylabel("mean image tokens saved (%)")
    twin = ax2.twinx()
    twin.plot(range(len(rows)), [r["harmful"] for r in rows], "o-", color="red", label="harmful runs")
    twin.set_ylabel("harmful runs", color="red")
    twin.set_ylim(0, max([1] + [r["harmful"] for r in rows]) * 1.2)
    twin.yaxis.get_major_locator().set_params(integer=True)
    ax2.set_title("Per provider family: savings vs harm")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
