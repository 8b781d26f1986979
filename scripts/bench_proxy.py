"""Throughput, latency and memory of `headroom-edge proxy` under concurrent image requests.

Run::

    .venv/bin/python scripts/bench_proxy.py [--requests 200] [--concurrency 8] [--workers 1 2]

Everything stays on 127.0.0.1 and stops by itself: a fake OpenAI upstream (a tiny Starlette app,
``scripts/lib/upstream.py``) and the real proxy (``.venv/bin/headroom-edge proxy``)
run as subprocesses and are killed on exit. For each ``--workers`` value (compression worker
threads) the proxy is started fresh, warmed up with requests that load every model (query router
or rules, image analysis with the text detector, and one transcode for the OCR recogniser), its
resident memory is read from /proc, and then a bounded async load generator (httpx, fixed number of
requests, ``--concurrency`` in flight) sends OpenAI chat requests with one image each:

* ``unique``: every request carries an image the proxy has not seen (all decision-cache misses),
* ``rotating``: requests cycle through ``--images`` distinct images (the cache answers repeats),
* ``repeated``: one identical request over and over (conversation history).

A ``--no-image-optimize`` proxy run over the ``unique`` bodies gives the pure forwarding cost.
Writes ``reports/bench_proxy.json`` and ``reports/bench_proxy.md`` and appends that section to
``reports/bench.md``. The load generator, the proxy and the upstream share the machine's cores,
so requests/s is a lower bound on what the proxy does on a machine of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run by path: import from the repository root, not from scripts/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from scripts.lib.measure import loadavg  # noqa: E402
from scripts.lib.procs import HOST, free_port, proc_stats, stop, wait_healthy  # noqa: E402
from scripts.lib.proxy_report import render_markdown  # noqa: E402
from scripts.lib.report import merge_proxy_section  # noqa: E402
from scripts.lib.stats import median, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CHAT_PATH = "/v1/chat/completions"
TARGET_RSS_MB_PER_WORKER = 300.0
START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 120.0
PHOTO_QUESTION = "What is in this photo?"
SCREENSHOT_QUESTION = "What is shown in this screenshot?"
TRANSCODE_QUESTION = "Transcribe the text in this document."


# ----------------------------------------------------------------------------- subprocesses


class Server:
    """A subprocess serving HTTP on 127.0.0.1; ``with`` waits until it answers and always kills it."""

    def __init__(self, name: str, argv: list[str], port: int, log_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.port = port
        self.log_path = log_dir / f"bench_proxy_{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, cwd=ROOT)
        log.close()
        try:
            wait_healthy(self.proc, self.url, self.name, self.log_path, START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        stop(self.proc)


def proc_memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MiB."""
    stats = proc_stats(pid)
    return {"VmRSS": stats["vmrss_kb"] / 1024, "VmHWM": stats["vmhwm_kb"] / 1024}


def proxy_argv(proxy_port: int, upstream_url: str, workers: int, optimize: bool) -> list[str]:
    exe = Path(sys.executable).parent / "headroom-edge"
    argv = [str(exe) if exe.exists() else str(ROOT / ".venv" / "bin" / "headroom-edge"), "proxy",
            "--host", HOST, "--port", str(proxy_port), "--openai-base-url", upstream_url,
            "--workers", str(workers), "--log-level", "warning",
            # threads in one process: the RSS read from /proc below is then the whole cost
            # (process isolation and its memory are measured by scripts/bench_overload.py)
            "--no-isolate-workers"]
    if not optimize:
        argv.append("--no-image-optimize")
    return argv


# ----------------------------------------------------------------------------- request bodies


@dataclass(frozen=True)
class Payload:
    kind: str
    body: bytes = field(repr=False)


def chat_body(data: bytes, media_type: str, question: str) -> bytes:
    from tests import factories

    return json.dumps(factories.openai_chat_body(data, question, media_type=media_type)).encode("utf-8")


def base_images(count: int) -> list[tuple[str, Any]]:
    """``count`` distinct images: 3 of 4 photos (crops of the astronaut, 640-1280 px), 1 of 4
    UI screenshots (1280x800, different labels). Returns (kind, PIL image)."""
    from PIL import ImageDraw

    from tests import factories

    images: list[tuple[str, Any]] = []
    full = factories.photo(1536, 1536)
    sizes = [(1024, 1024), (1280, 960), (960, 1280), (800, 600), (1024, 768), (640, 640)]
    for i in range(count):
        if i % 4 == 3:
            img = factories.screenshot(1280, 800)
            ImageDraw.Draw(img).text((300, 760), f"Build {i:04d} - settings sync", fill=(20, 20, 20),
                                     font=factories.font(18))
            images.append(("screenshot", img))
        else:
            w, h = sizes[i % len(sizes)]
            shift = (i * 37) % 400
            crop = full.crop((shift, shift // 2, shift + 1136, shift // 2 + 1136)).resize((w, h))
            images.append(("photo", crop))
    return images


def encode_payload(kind: str, img: Any, stamp: int | None = None) -> Payload:
    """A chat body for the image; ``stamp`` changes a few pixels so the bytes are new."""
    from tests import factories

    if stamp is not None:
        img = img.copy()
        img.paste((stamp % 251, (stamp * 7) % 251, (stamp * 13) % 251), (0, 0, 6, 6))
    if kind == "screenshot":
        return Payload(kind, chat_body(factories.encode(img, "PNG"), "image/png", SCREENSHOT_QUESTION))
    return Payload(kind, chat_body(factories.encode(img, "JPEG", quality=90), "image/jpeg", PHOTO_QUESTION))


def warmup_payloads() -> list[Payload]:
    """Requests that load every model: routing, analysis (+ text detector) and OCR (transcode)."""
    from tests import factories

    doc = factories.encode(factories.document(1000, 1300, size=24), "PNG")
    shot = factories.encode(factories.screenshot(1280, 800), "PNG")
    return [
        Payload("photo", chat_body(factories.photo_jpeg(1024, 1024), "image/jpeg", PHOTO_QUESTION)),
        Payload("screenshot", chat_body(shot, "image/png", SCREENSHOT_QUESTION)),
        Payload("transcode", chat_body(doc, "image/png", TRANSCODE_QUESTION)),
    ]


# ----------------------------------------------------------------------------- load generator


@dataclass
class Sample:
    seconds: float
    status: int | None
    technique: str | None
    sent_bytes: int
    upstream_bytes: int | None
    error: str | None = None


async def send_one(client: Any, payload: Payload) -> Sample:
    import httpx

    start = time.perf_counter()
    try:
        response = await client.post(CHAT_PATH, content=payload.body,
                                     headers={"content-type": "application/json",
                                              "authorization": "Bearer bench-not-a-key"})
        await response.aread()
    except httpx.HTTPError as exc:
        return Sample(time.perf_counter() - start, None, None, len(payload.body), None, type(exc).__name__)
    seconds = time.perf_counter() - start
    received = response.headers.get("x-upstream-received-bytes")
    return Sample(seconds, response.status_code, response.headers.get("x-headroom-technique"),
                  len(payload.body), int(received) if received else None,
                  None if response.status_code == 200 else f"HTTP {response.status_code}")


async def drive(base_url: str, payloads: list[Payload], requests: int, concurrency: int) -> tuple[list[Sample], float]:
    """Send ``requests`` requests (cycling through ``payloads``), at most ``concurrency`` at a time."""
    import httpx

    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(REQUEST_TIMEOUT_S)

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout, trust_env=False) as client:

        async def bounded(i: int) -> Sample:
            async with semaphore:
                return await send_one(client, payloads[i % len(payloads)])

        start = time.perf_counter()
        samples = await asyncio.gather(*(bounded(i) for i in range(requests)))
        wall = time.perf_counter() - start
    return list(samples), wall


def summarise(samples: list[Sample], wall: float) -> dict[str, Any]:
    latencies = sorted(s.seconds for s in samples)
    techniques: dict[str, int] = {}
    for s in samples:
        techniques[s.technique or "none"] = techniques.get(s.technique or "none", 0) + 1
    errors = [s for s in samples if s.error]
    upstream = [s.upstream_bytes for s in samples if s.upstream_bytes is not None]
    return {
        "requests": len(samples),
        "wall_s": round(wall, 3),
        "requests_per_s": round(len(samples) / wall, 2) if wall > 0 else None,
        "latency_ms": {"p50": round(median(latencies) * 1000, 2),
                       "p99": round(percentile(latencies, 99) * 1000, 2),
                       "max": round(latencies[-1] * 1000, 2)},
        "errors": len(errors),
        "error_kinds": sorted({e.error for e in errors if e.error}),
        "techniques": techniques,
        "bytes_sent": sum(s.sent_bytes for s in samples),
        "bytes_upstream": sum(upstream) if upstream else None,
    }


def scrape_metrics(base_url: str) -> dict[str, float]:
    """Shed and fail-open counters from the proxy's Prometheus endpoint."""
    import httpx

    text = httpx.get(base_url + "/metrics", timeout=10.0, trust_env=False).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(("headroom_shed_total", "headroom_fail_open_total")):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


# ----------------------------------------------------------------------------- scenarios


@dataclass
class Workload:
    unique: list[Payload]
    rotating: list[Payload]
    repeated: list[Payload]
    warmup: list[Payload]


def build_workload(requests: int, distinct: int, repeat_requests: int) -> Workload:
    bases = base_images(distinct)
    rotating = [encode_payload(kind, img) for kind, img in bases]
    unique = [encode_payload(*bases[i % len(bases)], stamp=i + 1) for i in range(requests)]
    return Workload(unique=unique, rotating=rotating, repeated=[rotating[0]] if repeat_requests else [],
                    warmup=warmup_payloads())


def run_proxy(upstream_url: str, workers: int, optimize: bool, load: Workload, args: argparse.Namespace,
              log_dir: Path) -> dict[str, Any]:
    port = free_port()
    name = f"proxy_w{workers}" if optimize else "proxy_passthrough"
    result: dict[str, Any] = {"workers": workers, "image_optimize": optimize}
    with Server(name, proxy_argv(port, upstream_url, workers, optimize), port, log_dir) as proxy:
        result["rss_idle_mb"] = proc_memory_mb(proxy.pid)
        if optimize:  # one at a time, memory read after each: which model costs what
            steps = []
            for payload in load.warmup:
                (sample,), _ = asyncio.run(drive(proxy.url, [payload], 1, 1))
                steps.append({"request": payload.kind, "technique": sample.technique, "error": sample.error,
                              "seconds": round(sample.seconds, 3), "rss_mb": proc_memory_mb(proxy.pid)})
            result["warmup_steps"] = steps
            result["warmup_techniques"] = [step["technique"] for step in steps]
            result["warmup_errors"] = [step["error"] for step in steps if step["error"]]
            result["rss_warm_mb"] = proc_memory_mb(proxy.pid)
        runs = {"unique": (load.unique, args.requests)}
        if optimize:
            runs["rotating"] = (load.rotating, args.requests)
            if load.repeated:
                runs["repeated"] = (load.repeated, args.repeat_requests)
        for label, (payloads, count) in runs.items():
            print(f"  {name}: {label} x{count} ...", file=sys.stderr, flush=True)
            samples, wall = asyncio.run(drive(proxy.url, payloads, count, args.concurrency))
            result[label] = summarise(samples, wall)
        result["rss_after_mb"] = proc_memory_mb(proxy.pid)
        result["metrics"] = scrape_metrics(proxy.url)
    return result


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    log_dir = Path(args.out)
    print("building request bodies ...", file=sys.stderr, flush=True)
    load = build_workload(args.requests, args.images, args.repeat_requests)
    upstream_port = free_port()
    upstream_argv = [sys.executable, str(ROOT / "scripts" / "lib" / "upstream.py"), str(upstream_port)]
    results: list[dict[str, Any]] = []
    load_before = loadavg()
    with Server("upstream", upstream_argv, upstream_port, log_dir) as upstream:
        for workers in args.workers:
            results.append(run_proxy(upstream.url, workers, True, load, args, log_dir))
        if args.passthrough:
            results.append(run_proxy(upstream.url, 1, False, load, args, log_dir))
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "command": command_line(args),
        "concurrency": args.concurrency,
        "requests": args.requests,
        "distinct_images": args.images,
        "repeat_requests": args.repeat_requests,
        "environment": environment(),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "runs": results,
        "targets": targets(results),
    }


def command_line(args: argparse.Namespace) -> str:
    env = os.environ.get("HEADROOM_MODELS_DIR")
    parts = ([f"HEADROOM_MODELS_DIR={env}"] if env else []) + [".venv/bin/python scripts/bench_proxy.py"]
    if args.requests != 200:
        parts.append(f"--requests {args.requests}")
    if args.concurrency != 8:
        parts.append(f"--concurrency {args.concurrency}")
    if args.workers != [1, 2]:
        parts.append("--workers " + " ".join(map(str, args.workers)))
    if args.out != ROOT / "reports":
        parts.append(f"--out {args.out}")
    return " ".join(parts)


def environment() -> dict[str, Any]:
    import platform

    import onnxruntime

    from headroom_edge.imaging.engine import detect_engine
    from headroom_edge.runtime.models import model_dir

    engine = detect_engine()
    return {"imaging_engine": f"{engine.name} {engine.version}", "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "onnxruntime": onnxruntime.__version__,
            "router_model_present": model_dir("router") is not None}


def targets(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PASS/FAIL per proxy run; a failed memory target names the warm-up request that grew it most."""
    out = []
    for r in results:
        if not r["image_optimize"] or "rss_warm_mb" not in r:
            continue
        rss = r["rss_warm_mb"]["VmRSS"]
        per_worker = rss / r["workers"]
        ok = per_worker <= TARGET_RSS_MB_PER_WORKER
        out.append({"name": f"proxy RSS with all models loaded <= 300 MB per worker (--workers {r['workers']})",
                    "value": f"{rss:.0f} MB after warm-up = {per_worker:.0f} MB per worker "
                             f"(peak during load {r['rss_after_mb'].get('VmHWM', float('nan')):.0f} MB)",
                    "pass": ok, "why": "" if ok else memory_growth(r)})
        errors = sum(r[k]["errors"] for k in ("unique", "rotating", "repeated") if k in r)
        out.append({"name": f"no errors under load (--workers {r['workers']})", "value": f"{errors} errors",
                    "pass": errors == 0, "why": "" if errors == 0 else "see the proxy log in reports/"})
    return out


def memory_growth(run: dict[str, Any]) -> str:
    """Which warm-up request added the most resident memory (worker threads share one process)."""
    before = run["rss_idle_mb"]["VmRSS"]
    growth = []
    for step in run.get("warmup_steps", []):
        after = step["rss_mb"]["VmRSS"]
        growth.append((after - before, f"{step['request']} request (answered {step['technique']})"))
        before = after
    if not growth:
        return ""
    added, name = max(growth)
    return (f"the {name} added {added:.0f} MB; the models are shared by the worker threads, so "
            "memory does not scale with --workers but with the largest inference the process has run")


# ----------------------------------------------------------------------------- report


def write_reports(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """bench_proxy.json, bench_proxy.md, and the same section merged into bench.md."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path, combined = out_dir / "bench_proxy.json", out_dir / "bench_proxy.md", out_dir / "bench.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    section = render_markdown(report, PHOTO_QUESTION, SCREENSHOT_QUESTION)
    md_path.write_text(section, encoding="utf-8")
    merge_proxy_section(combined, section)
    return [json_path, md_path, combined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per image workload")
    parser.add_argument("--repeat-requests", type=int, default=200, help="identical requests (0: skip)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--images", type=int, default=20, help="distinct images in the rotating workload")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="compression worker threads to try")
    parser.add_argument("--no-passthrough", dest="passthrough", action="store_false",
                        help="skip the --no-image-optimize forwarding baseline")
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.images < 1 or args.repeat_requests < 0 \
            or any(w < 1 for w in args.workers):
        parser.error("--requests, --concurrency, --images and --workers must be >= 1")
    report = run_bench(args)
    paths = write_reports(report, args.out)
    for r in report["runs"]:
        label = f"workers={r['workers']}" if r["image_optimize"] else "passthrough"
        for key in ("unique", "rotating", "repeated"):
            if key in r:
                s = r[key]
                print(f"{label:12s} {key:9s} {s['requests_per_s']:7.1f} req/s  p50 {s['latency_ms']['p50']:8.1f} ms  "
                      f"p99 {s['latency_ms']['p99']:8.1f} ms  errors {s['errors']}")
    for t in report["targets"]:
        print(f"{'PASS' if t['pass'] else 'FAIL'}  {t['name']}: {t['value']}" + (f"\n      why: {t['why']}" if t["why"] else ""))
    print("wrote " + ", ".join(map(str, paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
