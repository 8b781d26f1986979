"""``headroom-edge models`` and ``headroom-edge tokens`` as a user runs them: a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from headroom_edge.catalog import CATALOG_ENV

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != CATALOG_ENV}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "headroom_edge", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_models_prints_the_catalog_table() -> None:
    proc = run_cli("models")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["pattern", "family", "provider", "kind", "parameters"]
    assert any(line.split()[:2] == ["gpt-5-mini", "gpt-5-mini"] and "multiplier=1.62" in line for line in lines)
    assert any("claude-4.7+" in line and "token_budget=4784" in line for line in lines)
    assert any(line.startswith("(unknown openai model)") and " openai-unknown " in line for line in lines)


def test_models_json_follows_the_table_order() -> None:
    proc = run_cli("models", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    prefixes = [row.get("prefix") for row in data["models"]]
    assert prefixes.index("gpt-4o-mini") < prefixes.index("gpt-4o")
    row = next(r for r in data["models"] if r.get("prefix") == "gpt-5.4-nano")
    assert row["parameters"] == {"multiplier": 2.46, "patch_budget": 1536, "max_long_edge": 2048}
    assert data["unknown"] == {"openai": "openai-unknown", "anthropic": "claude-4.7+", "google": "gemini-3"}


def test_models_with_a_user_catalog_shows_user_rows_first(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"models": [{"prefix": "acme-vision", "family": "gpt-5.4"}]}))
    proc = run_cli("models", "--json", "--model-catalog", str(path))
    first = json.loads(proc.stdout)["models"][0]
    assert (first["prefix"], first["family"], first["source"]) == ("acme-vision", "gpt-5.4", str(path))
    env_proc = run_cli("models", "--json", env={CATALOG_ENV: str(path)})
    assert json.loads(env_proc.stdout)["models"][0]["prefix"] == "acme-vision"


def test_tokens_estimates_with_the_documented_numbers() -> None:
    proc = run_cli("tokens", "gpt-5-mini", "4000x100", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["provider"], report["family"], report["kind"]) == ("openai", "gpt-5-mini", "openai_patch")
    assert (report["tokens"], report["seen_size"]) == (208, [2048, 51])

    proc = run_cli("tokens", "gpt-5.6", "8000x6000", "--detail", "original")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("47000 tokens") and "gpt-5.6+" in proc.stdout

    sonnet = json.loads(run_cli("tokens", "claude-sonnet-5", "4000x3000", "--json").stdout)
    assert (sonnet["provider"], sonnet["family"]) == ("anthropic", "claude-4.7+")
    assert 4500 <= sonnet["tokens"] <= 4784

    gemini = json.loads(run_cli("tokens", "models/gemini-3-flash", "640x480", "--media-resolution",
                                "medium", "--json").stdout)
    assert (gemini["provider"], gemini["tokens"], gemini["low_detail_tokens"]) == ("google", 560, 280)


def test_tokens_unknown_model_needs_a_provider_and_warns_once() -> None:
    proc = run_cli("tokens", "my-deployment", "1024x1024")
    assert proc.returncode == 2 and "--provider" in proc.stderr
    proc = run_cli("tokens", "my-deployment", "1024x1024", "--provider", "openai", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tokens"] == 1229  # the gpt-5.4 rule: 1024 patches x 1.2
    assert proc.stderr.count("not in the model catalog") == 1


def test_tokens_bad_arguments_fail_clearly(tmp_path: Path) -> None:
    proc = run_cli("tokens", "gpt-4o", "big")
    assert proc.returncode == 2 and "1024x768" in proc.stderr
    proc = run_cli("tokens", "gpt-4o", "0x10")
    assert proc.returncode == 2 and "at least 1x1" in proc.stderr
    proc = run_cli("tokens", "gpt-4o", "10x10", "--provider", "azure")
    assert proc.returncode == 2 and "unknown provider" in proc.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    proc = run_cli("tokens", "gpt-4o", "10x10", "--model-catalog", str(bad))
    assert proc.returncode == 2 and "JSON object" in proc.stderr


def test_proxy_model_catalog_flag_and_env_reach_the_compression_config(tmp_path: Path) -> None:
    from headroom_edge.cli import build_parser
    from headroom_edge.cli.proxy import settings_from_args
    from headroom_edge.integrations.settings import ProxySettings

    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"models": [{"prefix": "acme-vision", "family": "gpt-5.4"}]}))
    args = build_parser().parse_args(["proxy", "--model-catalog", str(path)])
    config = settings_from_args(args).compression_config()
    assert config.catalog.resolve("openai", "acme-vision").name == "gpt-5.4"
    from_env = ProxySettings.from_env({CATALOG_ENV: str(path)}).compression_config()
    assert from_env.catalog.resolve("openai", "acme-vision").name == "gpt-5.4"
    assert ProxySettings.from_env({}).compression_config().model_catalog is None


def test_proxy_with_a_bad_catalog_fails_at_start_up(tmp_path: Path) -> None:
    from headroom_edge.catalog import CatalogError
    from headroom_edge.integrations.settings import ProxySettings

    bad = tmp_path / "bad.json"
    bad.write_text('{"models": [{"prefix": "x", "family": "nope"}]}')
    with pytest.raises(CatalogError, match="unknown family"):
        ProxySettings(model_catalog=str(bad)).compression_config()
