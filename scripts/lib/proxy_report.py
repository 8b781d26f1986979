"""The Markdown section of scripts/bench_proxy.py (merged into reports/bench.md)."""

from __future__ import annotations

from typing import Any


def render_markdown(report: dict[str, Any], photo_question: str, screenshot_question: str) -> str:
    """Workloads, throughput and latency, memory, and the PASS/FAIL lines, as Markdown."""
    env = report["environment"]
    lines = [
        "## Proxy under load",
        "",
        f"Measured {report['when']} with `{report['command']}`: the real `headroom-edge proxy` subprocess "
        f"in front of a fake OpenAI upstream (both on 127.0.0.1), {report['concurrency']} requests in flight "
        f"from one httpx.AsyncClient. Imaging engine {env['imaging_engine']}, {env['cpu_count']} CPUs shared by "
        f"the load generator, the proxy and the upstream (load average {report['loadavg_before']} before, "
        f"{report['loadavg_after']} after); Python {env['python']}, onnxruntime {env['onnxruntime']}; "
        f"router model {'present' if env['router_model_present'] else 'missing (question rules)'}.",
        "",
        f"- `unique`: {report['requests']} requests, each with an image the proxy has not seen (every one a "
        f"decision-cache miss): 3 of 4 are JPEG photos 640-1280 px asking \"{photo_question}\", 1 of 4 PNG "
        f"UI screenshots 1280x800 asking \"{screenshot_question}\"",
        f"- `rotating`: {report['requests']} requests cycling through {report['distinct_images']} distinct images "
        "(after the first round the decision cache answers)",
        f"- `repeated`: {report['repeat_requests']} identical requests (conversation history)",
        "- `passthrough`: the `unique` bodies through a `--no-image-optimize` proxy (forwarding cost only)",
        "",
        "| proxy | workload | req/s | p50 ms | p99 ms | errors | techniques | bytes to upstream / sent |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for r in report["runs"]:
        label = f"--workers {r['workers']}" if r["image_optimize"] else "--no-image-optimize"
        for key in ("unique", "rotating", "repeated"):
            if key not in r:
                continue
            s = r[key]
            share = (f"{s['bytes_upstream'] / s['bytes_sent']:.1%}" if s["bytes_upstream"] is not None else "-")
            tech = ", ".join(f"{k} {v}" for k, v in sorted(s["techniques"].items()))
            name = key if r["image_optimize"] else "passthrough"
            lines.append(f"| {label} | {name} | {s['requests_per_s']} | {s['latency_ms']['p50']} | "
                         f"{s['latency_ms']['p99']} | {s['errors']} | {tech} | {share} |")
    lines += ["", "| proxy | RSS idle MB | RSS after warm-up (router, analysis, OCR) MB | RSS after load MB | peak MB | shed / fail-open |",
              "|---|---:|---:|---:|---:|---|"]
    for r in report["runs"]:
        label = f"--workers {r['workers']}" if r["image_optimize"] else "--no-image-optimize"
        warm = r.get("rss_warm_mb", {}).get("VmRSS")
        shed = ", ".join(f"{k} {v:.0f}" for k, v in r["metrics"].items()) or "none"
        lines.append(f"| {label} | {r['rss_idle_mb']['VmRSS']:.0f} | {f'{warm:.0f}' if warm else '-'} | "
                     f"{r['rss_after_mb']['VmRSS']:.0f} | {r['rss_after_mb']['VmHWM']:.0f} | {shed} |")
    for r in report["runs"]:
        if "warmup_steps" in r:
            steps = ", ".join(f"{step['request']} -> {step['technique']} ({step['seconds']:.2f} s): "
                              f"{step['rss_mb']['VmRSS']:.0f} MB" for step in r["warmup_steps"])
            lines.append(f"\nRSS after each warm-up request, --workers {r['workers']}: {steps}.")
    lines += ["", "| target | measured | result |", "|---|---|---|"]
    for t in report["targets"]:
        lines.append(f"| {t['name']} | {t['value']} | {'PASS' if t['pass'] else 'FAIL'} |")
    fails = [t for t in report["targets"] if not t["pass"] and t.get("why")]
    if fails:
        lines.append("")
        lines += [f"- FAIL {t['name']}: {t['why']}" for t in fails]
    lines.append("")
    return "\n".join(lines)


