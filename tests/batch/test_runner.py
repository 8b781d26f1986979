"""run_batch and ``headroom-edge batch``: order, ids, parallel equals serial, resume, summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from headroom_edge.batch.runner import PROGRESS_SUFFIX, BatchError, BatchOptions, run_batch
from tests.batch.conftest import batch_lines

REPO = Path(__file__).resolve().parents[2]


def _ids(path: Path) -> list[str | None]:
    out = []
    for line in path.read_bytes().splitlines():
        try:
            out.append(json.loads(line).get("custom_id"))
        except ValueError:
            out.append(None)
    return out


def test_order_ids_and_unchanged_lines_are_kept(batch_file: Path, serial_output) -> None:
    out, summary = serial_output
    src = batch_file.read_bytes().splitlines(keepends=True)
    dst = out.read_bytes().splitlines(keepends=True)
    assert len(src) == len(dst) == summary.lines == 14
    assert _ids(out) == _ids(batch_file)
    assert dst[1] == src[1] == b"\n" and dst[3] == src[3]  # blank and junk lines, untouched
    assert summary.not_requests == 2 and summary.changed >= 8 and summary.failed == 0
    assert summary.tokens_after < summary.tokens_before
    assert not out.with_name(out.name + PROGRESS_SUFFIX).exists()


def test_two_processes_write_the_same_bytes(batch_file: Path, serial_output, tmp_path: Path) -> None:
    out = tmp_path / "parallel.jsonl"
    summary = run_batch(batch_file, out, BatchOptions(processes=2, chunk_lines=2, progress=False))
    assert out.read_bytes() == serial_output[0].read_bytes()
    assert summary.processes == 2 and summary.tokens_after == serial_output[1].tokens_after


def test_an_existing_output_is_not_clobbered(batch_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    with pytest.raises(BatchError, match="exists"):
        run_batch(batch_file, out, BatchOptions(progress=False))
    assert out.read_text() == "precious\n"
    with pytest.raises(BatchError, match="another file"):
        run_batch(batch_file, batch_file, BatchOptions(progress=False, restart=True))


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "headroom_edge", "batch", *args]


def test_interrupted_run_resumes_to_the_same_file(tmp_path: Path) -> None:
    """SIGINT a real ``headroom-edge batch`` mid-file, run it again: same bytes as one run."""
    src = tmp_path / "in.jsonl"
    lines = batch_lines(40, unique=True)
    src.write_bytes(b"".join(lines))
    expected = tmp_path / "expected.jsonl"
    run_batch(src, expected, BatchOptions(processes=1, progress=False))
    out = tmp_path / "out.jsonl"
    progress = out.with_name(out.name + PROGRESS_SUFFIX)
    args = _cli(str(src), "-o", str(out), "-p", "1", "--chunk-lines", "1", "--no-progress")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(args, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if progress.exists():
            try:
                done = json.loads(progress.read_text())["summary"]["lines"]
            except (ValueError, KeyError):
                done = 0
            if done >= 2:
                break
        time.sleep(0.005)
    assert proc.poll() is None, f"finished before it could be interrupted: {proc.stderr.read()}"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "resume" in err
    partial = json.loads(progress.read_text())
    assert 2 <= partial["summary"]["lines"] < 42

    again = subprocess.run(
        [*args, "--summary-json", str(tmp_path / "summary.json")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )
    assert again.returncode == 0, again.stderr
    assert "resumed at line" in again.stderr
    assert out.read_bytes() == expected.read_bytes()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["lines"] == 42 and summary["resumed_at_line"] == partial["summary"]["lines"]
    assert not progress.exists()


def test_resume_refuses_a_changed_input(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join(batch_lines(3)))
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"")
    out.with_name(out.name + PROGRESS_SUFFIX).write_text(
        json.dumps({"input": {"size": 1, "head_sha256": "0"}, "input_offset": 0,
                    "output_offset": 0, "summary": {}})
    )
    with pytest.raises(BatchError, match="input changed"):
        run_batch(src, out, BatchOptions(progress=False))


def test_cli_reports_a_missing_input(tmp_path: Path) -> None:
    proc = subprocess.run(
        _cli(str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.jsonl")),
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2 and "no such file" in proc.stderr
