"""Subprocess plumbing shared by the load scripts (bench_proxy.py, bench_overload.py, soak.py):
loopback ports, waiting for a child's health check, stopping a child for sure, and reading a
child's memory from /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[Any] | None) -> None:
    """Terminate, then kill after 10 s: a benchmark must never leave a server behind."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def wait_healthy(
    proc: subprocess.Popen[Any], url: str, name: str, log: Path, timeout_s: float
) -> None:
    """Polls ``url``/healthz until it answers 200; raises (after stopping ``proc``) when the child
    exits first or ``timeout_s`` passes, pointing at its log."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see {log}")
        try:
            if httpx.get(url + "/healthz", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"{name} did not answer within {timeout_s:.0f} s; see {log}")
        time.sleep(0.2)


def proc_stats(pid: int) -> dict[str, int]:
    """VmRSS/VmHWM (KB), threads and open file descriptors of a process, from /proc."""
    stats: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                stats[key.lower() + "_kb"] = int(value.split()[0])
            elif key == "Threads":
                stats["threads"] = int(value)
    stats["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return stats
