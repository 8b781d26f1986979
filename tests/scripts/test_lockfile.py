"""requirements.lock: well-formed, complete for pyproject's dependencies, and what is installed.

The last check is the point of the lock: the environment the suite runs in (made by
``scripts/install.sh``) holds exactly the locked versions, so a green run means those versions.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from scripts import lockfile

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the lock is recorded on 3.11

REPO = Path(__file__).resolve().parents[2]


ENTRIES = lockfile.read()


def test_every_line_is_exact_and_grouped() -> None:
    assert ENTRIES, "requirements.lock is empty"
    names = [lockfile.canonical(n) for n, _, _ in ENTRIES]
    assert len(names) == len(set(names)), "a package is locked twice"
    assert {g for _, _, g in ENTRIES} <= set(lockfile.GROUPS)
    assert "pillow" not in names, "stock Pillow would overwrite pillow-simd"


def test_special_packages_are_locked_in_their_groups() -> None:
    groups = {lockfile.canonical(n): g for n, _, g in ENTRIES}
    for name, group in {**lockfile.MODEL_PACKAGES, **lockfile.SOURCE_PACKAGES}.items():
        assert groups.get(lockfile.canonical(name)) == group, name


def test_pyproject_dependencies_are_locked_as_runtime() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    groups = {lockfile.canonical(n): g for n, _, g in ENTRIES}
    for text in project["dependencies"]:
        name = lockfile.canonical(re.split(r"[<>=!~;\[ ]", text, maxsplit=1)[0])
        assert groups.get(name) == "runtime", text


def test_a_malformed_line_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "lock"
    bad.write_text("numpy>=2  # runtime\n")
    with pytest.raises(SystemExit, match="not 'name==version"):
        lockfile.read(bad)


def test_the_running_environment_is_the_lock() -> None:
    """Every locked package of the groups install.sh --dev installs is here at its version."""
    wrong = []
    for name, locked, _group in ENTRIES:
        try:
            installed = version(name)
        except PackageNotFoundError:
            wrong.append(f"{name}: not installed (locked {locked})")
            continue
        if installed != locked:
            wrong.append(f"{name}: {installed} installed, {locked} locked")
    assert not wrong, "\n".join(wrong)
