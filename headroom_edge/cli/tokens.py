"""``headroom-edge tokens MODEL WxH``: what one image costs on one model, and why."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from headroom_edge.catalog import CatalogError, load_catalog
from headroom_edge.cli.models import add_catalog_argument, family_parameters
from headroom_edge.providers import PROVIDERS, canonical_provider
from headroom_edge.tokens import family_effective_size, family_tokens, low_detail_tokens

_SIZE = re.compile(r"^\s*(\d{1,6})\s*[xX*]\s*(\d{1,6})\s*$")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "tokens",
        help="estimate the input tokens of one image on one model",
        description="Estimate what an image of WxH px costs on MODEL, with the family and the size "
        "the provider looks at. The provider is inferred from the model name unless given.",
    )
    parser.add_argument("model", help="model name as sent in requests (e.g. gpt-5-mini)")
    parser.add_argument("size", help="image size in px, WIDTHxHEIGHT (e.g. 4000x3000)")
    parser.add_argument("--detail", choices=["low", "high", "auto", "original"],
                        help="OpenAI image detail (default: omitted, as most requests send it)")
    parser.add_argument("--media-resolution", metavar="LEVEL",
                        help="Gemini media resolution: low, medium, high, ultra_high")
    parser.add_argument("--provider", help=f"one of {', '.join(PROVIDERS)} (or gemini)")
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON")
    add_catalog_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = estimate(args.model, args.size, detail=args.detail, media_resolution=args.media_resolution,
                          provider=args.provider, catalog_file=args.model_catalog)
    except (ValueError, CatalogError) as exc:
        print(f"headroom-edge tokens: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        seen = "x".join(map(str, report["seen_size"]))
        print(f"{report['tokens']} tokens  ({report['model']} on {report['provider']}, family "
              f"{report['family']} [{report['kind']}], seen at {seen} px)")
    return 0


def estimate(model: str, size: str, *, detail: str | None = None, media_resolution: str | None = None,
             provider: str | None = None, catalog_file: str | None = None) -> dict[str, Any]:
    found = _SIZE.match(size)
    if not found:
        raise ValueError(f"size must look like 1024x768, got {size!r}")
    w, h = int(found.group(1)), int(found.group(2))
    catalog = load_catalog(catalog_file)
    if provider is not None:
        prov = canonical_provider(provider)
        if prov is None:
            raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
    else:
        prov = catalog.infer_provider(model)
        if prov is None:
            raise ValueError(f"no catalog entry matches {model!r}; pass --provider to price it "
                             "with that provider's unknown-model family")
    family = catalog.resolve(prov, model)
    return {
        "model": model,
        "provider": prov,
        "size": [w, h],
        "detail": detail,
        "media_resolution": media_resolution,
        "family": family.name,
        "kind": family.kind,
        "parameters": family_parameters(family),
        "tokens": family_tokens(family, w, h, detail, media_resolution),
        "seen_size": list(family_effective_size(family, w, h, detail)),
        "low_detail_tokens": low_detail_tokens(prov, model, catalog=catalog),
    }
