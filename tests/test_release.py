"""The release: a version tag builds, checks and tests the distributions, publishes them, and writes the notes."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest
import yaml

from client_portal import __version__

from .conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
SCRIPT = ROOT / "scripts" / "changelog_section.py"

spec = importlib.util.spec_from_file_location("changelog_section", SCRIPT)
assert spec and spec.loader
changelog_section = importlib.util.module_from_spec(spec)
spec.loader.exec_module(changelog_section)

CHANGELOG = """\
# Changelog

All notable changes to this project are listed here.

## [Unreleased]

### Fixed
- Something not released yet.

## [0.2.0] - 2026-05-04

### Added
- `client-portal init` pins the version it ran with.

### Fixed
- Password clients build in CI.

## [0.1.0] - 2026-01-10

### Added
- The first release.

[Unreleased]: https://github.com/o/r/compare/v0.2.0...HEAD
[0.2.0]: https://github.com/o/r/compare/v0.1.0...v0.2.0
[0.1.0]: https://github.com/o/r/releases/tag/v0.1.0
"""


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def step(job: str, name: str) -> dict:
    [found] = (s for s in workflow()["jobs"][job]["steps"] if s.get("name", "").startswith(name))
    return found


def runs(job: str) -> str:
    return "\n".join(s.get("run", "") for s in workflow()["jobs"][job]["steps"])


def uses(job: str) -> list[str]:
    return [s["uses"] for s in workflow()["jobs"][job]["steps"] if "uses" in s]


def test_a_version_tag_and_nothing_else_starts_a_release():
    triggers = workflow()[True]  # YAML 1.1 reads the key "on" as true
    assert triggers == {"push": {"tags": ["v*"]}}
    assert workflow()["permissions"] == {"contents": "read"}


def test_the_distributions_are_built_checked_and_the_wheel_tested_before_anything_is_published():
    build = runs("build")
    assert "make dist" in build
    dist = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ndist:", 1)[1].split("\n\n", 1)[0]
    assert "-m build --no-isolation --outdir dist" in dist and "twine check --strict dist/*" in dist
    assert 'PORTAL_WHEEL="$(ls dist/*.whl)"' in build and "tests/test_wheel.py" in build
    assert build.index("make dist") < build.index("tests/test_wheel.py")
    jobs = workflow()["jobs"]
    assert jobs["pypi"]["needs"] == "build" and jobs["github-release"]["needs"] == "pypi"


def test_pypi_gets_the_files_by_trusted_publishing():
    pypi = workflow()["jobs"]["pypi"]
    assert pypi["environment"]["name"] == "pypi"
    assert pypi["permissions"] == {"id-token": "write"}
    assert "pypa/gh-action-pypi-publish@release/v1" in uses("pypi")
    assert "password" not in WORKFLOW.read_text(encoding="utf-8")  # no stored token
    # the job that runs the project's code holds no write permission
    assert "permissions" not in workflow()["jobs"]["build"]


def test_the_github_release_carries_the_changelog_section():
    assert runs("build").count("scripts/changelog_section.py") == 1
    assert 'changelog_section.py "$GITHUB_REF_NAME" > release-notes.md' in runs("build")
    release = workflow()["jobs"]["github-release"]
    assert release["permissions"] == {"contents": "write"}
    created = r'gh release create "\$GITHUB_REF_NAME" dist/\* .*--notes-file release-notes\.md'
    assert re.search(created, runs("github-release"))


@pytest.mark.parametrize(("tag", "accepted"), [(f"v{__version__}", True), ("v99.0.0", False), (__version__, False)])
def test_a_tag_must_name_the_packages_version(tag, accepted):
    command = step("build", "The tag names the version")["run"]
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", command],
        cwd=ROOT,
        env={"GITHUB_REF_NAME": tag, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode == 0) is accepted, done.stdout + done.stderr
    if not accepted:
        assert f"the tag {tag} is not the package's version v{__version__}" in done.stdout
        assert "plugins/client_portal/__init__.py" in done.stdout


def test_the_section_of_a_version_is_what_stands_under_its_heading():
    assert changelog_section.section(CHANGELOG, "0.2.0") == (
        "### Added\n- `client-portal init` pins the version it ran with.\n\n"
        "### Fixed\n- Password clients build in CI.\n"
    )
    assert changelog_section.section(CHANGELOG, "v0.2.0") == changelog_section.section(CHANGELOG, "0.2.0")
    # the last section stops before the link definitions
    assert changelog_section.section(CHANGELOG, "0.1.0") == "### Added\n- The first release.\n"


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("0.3.0", "CHANGELOG.md has no section '## [0.3.0] - DATE': rename '## [Unreleased]'"),
        ("0.2", "no section '## [0.2] - DATE'"),  # no prefix match
    ],
)
def test_a_version_without_a_section_is_refused(version, message):
    with pytest.raises(changelog_section.MissingSection, match=re.escape(message)):
        changelog_section.section(CHANGELOG, version)


def test_an_empty_section_is_refused():
    with pytest.raises(changelog_section.MissingSection, match=r"section \[0.4.0\] is empty"):
        changelog_section.section("## [0.4.0] - 2026-06-01\n\n## [0.3.0] - 2026-05-01\n- x\n", "0.4.0")


def test_the_script_prints_the_section_or_says_what_to_do(tmp_path):
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG, encoding="utf-8")
    found = subprocess.run(
        [sys.executable, str(SCRIPT), "v0.1.0", str(changelog)], capture_output=True, text=True, check=False
    )
    assert (found.returncode, found.stdout) == (0, "### Added\n- The first release.\n")
    missing = subprocess.run(
        [sys.executable, str(SCRIPT), "v0.9.0", str(changelog)], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith("error: CHANGELOG.md has no section '## [0.9.0] - DATE'")


def test_the_changelog_headings_are_the_ones_the_script_reads():
    headings = re.findall(r"^## (.*)$", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    assert headings[0] == "[Unreleased]"
    for heading in headings[1:]:
        assert re.fullmatch(r"\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", heading), heading
