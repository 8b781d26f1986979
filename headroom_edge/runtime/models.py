"""Where the bundled model files are found.

Models are committed under the repository's top-level ``models/`` folder so a fresh clone works
offline. Lookup order: an explicit directory, ``$HEADROOM_MODELS_DIR``, the ``models/`` folder
next to the package (source checkout / editable install), then ``<sys.prefix>/share/headroom_edge/models``
(wheel installs). A missing model is not an error here: callers fall back (rules instead of the
router, no SigLIP) and say so in their results.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def models_root(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The first existing models directory in lookup order, or None."""
    candidates: list[Path] = []
    if explicit is not None:
        candidates.append(Path(explicit))
    env = os.environ.get("HEADROOM_MODELS_DIR")
    if env:
        candidates.append(Path(env))
    candidates.append(Path(__file__).resolve().parents[2] / "models")
    candidates.append(Path(sys.prefix) / "share" / "headroom_edge" / "models")
    for path in candidates:
        if path.is_dir():
            return path
    return None


def model_dir(name: str, explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder of one model ("router", "siglip", ...).

    ``explicit`` points at that model's own folder (as users pass ``model_dir=``); without it the
    folder is ``<models root>/<name>``. None when it does not exist.
    """
    if explicit is not None:
        path = Path(explicit)
        return path if path.is_dir() else None
    root = models_root()
    if root is None:
        return None
    path = root / name
    return path if path.is_dir() else None
