"""Tests for headroom_edge.catalog: the packaged table, its matching semantics, user overrides
from a dict, a file and the environment, the config option, and the unknown-model warning."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from headroom_edge.catalog import (
    CATALOG_ENV,
    CatalogError,
    ModelCatalog,
    default_catalog,
    load_catalog,
    normalize_model,
)
from headroom_edge.config import CompressionConfig
from headroom_edge.context import TechniqueContext
from headroom_edge.tokens import estimate_image_tokens, resolve_family

NEW_MODEL = {
    "families": {"acme-patch": {"provider": "openai", "kind": "openai_patch", "multiplier": 3.0,
                                "patch_budget": 100, "max_long_edge": 1000}},
    "models": [
        {"prefix": "acme-vision", "family": "acme-patch"},
        {"prefix": "gpt-4o", "family": "openai-patch", "multiplier": 2.0, "note": "override"},
    ],
}


def test_packaged_catalog_is_the_shipped_file() -> None:
    path = Path(__file__).resolve().parents[1] / "headroom_edge" / "data" / "models.json"
    data = json.loads(path.read_text())
    catalog = default_catalog()
    assert len(catalog.entries) == len(data["models"])
    assert {p: f.name for p, f in catalog.unknown.items()} == data["unknown"]
    assert default_catalog() is catalog  # parsed once


def test_no_packaged_prefix_row_is_shadowed_by_an_earlier_row() -> None:
    # First match wins, so a row whose own prefix an earlier row already matches is dead.
    catalog = default_catalog()
    for i, entry in enumerate(catalog.entries):
        if entry.is_regex:
            continue
        for earlier in catalog.entries[:i]:
            if earlier.family.provider == entry.family.provider:
                assert earlier.match_length(entry.pattern) is None, (earlier.pattern, entry.pattern)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("openai/GPT-4o", "gpt-4o"),
        ("ft:gpt-4o-2024-08-06:org::id", "gpt-4o-2024-08-06:org::id"),
        ("us.anthropic.claude-opus-4-7-v1:0", "claude-opus-4-7"),
        ("anthropic.claude-sonnet-5-v1", "claude-sonnet-5"),
        ("apac.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022"),
        ("projects/p/locations/l/publishers/anthropic/models/claude-sonnet-5@20261001", "claude-sonnet-5@20261001"),
        (None, ""),
        ("  ", ""),
    ],
)
def test_normalize_model(raw: str | None, name: str) -> None:
    assert normalize_model(raw) == name


def test_entries_only_match_their_provider() -> None:
    assert resolve_family("anthropic", "gpt-4o").name == "claude-4.7+"  # the unknown family
    assert resolve_family("google", "claude-opus-4-7").name == "gemini-3"


def test_dict_catalog_adds_a_model_and_overrides_a_packaged_row() -> None:
    catalog = load_catalog(NEW_MODEL)
    acme = catalog.resolve("openai", "acme-vision-2")
    assert (acme.name, acme.kind, acme.multiplier, acme.patch_budget) == ("acme-patch", "openai_patch", 3.0, 100)
    assert estimate_image_tokens("openai", "acme-vision", 10_000, 10_000, catalog=catalog) == 300
    gpt4o = catalog.resolve("openai", "gpt-4o")
    assert (gpt4o.name, gpt4o.kind, gpt4o.multiplier) == ("gpt-4o", "openai_patch", 2.0)
    # User rows are tried first, so the user's "gpt-4o" prefix also covers "gpt-4o-mini" (a
    # prefix ends at a separator); a user wanting both lists "gpt-4o-mini" first.
    assert catalog.resolve("openai", "gpt-4o-mini").kind == "openai_patch"
    # The packaged catalog is untouched.
    assert resolve_family("openai", "gpt-4o").kind == "openai_tile"


def test_user_unknown_family_and_new_family_kinds() -> None:
    catalog = load_catalog({"unknown": {"openai": "gpt-5.6+", "anthropic": "claude-4.7+"}})
    assert catalog.resolve("openai", "my-azure-deployment").name == "gpt-5.6+"
    assert catalog.resolve("anthropic", None).name == "claude-4.7+"
    assert catalog.resolve("google", None).name == "gemini-3"


def test_file_catalog_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps(NEW_MODEL))
    assert load_catalog(str(path)).resolve("openai", "acme-vision").name == "acme-patch"
    assert load_catalog(path) is load_catalog(str(path))  # one instance per file version
    assert load_catalog(environ={CATALOG_ENV: str(path)}).resolve("openai", "acme-vision").name == "acme-patch"
    assert load_catalog(environ={}) is default_catalog()
    monkeypatch.setenv(CATALOG_ENV, str(path))
    assert CompressionConfig().catalog.resolve("openai", "acme-vision").name == "acme-patch"
    assert estimate_image_tokens("openai", "acme-vision", 320, 320) == 300


def test_config_option_prices_requests(tmp_path: Path) -> None:
    config = CompressionConfig(model_catalog=NEW_MODEL)
    assert isinstance(config.model_catalog, ModelCatalog)
    hash(config)  # a dict is turned into a catalog: the config stays hashable
    assert config.with_changes(jpeg_quality=80).catalog.resolve("openai", "acme-vision").name == "acme-patch"
    ctx = TechniqueContext("openai", "acme-vision", None, None, config)
    assert ctx.family.name == "acme-patch"
    assert ctx.tokens((10_000, 10_000)) == 300
    path = tmp_path / "c.json"
    path.write_text(json.dumps(NEW_MODEL))
    assert TechniqueContext("openai", "acme-vision", None, None,
                            CompressionConfig(model_catalog=str(path))).family.name == "acme-patch"


def test_patch_multipliers_are_an_override_over_the_configured_catalog() -> None:
    config = CompressionConfig(model_catalog=NEW_MODEL, patch_multipliers=(("acme-vision", 1.0), ("o4-mini", 1.0)))
    ctx = TechniqueContext("openai", "acme-vision-x", None, None, config)
    assert (ctx.family.multiplier, ctx.family.patch_budget) == (1.0, 100)
    assert config.catalog.resolve("openai", "o4-mini").multiplier == 1.0
    assert CompressionConfig().catalog.resolve("openai", "o4-mini").multiplier == 1.72


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([], "JSON object"),
        (3, "JSON object"),
        ({"models": [{"prefix": "x", "family": "nope"}]}, "unknown family"),
        ({"models": [{"family": "gpt-5"}]}, "exactly one of"),
        ({"models": [{"prefix": "x", "regex": "x", "family": "gpt-5"}]}, "exactly one of"),
        ({"models": [{"regex": "(", "family": "gpt-5"}]}, "bad regex"),
        ({"models": [{"prefix": "x", "family": "gpt-5", "multiplier": 0}]}, "multiplier"),
        ({"models": [{"prefix": "x", "family": "gpt-5", "tile_tokens": -1}]}, "whole number"),
        ({"models": [{"prefix": "x", "family": "gpt-5", "colour": 1}]}, "unknown field"),
        ({"families": {"f": {"provider": "azure", "kind": "openai_tile"}}}, "provider"),
        ({"families": {"f": {"provider": "openai", "kind": "magic"}}}, "kind"),
        ({"families": {"f": {"provider": "openai", "kind": "openai_patch"}}}, "patch_budget"),
        ({"unknown": {"openai": "claude"}}, "anthropic family"),
        ({"unknown": {"azure": "gpt-5"}}, "unknown provider"),
        ({"modles": []}, "unknown keys"),
    ],
)
def test_bad_tables_fail_with_a_clear_error(table: object, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        load_catalog(table)  # type: ignore[arg-type]
    if isinstance(table, dict):
        with pytest.raises(CatalogError):
            CompressionConfig(model_catalog=table)


def test_unreadable_files_fail_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read model catalog"):
        load_catalog(str(tmp_path / "missing.json"))
    with pytest.raises(CatalogError, match="cannot read model catalog"):
        CompressionConfig(model_catalog=str(tmp_path / "missing.json"))  # at construction
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CatalogError, match="cannot read model catalog"):
        load_catalog(str(bad))


def test_unknown_model_warns_once_per_name_per_catalog(caplog: pytest.LogCaptureFixture) -> None:
    catalog = load_catalog({})  # a fresh instance: its own warning record
    caplog.set_level(logging.WARNING, logger="headroom_edge.catalog")
    for _ in range(3):
        assert catalog.resolve("openai", "Mystery-Model-1").name == "openai-unknown"
    catalog.resolve("anthropic", "mystery-model-1")  # same name: already reported
    catalog.resolve("openai", "mystery-model-2")
    catalog.resolve("openai", None)  # no name, nothing to report
    catalog.resolve("openai", "gpt-4o")  # known
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "mystery-model-1" in warnings[0].getMessage() and "openai-unknown" in warnings[0].getMessage()
    caplog.clear()
    load_catalog({}).resolve("openai", "mystery-model-1")  # another instance warns again
    assert len(caplog.records) == 1


def test_unknown_name_warnings_are_bounded(caplog: pytest.LogCaptureFixture) -> None:
    catalog = load_catalog({})
    caplog.set_level(logging.WARNING, logger="headroom_edge.catalog")
    for i in range(1100):
        catalog.resolve("openai", f"m{i}-" + "x" * 200)
    assert 1000 <= len(caplog.records) <= 1026
    assert "not reported" in caplog.records[-1].getMessage()
    assert all(len(r.getMessage()) < 400 for r in caplog.records)  # long names are cut


def test_infer_provider() -> None:
    catalog = default_catalog()
    assert catalog.infer_provider("gpt-5-mini") == "openai"
    assert catalog.infer_provider("us.anthropic.claude-sonnet-5-v1:0") == "anthropic"
    assert catalog.infer_provider("models/gemini-3-flash") == "google"
    assert catalog.infer_provider("llama-4") is None


def test_catalogs_and_configs_pickle_and_deepcopy() -> None:
    import copy
    import pickle

    config = CompressionConfig(model_catalog=NEW_MODEL, patch_multipliers=(("o4-mini", 1.0),))
    assert config.catalog.resolve("openai", "o4-mini").multiplier == 1.0
    for clone in (pickle.loads(pickle.dumps(config)), copy.deepcopy(config)):
        assert clone.catalog.resolve("openai", "acme-vision").name == "acme-patch"
        assert clone.catalog.resolve("openai", "o4-mini").multiplier == 1.0
    assert "ModelCatalog" in repr(default_catalog())


def test_redefining_a_packaged_family_rebinds_the_packaged_rows() -> None:
    gpt54 = {"provider": "openai", "kind": "openai_patch", "multiplier": 1.0, "patch_budget": 2500,
             "max_long_edge": 2048, "original_patch_budget": 10000, "original_long_edge": 6000}
    patch = {"provider": "openai", "kind": "openai_patch", "multiplier": 1.0, "patch_budget": 1000,
             "max_long_edge": 1024}
    claude = {"provider": "anthropic", "kind": "anthropic", "max_long_edge": 2000, "token_budget": 3000}
    catalog = load_catalog({"families": {"gpt-5.4": gpt54, "openai-patch": patch, "claude-4.7+": claude}})
    assert catalog.resolve("openai", "gpt-5.4-2026-03-05").multiplier == 1.0
    # A row's own overrides stay: gpt-5-mini keeps x1.62 on the redefined 1000-patch rule.
    mini = catalog.resolve("openai", "gpt-5-mini")
    assert (mini.name, mini.multiplier, mini.patch_budget, mini.max_long_edge) == ("gpt-5-mini", 1.62, 1000, 1024)
    assert catalog.resolve("anthropic", "claude-sonnet-5").token_budget == 3000
    assert catalog.resolve("anthropic", "unknown-claude").token_budget == 3000  # unknown follows
    assert resolve_family("openai", "gpt-5.4").multiplier == 1.2  # packaged catalog untouched
