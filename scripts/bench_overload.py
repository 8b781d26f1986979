"""The proxy under an OCR-heavy burst: does it shed at once, stay inside its budget, and recover?

Run::

    .venv/bin/python scripts/bench_overload.py [--pages 48] [--concurrency 16] [--budget 10]
        [--modes threads processes] [--before COMMIT]

Everything stays on 127.0.0.1 and stops by itself: the fake OpenAI upstream
(``scripts/lib/upstream.py``) and the real proxy (``headroom-edge proxy``) run as
subprocesses and are killed on exit. Per mode (``threads``: ``--no-isolate-workers``;
``processes``: supervised worker processes, the default) the proxy is started fresh and warmed up,
then:

1. **burst**: ``--pages`` distinct document pages ("Transcribe the text in this document.",
   so every one wants OCR), ``--concurrency`` in flight. Each request's latency is compared with
   the same request sent straight to the upstream (the ``direct`` run): ``extra`` is what the
   proxy added. The target: no request waits longer than its budget plus 50 ms.
2. **recovery**: right after the burst's last answer, photo requests one after the other until
   one comes back compressed; the time from the end of the burst to that answer.
3. **cost of isolation**: ``--sequential`` photo requests one at a time (median and p90 latency)
   and the memory of the proxy's process tree (RSS summed, and PSS, which splits shared pages).

``--before COMMIT`` also runs the burst on that commit's code (``git archive`` into reports/,
run from there with the same virtualenv) to show the behaviour this replaced. Writes ``reports/bench_overload.json`` and
prints a Markdown summary for docs/benchmarks.md. The load generator, proxy and upstream share
the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from scripts.lib.procs import HOST, free_port, stop, wait_healthy  # noqa: E402

CHAT_PATH = "/v1/chat/completions"
TRANSCODE_QUESTION = "Transcribe the text in this document."
PHOTO_QUESTION = "What is in this photo?"
START_TIMEOUT_S = 180.0
REQUEST_TIMEOUT_S = 120.0
RECOVERY_LIMIT_S = 30.0
WORDS = ("invoice", "ledger", "copper", "shipment", "harbour", "quarterly", "tariff", "receipt")


# ----------------------------------------------------------------------------- subprocesses


class Served:
    """A subprocess serving HTTP on 127.0.0.1; ``with`` waits for /healthz and always stops it."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict[str, str] | None = None,
                 cwd: Path = ROOT) -> None:
        self.name, self.argv, self.port, self.cwd = name, argv, port, cwd
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log = ROOT / "reports" / f"bench_overload_{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Served:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd)
        wait_healthy(self.proc, self.url, self.name, self.log, START_TIMEOUT_S)
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)


def tree_memory_mb(pid: int) -> dict[str, float]:
    """RSS summed over ``pid`` and all its descendants, and PSS (shared pages split), in MiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    todo, tree = [pid], []
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    rss = pss = 0
    for member in tree:
        try:
            with open(f"/proc/{member}/smaps_rollup") as fh:
                for line in fh:
                    key, _, value = line.partition(":")
                    if key == "Rss":
                        rss += int(value.split()[0])
                    elif key == "Pss":
                        pss += int(value.split()[0])
        except OSError:
            continue
    return {"processes": len(tree), "rss_mb": rss / 1024, "pss_mb": pss / 1024}


# ----------------------------------------------------------------------------- bodies and load


def chat_body(data: bytes, media_type: str, question: str) -> bytes:
    from tests import factories

    return json.dumps(factories.openai_chat_body(data, question, media_type=media_type)).encode("utf-8")


def page_bodies(count: int) -> list[bytes]:
    """``count`` distinct text pages (different words, so no decision-cache hits)."""
    from tests import factories

    bodies = []
    for i in range(count):
        words = " ".join(f"{WORDS[(i + k) % len(WORDS)]} {i * 31 + k}" for k in range(40))
        png = factories.encode(factories.document(1000, 1300, size=22, text=words), "PNG")
        bodies.append(chat_body(png, "image/png", TRANSCODE_QUESTION))
    return bodies


def photo_body(stamp: int) -> bytes:
    from tests import factories

    img = factories.photo(1024, 1024)
    img.paste((stamp % 251, (stamp * 7) % 251, 90), (0, 0, 8, 8))
    return chat_body(factories.encode(img, "JPEG", quality=90), "image/jpeg", PHOTO_QUESTION)


@dataclass
class Sample:
    index: int
    seconds: float
    status: int | None
    technique: str | None
    finished_at: float


async def send(client: Any, index: int, body: bytes) -> Sample:
    import httpx

    start = time.perf_counter()
    try:
        r = await client.post(CHAT_PATH, content=body, headers={"content-type": "application/json",
                                                                "authorization": "Bearer bench"})
        await r.aread()
        status, technique = r.status_code, r.headers.get("x-headroom-technique")
    except httpx.HTTPError:
        status, technique = None, None
    end = time.perf_counter()
    return Sample(index, end - start, status, technique, end)


async def burst(base_url: str, bodies: list[bytes], concurrency: int) -> tuple[list[Sample], float]:
    import httpx

    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, trust_env=False,
                                 timeout=httpx.Timeout(REQUEST_TIMEOUT_S)) as client:

        async def one(i: int) -> Sample:
            async with gate:
                return await send(client, i, bodies[i])

        start = time.perf_counter()
        samples = await asyncio.gather(*(one(i) for i in range(len(bodies))))
    return list(samples), start


async def recovery(base_url: str, burst_end: float) -> dict[str, Any]:
    """Photo requests one after the other until one is compressed (or RECOVERY_LIMIT_S)."""
    import httpx

    async with httpx.AsyncClient(base_url=base_url, trust_env=False,
                                 timeout=httpx.Timeout(REQUEST_TIMEOUT_S)) as client:
        tries = 0
        while time.perf_counter() - burst_end < RECOVERY_LIMIT_S:
            tries += 1
            sample = await send(client, tries, photo_body(10_000 + tries))
            if sample.technique and sample.technique != "preserve":
                return {"seconds_after_burst": sample.finished_at - burst_end, "tries": tries,
                        "probe_seconds": sample.seconds}
    return {"seconds_after_burst": None, "tries": tries, "probe_seconds": None}


async def sequential(base_url: str, count: int) -> list[float]:
    import httpx

    async with httpx.AsyncClient(base_url=base_url, trust_env=False,
                                 timeout=httpx.Timeout(REQUEST_TIMEOUT_S)) as client:
        return [(await send(client, i, photo_body(i))).seconds for i in range(count)]


def scrape_shed(base_url: str) -> dict[str, float]:
    import httpx

    text = httpx.get(base_url + "/metrics", trust_env=False, timeout=10).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(("headroom_shed", "headroom_fail_open")) and " " in line:
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


# ----------------------------------------------------------------------------- runs


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summarise_burst(samples: list[Sample], direct: list[Sample], budget: float) -> dict[str, Any]:
    extra = [s.seconds - d.seconds for s, d in zip(samples, direct, strict=True)]
    compressed = sum(1 for s in samples if s.technique and s.technique != "preserve")
    worst = max(range(len(samples)), key=lambda i: extra[i])
    return {
        "requests": len(samples),
        "ok": sum(1 for s in samples if s.status == 200),
        "compressed": compressed,
        "sent_uncompressed": len(samples) - compressed,
        "latency_median_s": statistics.median(s.seconds for s in samples),
        "latency_p90_s": quantile([s.seconds for s in samples], 0.9),
        "latency_max_s": max(s.seconds for s in samples),
        "extra_median_s": statistics.median(extra),
        "extra_max_s": extra[worst],
        "worst_request": {"index": worst, "seconds": samples[worst].seconds,
                          "technique": samples[worst].technique},
        "over_budget_plus_50ms": sum(1 for e in extra if e > budget + 0.05),
    }


def proxy_argv(port: int, upstream: str, args: argparse.Namespace, mode: str) -> list[str]:
    argv = [sys.executable, "-m", "headroom_edge", "proxy", "--host", HOST, "--port", str(port),
            "--openai-base-url", upstream, "--time-budget", str(args.budget), "--log-level", "warning"]
    if args.workers:
        argv += ["--workers", str(args.workers)]
    if mode == "threads":
        argv.append("--no-isolate-workers")
    elif mode == "processes":
        argv.append("--isolate-workers")
    return argv


def run_mode(mode: str, upstream: Served, bodies: list[bytes], direct: list[Sample],
             args: argparse.Namespace, tree: Path | None = None) -> dict[str, Any]:
    """One proxy, fresh; ``tree``: run that checkout's package instead (``python -m`` puts the
    working directory first on sys.path, ahead of the editable install)."""
    port = free_port()
    argv = proxy_argv(port, upstream.url, args, mode)
    with Served(f"proxy_{mode}", argv, port, cwd=tree or ROOT) as proxy:
        asyncio.run(sequential(proxy.url, 3))  # warm-up: models loaded, first-request costs paid
        warm = page_bodies(1)
        asyncio.run(burst(proxy.url, warm, 1))
        assert proxy.proc is not None
        memory_idle = tree_memory_mb(proxy.proc.pid)
        seq = asyncio.run(sequential(proxy.url, args.sequential)) if mode != "before" else []
        shed_before = scrape_shed(proxy.url)
        samples, _ = asyncio.run(burst(proxy.url, bodies, args.concurrency))
        burst_end = max(s.finished_at for s in samples)
        rec = asyncio.run(recovery(proxy.url, burst_end))
        memory_after = tree_memory_mb(proxy.proc.pid)
        shed_after = scrape_shed(proxy.url)
    result = {
        "mode": mode,
        "burst": summarise_burst(samples, direct, args.budget),
        "recovery": rec,
        "memory_idle": memory_idle,
        "memory_after_burst": memory_after,
        "shed_counters": {k: shed_after[k] - shed_before.get(k, 0.0) for k in shed_after
                          if shed_after[k] != shed_before.get(k, 0.0)},
    }
    if seq:
        result["sequential_photo"] = {"n": len(seq), "median_s": statistics.median(seq),
                                      "p90_s": quantile(seq, 0.9)}
    return result


def before_tree(commit: str) -> Path:
    """The package of ``commit`` (git archive) under reports/, to run with PYTHONPATH."""
    target = ROOT / "reports" / f"before_{commit}"
    if not (target / "headroom_edge").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "headroom_edge"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        models = target / "models"
        if not models.exists():
            models.symlink_to(ROOT / "models")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=48)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--sequential", type=int, default=20)
    parser.add_argument("--modes", nargs="+", default=["threads", "processes"],
                        choices=["threads", "processes"])
    parser.add_argument("--before", default=None, help="also run the burst on this commit's code")
    args = parser.parse_args()

    bodies = page_bodies(args.pages)
    results: dict[str, Any] = {"args": vars(args), "cpu_count": os.cpu_count(),
                               "loadavg_start": os.getloadavg(), "runs": []}
    up_port = free_port()
    upstream_argv = [sys.executable, str(ROOT / "scripts" / "lib" / "upstream.py"), str(up_port)]
    with Served("upstream", upstream_argv, up_port) as upstream:
        direct, _ = asyncio.run(burst(upstream.url, bodies, args.concurrency))
        results["direct"] = {"latency_median_s": statistics.median(s.seconds for s in direct),
                             "latency_max_s": max(s.seconds for s in direct)}
        if args.before:
            tree = before_tree(args.before)
            results["runs"].append({**run_mode("before", upstream, bodies, direct, args, tree),
                                    "commit": args.before})
        for mode in args.modes:
            results["runs"].append(run_mode(mode, upstream, bodies, direct, args))
    results["loadavg_end"] = os.getloadavg()
    out = ROOT / "reports" / "bench_overload.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=lambda o: asdict(o)))
    print(render(results))
    return 0


def render(results: dict[str, Any]) -> str:
    a = results["args"]
    lines = [
        f"{a['pages']} OCR pages, {a['concurrency']} in flight, budget {a['budget']:g} s, "
        f"{results['cpu_count']} cores (load {results['loadavg_start'][0]:.1f}); "
        f"direct to upstream: median {results['direct']['latency_median_s'] * 1000:.0f} ms",
        "",
        "| mode | compressed / sent as-is | latency median / p90 / max (s) | extra over direct, "
        "median / max (s) | > budget+50 ms | compressed again after burst (s) | RSS / PSS idle (MiB) "
        "| photo median / p90 one at a time (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        b, rec, mem = run["burst"], run["recovery"], run["memory_idle"]
        seq = run.get("sequential_photo")
        seq_text = "-" if not seq else f"{seq['median_s'] * 1000:.0f} / {seq['p90_s'] * 1000:.0f}"
        resumed = rec["seconds_after_burst"]
        resumed_text = "-" if resumed is None else f"{resumed:.2f}"
        tag = f" {run['commit']}" if "commit" in run else ""
        lines.append(
            f"| {run['mode']}{tag} "
            f"| {b['compressed']} / {b['sent_uncompressed']} "
            f"| {b['latency_median_s']:.2f} / {b['latency_p90_s']:.2f} / {b['latency_max_s']:.2f} "
            f"| {b['extra_median_s']:.2f} / {b['extra_max_s']:.2f} | {b['over_budget_plus_50ms']} "
            f"| {resumed_text} "
            f"| {mem['rss_mb']:.0f} / {mem['pss_mb']:.0f} ({mem['processes']} proc) "
            f"| {seq_text} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
