"""The model catalog: which billing rule (family) a model name gets, as data a user can extend.

New models ship more often than this package, so the mapping from model names to billing rules is
a table (``headroom_edge/data/models.json``), not code: a user adds or overrides entries from a
JSON file or dict (``CompressionConfig(model_catalog=...)``, ``HEADROOM_MODEL_CATALOG=/path.json``,
``headroom-edge proxy --model-catalog FILE``) without waiting for a release. The rules themselves
(the arithmetic of each ``kind``) stay in :mod:`headroom_edge.tokens`, which imports this module.

Table format (the packaged file is the reference)::

    {"families": {NAME: {"provider": ..., "kind": ..., <ModelFamily fields>}, ...},
     "models":   [{"prefix": "gpt-5-mini" | "regex": "...", "family": NAME, <field overrides>}, ...],
     "unknown":  {PROVIDER: NAME, ...}}

Matching semantics, chosen so that one ordered list can say "gpt-5.4 and later" or "Claude 4.7
and later, any tier name":

* the model name is normalised first (:func:`normalize_model`);
* an entry matches when its ``prefix`` (a literal) or ``regex`` (Python syntax) matches at the
  *start* of the name and the match ends at the end of the name or before a separator
  (``- . @ : _ /`` or a space): "gpt-4o" matches "gpt-4o-2024-08-06", not "gpt-4omni";
* an entry only matches requests to its family's provider;
* a row may override family fields (``"multiplier": 1.62``); it then is a family of its own,
  named after its prefix;
* entries are tried in order and the first match wins; a user's entries are tried before the
  packaged ones, so they override them. A user's families are added to (or replace, by name)
  the packaged ones, also in the packaged rows and unknown defaults that use them, and a user's
  ``unknown`` replaces the packaged default per provider.

A model no entry matches gets the provider's ``unknown`` family (an estimate must never fail on a
new name) and one warning per name and catalog instance, so a deployment learns which names to add.
The packaged unknown families are the conservative ones: a new name is most likely a newer model,
so it gets the rule that sees the most pixels at high detail (gpt-5.4's 2,500 patches / 2048 px
at x1.2, Claude 4.7+'s 2576 px, Gemini 3's unresized image): a crop shrunk to "what the provider
sees" never loses pixels the model would have used, and the price is the current generation's.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from headroom_edge.providers import PROVIDERS, Provider

__all__ = [
    "CATALOG_ENV",
    "CatalogError",
    "CatalogSource",
    "FamilyKind",
    "ModelCatalog",
    "ModelEntry",
    "ModelFamily",
    "PatchMultipliers",
    "default_catalog",
    "load_catalog",
    "normalize_model",
]

logger = logging.getLogger(__name__)

CATALOG_ENV = "HEADROOM_MODEL_CATALOG"
"""Environment variable naming a JSON catalog merged over the packaged one."""

FamilyKind = Literal["openai_tile", "openai_patch", "anthropic", "gemini3", "gemini2"]
FAMILY_KINDS: tuple[FamilyKind, ...] = ("openai_tile", "openai_patch", "anthropic", "gemini3", "gemini2")
PatchMultipliers = Mapping[str, float] | Iterable[tuple[str, float]]

_BOUNDARY = r"(?=$|[-.@:_/ ])"
_MAX_WARNED = 1024
"""Distinct unknown names one catalog warns about; beyond that it stays quiet (names come from
clients, so an unbounded set would be a memory leak a client controls)."""
_MAX_LOGGED_NAME = 80
_MAX_NAME = 512
"""Model names are read up to this length: no real id is longer, and matching every pattern of
the table against a client-chosen megabyte string would be work a client controls."""


class CatalogError(ValueError):
    """A catalog table that cannot be used; the message names the file/entry and the problem."""


@dataclass(frozen=True)
class ModelFamily:
    """One billing rule and its parameters; fields that do not apply to ``kind`` keep defaults.

    Frozen (hashable) so it can be part of cache keys and compared in tests.
    """

    name: str
    provider: Provider
    kind: FamilyKind
    base_tokens: int = 0
    """openai_tile: flat tokens per image, and the whole cost at ``detail: "low"``."""
    tile_tokens: int = 0
    """openai_tile: tokens per 512x512 tile."""
    multiplier: float = 1.0
    """openai_patch: billed tokens per 32-px patch."""
    patch_budget: int = 0
    """openai_patch: most patches per image (the image is shrunk to fit)."""
    original_patch_budget: int | None = 0
    """openai_patch with ``detail: "original"``: 0 prices it like ``high``; None means no budget
    and no resizing at all (GPT-5.6); otherwise the most patches."""
    original_long_edge: int | None = None
    """openai_patch with ``detail: "original"`` and a budget: long-edge cap in px (None: as high)."""
    max_long_edge: int | None = None
    """openai_patch and anthropic: long-edge cap in px applied before counting."""
    token_budget: int = 0
    """anthropic: most 28-px visual tokens per image (the image is shrunk to fit)."""
    auto_detail: Literal["high", "original"] = "high"
    """What a missing or ``"auto"`` OpenAI detail means (gpt-5.5 and later: ``original``)."""


_INT_FIELDS = ("base_tokens", "tile_tokens", "patch_budget", "token_budget")
_OPTIONAL_INT_FIELDS = ("original_patch_budget", "original_long_edge", "max_long_edge")
_PARAMETERS = frozenset(f.name for f in fields(ModelFamily)) - {"name", "provider", "kind"}


@dataclass(frozen=True)
class ModelEntry:
    """One row of the table: a name pattern and the family (with its overrides) it selects."""

    pattern: str
    """The ``prefix`` or ``regex`` text as written in the table."""
    is_regex: bool
    family: ModelFamily
    """The family this row selects, with the row's own field overrides applied."""
    source: str = "packaged"
    """Where the row came from ("packaged", a file path, "config")."""
    family_key: str = ""
    """The family name the row refers to (before overrides); a user table that redefines that
    family re-binds the row (see :meth:`rebound`)."""
    overrides: tuple[tuple[str, Any], ...] = ()
    """The row's own field overrides ("multiplier": 1.62, ...)."""
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        body = self.pattern if self.is_regex else re.escape(self.pattern)
        try:
            object.__setattr__(self, "compiled", re.compile(f"(?:{body}){_BOUNDARY}"))
        except re.error as exc:
            raise CatalogError(f"{self.source}: bad regex {self.pattern!r}: {exc}") from None

    def rebound(self, families: Mapping[str, ModelFamily]) -> ModelEntry:
        """This row with its family taken from ``families`` when they redefine it (by name), so
        a user who changes family "gpt-5.4" changes every packaged row that uses it."""
        if self.family_key not in families:
            return self
        family = _bind(families[self.family_key], self.pattern, self.is_regex, dict(self.overrides))
        return replace(self, family=family)

    def match_length(self, name: str) -> int | None:
        """Characters of ``name`` the pattern covers, or None when it does not match."""
        found = self.compiled.match(name)
        return found.end() if found else None


def normalize_model(model: str | None) -> str:
    """Lower-case model id without routing decorations, so one pattern covers every door.

    Drops "ft:" (fine-tunes), path prefixes ("models/gemini-2.5-flash", "openai/gpt-4o", Vertex
    resource paths), Bedrock's region and vendor prefixes ("us.anthropic.", "anthropic.") and
    version suffixes ("-v1:0", "-v2"), and anything before "claude-" (other gateways' prefixes).
    """
    if not model or not isinstance(model, str):
        return ""
    name = model.strip().lower()[:_MAX_NAME]
    if name.startswith("ft:"):
        name = name[3:]
    name = name.rsplit("/", 1)[-1]
    name = re.sub(r"^(?:[a-z]{2,4}\.)?anthropic\.", "", name)
    claude_at = name.find("claude-")
    if claude_at > 0:
        name = name[claude_at:]
    if name.startswith("claude-"):
        name = re.sub(r"-v\d+(?::\d+)?$", "", name)
    return name


class ModelCatalog:
    """An ordered pattern table over named families, plus the per-provider unknown family.

    Immutable after construction except for the record of unknown names already warned about
    (per instance, bounded, lock-guarded): that is what makes "one warning per unknown model"
    hold across the requests one compressor or proxy serves.
    """

    def __init__(
        self,
        families: Mapping[str, ModelFamily],
        entries: Sequence[ModelEntry],
        unknown: Mapping[str, ModelFamily],
        *,
        multiplier_overrides: Mapping[str, float] | None = None,
    ) -> None:
        missing = [p for p in PROVIDERS if p not in unknown]
        if missing:
            raise CatalogError(f"catalog has no unknown-model family for {', '.join(missing)}")
        self.families: Mapping[str, ModelFamily] = MappingProxyType(dict(families))
        self.entries: tuple[ModelEntry, ...] = tuple(entries)
        self.unknown: Mapping[str, ModelFamily] = MappingProxyType(dict(unknown))
        self.multiplier_overrides: Mapping[str, float] = MappingProxyType(dict(multiplier_overrides or {}))
        self._by_provider: Mapping[str, tuple[ModelEntry, ...]] = MappingProxyType(
            {p: tuple(e for e in self.entries if e.family.provider == p) for p in PROVIDERS}
        )
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle / deepcopy (a config may travel to a worker): the table, not the lock or the
        # record of warnings, which belong to one instance.
        return (_rebuild, (dict(self.families), self.entries, dict(self.unknown),
                           dict(self.multiplier_overrides)))

    def __repr__(self) -> str:
        return f"<ModelCatalog {len(self.entries)} rows, {len(self.families)} families>"

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, source: str = "config",
                  base: ModelCatalog | None = None) -> ModelCatalog:
        """A catalog from a parsed table; with ``base``, the table is merged over it (see module)."""
        if not isinstance(data, Mapping):
            raise CatalogError(f"{source}: a catalog is a JSON object, got {type(data).__name__}")
        unknown_keys = set(data) - {"format", "about", "families", "models", "unknown", "note"}
        if unknown_keys:
            raise CatalogError(f"{source}: unknown keys {sorted(unknown_keys)}")
        families = dict(base.families) if base else {}
        user_families = _mapping(data.get("families", {}), source, "families")
        user_unknown = _mapping(data.get("unknown", {}), source, "unknown")
        for name, spec in user_families.items():
            families[str(name)] = _family(str(name), spec, source)
        entries = [_entry(row, families, source, i) for i, row in
                   enumerate(_sequence(data.get("models", []), source, "models"))]
        unknown = dict(base.unknown) if base else {}
        for provider, name in user_unknown.items():
            if provider not in PROVIDERS:
                raise CatalogError(f"{source}: unknown provider {provider!r} in 'unknown'")
            family = _lookup(families, name, source, f"unknown.{provider}")
            if family.provider != provider:
                raise CatalogError(f"{source}: unknown.{provider} names a {family.provider} family")
            unknown[provider] = family
        if base:
            # Packaged rows and unknown families that use a family the user redefined follow it.
            redefined = {str(name): families[str(name)] for name in user_families}
            entries += [entry.rebound(redefined) for entry in base.entries]
            for provider, family in base.unknown.items():
                if provider not in user_unknown and family.name in redefined:
                    unknown[provider] = redefined[family.name]
        return cls(families, entries, unknown,
                   multiplier_overrides=base.multiplier_overrides if base else None)

    def merged(self, source: CatalogSource) -> ModelCatalog:
        """This catalog with a user's table (path, dict or catalog) tried first."""
        if isinstance(source, ModelCatalog):
            return ModelCatalog(
                {**self.families, **source.families}, source.entries + self.entries,
                {**self.unknown, **source.unknown},
                multiplier_overrides={**self.multiplier_overrides, **source.multiplier_overrides},
            )
        if isinstance(source, Mapping):
            return ModelCatalog.from_data(source, source="config", base=self)
        path = Path(os.fspath(source))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CatalogError(f"cannot read model catalog {str(path)!r}: {exc}") from None
        return ModelCatalog.from_data(data, source=str(path), base=self)

    def with_patch_multipliers(self, overrides: PatchMultipliers | None) -> ModelCatalog:
        """The catalog with ``patch_multipliers`` overrides, the older per-call way to price
        OpenAI patch models: (model prefix, multiplier) pairs.

        Unlike table rows, an override competes on length with the table's match (so the
        override "gpt-4" does not capture "gpt-4o"): one at least as long as the match wins and,
        on a patch family, replaces the multiplier (budgets kept); on anything else it makes a
        1536-patch model with that multiplier.
        """
        if not overrides:
            return self
        pairs = overrides.items() if isinstance(overrides, Mapping) else overrides
        merged = dict(self.multiplier_overrides)
        for prefix, value in pairs:
            merged[str(prefix).strip().lower()] = _multiplier(value, repr(prefix))
        return ModelCatalog(self.families, self.entries, self.unknown, multiplier_overrides=merged)

    # --- resolving --------------------------------------------------------------------------

    def match(self, provider: str, model: str | None) -> tuple[ModelFamily, ModelEntry | None]:
        """The family for ``model`` at ``provider`` and the row that chose it (None: unknown).

        No warning; :meth:`resolve` is the request path.
        """
        name = normalize_model(model)
        found: tuple[int, ModelEntry] | None = None
        if name:
            for entry in self._by_provider.get(provider, ()):
                length = entry.match_length(name)
                if length is not None:
                    found = (length, entry)
                    break
        if provider == "openai" and self.multiplier_overrides and name:
            overridden = self._override(name, found)
            if overridden is not None:
                return overridden, None if found is None else found[1]
        if found is None:
            return self.unknown[provider], None
        return found[1].family, found[1]

    def resolve(self, provider: str, model: str | None) -> ModelFamily:
        """The family for ``model``; warns once per unknown (non-empty) name on this catalog."""
        family, entry = self.match(provider, model)
        if entry is None and model and family is self.unknown[provider]:
            self._warn_unknown(provider, normalize_model(model), family)
        return family

    def infer_provider(self, model: str) -> Provider | None:
        """The provider of the first row that matches ``model`` (for the ``tokens`` command)."""
        name = normalize_model(model)
        for entry in self.entries:
            if entry.match_length(name) is not None:
                return entry.family.provider
        return None

    def patch_multipliers(self) -> Mapping[str, float]:
        """Literal-prefix rows of 32-px patch models -> multiplier (a view for callers/tests)."""
        return MappingProxyType({e.pattern: e.family.multiplier for e in reversed(self.entries)
                                 if not e.is_regex and e.family.kind == "openai_patch"})

    def _override(self, name: str, found: tuple[int, ModelEntry] | None) -> ModelFamily | None:
        best: tuple[int, str, float] | None = None
        for prefix, mult in self.multiplier_overrides.items():
            if re.match(re.escape(prefix) + _BOUNDARY, name) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), prefix, mult)
        if best is None or (found is not None and best[0] < found[0]):
            return None
        _, prefix, mult = best
        if found is not None and found[1].family.kind == "openai_patch":
            return replace(found[1].family, multiplier=mult)
        base = self.families.get("openai-patch")
        if base is not None and base.kind == "openai_patch":
            return replace(base, name=prefix, multiplier=mult)
        return ModelFamily(prefix, "openai", "openai_patch", multiplier=mult, patch_budget=1536,
                           max_long_edge=2048)

    def _warn_unknown(self, provider: str, name: str, family: ModelFamily) -> None:
        with self._lock:
            if name in self._warned or len(self._warned) > _MAX_WARNED:
                return
            self._warned.add(name)
            last = len(self._warned) > _MAX_WARNED
        shown = name if len(name) <= _MAX_LOGGED_NAME else name[:_MAX_LOGGED_NAME] + "..."
        logger.warning(
            "model %r is not in the model catalog; %s images are priced as family %r. Add it "
            "with a catalog entry (CompressionConfig(model_catalog=...) or %s).%s",
            shown, provider, family.name, CATALOG_ENV,
            " Further unknown names are not reported." if last else "",
        )


def _rebuild(families: dict[str, ModelFamily], entries: tuple[ModelEntry, ...],
             unknown: dict[str, ModelFamily], overrides: dict[str, float]) -> ModelCatalog:
    return ModelCatalog(families, entries, unknown, multiplier_overrides=overrides)


CatalogSource = ModelCatalog | Mapping[str, Any] | str | os.PathLike[str]


@lru_cache(maxsize=1)
def default_catalog() -> ModelCatalog:
    """The packaged table, parsed once per process on first use."""
    text = resources.files("headroom_edge").joinpath("data/models.json").read_text(encoding="utf-8")
    return ModelCatalog.from_data(json.loads(text), source="packaged")


@lru_cache(maxsize=8)
def _from_path(path: str, mtime_ns: int) -> ModelCatalog:
    return default_catalog().merged(path)


def load_catalog(source: CatalogSource | None = None,
                 environ: Mapping[str, str] | None = None) -> ModelCatalog:
    """The catalog to use: ``source`` merged over the packaged table, else the file named by
    ``HEADROOM_MODEL_CATALOG``, else the packaged table.

    Files are parsed once per (path, modification time), so every compressor of a process that
    uses the same file shares one catalog (and one set of unknown-name warnings).
    """
    if isinstance(source, ModelCatalog):
        return source
    if source is None:
        env = os.environ if environ is None else environ
        path = env.get(CATALOG_ENV, "").strip()
        if not path:
            return default_catalog()
        source = path
    if isinstance(source, Mapping):
        return default_catalog().merged(source)
    if not isinstance(source, str | os.PathLike):
        raise CatalogError(f"a model catalog is a JSON object, a path or a ModelCatalog, got "
                           f"{type(source).__name__}")
    path = os.fspath(source)
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError as exc:
        raise CatalogError(f"cannot read model catalog {path!r}: {exc}") from None
    return _from_path(path, mtime)


# --- table parsing -------------------------------------------------------------------------------


def _mapping(value: Any, source: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CatalogError(f"{source}: '{what}' must be an object")
    return value


def _sequence(value: Any, source: str, what: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise CatalogError(f"{source}: '{what}' must be a list")
    return value


def _lookup(families: Mapping[str, ModelFamily], name: Any, source: str, where: str) -> ModelFamily:
    if not isinstance(name, str) or name not in families:
        raise CatalogError(f"{source}: {where} names unknown family {name!r}")
    return families[name]


def _multiplier(value: Any, where: str) -> float:
    try:
        mult = float(value)
    except (TypeError, ValueError):
        mult = math.nan
    if isinstance(value, bool) or not mult > 0 or math.isinf(mult):
        raise CatalogError(f"patch multiplier for {where} must be a positive number, got {value!r}")
    return mult


def _parameters(spec: Mapping[str, Any], source: str, where: str) -> dict[str, Any]:
    """Checked ModelFamily keyword arguments from a table object (``note`` is ignored)."""
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "note":
            continue
        if key not in _PARAMETERS:
            raise CatalogError(f"{source}: {where}: unknown field {key!r}")
        if key == "multiplier":
            out[key] = _multiplier(value, where)
        elif key == "auto_detail":
            if value not in ("high", "original"):
                raise CatalogError(f"{source}: {where}: auto_detail must be 'high' or 'original'")
            out[key] = value
        elif value is None and key in _OPTIONAL_INT_FIELDS:
            out[key] = None
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            out[key] = value
        else:
            raise CatalogError(f"{source}: {where}: {key} must be a whole number >= 0, got {value!r}")
    return out


def _family(name: str, spec: Any, source: str) -> ModelFamily:
    where = f"family {name!r}"
    spec = _mapping(spec, source, where)
    provider, kind = spec.get("provider"), spec.get("kind")
    if provider not in PROVIDERS:
        raise CatalogError(f"{source}: {where}: provider must be one of {', '.join(PROVIDERS)}")
    if kind not in FAMILY_KINDS:
        raise CatalogError(f"{source}: {where}: kind must be one of {', '.join(FAMILY_KINDS)}")
    params = _parameters({k: v for k, v in spec.items() if k not in ("provider", "kind")}, source, where)
    family = ModelFamily(name, provider, kind, **params)
    if kind == "openai_patch" and family.patch_budget < 1:
        raise CatalogError(f"{source}: {where}: an openai_patch family needs patch_budget >= 1")
    if kind == "anthropic" and family.token_budget < 1:
        raise CatalogError(f"{source}: {where}: an anthropic family needs token_budget >= 1")
    return family


def _entry(row: Any, families: Mapping[str, ModelFamily], source: str, index: int) -> ModelEntry:
    where = f"models[{index}]"
    row = _mapping(row, source, where)
    has_prefix, has_regex = "prefix" in row, "regex" in row
    if has_prefix == has_regex:
        raise CatalogError(f"{source}: {where} needs exactly one of 'prefix' or 'regex'")
    pattern = row["prefix"] if has_prefix else row["regex"]
    if not isinstance(pattern, str) or not pattern.strip():
        raise CatalogError(f"{source}: {where}: the pattern must be a non-empty string")
    family = _lookup(families, row.get("family"), source, where)
    overrides = _parameters({k: v for k, v in row.items() if k not in ("prefix", "regex", "family")},
                            source, where)
    pattern = pattern.strip() if has_regex else pattern.strip().lower()
    return ModelEntry(pattern, has_regex, _bind(family, pattern, has_regex, overrides), source=source,
                      family_key=family.name, overrides=tuple(overrides.items()))


def _bind(family: ModelFamily, pattern: str, is_regex: bool, overrides: Mapping[str, Any]) -> ModelFamily:
    """The family a row selects. A row that changes fields is a family of its own, named after
    its prefix, so "gpt-5-mini" and "o4-mini" stay told apart wherever the name is shown."""
    if not overrides:
        return family
    return replace(family, name=family.name if is_regex else pattern, **overrides)
