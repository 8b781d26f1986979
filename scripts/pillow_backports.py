"""Prepare a pillow-simd source tree that carries Pillow's later security fixes, for `pip wheel`.

    python scripts/pillow_backports.py --out DIR [--simd-version V]   # prints the patched source folder
    python scripts/pillow_backports.py --list                         # the fix ids it applies

Why: pillow-simd 12.1.1.post0 (the newest; upstream quiet since 2024) is Pillow 12.1.1 plus SIMD
code. Pillow 12.3.0 fixed two vulnerabilities in code this project reaches (the ImageCms mode
check and the paste/crop box arithmetic) plus a small decoder hardening; see
/work/shared/pillow-security.md. The fixes are taken at build time from Pillow's own sdist on
PyPI (downloaded with pip), never from a copy in this repository, and everything is pinned by
sha256: both sdists, every file before it is touched, the fixed files and the patched result. Any
mismatch (a new pillow-simd, a different sdist, a hunk that no longer fits) stops the build.

The applied ids are written into the source tree as ``PIL/_headroom_backports.py``, which the
wheel installs beside PIL; ``python -m headroom_edge.imaging.engine`` reports them. The install
script and the Dockerfile both call this script (one place for the patch logic); the install
script keys its wheel cache on this file's checksum, so a change here never reuses an old wheel.
Standard library only: it runs before anything else is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

SIMD_VERSION = "12.1.1.post0"
SIMD_SDIST_SHA256 = "8e9694ec94c59d12f16753cbf48a3080266bdd704b0c51a630318c7a325625b1"
FIX_VERSION = "12.3.0"
FIX_SDIST_SHA256 = "3b8182a766685eaa002637e28b4ec8d6b18819a0c71f579bf0dbaa5830297cce"
MARKER = "src/PIL/_headroom_backports.py"


@dataclass(frozen=True)
class Backport:
    """One fix: the file it touches, that file's sha256 in pillow-simd before and after.

    ``block`` empty: the whole file is taken from Pillow ``FIX_VERSION`` (used where that file
    differs from 12.1.1 only by the fix, checked when this table was written). ``block`` set:
    only the block of the fixed file that starts with that line is inserted before ``anchor``
    (used where the fixed file also carries unrelated API changes).
    """

    id: str
    what: str
    path: str
    before_sha256: str
    after_sha256: str
    block: str = ""
    anchor: str = ""


BACKPORTS: tuple[Backport, ...] = (
    Backport(
        id="CVE-2026-59205",
        what="ImageCmsTransform.apply/apply_in_place refuse images of another mode (Pillow #9715)",
        path="src/PIL/ImageCms.py",
        before_sha256="22e0a6de05caa5be44bb5927f9307c703f5724b6446bc7e99048f356a00828d9",
        after_sha256="dc00c0fe9e2c479ab41f2d3d1adf65e579e67d9786a84328c224b5c6cd6ce883",
    ),
    Backport(
        id="CVE-2026-59199",
        what="64-bit box arithmetic in paste/fill (crop, paste, alpha_composite) (Pillow #9703)",
        path="src/libImaging/Paste.c",
        before_sha256="a818aa086aee9230c5ce74b46be616ba76454be4b48520fd72f9bd186e528943",
        after_sha256="c5ddbef33a100250b5c368d0f3966d4a7f7486d5c230cb5a5ed59ab2374c5e59",
    ),
    Backport(
        id="#9656",
        what="a decoder refuses a second setimage() (decode.c hardening)",
        path="src/decode.c",
        before_sha256="c46c79f99806a8a03af9ec58c31d588844ff2df54bf1970d24cf5b9097a55ea5",
        after_sha256="e5ddc935e2f29af6f398c59c218298c6a162a01e2c96590d13238b9a1fa01dfb",
        block="    if (decoder->im != NULL) {",
        anchor="    decoder->im = im;",
    ),
)


class BackportError(RuntimeError):
    """The sources are not the ones this table was written for: stop the build."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(spec: str, dest: Path, expected_sha256: str) -> Path:
    """The sdist of ``spec`` from the package index via pip, verified against its checksum."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--no-binary", ":all:", "--disable-pip-version-check", "-d", str(dest), spec],
        check=True,
    )
    name, version = spec.split("==")
    found = sorted(dest.glob(f"{name.replace('-', '_')}-{version}.tar.gz")) + sorted(
        dest.glob(f"{name}-{version}.tar.gz")
    )
    if not found:
        raise BackportError(f"pip download {spec} left no sdist in {dest}")
    actual = sha256(found[0].read_bytes())
    if actual != expected_sha256:
        raise BackportError(f"{found[0].name}: sha256 {actual}, expected {expected_sha256}")
    return found[0]


def extract(sdist: Path, dest: Path) -> Path:
    """Unpack an sdist, refusing members that would land outside ``dest``."""
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # Python without extraction filters (< 3.10.12 / 3.11.4)
            root = dest.resolve()
            for member in tar.getmembers():
                target = (dest / member.name).resolve()
                if root not in target.parents or member.issym() or member.islnk():
                    raise BackportError(f"{sdist.name}: unsafe member {member.name}")
            tar.extractall(dest)  # noqa: S202 - every member was checked above
    roots = {Path(m).parts[0] for m in tarfile.open(sdist).getnames()}
    if len(roots) != 1:
        raise BackportError(f"{sdist.name}: expected one top-level folder, found {sorted(roots)}")
    return dest / roots.pop()


def read_member(sdist: Path, path: str) -> bytes:
    """One file of an sdist, read without unpacking the rest."""
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        member = tar.extractfile(f"{top}/{path}")
        if member is None:
            raise BackportError(f"{sdist.name} has no file {path}")
        return member.read()


def apply(backport: Backport, tree: Path, fixed: bytes) -> None:
    """Apply one fix to the pillow-simd tree, or raise BackportError."""
    target = tree / backport.path
    before = target.read_bytes()
    if sha256(before) != backport.before_sha256:
        raise BackportError(f"{backport.id}: pillow-simd's {backport.path} is not the expected one")
    after = fixed if not backport.block else _transplant(backport, before, fixed)
    if sha256(after) != backport.after_sha256:
        raise BackportError(
            f"{backport.id}: patched {backport.path} has sha256 {sha256(after)}, "
            f"expected {backport.after_sha256}"
        )
    target.write_bytes(after)


def _transplant(backport: Backport, before: bytes, fixed: bytes) -> bytes:
    """Insert the block of ``fixed`` that starts with ``backport.block`` (up to the brace that
    closes it at the same indent) before the single ``backport.anchor`` line of ``before``."""
    fixed_lines = fixed.decode("utf-8").splitlines(keepends=True)
    starts = [i for i, line in enumerate(fixed_lines) if line.rstrip("\n") == backport.block]
    if len(starts) != 1:
        raise BackportError(f"{backport.id}: the fixed block occurs {len(starts)} times")
    indent = backport.block[: len(backport.block) - len(backport.block.lstrip())]
    end = next(
        (i for i in range(starts[0] + 1, len(fixed_lines))
         if fixed_lines[i].rstrip("\n") == indent + "}"),
        None,
    )
    if end is None:
        raise BackportError(f"{backport.id}: the fixed block does not close")
    block = "".join(fixed_lines[starts[0] : end + 1])
    lines = before.decode("utf-8").splitlines(keepends=True)
    anchors = [i for i, line in enumerate(lines) if line.rstrip("\n") == backport.anchor]
    if len(anchors) != 1:
        raise BackportError(f"{backport.id}: the anchor line occurs {len(anchors)} times")
    lines.insert(anchors[0], block)
    return "".join(lines).encode("utf-8")


def write_marker(tree: Path, applied: tuple[Backport, ...]) -> None:
    """``PIL/_headroom_backports.py``: what the built wheel carries, for the engine report."""
    ids = ", ".join(repr(b.id) for b in applied)
    (tree / MARKER).write_text(
        '"""Security fixes backported into this pillow-simd build by headroom-edge\'s\n'
        'scripts/pillow_backports.py, taken from the Pillow sdist named below."""\n\n'
        f'SOURCE = "pillow-{FIX_VERSION}.tar.gz sha256:{FIX_SDIST_SHA256}"\n'
        f"APPLIED = ({ids},)\n",
        encoding="utf-8",
    )


def prepare(out: Path) -> Path:
    """Download, verify, unpack and patch; returns the patched pillow-simd source folder."""
    downloads = out / "sdists"
    simd = download(f"pillow-simd=={SIMD_VERSION}", downloads, SIMD_SDIST_SHA256)
    fix = download(f"pillow=={FIX_VERSION}", downloads, FIX_SDIST_SHA256)
    tree = extract(simd, out / "src")
    for backport in BACKPORTS:
        apply(backport, tree, read_member(fix, backport.path))
        print(f"[backports] {backport.id}: {backport.what}", file=sys.stderr)
    write_marker(tree, BACKPORTS)
    return tree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="empty work folder for sdists and sources")
    parser.add_argument("--list", action="store_true", help="print the fix ids and exit")
    parser.add_argument("--simd-version", default=SIMD_VERSION,
                        help="the pillow-simd version the caller builds; must be the pinned one")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(b.id for b in BACKPORTS))
        return 0
    if args.out is None:
        parser.error("--out is required")
    if args.simd_version != SIMD_VERSION:
        print(f"pillow_backports: ERROR: the checksums here are for pillow-simd {SIMD_VERSION}, "
              f"not {args.simd_version}: update BACKPORTS for the new version first", file=sys.stderr)
        return 1
    try:
        print(prepare(args.out))
    except (BackportError, subprocess.CalledProcessError) as exc:
        print(f"pillow_backports: ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
