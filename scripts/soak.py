"""Soak test: does `headroom-edge proxy` keep a flat memory footprint over many image requests?

Run::

    .venv/bin/python scripts/soak.py [--requests 10000] [--concurrency 8] [--sample-every 500]

Everything stays on 127.0.0.1 and stops by itself. Two subprocesses are started and always
killed on exit (also if this script dies: they get SIGTERM through PR_SET_PDEATHSIG):

* a fake provider upstream (this same file with ``--serve-upstream``: a tiny Starlette app that
  reads each body and answers a small JSON), and
* the real proxy, ``.venv/bin/headroom-edge proxy``, pointed at it for all three providers.

A bounded async load generator (httpx, ``--concurrency`` requests in flight) then sends
``--requests`` requests, each one image in one of the four wire formats (OpenAI Chat, OpenAI
Responses, Anthropic Messages, Gemini), drawn at random (fixed seed) from ``--images`` distinct
generated images of different kinds (JPEG photos, PNG documents and screenshots, RGBA PNGs, WebP,
GIF, small images) and sizes, with questions that lead to every technique (full_low, crop,
preserve, and transcode for some documents).

Why this mix: the proxy's decision cache holds 512 entries (``CompressionConfig.cache_size``).
The key space here (50 images x 4 formats x 3 questions = 600 distinct requests) is larger than
that, so after the cache has filled it keeps evicting: about one request in six does the full
decode/decide/encode work and the rest are cache hits. A workload that fits in the cache would
soon be all hits and hide a leak in the image path; one with no repeats would never exercise the
cache. The first 600 requests are every distinct request once (see :func:`request_plan`), so
the warm-up sees every input the proxy will ever see.

Every ``--sample-every`` completed requests the proxy's VmRSS (and VmHWM, thread count, open
file descriptors) is read from /proc/PID. The verdict is a least-squares slope of RSS against
completed requests, over the samples after ``--warmup`` requests (the warm-up loads the router,
the text detector and OCR models and fills the decision cache), in KB per 1000 requests.

Threshold (``--threshold-kb``, default 1024 KB per 1000 requests, i.e. 1 KB per request): the
state that legitimately grows is bounded and filled during the warm-up (512 cache entries of at
most ~100 KB each). A leak of anything image-sized per request (a body: 100-400 KB; a decoded
image: MBs) would show as >= 100 MB per 1000 requests, two orders of magnitude above the
threshold; a leak of per-request bookkeeping (result objects, header lists, ~1 KB) sits at it.
glibc arena noise across worker threads is a few MB in total, well under 1 MB per 1000 requests
over a window of thousands of requests. "flat" = slope under the threshold. "flat within noise" =
the slope is less than two standard errors from zero and even its upper 95% bound stays under
10 MB per 1000 requests: with transcodes in the mix RSS swings by tens of MB between samples
(OCR buffers allocated, then handed back by malloc_trim), so a small slope over such a band is not
evidence of growth. Both count as flat; anything else is "growing" and exits 1.

Writes ``reports/soak.json`` (samples, slope, verdict, latencies, the proxy's own counters) and
prints a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ctypes
import json
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run by path: import from the repository root, not from scripts/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from scripts.lib.procs import free_port, proc_stats, stop  # noqa: E402
from scripts.lib.stats import percentile  # noqa: E402
from tests import factories as f  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_OUT = ROOT / "reports" / "soak.json"

PATHS = {
    "openai_chat": "/v1/chat/completions",
    "openai_responses": "/v1/responses",
    "anthropic_messages": "/v1/messages",
    "gemini": "/v1beta/models/gemini-2.5-flash:generateContent",
}
PHOTO_QUESTIONS = (
    "What is in this photo?",
    "What is in the top-left corner?",
    "How many circles are there? Count them exactly.",
)
DOCUMENT_QUESTIONS = (
    "Transcribe the text in this document.",
    "What is this document about?",
    "What is in the top-right corner of the page?",
)
WORDS = ("invoice total amount due shipping address payment order number customer account "
         "balance tax date reference quantity price description service period").split()


# ----------------------------------------------------------------------------- images


@dataclass(frozen=True)
class TestImage:
    name: str
    data: bytes
    media_type: str
    questions: tuple[str, ...]


def _document_text(rng: random.Random) -> str:
    return " ".join(f"{rng.choice(WORDS)} {rng.randrange(10, 9999)}" for _ in range(rng.randrange(60, 120)))


def build_images(count: int, seed: int) -> list[TestImage]:
    """``count`` distinct images; kinds cycle so every kind is present for any count >= 8."""
    rng = random.Random(seed)
    images: list[TestImage] = []
    for i in range(count):
        kind = i % 8
        w, h = rng.randrange(600, 1400), rng.randrange(450, 1000)
        if kind in (0, 1):
            data, media = f.encode(f.photo(w, h), "JPEG", quality=rng.randrange(75, 95)), "image/jpeg"
            name, questions = "photo_jpeg", PHOTO_QUESTIONS
        elif kind == 2:
            data, media = f.encode(f.document(rng.randrange(600, 800), rng.randrange(500, 700), size=rng.choice((16, 18, 20)), text=_document_text(rng)), "PNG"), "image/png"
            name, questions = "document_png", DOCUMENT_QUESTIONS
        elif kind == 3:
            data, media = f.encode(f.screenshot(rng.randrange(1000, 1400), rng.randrange(600, 800)), "PNG"), "image/png"
            name, questions = "screenshot_png", DOCUMENT_QUESTIONS[1:] + PHOTO_QUESTIONS[:1]
        elif kind == 4:
            img = f.photo(w, h).convert("RGBA")
            img.putalpha(rng.randrange(60, 200))
            data, media = f.encode(img, "PNG"), "image/png"
            name, questions = "alpha_png", PHOTO_QUESTIONS
        elif kind == 5:
            data, media = f.encode(f.photo(w, h), "WEBP", quality=80), "image/webp"
            name, questions = "photo_webp", PHOTO_QUESTIONS
        elif kind == 6:
            img = f.photo(rng.randrange(500, 900), rng.randrange(400, 700)).convert("P")
            data, media = f.encode(img, "GIF"), "image/gif"
            name, questions = "still_gif", PHOTO_QUESTIONS
        else:
            data, media = f.encode(f.photo(rng.randrange(200, 400), rng.randrange(150, 300)), "JPEG"), "image/jpeg"
            name, questions = "small_jpeg", PHOTO_QUESTIONS
        images.append(TestImage(f"{i:02d}_{name}", data, media, questions))
    return images


def body_for(wire_format: str, image: TestImage, question: str) -> bytes:
    b64 = base64.b64encode(image.data).decode("ascii")
    url = f"data:{image.media_type};base64,{b64}"
    if wire_format == "openai_chat":
        body: dict[str, Any] = {"model": "gpt-4o", "max_tokens": 200, "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": [{"type": "text", "text": question},
                                         {"type": "image_url", "image_url": {"url": url}}]}]}
    elif wire_format == "openai_responses":
        body = {"model": "gpt-4.1-mini", "input": [{"role": "user", "content": [
            {"type": "input_text", "text": question},
            {"type": "input_image", "image_url": url, "detail": "auto"}]}]}
    elif wire_format == "anthropic_messages":
        body = {"model": "claude-sonnet-4-5", "max_tokens": 200, "messages": [
            {"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": image.media_type,
                                             "data": b64}},
                {"type": "text", "text": question}]}]}
    else:
        body = {"contents": [{"role": "user", "parts": [
            {"text": question}, {"inlineData": {"mimeType": image.media_type, "data": b64}}]}]}
    return json.dumps(body).encode("utf-8")


# ----------------------------------------------------------------------------- fake upstream


def serve_upstream() -> None:
    """The fake provider (child process): prints ``PORT <n>`` once listening."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    parent = os.getppid()

    async def answer(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse({"id": "soak", "object": "chat.completion", "received_bytes": len(body),
                             "choices": [{"index": 0, "message": {"role": "assistant",
                                                                  "content": "ok"}}]})

    async def watchdog() -> None:  # belt and braces next to PR_SET_PDEATHSIG
        while os.getppid() == parent:
            await asyncio.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(watchdog())
        yield
        task.cancel()

    app = Starlette(routes=[Route("/{path:path}", answer, methods=["POST", "GET"])],
                    lifespan=lifespan)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


# ----------------------------------------------------------------------------- processes


def _die_with_parent() -> None:
    """preexec_fn: SIGTERM this child when the soak process dies (Linux prctl)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start_upstream(log: Path) -> tuple[subprocess.Popen[Any], str]:
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve-upstream"],
        stdout=subprocess.PIPE, stderr=log.open("wb"), preexec_fn=_die_with_parent,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    match = re.match(r"PORT (\d+)", line)
    if not match:
        stop(proc)
        raise RuntimeError(f"fake upstream did not start (see {log})")
    return proc, f"http://127.0.0.1:{match.group(1)}"


def start_proxy(upstream: str, workers: int | None, log: Path) -> tuple[subprocess.Popen[Any], str]:
    exe = Path(sys.executable).with_name("headroom-edge")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "headroom_edge"]
    port = free_port()
    cmd += ["proxy", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--openai-base-url", upstream, "--anthropic-base-url", upstream,
            "--google-base-url", upstream]
    if workers:
        cmd += ["--workers", str(workers)]
    env = {**os.environ, "HEADROOM_TRUST_ENV": "false"}
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env,
                            preexec_fn=_die_with_parent, cwd=ROOT)
    return proc, f"http://127.0.0.1:{port}"


# ----------------------------------------------------------------------------- analysis


def slope_per_1000(points: list[tuple[int, int]]) -> float | None:
    """Least-squares slope of (requests, rss_kb) in KB per 1000 requests (None: < 2 points)."""
    if len(points) < 2:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return 1000 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def slope_standard_error(points: list[tuple[int, int]]) -> float | None:
    """Standard error of :func:`slope_per_1000` (None: < 3 points).

    Why: with OCR requests in the mix, RSS swings by tens of MB between samples (big transient
    buffers, malloc_trim handing them back), so a slope must be judged against that noise.
    """
    if len(points) < 3:
        return None
    slope = slope_per_1000(points)
    if slope is None:
        return None
    xs = [p[0] / 1000 for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    residuals = [y - (my + slope * (x - mx)) for x, y in zip(xs, ys, strict=True)]
    return math.sqrt(sum(r * r for r in residuals) / (len(points) - 2) / sxx)


LEAK_SCALE_KB = 10 * 1024
"""10 MB per 1000 requests = 10 KB per request: far below what leaking any image-sized buffer
per request would show (a 512 px JPEG alone is ~50 KB)."""


_METRIC = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def proxy_counters(text: str) -> dict[str, float]:
    """The proxy's counters a soak cares about, from its Prometheus /metrics text."""
    keep = ("headroom_images_total", "headroom_fail_open_total", "headroom_shed_total",
            "headroom_upstream_errors_total", "headroom_requests_total")
    out: dict[str, float] = {}
    for line in text.splitlines():
        match = _METRIC.match(line)
        if match and match.group(1).startswith(keep):
            out[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return out


# ----------------------------------------------------------------------------- load


def request_plan(images: list[TestImage], count: int, seed: int) -> list[tuple[str, TestImage, str]]:
    """Every distinct request (format x image x question) once in random order, then random draws.

    The first pass matters: a request seen for the first time can legitimately grow the proxy
    for good (a new input shape for the ONNX arenas, a new largest buffer for the allocator).
    Drawn at random only, the last of 600 distinct requests would first appear after ~4000
    requests (coupon collector), and that one-off growth would land in the measured window.
    """
    rng = random.Random(seed)
    every = [(fmt, image, question) for image in images for fmt in PATHS for question in image.questions]
    rng.shuffle(every)
    plan = every[:count]
    while len(plan) < count:
        image = rng.choice(images)
        plan.append((rng.choice(list(PATHS)), image, rng.choice(image.questions)))
    return plan


async def run_load(args: argparse.Namespace, proxy_url: str, pid: int,
                   images: list[TestImage]) -> dict[str, Any]:
    import httpx

    plan = request_plan(images, args.requests, args.seed + 1)
    bodies: dict[tuple[str, str, str], bytes] = {}

    samples: list[dict[str, Any]] = []
    latencies: list[float] = []
    status_counts: dict[str, int] = {}
    errors: dict[str, int] = {}
    done = 0
    next_index = 0
    started = time.monotonic()
    deadline = started + args.max_seconds

    def sample() -> None:
        stats = proc_stats(pid)
        samples.append({"requests": done, "t_s": round(time.monotonic() - started, 2),
                        "distinct_seen": len(bodies), **stats})
        print(f"  {done:>6} requests  {time.monotonic() - started:7.1f} s  "
              f"RSS {stats['vmrss_kb'] / 1024:7.1f} MB  threads {stats['threads']:3d}  "
              f"fds {stats['fds']:3d}", flush=True)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done, next_index
        while next_index < len(plan) and time.monotonic() < deadline:
            wire_format, image, question = plan[next_index]
            next_index += 1
            key = (wire_format, image.name, question)
            body = bodies.get(key)
            if body is None:
                body = bodies[key] = body_for(wire_format, image, question)
            t0 = time.perf_counter()
            try:
                r = await client.post(proxy_url + PATHS[wire_format], content=body,
                                      headers={"content-type": "application/json",
                                               "authorization": "Bearer soak",
                                               "anthropic-version": "2023-06-01"}
                                      if wire_format == "anthropic_messages" else
                                      {"content-type": "application/json",
                                       "authorization": "Bearer soak"})
                status_counts[str(r.status_code)] = status_counts.get(str(r.status_code), 0) + 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            latencies.append((time.perf_counter() - t0) * 1000)
            done += 1
            if done % args.sample_every == 0:
                sample()

    sample()
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(trust_env=False, timeout=120, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(args.concurrency)))
        if done % args.sample_every:
            sample()
        metrics = (await client.get(proxy_url + "/metrics")).text
    elapsed = time.monotonic() - started
    return {
        "done": done,
        "elapsed_s": round(elapsed, 1),
        "rate_rps": round(done / elapsed, 2) if elapsed else 0.0,
        "stopped_by_deadline": done < args.requests,
        "status_counts": status_counts,
        "transport_errors": errors,
        "distinct_request_bodies": len(bodies),
        "latency_ms": {"p50": round(percentile(latencies, 50), 1),
                       "p95": round(percentile(latencies, 95), 1),
                       "p99": round(percentile(latencies, 99), 1),
                       "max": round(max(latencies, default=0.0), 1)},
        "samples": samples,
        "proxy_counters": proxy_counters(metrics),
    }


def verdict(load: dict[str, Any], warmup: int, threshold_kb: float) -> dict[str, Any]:
    samples = load["samples"]
    window = [s for s in samples if s["requests"] >= warmup]
    note = None
    if len(window) < 3:  # too short a run for a window after the warm-up: use what there is
        window = samples[1:] if len(samples) > 2 else samples
        note = f"fewer than 3 samples after the {warmup}-request warm-up; slope over all samples"
    rss_points = [(s["requests"], s["vmrss_kb"]) for s in window]
    slope = slope_per_1000(rss_points)
    stderr = slope_standard_error(rss_points)
    thread_slope = slope_per_1000([(s["requests"], s["threads"]) for s in window])
    fd_slope = slope_per_1000([(s["requests"], s["fds"]) for s in window])
    # Flat: the slope is under the threshold, or it is statistically indistinguishable from zero
    # (under 2 standard errors) with even its 95% upper bound far below image-sized leaking.
    within_noise = (stderr is not None and slope is not None and slope < 2 * stderr
                    and slope + 2 * stderr < LEAK_SCALE_KB)
    flat = slope is not None and (slope < threshold_kb or within_noise)
    return {
        "warmup_requests": warmup,
        "window_requests": [window[0]["requests"], window[-1]["requests"]] if window else None,
        "rss_slope_kb_per_1000_requests": None if slope is None else round(slope, 1),
        "rss_slope_standard_error_kb": None if stderr is None else round(stderr, 1),
        "rss_growth_in_window_kb": (window[-1]["vmrss_kb"] - window[0]["vmrss_kb"]) if window else None,
        "threads_slope_per_1000_requests": None if thread_slope is None else round(thread_slope, 3),
        "fds_slope_per_1000_requests": None if fd_slope is None else round(fd_slope, 3),
        "threshold_kb_per_1000_requests": threshold_kb,
        "verdict": "inconclusive" if slope is None else (
            ("flat" if slope < threshold_kb else "flat within noise") if flat else "growing"),
        "note": note,
    }


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--sample-every", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=1000,
                        help="requests excluded from the slope (model loading, cache filling)")
    parser.add_argument("--threshold-kb", type=float, default=1024.0,
                        help="largest RSS slope, KB per 1000 requests, still called flat")
    parser.add_argument("--workers", type=int, default=None, help="proxy compression workers")
    parser.add_argument("--max-seconds", type=float, default=1800.0,
                        help="stop sending after this long and report what was done")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--serve-upstream", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_upstream:
        serve_upstream()
        return 0
    if args.requests < 1 or args.concurrency < 1 or args.sample_every < 1:
        raise SystemExit("--requests, --concurrency and --sample-every must be >= 1")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    logs = args.out.parent
    import httpx

    print(f"building {args.images} images ...", flush=True)
    images = build_images(args.images, args.seed)
    distinct = sum(len(PATHS) * len(image.questions) for image in images)
    if distinct > args.warmup:
        print(f"warning: {distinct} distinct requests do not all fit in the {args.warmup}-request "
              "warm-up; first-time growth will count in the slope", flush=True)
    upstream = proxy = None
    try:
        upstream, upstream_url = start_upstream(logs / "soak_upstream.log")
        proxy, proxy_url = start_proxy(upstream_url, args.workers, logs / "soak_proxy.log")
        wait_until = time.monotonic() + 60
        while True:
            try:
                if httpx.get(proxy_url + "/healthz", trust_env=False, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proxy.poll() is not None or time.monotonic() > wait_until:
                raise RuntimeError(f"proxy did not start (see {logs / 'soak_proxy.log'})")
            time.sleep(0.2)
        idle = proc_stats(proxy.pid)
        print(f"proxy pid {proxy.pid} at {proxy_url}, idle RSS {idle['vmrss_kb'] / 1024:.1f} MB; "
              f"{args.requests} requests, {args.concurrency} in flight", flush=True)
        load = asyncio.run(run_load(args, proxy_url, proxy.pid, images))
        alive = proxy.poll() is None
    finally:
        stop(proxy)
        stop(upstream)

    result = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                   if k != "serve_upstream"},
        "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg(),
                    "python": sys.version.split()[0]},
        "images": [{"name": i.name, "media_type": i.media_type, "bytes": len(i.data)} for i in images],
        "proxy_idle": idle,
        "proxy_alive_at_end": alive,
        **{k: v for k, v in load.items() if k != "samples"},
        **verdict(load, args.warmup, args.threshold_kb),
        "samples": load["samples"],
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    ok = sum(v for k, v in load["status_counts"].items() if k == "200")
    print(f"\n{load['done']} requests in {load['elapsed_s']} s ({load['rate_rps']} req/s), "
          f"200 OK: {ok}, other: { {k: v for k, v in load['status_counts'].items() if k != '200'} }, "
          f"transport errors: {load['transport_errors']}")
    print(f"latency ms p50 {load['latency_ms']['p50']} p95 {load['latency_ms']['p95']} "
          f"p99 {load['latency_ms']['p99']} max {load['latency_ms']['max']}")
    print(f"RSS slope after {args.warmup} requests: {result['rss_slope_kb_per_1000_requests']} "
          f"+- {result['rss_slope_standard_error_kb']} KB per 1000 requests "
          f"(threshold {args.threshold_kb:g}) -> {result['verdict']}; "
          f"growth in window {result['rss_growth_in_window_kb']} KB; "
          f"threads slope {result['threads_slope_per_1000_requests']}, "
          f"fds slope {result['fds_slope_per_1000_requests']}")
    print(f"wrote {args.out}")
    flat = result["verdict"].startswith("flat")
    return 0 if flat and alive and not load["transport_errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
