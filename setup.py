"""Packaging shim with one job: ship the top-level ``models/`` folder in wheels and sdists.

Everything else lives in pyproject.toml. This exists because pyproject's static
``[tool.setuptools.data-files]`` cannot recurse: models sit in per-model subfolders
(``models/router/...``, ``models/siglip/...``) and must keep that layout. A wheel installs them
under ``<sys.prefix>/share/headroom_edge/models/``, where headroom_edge.runtime.models looks after
the source checkout's ``models/``. Editable installs (``pip install -e .``) copy nothing and use
the checkout's folder directly.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
INSTALL_PREFIX = Path("share") / "headroom_edge"


def model_data_files() -> list[tuple[str, list[str]]]:
    """(install dir, [files]) pairs for every file under models/, hidden files skipped."""
    groups: dict[str, list[str]] = {}
    for path in sorted((ROOT / "models").rglob("*")):
        rel = path.relative_to(ROOT)
        hidden = any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
        if path.is_file() and not hidden:
            groups.setdefault((INSTALL_PREFIX / rel.parent).as_posix(), []).append(rel.as_posix())
    return sorted(groups.items())


setup(data_files=model_data_files())
