"""Zensical builds the public site, `client-portal build` adds the client pages: a portal as init writes it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .build import SECRET
from .conftest import ROOT
from .test_build import copy_portal
from .test_workflow import run

ENV = {"PORTAL_SECRET": SECRET, "LOTUS_TEA_PORTAL_PASSWORD": "correct horse battery staple"}


@pytest.fixture(scope="module")
def zensical_portal(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("zensical") / "portal"
    result = run("client-portal", "init", str(folder), "--generator", "zensical", "--name", "Sam Rivera", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "zensical build && client-portal serve" in result.stdout
    return folder


def test_init_for_zensical_writes_its_configuration_and_workflow(zensical_portal):
    written = sorted(p.relative_to(zensical_portal).as_posix() for p in zensical_portal.rglob("*") if p.is_file())
    assert "zensical.toml" in written and "mkdocs.yml" not in written
    assert "Sam Rivera" in (zensical_portal / "zensical.toml").read_text(encoding="utf-8")
    assert "zensical" in (zensical_portal / "requirements.txt").read_text(encoding="utf-8")
    readme = (zensical_portal / "README.md").read_text(encoding="utf-8")
    assert "mkdocs" not in readme and "zensical build && client-portal serve" in readme


def test_the_zensical_workflow_builds_adds_pages_audits_and_deploys(zensical_portal):
    path = zensical_portal / ".github" / "workflows" / "publish.yml"
    checked = run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path), cwd=ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    build = workflow["jobs"]["build"]
    assert build["env"]["PORTAL_SECRET"] == "${{ secrets.PORTAL_SECRET }}"
    runs = [step.get("run") for step in build["steps"]]
    order = ["client-portal check", "zensical build --clean", "client-portal build site", "client-portal audit site"]
    assert [runs.index(command) for command in order] == sorted(runs.index(command) for command in order)
    uses = [step.get("uses", "") for step in build["steps"]]
    assert runs.index("client-portal audit site") < next(
        i for i, u in enumerate(uses) if u.startswith("actions/upload-pages-artifact@")
    )
    assert workflow["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_the_zensical_gitlab_example_is_valid(tmp_path):
    result = run("client-portal", "init", str(tmp_path / "gl"), "--generator", "zensical", "--host", "gitlab", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "gl" / ".gitlab-ci.yml"
    checked = run("check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", str(path), cwd=ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    script = yaml.safe_load(path.read_text(encoding="utf-8"))["pages"]["script"]
    assert script.index("zensical build --clean") < script.index("client-portal build site")
    assert script.index("client-portal audit site") < script.index("mv site public")


def test_from_empty_folder_to_audited_zensical_site(zensical_portal):
    for command in (
        ("client-portal", "new", "acme", "--contact", "Ana Lima", "--email", "ana@acme.example"),
        ("client-portal", "check"),
        ("zensical", "build", "--clean"),
        ("client-portal", "build", "site"),
        ("client-portal", "audit", "site"),
    ):
        result = run(*command, cwd=zensical_portal, env={"PORTAL_SECRET": SECRET})
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        assert "Traceback" not in result.stderr
    pages = [p.read_text(encoding="utf-8") for p in (zensical_portal / "site" / "p").glob("*/index.html")]
    assert sum("cp-payload" in page for page in pages) == 1  # acme: init writes no example client


def test_check_says_what_to_run_when_the_generator_skipped_the_pages(tmp_path):
    portal = copy_portal(tmp_path / "portal").parent
    assert run("zensical", "build", cwd=portal, env=ENV).returncode == 0  # reads mkdocs.yml, skips our plugin
    result = run("client-portal", "check", cwd=portal, env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "note: site was built without the client pages" in result.stderr
    assert "run: client-portal build site" in result.stderr
    audit = run("client-portal", "audit", "site", cwd=portal, env=ENV)
    assert audit.returncode == 1 and "run `client-portal build SITE_DIR`" in audit.stdout
    assert run("client-portal", "build", "site", cwd=portal, env=ENV).returncode == 0
    assert "note:" not in run("client-portal", "check", cwd=portal, env=ENV).stderr
    assert run("client-portal", "audit", "site", cwd=portal, env=ENV).returncode == 0
