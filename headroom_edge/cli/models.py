"""``headroom-edge models``: the model catalog as a table (or JSON), to check what a name gets."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, fields
from typing import Any

from headroom_edge.catalog import ModelCatalog, ModelFamily, load_catalog

_COLUMNS = ("pattern", "family", "provider", "kind", "parameters")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "models",
        help="print the model catalog (model-name patterns -> billing family)",
        description="Print the model catalog in matching order (first match wins), then the "
        "family each provider's unknown models get. A catalog given with --model-catalog (or "
        "HEADROOM_MODEL_CATALOG) is merged over the packaged one and shown first.",
    )
    parser.add_argument("--json", action="store_true", help="print the catalog as JSON")
    add_catalog_argument(parser)
    parser.set_defaults(run=run)


def add_catalog_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--model-catalog FILE`` option, shared with ``headroom-edge tokens``."""
    parser.add_argument(
        "--model-catalog", metavar="FILE",
        help="JSON catalog merged over the packaged one (default: env HEADROOM_MODEL_CATALOG)",
    )


def run(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.model_catalog)
    if args.json:
        print(json.dumps(catalog_json(catalog), indent=2))
    else:
        print(catalog_table(catalog))
    return 0


def family_parameters(family: ModelFamily) -> dict[str, Any]:
    """The fields of ``family`` that differ from the defaults (what its rule actually uses);
    a patch family always shows its multiplier, since x1.0 is a choice too."""
    defaults = {f.name: f.default for f in fields(ModelFamily)}
    return {k: v for k, v in asdict(family).items()
            if k not in ("name", "provider", "kind")
            and (v != defaults[k] or (k == "multiplier" and family.kind == "openai_patch"))}


def catalog_json(catalog: ModelCatalog) -> dict[str, Any]:
    return {
        "models": [
            {"regex" if e.is_regex else "prefix": e.pattern, "family": e.family.name,
             "provider": e.family.provider, "kind": e.family.kind, "source": e.source,
             "parameters": family_parameters(e.family)}
            for e in catalog.entries
        ],
        "unknown": {p: f.name for p, f in catalog.unknown.items()},
    }


def catalog_table(catalog: ModelCatalog) -> str:
    rows = [(("/" + e.pattern + "/") if e.is_regex else e.pattern, e.family.name, e.family.provider,
             e.family.kind, _format_parameters(e.family)) for e in catalog.entries]
    rows += [(f"(unknown {p} model)", f.name, p, f.kind, _format_parameters(f))
             for p, f in catalog.unknown.items()]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(_COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _format_parameters(family: ModelFamily) -> str:
    return " ".join(f"{k}={'none' if v is None else v}" for k, v in family_parameters(family).items())
