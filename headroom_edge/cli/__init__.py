"""``headroom-edge`` command line: one parser, one module per subcommand."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from headroom_edge._version import __version__


def build_parser() -> argparse.ArgumentParser:
    from headroom_edge.cli import batch, compress, models, proxy, route, tokens

    parser = argparse.ArgumentParser(
        prog="headroom-edge",
        description="Cut the image tokens of LLM requests: pick, per image, the cheapest technique "
        "that keeps the answer right (full_low, preserve, crop, transcode, fit).",
    )
    parser.add_argument("--version", action="version", version=f"headroom-edge {__version__}")
    parser.add_argument(
        "--log-level", default="WARNING", type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="logging level (default: WARNING)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (proxy, compress, batch, route, models, tokens):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
