"""What every patch's guard test checks first: the installed version of each framework a patch
was written for is that version, and pyproject.toml pins exactly it; and the digest by which a
guard pins the upstream code a patch mirrors (`source_digest`)."""

from __future__ import annotations

import hashlib
import inspect
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def pinned_versions() -> dict[str, str]:
    """The project's `==` pins by package name."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    pins: dict[str, str] = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        specs = list(requirement.specifier)
        if len(specs) == 1 and specs[0].operator == "==":
            pins[requirement.name] = specs[0].version
    return pins


def assert_written_for(written_for: dict[str, str]) -> None:
    """Fails, naming the package, when a patch meets another version than it was written for."""
    pins = pinned_versions()
    for package, expected in written_for.items():
        assert pins.get(package) == expected, (
            f"pyproject.toml must pin {package}=={expected}, the version the patch was written "
            f"for (it pins {pins.get(package)!r})"
        )
        assert version(package) == expected, (
            f"{package} {version(package)} is installed; the patch was written for {expected}: "
            "check what it relies on (its docstring) against the new version, then update the "
            "patch, its pin and WRITTEN_FOR together"
        )


def source_digest(code: Any) -> str:
    """sha256 of the source of an upstream function, method or class: a guard compares it with
    the digest of the code its patch was written against."""
    return hashlib.sha256(inspect.getsource(code).encode()).hexdigest()
