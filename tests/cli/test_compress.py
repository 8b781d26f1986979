"""``headroom-edge compress`` and ``route`` as a user runs them: a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from headroom_edge._version import __version__
from headroom_edge.formats.datauri import decode_base64, parse_data_url
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "headroom_edge", *args], cwd=ROOT, input=stdin,
                          capture_output=True, timeout=240)


def test_compress_example_request(tmp_path: Path) -> None:
    out_file = tmp_path / "out.json"
    proc = run_cli("compress", "examples/request.json", "-o", str(out_file))
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    table = proc.stderr.decode()
    assert "full_low" in table and "transcode" in table and "total:" in table
    body = json.loads(out_file.read_text())
    first = body["messages"][1]["content"][1]["image_url"]
    assert first["detail"] == "low"
    _, data = parse_data_url(first["url"])
    assert f.decode(decode_base64(data)).size == (512, 512)
    assert any(part.get("type") == "text" and "OCR" in part.get("text", "") for part in body["messages"][3]["content"])


def test_compress_example_request_with_preview(tmp_path: Path) -> None:
    page = tmp_path / "preview.html"
    proc = run_cli("compress", "examples/request.json", "-o", str(tmp_path / "out.json"), "--preview", str(page))
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    text = page.read_text()
    assert text.count("<section>") == 2
    assert "full_low" in text and "transcode" in text and "[Text extracted from the image by OCR]" in text
    assert "model resolves 768x768" in text  # gpt-4o sees the 1024x1024 original at 768x768


def test_compress_stdin_with_json_report() -> None:
    raw = json.dumps(f.anthropic_body(f.photo_jpeg(), "What is this?")).encode()
    proc = run_cli("compress", "-", "--json-report", stdin=raw)
    assert proc.returncode == 0
    report = json.loads(proc.stderr.decode()[proc.stderr.decode().index("{"):])
    assert report["provider"] == "anthropic" and report["technique"] == "full_low"
    assert json.loads(proc.stdout)["messages"][0]["content"][0]["source"]["type"] == "base64"


def test_compress_non_request_passes_through() -> None:
    proc = run_cli("compress", "-", stdin=b'{"hello": "world"}')
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {"hello": "world"}
    assert "not a recognised" in proc.stderr.decode()


def test_route_prints_json() -> None:
    proc = run_cli("route", "Please transcribe this receipt")
    assert proc.returncode == 0, proc.stderr.decode()
    decision = json.loads(proc.stdout)
    assert decision["technique"] == "transcode"
    assert decision["decided_by"] in ("router", "rules")


def test_route_rules_gives_region() -> None:
    decision = json.loads(run_cli("route", "--rules", "what's in the top left corner").stdout)
    assert decision["technique"] == "crop" and decision["region"]["name"] == "top-left corner"


def test_version_and_help() -> None:
    assert __version__ in run_cli("--version").stdout.decode()
    helptext = run_cli("--help").stdout.decode()
    for command in ("proxy", "compress", "route"):
        assert command in helptext
