"""What outbound instrumentation adds to each HTTP call an app makes, with and without images.

    .venv/bin/python scripts/bench_outbound.py [--rounds 7] [--calls 40] [--json out.json]

Two kinds of measurement, all in one run so the ratios compare like with like:

1. **Decision cost** (in-process, no I/O): what the hooks run before handing a call to the
   original transport method (``HOOKS.resolve()`` plus the LLM-call check) for a GET, a non-LLM
   JSON POST, an LLM call without images and an LLM call with an image already seen (cache hit);
   and what the middleware adds to an inbound request that is not an LLM call, with the hooks on
   and with ``outbound=False``, next to the bare app.
2. **End to end** against a fake OpenAI upstream on 127.0.0.1 (a subprocess, so it does not
   share our GIL): the same calls made with the real ``openai`` SDK (sync, and async through the
   worker pool) with instrumentation off and on, interleaved round by round. For the image call
   "on" includes the compression (first sight: a fresh image per call) or the cache hit (the
   same body again, as SDK retries and conversation turns send), and the smaller upload.

Medians over all calls of all rounds; ratios are on/off medians from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from scripts.lib.measure import loadavg  # noqa: E402
from scripts.lib.procs import HOST, free_port, stop  # noqa: E402
from scripts.lib.stats import percentile  # noqa: E402

QUESTION = "What animal is this? Describe the scene."


def photo(seed: int) -> bytes:
    """A 1024x1024 photo-like JPEG; ``seed`` changes a few pixels so each one is new."""
    from PIL import Image

    from tests.factories import photo_jpeg

    if seed == 0:
        return photo_jpeg(1024, 1024)
    img = Image.open(io.BytesIO(photo_jpeg(1024, 1024))).convert("RGB")
    img.putpixel((seed % 1024, seed // 1024 % 1024), (seed % 256, 0, 0))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def messages(jpeg: bytes | None) -> list[dict[str, Any]]:
    from tests.factories import data_url

    content: list[dict[str, Any]] = [{"type": "text", "text": QUESTION}]
    if jpeg is not None:
        content.append({"type": "image_url", "image_url": {"url": data_url(jpeg, "image/jpeg")}})
    return [{"role": "user", "content": content}]


def med_us(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)
    return {
        "median_us": round(statistics.median(ordered) / 1000, 1),
        "p99_us": round(percentile(ordered, 99) / 1000, 1),
        "n": len(ordered),
    }


def decision_cost(calls: int, rounds: int) -> dict[str, Any]:
    """Nanoseconds the hooks add before the original transport method runs."""
    import httpx

    import headroom_edge
    from headroom_edge.integrations.outbound import HOOKS
    from tests.factories import data_url

    owner = headroom_edge.instrument()
    try:
        base = "http://127.0.0.1:9/v1"
        chat = json.dumps({"model": "gpt-4o", "messages": messages(None)}).encode()
        image_body = json.dumps(
            {"model": "gpt-4o", "messages": [{"role": "user", "content": [
                {"type": "text", "text": QUESTION},
                {"type": "image_url", "image_url": {"url": data_url(photo(0), "image/jpeg")}}]}]}
        ).encode()
        json_headers = {"content-type": "application/json"}
        kinds = {
            "GET /v1/models": httpx.Request("GET", f"{base}/models"),
            "POST non-LLM JSON": httpx.Request("POST", f"{base}/embeddings", content=chat,
                                               headers=json_headers),
            "LLM call, no image": httpx.Request("POST", f"{base}/chat/completions", content=chat,
                                                headers=json_headers),
            "LLM call, image (cache hit)": httpx.Request("POST", f"{base}/chat/completions",
                                                         content=image_body, headers=json_headers),
        }
        owner.rewriter.compress(owner._plan(kinds["LLM call, image (cache hit)"], None))  # warm
        out: dict[str, Any] = {}
        for name, request in kinds.items():
            samples: list[int] = []
            for _ in range(rounds):
                for _ in range(calls * 10):
                    start = time.perf_counter_ns()
                    who = HOOKS.resolve()
                    if who is not None:
                        plan = who._plan(request, None)
                        if plan is not None and plan.cached is not None:
                            who.rewriter.apply(request, plan.cached)
                    samples.append(time.perf_counter_ns() - start)
            out[name] = med_us(samples)
        return out
    finally:
        headroom_edge.uninstrument()


def middleware_cost(calls: int, rounds: int) -> dict[str, Any]:
    """Per inbound request that is not an LLM call (ASGI level, trivial app): what the request
    context (bypass scan, context variable, results-summing ``send``) adds once the hooks are on."""
    from headroom_edge.integrations.middleware import HeadroomMiddleware
    from headroom_edge.integrations.outbound import HOOKS

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    scope = {"type": "http", "method": "GET", "path": "/items/1", "headers": [(b"host", b"x")]}
    variants = {
        "bare app": app,
        "middleware, outbound=False": HeadroomMiddleware(app, outbound=False),
        "middleware, outbound hooks on": HeadroomMiddleware(app),
    }
    hooked = variants["middleware, outbound hooks on"]
    HOOKS.add(hooked.outbound_compressor)  # type: ignore[union-attr]

    async def run(target: Any, n: int) -> list[int]:
        out = []
        for _ in range(n):
            start = time.perf_counter_ns()
            await target(dict(scope), receive, send)
            out.append(time.perf_counter_ns() - start)
        return out

    samples: dict[str, list[int]] = {name: [] for name in variants}
    try:
        for _ in range(rounds):
            for name, target in variants.items():
                samples[name].extend(asyncio.run(run(target, calls * 10)))
    finally:
        HOOKS.remove(hooked.outbound_compressor)  # type: ignore[union-attr]
    return {name: med_us(values) for name, values in samples.items()}


def end_to_end(url: str, calls: int, rounds: int) -> dict[str, Any]:
    import openai

    import headroom_edge

    same = photo(0)
    fresh = iter(range(1, 10_000))
    scenarios: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "text only": lambda: messages(None),
        "image, cache hit": lambda: messages(same),
        "image, first sight": lambda: messages(photo(next(fresh))),
    }
    sync_client = openai.OpenAI(api_key="sk-bench", base_url=f"{url}/v1", max_retries=0)

    def sync_call(build: Callable[[], list[dict[str, Any]]]) -> int:
        msgs = build()
        start = time.perf_counter_ns()
        sync_client.chat.completions.create(model="gpt-4o", messages=msgs)
        return time.perf_counter_ns() - start

    async def async_calls(build: Callable[[], list[dict[str, Any]]], n: int) -> list[int]:
        client = openai.AsyncOpenAI(api_key="sk-bench", base_url=f"{url}/v1", max_retries=0)
        out = []
        for _ in range(n):
            msgs = build()
            start = time.perf_counter_ns()
            await client.chat.completions.create(model="gpt-4o", messages=msgs)
            out.append(time.perf_counter_ns() - start)
        await client.close()
        return out

    samples: dict[tuple[str, str, str], list[int]] = {}
    for _ in range(rounds):
        for state in ("off", "on"):
            if state == "on":
                headroom_edge.instrument()
            try:
                sync_call(scenarios["image, cache hit"])  # untimed: a new instrument() starts cold
                asyncio.run(async_calls(scenarios["image, cache hit"], 1))
                for name, build in scenarios.items():
                    n = max(3, calls // 8) if name == "image, first sight" else calls
                    samples.setdefault(("sync", name, state), []).extend(
                        sync_call(build) for _ in range(n)
                    )
                    samples.setdefault(("async", name, state), []).extend(
                        asyncio.run(async_calls(build, n))
                    )
            finally:
                headroom_edge.uninstrument()
    report: dict[str, Any] = {}
    for mode in ("sync", "async"):
        for name in scenarios:
            off = med_us(samples[(mode, name, "off")])
            on = med_us(samples[(mode, name, "on")])
            report[f"{mode}: {name}"] = {
                "off": off, "on": on,
                "added_us": round(on["median_us"] - off["median_us"], 1),
                "ratio": round(on["median_us"] / off["median_us"], 3),
            }
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=40, help="calls per scenario per round")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()

    port = free_port()
    upstream = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "lib" / "upstream.py"), str(port)], cwd=ROOT
    )
    try:
        url = f"http://{HOST}:{port}"
        _wait_ready(url)
        # Warm everything (models, OCR, connection pools) outside the timed runs.
        import headroom_edge

        headroom_edge.ImageCompressor().compress_body(
            json.dumps({"model": "gpt-4o", "messages": messages(photo(0))}).encode()
        )
        report = {
            "loadavg_before": loadavg(),
            "decision": decision_cost(args.calls, args.rounds),
            "middleware": middleware_cost(args.calls, args.rounds),
            "end_to_end": end_to_end(url, args.calls, args.rounds),
            "loadavg_after": loadavg(),
        }
    finally:
        stop(upstream)
    _print(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _wait_ready(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("bench upstream did not start")


def _print(report: dict[str, Any]) -> None:
    print(f"load average before/after: {report['loadavg_before']} / {report['loadavg_after']}")
    print("\nDecision cost per call (in-process, no I/O)")
    print(f"{'call':32} {'median us':>10} {'p99 us':>8}")
    for name, s in report["decision"].items():
        print(f"{name:32} {s['median_us']:>10} {s['p99_us']:>8}")
    print("\nInbound request that is not an LLM call (ASGI, trivial app)")
    print(f"{'variant':32} {'median us':>10} {'p99 us':>8}")
    for name, s in report["middleware"].items():
        print(f"{name:32} {s['median_us']:>10} {s['p99_us']:>8}")
    print("\nEnd to end, real openai SDK -> loopback upstream (medians, same run)")
    print(f"{'call':28} {'off us':>9} {'on us':>9} {'added us':>9} {'on/off':>7} {'on p99':>9}")
    for name, s in report["end_to_end"].items():
        print(f"{name:28} {s['off']['median_us']:>9} {s['on']['median_us']:>9} "
              f"{s['added_us']:>9} {s['ratio']:>7} {s['on']['p99_us']:>9}")


if __name__ == "__main__":
    sys.exit(main())
