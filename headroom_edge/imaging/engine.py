"""Which imaging engine (PIL implementation) is active, and what it can encode and decode.

Why this exists: pillow-simd and stock Pillow install the same ``PIL`` import package under
different distribution names, so ``import PIL`` alone cannot tell them apart, and pip can silently
put Pillow back on top of pillow-simd (any package that requires "Pillow" does). Resizing speed and
therefore proxy latency depend on which one is loaded, and the codecs depend on the libraries it
was built against. The install script and the tests call :func:`detect_engine` to prove the
engine they expect is the one in use.

It also reports the security fixes a pillow-simd build carries beyond its Pillow base: pillow-simd
12.1.1.post0 is Pillow 12.1.1, and ``scripts/pillow_backports.py`` backports the later fixes this
project's use reaches into the build, recording them in ``PIL/_headroom_backports.py``.

Run ``python -m headroom_edge.imaging.engine [--require-simd]`` to print the result as JSON (and
the backports as one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from importlib import import_module, metadata
from typing import Literal

EngineName = Literal["pillow-simd", "pillow"]

SIMD_DISTRIBUTION = "pillow-simd"

BACKPORTS_MODULE = "PIL._headroom_backports"
"""Written into the pillow-simd source by ``scripts/pillow_backports.py``; ``APPLIED`` lists ids."""

REQUIRED_BACKPORTS: tuple[str, ...] = ("CVE-2026-59205", "CVE-2026-59199")
"""Fixes (Pillow 12.3.0) in code this project reaches - ImageCms transforms built from embedded
profiles, paste/crop boxes - that a pillow-simd build must carry to pass ``--require-simd``."""


@dataclass(frozen=True)
class EngineFeatures:
    """Codecs the active PIL was built with (only the formats LLM providers accept)."""

    jpeg: bool
    png: bool
    """PNG needs zlib; Pillow's PNG plugin is pure Python on top of it."""
    webp: bool
    gif: bool
    lcms: bool = False
    """LittleCMS: ICC-tagged images (CMYK print files, wide-gamut phone photos) convert with their
    own profile; without it Pillow falls back to a naive CMYK formula."""


@dataclass(frozen=True)
class ImagingEngine:
    """The PIL implementation that ``import PIL`` resolves to in this interpreter."""

    name: EngineName
    version: str
    features: EngineFeatures
    simd: bool
    """True when the SIMD-accelerated resampling of pillow-simd is what runs."""
    backports: tuple[str, ...] = ()
    """Security fixes built into this PIL beyond its version (see ``BACKPORTS_MODULE``)."""

    def satisfies_simd_requirement(self) -> bool:
        """The install script's bar: pillow-simd with JPEG, PNG, WebP and LittleCMS, carrying
        the :data:`REQUIRED_BACKPORTS`."""
        f = self.features
        patched = set(REQUIRED_BACKPORTS) <= set(self.backports)
        return self.simd and f.jpeg and f.png and f.webp and f.lcms and patched

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _simd_distribution_version() -> str | None:
    """Version of the installed pillow-simd distribution, or None when it is not installed."""
    try:
        return metadata.version(SIMD_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def _is_simd(pil_version: str) -> bool:
    """Decide whether the loaded PIL is pillow-simd's.

    The distribution being installed is not enough: if stock Pillow was installed after it, both
    distributions are registered but Pillow's files overwrote pillow-simd's. The files that are
    actually loaded carry their own version, so pillow-simd is active only when the loaded
    ``PIL.__version__`` equals the pillow-simd distribution's version. Without that distribution's
    metadata (a vendored or hand-built copy) pillow-simd's ``.postN`` release suffix is the hint.
    """
    simd_version = _simd_distribution_version()
    if simd_version is not None:
        return simd_version == pil_version
    return ".post" in pil_version


def _detect_features() -> EngineFeatures:
    from PIL import Image, features

    Image.init()  # register every plugin so the GIF/WebP plugin checks below are meaningful
    return EngineFeatures(
        jpeg=bool(features.check_codec("jpg")),
        png=bool(features.check_codec("zlib")) and "PNG" in Image.SAVE,
        webp=bool(features.check_module("webp")),
        gif="GIF" in Image.OPEN and "GIF" in Image.SAVE,
        lcms=bool(features.check_module("littlecms2")),
    )


def _detect_backports() -> tuple[str, ...]:
    """The ids the build's backports marker lists; () for builds without one (stock Pillow,
    an unpatched pillow-simd) or with a marker that does not hold a tuple of strings."""
    try:
        module = import_module(BACKPORTS_MODULE)
    except ImportError:
        return ()
    applied = getattr(module, "APPLIED", ())
    if not isinstance(applied, tuple) or not all(isinstance(x, str) for x in applied):
        return ()
    return applied


def detect_engine() -> ImagingEngine:
    """Inspect the PIL that this interpreter imports.

    Raises ImportError with an install hint when no PIL is installed at all (headroom-edge does
    not depend on Pillow directly; see pyproject.toml).
    """
    try:
        import PIL
    except ImportError as exc:  # pragma: no cover - only without any PIL
        raise ImportError(
            "No PIL found: run scripts/install.sh (pillow-simd) or "
            "pip install 'headroom-edge[pillow]' (stock Pillow)."
        ) from exc
    version = PIL.__version__
    simd = _is_simd(version)
    return ImagingEngine(
        name="pillow-simd" if simd else "pillow",
        version=version,
        features=_detect_features(),
        simd=simd,
        backports=_detect_backports(),
    )


def main(argv: list[str] | None = None) -> int:
    """Print the active engine as JSON; with --require-simd, fail unless it meets the bar."""
    parser = argparse.ArgumentParser(
        prog="python -m headroom_edge.imaging.engine", description=main.__doc__
    )
    parser.add_argument(
        "--require-simd",
        action="store_true",
        help="exit 1 unless pillow-simd is the active PIL with JPEG, PNG (zlib), WebP, "
        "LittleCMS and the required backports",
    )
    args = parser.parse_args(argv)
    engine = detect_engine()
    print(engine.to_json())
    print(f"backports: {', '.join(engine.backports) or 'none'}", file=sys.stderr)
    if args.require_simd and not engine.satisfies_simd_requirement():
        print(
            "error: pillow-simd with JPEG, PNG (zlib), WebP and LittleCMS and the backported "
            f"fixes {', '.join(REQUIRED_BACKPORTS)} is required; the active PIL is "
            f"{engine.name} {engine.version} with {engine.features}, backports "
            f"{list(engine.backports)}. Run scripts/install.sh to (re)build it.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
