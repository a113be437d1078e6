"""The locked environments: every requirement pinned, with hashes, inside pyproject.toml's ranges."""

from __future__ import annotations

import ast
import importlib.metadata
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


LOCKS = ["dev.txt", "lowest.txt", "mutate.txt", "bench.txt"]
# The locks of `make mutate` and `make bench`: the dev lock plus one extra each.
TOOL_LOCKS = {"mutate.txt": "mutate", "bench.txt": "bench"}


def wanted(lock: str) -> list[Requirement]:
    """What `make` installs: runtime and dev requirements, the build backend, and the lock's own extra."""
    data = pyproject()
    extras = data["project"]["optional-dependencies"]
    lines = [*data["project"]["dependencies"], *extras["dev"], *data["build-system"]["requires"]]
    if lock in TOOL_LOCKS:
        lines += extras[TOOL_LOCKS[lock]]
    return [Requirement(line) for line in lines]


def pins(lock: Path) -> dict[str, list[Version]]:
    """Each locked package's version(s): a universal lock may pin one per Python marker."""
    found: dict[str, list[Version]] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            found.setdefault(canonicalize_name(match[1]), []).append(Version(match[2]))
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_requirement_is_locked_within_its_range(lock):
    locked = pins(ROOT / "requirements" / lock)
    for requirement in wanted(lock):
        versions = locked.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in requirements/{lock}: run make lock"
        assert all(requirement.specifier.contains(v, prereleases=True) for v in versions), (requirement, versions)


@pytest.mark.parametrize("lock", LOCKS)
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


def test_the_dev_lock_holds_no_tool_of_another_lock():
    """A contributor installs what `make test` needs: mutmut and the benchmark peer live in their own locks."""
    extras = pyproject()["project"]["optional-dependencies"]
    locked = pins(ROOT / "requirements" / "dev.txt")
    for extra in TOOL_LOCKS.values():
        for line in extras[extra]:
            name = canonicalize_name(Requirement(line).name)
            assert name not in locked, f"{line} belongs in requirements/{extra}.txt"


@pytest.mark.parametrize("lock", TOOL_LOCKS)
def test_a_tool_lock_is_the_dev_lock_plus_its_tool(lock):
    """`make mutate` and `make bench` test the same versions `make test` does, with one tool more."""
    dev, tool = pins(ROOT / "requirements" / "dev.txt"), pins(ROOT / "requirements" / lock)
    assert {name: tool[name] for name in dev if name in tool} == dev
    assert set(dev) <= set(tool)


def test_the_package_requires_only_what_it_imports():
    """Each runtime requirement is imported by the package (tzdata is read by zoneinfo, never imported)."""
    imported: set[str] = set()
    for path in (ROOT / "plugins" / "client_portal").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    providers = importlib.metadata.packages_distributions()
    imported_from = {canonicalize_name(dist) for module in imported for dist in providers.get(module, [])}
    unused = {canonicalize_name(r.name) for r in runtime()} - imported_from - {"tzdata"}
    assert not unused, f"required but never imported: {sorted(unused)}"
