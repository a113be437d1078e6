"""The portal repository init writes: a pinned install, update pull requests, and moving between generators."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from client_portal import __version__
from client_portal.commands.cli import main
from client_portal.commands.portal_checks import pin_problems, requirement_line
from client_portal.site_config import read_site_config

from .conftest import ROOT

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


def run(*args: str, env: dict[str, str] | None = None):
    base = {"CI": "", "PORTAL_SECRET": "", "PORTAL_PASSWORDS": ""}
    return CliRunner().invoke(main, list(args), env=base | (env or {}), catch_exceptions=False)


def init(folder: Path, *args: str):
    result = run("init", str(folder), "--name", "Ana Ruiz", "--timezone", "Europe/Berlin", *args)
    assert result.exit_code == 0, result.output
    return result


def test_version_is_printed():
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("generator", ["mkdocs", "zensical"])
def test_the_workflow_installs_exactly_the_version_init_ran_with(tmp_path, generator):
    init(tmp_path / "portal", "--generator", generator)
    first = (tmp_path / "portal" / "requirements.txt").read_text(encoding="utf-8").splitlines()[0]
    assert first == f"mkdocs-client-portal=={__version__}"
    assert pin_problems(tmp_path / "portal" / "requirements.txt", Path("requirements.txt")) == []


def test_a_development_build_pins_its_commit():
    assert requirement_line("0.2.0.dev3+g1a2b3c4") == (
        "mkdocs-client-portal @ git+https://github.com/mkdocs-client-portal/mkdocs-client-portal@1a2b3c4"
    )
    assert requirement_line("0.2.0") == "mkdocs-client-portal==0.2.0"


def test_init_on_github_adds_a_valid_dependabot_configuration(tmp_path):
    init(tmp_path / "portal")
    path = tmp_path / "portal" / ".github" / "dependabot.yml"
    checked = subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.dependabot", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    updates = {u["package-ecosystem"]: u for u in yaml.safe_load(path.read_text(encoding="utf-8"))["updates"]}
    assert updates["pip"]["directory"] == "/" and updates["pip"]["schedule"]["interval"] == "weekly"
    assert updates["github-actions"]["schedule"]["interval"] == "weekly"
    assert not (tmp_path / "portal" / "renovate.json").exists()


def test_init_on_gitlab_adds_a_valid_renovate_configuration(tmp_path):
    init(tmp_path / "portal", "--host", "gitlab")
    path = tmp_path / "portal" / "renovate.json"
    checked = subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.renovate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = json.loads(path.read_text(encoding="utf-8"))
    assert config["extends"] == ["config:recommended"] and config["pip_requirements"]["enabled"] is True
    assert not (tmp_path / "portal" / ".github").exists()


def test_the_github_workflow_hands_over_every_password_in_one_secret(tmp_path):
    init(tmp_path / "portal")
    workflow = yaml.safe_load((tmp_path / "portal" / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    assert workflow["jobs"]["build"]["env"]["PORTAL_PASSWORDS"] == "${{ secrets.PORTAL_PASSWORDS }}"


@pytest.mark.parametrize(
    ("line", "pinned"),
    [
        ("mkdocs-client-portal==0.1.0", True),
        ("mkdocs_client_portal == 0.1.0  # the portal", True),
        ("mkdocs-client-portal==0.1.0 --hash=sha256:abc", True),
        ("mkdocs-client-portal @ git+https://github.com/mkdocs-client-portal/mkdocs-client-portal@v0.1.0", True),
        ("git+https://github.com/mkdocs-client-portal/mkdocs-client-portal@v0.1.0", True),
        ("mkdocs-client-portal>=0.1.0", False),
        ("mkdocs-client-portal", False),
        ("Mkdocs.Client_Portal~=0.1", False),
        ("mkdocs-client-portal==0.*", False),
        ("mkdocs-client-portal @ git+https://github.com/mkdocs-client-portal/mkdocs-client-portal", False),
        ("git+https://github.com/mkdocs-client-portal/mkdocs-client-portal", False),
        ("mkdocs-client-portal-theme>=1", True),  # another package
    ],
)
def test_check_warns_when_the_package_is_not_pinned(empty_portal, line, pinned):
    (empty_portal / "requirements.txt").write_text(f"mkdocs-material\n{line}\n", encoding="utf-8")
    result = run("check")
    assert result.exit_code == 0
    warning = (
        "requirements.txt:2:1: warning: mkdocs-client-portal is not pinned, so every CI run installs whatever is "
        f"newest; write mkdocs-client-portal=={__version__} (the version you use: client-portal --version)"
    )
    assert (warning in result.output) is not pinned, result.output


def test_a_second_init_reports_what_the_kept_configuration_says(tmp_path):
    folder = tmp_path / "portal"
    init(folder)
    subprocess.run(["git", "-C", str(folder), "checkout", "-q", "-b", "trunk"], check=True)
    workflow = folder / ".github/workflows/publish.yml"
    workflow.write_text(workflow.read_text(encoding="utf-8").replace("[main]", "[release]"), encoding="utf-8")
    again = run("init", str(folder), "--timezone", "UTC")
    assert again.exit_code == 0, again.output
    assert f"Created a portal in {folder} (git branch release, time zone Europe/Berlin)." in again.output
    assert "Kept your existing" in again.output and "mkdocs.yml" in again.output


def test_a_second_init_in_a_zensical_gitlab_portal_keeps_zensical_and_gitlab(tmp_path):
    folder = tmp_path / "portal"
    init(folder, "--generator", "zensical", "--host", "gitlab")
    again = run("init", str(folder), "--timezone", "UTC")
    assert again.exit_code == 0, again.output
    assert not (folder / "mkdocs.yml").exists() and not (folder / ".github").exists()
    assert "time zone Europe/Berlin" in again.output


def test_a_zensical_portal_names_zensical_toml_in_its_messages(tmp_path, monkeypatch):
    folder = tmp_path / "portal"
    init(folder, "--generator", "zensical")
    config = folder / "zensical.toml"
    text = config.read_text(encoding="utf-8").replace('availability = "Mon', 'availability = "Lun')
    config.write_text(text, encoding="utf-8")
    (folder / "clients" / "acme.yml").write_text(
        "name: Acme\nlanguage: de\ncontacts:\n  - name: Jo\n    email: jo@acme.example\n", encoding="utf-8"
    )
    monkeypatch.chdir(folder)
    result = run("check")
    assert "freelancer.availability in zensical.toml has no text in 'de'" in result.output
    assert "mkdocs.yml" not in result.output
    config.write_text(text.replace('url_prefix = "p"', 'url_prefx = "p"'), encoding="utf-8")
    wrong = run("check")
    assert wrong.exit_code == 2 and "zensical.toml: client-portal.url_prefx: unknown option" in wrong.output


def test_migrate_moves_a_scaffolded_mkdocs_portal_to_zensical_with_the_same_settings(tmp_path, monkeypatch):
    folder = tmp_path / "portal"
    init(folder, "--site-url", "https://portal.ana.example/")
    before = read_site_config(folder / "mkdocs.yml").settings
    result = run("migrate", "--to", "zensical", str(folder))
    assert result.exit_code == 0, result.output
    after = read_site_config(folder / "zensical.toml").settings
    assert after == before.__class__(**{**before.__dict__, "config_name": "zensical.toml"})
    assert after.timezone == "Europe/Berlin" and after.freelancer.name == "Ana Ruiz"
    workflow = (folder / ".github/workflows/publish.yml").read_text(encoding="utf-8")
    fresh = tmp_path / "fresh"
    init(fresh, "--generator", "zensical", "--site-url", "https://portal.ana.example/")
    assert workflow == (fresh / ".github/workflows/publish.yml").read_text(encoding="utf-8")
    assert (folder / "requirements.txt").read_text() == (fresh / "requirements.txt").read_text()
    assert "delete mkdocs.yml" in result.output
    (folder / "mkdocs.yml").unlink()
    monkeypatch.chdir(folder)
    checked = run("check")
    assert checked.exit_code == 0, checked.output
    assert checked.output.strip() == "0 records checked: 0 errors, 0 warnings"
    again = run("migrate", "--to", "zensical", str(folder))
    assert again.exit_code == 1 and "zensical.toml already exists; not overwriting it" in again.output


def test_the_migrated_configuration_builds_with_zensical_and_back(tmp_path):
    folder = tmp_path / "portal"
    init(folder)
    assert run("migrate", "--to", "zensical", str(folder)).exit_code == 0
    (folder / "mkdocs.yml").unlink()
    zensical = str(Path(sys.executable).parent / "zensical")
    built = subprocess.run([zensical, "build", "--clean"], cwd=folder, capture_output=True, text=True, check=False)
    assert built.returncode == 0 and (folder / "site" / "index.html").is_file(), built.stdout + built.stderr
    back = run("migrate", "--to", "mkdocs", str(folder))
    assert back.exit_code == 0, back.output
    assert "zensical" not in (folder / "requirements.txt").read_text(encoding="utf-8")
    assert "mkdocs build --strict" in (folder / ".github/workflows/publish.yml").read_text(encoding="utf-8")


def test_migrate_says_what_to_change_in_a_workflow_it_does_not_recognise(tmp_path):
    folder = tmp_path / "portal"
    init(folder)
    workflow = folder / ".github/workflows/publish.yml"
    edited = workflow.read_text(encoding="utf-8").replace("mkdocs build --strict", "mkdocs build --strict --verbose")
    workflow.write_text(edited, encoding="utf-8")
    result = run("migrate", "--to", "zensical", str(folder))
    assert result.exit_code == 0, result.output
    assert workflow.read_text(encoding="utf-8") == edited
    assert "in .github/workflows/publish.yml, build with zensical: replace the build steps with" in result.output
