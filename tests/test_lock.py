"""The locked environments: every requirement pinned, with hashes, inside pyproject.toml's ranges."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def runtime() -> list[Requirement]:
    return [Requirement(line) for line in pyproject()["project"]["dependencies"]]


def wanted(lock: str) -> list[Requirement]:
    """What `make` installs: runtime and dev requirements, the build backend (mutmut and the bench peer on the lock)."""
    data = pyproject()
    extras = data["project"]["optional-dependencies"]
    lines = [*data["project"]["dependencies"], *extras["dev"], *data["build-system"]["requires"]]
    if lock == "dev.txt":
        lines += [*extras["mutate"], *extras["bench"]]
    return [Requirement(line) for line in lines]


def pins(lock: Path) -> dict[str, list[Version]]:
    """Each locked package's version(s): a universal lock may pin one per Python marker."""
    found: dict[str, list[Version]] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            found.setdefault(canonicalize_name(match[1]), []).append(Version(match[2]))
    return found


@pytest.mark.parametrize("lock", ["dev.txt", "lowest.txt"])
def test_every_requirement_is_locked_within_its_range(lock):
    locked = pins(ROOT / "requirements" / lock)
    for requirement in wanted(lock):
        versions = locked.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in requirements/{lock}: run make lock"
        assert all(requirement.specifier.contains(v, prereleases=True) for v in versions), (requirement, versions)


@pytest.mark.parametrize("lock", ["dev.txt", "lowest.txt"])
def test_every_pin_carries_hashes(lock):
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert len(blocks) > 40
    for block in blocks:
        if PIN.match(block):
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_lowest_lock_holds_each_runtime_minimum():
    """The lowest run tests what a user's resolver may pick: each runtime requirement at its lower bound."""
    locked = pins(ROOT / "requirements" / "lowest.txt")
    for requirement in runtime():
        lower = [s.version for s in requirement.specifier if s.operator == ">="]
        assert len(lower) == 1, f"{requirement} needs a lower bound"
        assert locked[canonicalize_name(requirement.name)] == [Version(lower[0])], requirement


def test_runtime_requirements_stay_ranges():
    """A library must not pin its users: lower bounds, and an upper bound only below a known break."""
    for requirement in runtime():
        operators = {s.operator for s in requirement.specifier}
        assert operators <= {">=", "<"}, requirement
