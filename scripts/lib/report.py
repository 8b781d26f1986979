"""The Markdown and PNG reports of scripts/bench.py, and the merge with bench_proxy's section.

bench.md holds bench.py's section first; everything after :data:`PROXY_MARKER` belongs to
scripts/bench_proxy.py. Either script can run again without losing the other's section.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROXY_MARKER = "<!-- bench_proxy section (written by scripts/bench_proxy.py) -->"


def ms(us: float) -> str:
    return f"{us / 1000:.2f}"


def targets_table(targets: list[dict[str, Any]]) -> list[str]:
    """The PASS/FAIL table every benchmark report ends its summary with (name, value, pass)."""
    rows = ["| target | measured | result |", "|---|---|---|"]
    return rows + [f"| {t['name']} | {t['value']} | {'PASS' if t['pass'] else 'FAIL'} |" for t in targets]


def render_markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    eng = env["imaging_engine"]
    lines = [
        "# headroom-edge benchmarks",
        "",
        f"Measured {report['when']} with `{report['command']}` "
        f"({report['runs']} timed runs per stage after {report['warmup']} warm-up runs; "
        f"GC {'off' if report['gc_disabled'] else 'on'} in timed loops).",
        "",
        f"- imaging engine: **{eng['name']} {eng['version']}** (SIMD: {eng['simd']})",
        f"- CPU: {env['cpu_model']} - {env['cpu_count']} cores ({env['cpus_usable']} usable); "
        f"load average {report['loadavg_before']} before, {report['loadavg_after']} after "
        "(the machine is shared: other processes compete for the CPU)",
        f"- Python {env['python']}, onnxruntime {env['onnxruntime']}, {env['platform']}",
        f"- question routing: {report['router']}",
        "",
        "## Targets",
        "",
        *targets_table(report["targets"]),
    ]
    fails = [t for t in report["targets"] if not t["pass"]]
    if fails:
        lines.append("")
        for t in fails:
            lines.append(f"- FAIL {t['name']}: {t['why']}")
    lines += ["", "## One request, one image: stages (median / p99, ms)", "",
              "Each stage calls the building block the pipeline calls, timed on its own in a loop (warm CPU "
              "caches), so the sum of stages is not exactly the total. The total and the floors are timed "
              "in the same loop, alternating, and their ratio is the number to compare across machines.", ""]
    for case in report["cases"]:
        img = case["image"]
        o = case["output"]
        lines += [
            f"### {case['name']}",
            "",
            f"{img['bytes']:,} B image in a {img['request_bytes']:,} B OpenAI chat body (gpt-4o), "
            f"question \"{case['question']}\" -> **{case['technique']}** (decided by {case['decided_by']}). "
            f"Output: {o['size'][0] if o['size'] else '-'}x{o['size'][1] if o['size'] else '-'} {o['media_type']}, "
            f"{o['bytes']:,} B, {o['tokens_before']} -> {o['tokens_after']} tokens; "
            f"request {o['request_bytes']:,} B.",
            "",
            "| stage | median | p99 | note |",
            "|---|---:|---:|---|",
        ]
        stage_sum = 0.0
        for name, s in case["stages"].items():
            stage_sum += s["median_us"]
            lines.append(f"| {name} | {ms(s['median_us'])} | {ms(s['p99_us'])} | {case['stage_notes'].get(name, '')} |")
        for name in ("analysis",):
            if name not in case["stages"] and name in case["stage_notes"]:
                lines.append(f"| {name} | - | - | {case['stage_notes'][name]} |")
        t, f, d = case["total"], case["floor"], case["floor_draft"]
        lines += [
            f"| *sum of stages* | {ms(stage_sum)} | | |",
            f"| **total** (`compress_body`, cache cleared) | **{ms(t['median_us'])}** | {ms(t['p99_us'])} | end to end on bytes |",
            f"| floor: Pillow open+load+LANCZOS resize+save | {ms(f['median_us'])} | {ms(f['p99_us'])} | "
            f"to {case['target'][0]}x{case['target'][1]}, same format and quality |",
            f"| floor with JPEG draft (information) | {ms(d['median_us'])} | {ms(d['p99_us'])} | |",
            "",
            f"total / floor = **{case['ratio_total_to_floor']:.2f}x** (median of per-run ratios "
            f"{case['ratio_paired_median']:.2f}x; vs the draft floor {case['ratio_total_to_draft_floor']:.2f}x)"
            + ("; PNG has no draft mode, so both floors are the same work and their difference is this "
               "run's noise" if case["image"]["format"] == "PNG" else "")
            + ("" if case["technique"] == "full_low" else
               f" - the pipeline sent {case['technique']}, so it did not resize: the floor is what resizing "
               "to the low-detail size would have cost, for scale only"),
            "",
        ]
    ni = report["no_image"]
    lines += [
        "## Requests without images, repeated images",
        "",
        "| what | median | p99 |",
        "|---|---:|---:|",
        f"| `compress_body`, text-only chat body ({ni['body_bytes']:,} B) | {ni['compress_body']['median_us']:.1f} us | "
        f"{ni['compress_body']['p99_us']:.1f} us |",
        f"| ASGI middleware pass-through of that body | {ni['middleware']['through_middleware']['median_us']:.1f} us | "
        f"{ni['middleware']['through_middleware']['p99_us']:.1f} us |",
        f"| the bare app call it wraps | {ni['middleware']['app_alone']['median_us']:.1f} us | "
        f"{ni['middleware']['app_alone']['p99_us']:.1f} us |",
    ]
    for rp in report["repeat"]:
        lines += [
            f"| {rp['case']} body ({rp['request_bytes']:,} B), first call (cache miss) | "
            f"{ms(rp['first (miss)']['median_us'])} ms | {ms(rp['first (miss)']['p99_us'])} ms |",
            f"| same body again (cache hit) | {ms(rp['repeat (hit)']['median_us'])} ms | "
            f"{ms(rp['repeat (hit)']['p99_us'])} ms |",
        ]
    lines += [
        "",
        "A cache hit still parses the whole body, hashes the image's base64 and re-serialises the "
        "rewritten body, so it grows with the request size (the 1 ms target is for the 1024 photo).",
        "",
        "Chart: `reports/bench.png` (stage medians stacked, next to the total and the floor).",
        "",
    ]
    return "\n".join(lines)


def render_chart(report: dict[str, Any], path: Path) -> None:
    """One panel per image (own time scale): stacked stage medians, the total, the two floors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = report["cases"]
    names: list[str] = []
    for case in cases:
        names += [n for n in case["stages"] if n not in names]
    colours = dict(zip(names, plt.get_cmap("tab20").colors * 2, strict=False))
    fig, axes = plt.subplots(len(cases), 1, figsize=(10, 2.2 * len(cases) + 1.6), squeeze=False)
    for ax, case in zip(axes[:, 0], cases, strict=True):
        left = 0.0
        for name, s in case["stages"].items():
            width = s["median_us"] / 1000
            ax.barh(0, width, left=left, color=colours[name], label=name)
            left += width
        ax.barh(1, case["total"]["median_us"] / 1000, color="black")
        ax.barh(2, case["floor"]["median_us"] / 1000, color="grey")
        ax.barh(3, case["floor_draft"]["median_us"] / 1000, color="silver")
        ax.set_yticks([0, 1, 2, 3], [f"stages ({case['technique']})", "total (compress_body)",
                                     "Pillow floor", "floor with draft"], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{case['name']}: total/floor {case['ratio_total_to_floor']:.2f}x", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    axes[-1, 0].set_xlabel("median milliseconds")
    eng = report["environment"]["imaging_engine"]
    fig.suptitle(f"headroom-edge per-stage latency ({eng['name']} {eng['version']}, "
                 f"{report['environment']['cpu_count']} CPUs, {report['router'].split(' ')[0]} routing)", fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[n]) for n in names]
    fig.legend(handles, names, fontsize=7, loc="lower center", ncol=4, frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_markdown(path: Path, core: str) -> None:
    """Write bench.md, keeping the proxy section bench_proxy.py appended (or its own file)."""
    proxy = ""
    if path.exists() and PROXY_MARKER in path.read_text(encoding="utf-8"):
        proxy = path.read_text(encoding="utf-8").split(PROXY_MARKER, 1)[1]
    elif (path.parent / "bench_proxy.md").exists():
        proxy = "\n" + (path.parent / "bench_proxy.md").read_text(encoding="utf-8")
    text = core.rstrip() + "\n"
    if proxy.strip():
        text += "\n" + PROXY_MARKER + proxy.rstrip() + "\n"
    path.write_text(text, encoding="utf-8")


def merge_proxy_section(path: Path, section: str) -> None:
    """Put bench_proxy's ``section`` after the marker in bench.md, keeping bench.py's part."""
    core = path.read_text(encoding="utf-8").split(PROXY_MARKER, 1)[0].rstrip() if path.exists() else ""
    path.write_text((core + "\n\n" if core else "") + PROXY_MARKER + "\n\n" + section.rstrip() + "\n",
                    encoding="utf-8")
