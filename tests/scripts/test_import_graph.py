"""The package's imports all point down the layer list of scripts/import_graph.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "import_graph.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_import_graph_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_no_module_imports_an_upper_layer() -> None:
    graph = _load()
    found = graph.arrows(graph.ROOT / graph.PACKAGE)
    assert len(found) > 100  # the walk really saw the package
    upward = [f"{a.source} -> {a.target}" for a in found if a.upward]
    assert upward == []


def test_every_module_has_a_layer() -> None:
    graph = _load()
    for arrow in graph.arrows(graph.ROOT / graph.PACKAGE):
        graph.layer_of(arrow.source)
        graph.layer_of(arrow.target)


def test_an_upward_import_is_flagged(tmp_path: Path) -> None:
    graph = _load()
    package = tmp_path / "headroom_edge"
    (package / "decision").mkdir(parents=True)
    (package / "techniques").mkdir()
    (package / "__init__.py").write_text("")
    (package / "techniques" / "__init__.py").write_text("")
    (package / "decision" / "__init__.py").write_text("")
    (package / "decision" / "decider.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..techniques import base\n"
    )
    (package / "techniques" / "base.py").write_text("from headroom_edge.decision import decider\n")
    found = {(a.source, a.target): a.upward for a in graph.arrows(package)}
    assert found[("headroom_edge.decision.decider", "headroom_edge.techniques.base")] is True
    assert found[("headroom_edge.techniques.base", "headroom_edge.decision.decider")] is False
