"""``headroom-edge route "question"``: show which technique a question gets, as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "route",
        help="print the technique a question would get, as JSON",
        description="Classify one user question with the bundled query router (or the fallback "
        "rules when no router model is installed) and print the decision as JSON.",
    )
    parser.add_argument("question", help="the user's question about an image")
    parser.add_argument("--model-dir", help="router model folder (default: the bundled models/router)")
    parser.add_argument("--rules", action="store_true", help="use the fallback question rules, not the router")
    parser.add_argument("--device", choices=["cpu", "cuda"], help="execution provider for the router")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(route(args.question, model_dir=args.model_dir, rules_only=args.rules, device=args.device), indent=2))
    return 0


def route(question: str, *, model_dir: str | None = None, rules_only: bool = False, device: str | None = None) -> dict[str, Any]:
    from headroom_edge.decision.rules import RuleSelector

    if not rules_only:
        from headroom_edge.router import QueryRouter, RouterUnavailableError

        try:
            decision = QueryRouter(model_dir=model_dir, device=device).classify(question)
        except RouterUnavailableError as exc:
            fallback = f"router unavailable ({exc}); fell back to rules"
        else:
            return {
                "technique": decision.technique.value,
                "confidence": round(decision.confidence, 4),
                "probabilities": {k: round(v, 4) for k, v in decision.probabilities.items()},
                "routed_text": decision.routed_text,
                "low_confidence_fallback": decision.fallback,
                "decided_by": "router",
            }
    else:
        fallback = None
    rule = RuleSelector().select(question)
    out: dict[str, Any] = {
        "technique": rule.technique.value,
        "confidence": rule.confidence,
        "reason": rule.reason,
        "decided_by": "rules",
    }
    if rule.region is not None:
        out["region"] = {"name": rule.region.name, "box": list(rule.region.box)}
    if rule.part is not None:
        out["part"] = rule.part  # located in the image when one is compressed (policy row 7)
    if fallback:
        out["note"] = fallback
    return out
