"""The package's module map: every module's imports of other ``headroom_edge`` modules, by layer.

Run::

    .venv/bin/python scripts/import_graph.py [--upward-only]

Why: the tree is meant to follow the flow wire formats -> decision -> techniques -> integrations,
with a few low modules (token rules, shared vocabulary, pixels) that everyone may use. That only
stays true if every import points *down* the layer list below; this script prints the map and
flags each import that points up (exit status 1 when there is one). ``tests/scripts/
test_import_graph.py`` runs it, so an upward arrow fails the suite.

All imports count, including ``TYPE_CHECKING`` blocks and imports inside functions: a lazy import
still ties the lower module to the upper one.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "headroom_edge"
ROOT = Path(__file__).resolve().parents[1]

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("words", ("_version", "technique", "providers", "catalog", "tokens", "lowdetail", "fitplan", "config",
               "results", "cache")),
    ("pixels", ("imaging", "runtime", "fetch")),
    ("formats", ("formats",)),
    ("models", ("ocr", "router")),
    ("vocabulary", ("context",)),
    ("analysis", ("analysis",)),
    ("decision", ("decision",)),
    ("techniques", ("techniques",)),
    ("assembly", ("lazy", "overlap", "pipeline", "compressor")),
    ("integrations", ("integrations", "batch", "preview")),
    ("entry points", ("cli", "__main__", "__init__")),
)
"""Lowest first. A module may import its own layer and any layer above it in this list."""


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str

    @property
    def upward(self) -> bool:
        return layer_of(self.target) > layer_of(self.source)


def module_name(path: Path, package_dir: Path) -> str:
    rel = path.relative_to(package_dir.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    """Index in :data:`LAYERS` of the module's first component below the package."""
    parts = module.split(".")
    head = parts[1] if len(parts) > 1 else "__init__"
    for index, (_, heads) in enumerate(LAYERS):
        if head in heads:
            return index
    raise KeyError(f"{module} is in no layer: add it to LAYERS in scripts/import_graph.py")


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == PACKAGE:
                # "from x import y" may name a module x.y or a name in x; arrows() resolves it.
                for alias in node.names:
                    yield f"{target}.{alias.name}"


def arrows(package_dir: Path) -> list[Arrow]:
    """Every (importer, imported module) pair inside the package, each pair once."""
    found: set[Arrow] = set()
    modules = {module_name(p, package_dir) for p in package_dir.rglob("*.py")}
    for path in sorted(package_dir.rglob("*.py")):
        source = module_name(path, package_dir)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target in _imports(tree, source, path.name == "__init__.py"):
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != source:
                found.add(Arrow(source, target))
    return sorted(found, key=lambda a: (a.source, a.target))


def render(found: list[Arrow], upward_only: bool = False) -> str:
    lines: list[str] = []
    by_source: dict[str, list[Arrow]] = {}
    for arrow in found:
        by_source.setdefault(arrow.source, []).append(arrow)
    current_layer = None
    for source in sorted(by_source, key=lambda m: (layer_of(m), m)):
        shown = [a for a in by_source[source] if a.upward or not upward_only]
        if not shown:
            continue
        if layer_of(source) != current_layer:
            current_layer = layer_of(source)
            lines.append(f"[{LAYERS[current_layer][0]}]")
        targets = ", ".join(
            ("UP! " if a.upward else "") + a.target.removeprefix(PACKAGE + ".") for a in shown
        )
        lines.append(f"  {source.removeprefix(PACKAGE + '.')} -> {targets}")
    up = [a for a in found if a.upward]
    lines.append(f"{len(found)} imports, {len(up)} upward")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--upward-only", action="store_true", help="print only upward imports")
    parser.add_argument("--package-dir", type=Path, default=ROOT / PACKAGE,
                        help="another checkout's headroom_edge/ (e.g. to print an older map)")
    args = parser.parse_args(argv)
    found = arrows(args.package_dir)
    print(render(found, upward_only=args.upward_only))
    return 1 if any(a.upward for a in found) else 0


if __name__ == "__main__":
    sys.exit(main())
