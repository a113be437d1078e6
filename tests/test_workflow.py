"""The freelancer's loop: init, new, check, build, audit; CI files; live preview; ProperDocs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from .build import SECRET
from .conftest import ROOT

BIN = Path(sys.executable).parent


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A command as the freelancer types it, with a clean CI-less environment plus ``env``."""
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "PORTAL_SECRET")}
    base["NO_MKDOCS_2_WARNING"] = "1"
    program = str(BIN / command[0])
    return subprocess.run(
        [program, *command[1:]], cwd=cwd, env=base | (env or {}), capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def new_portal(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("empty") / "portal"
    result = run("client-portal", "init", str(folder), "--name", "Sam Rivera", "--email", "sam@example.org", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return folder


def test_init_writes_a_complete_portal(new_portal):
    written = sorted(p.relative_to(new_portal).as_posix() for p in new_portal.rglob("*") if p.is_file())
    assert written == [
        ".github/workflows/publish.yml",
        ".gitignore",
        "README.md",
        "client-record.schema.json",
        "clients/example-client.yml",
        "content/index.md",
        "content/stylesheets/site.css",
        "mkdocs.yml",
        "requirements.txt",
    ]
    assert ".portal-secret" in (new_portal / ".gitignore").read_text()
    assert "Sam Rivera" in (new_portal / "mkdocs.yml").read_text()
    assert "<NAME>" not in (new_portal / "content" / "index.md").read_text()
    # the public pages' stylesheet is written and linked, so links are underlined there too
    assert "stylesheets/site.css" in (new_portal / "mkdocs.yml").read_text()
    assert "text-decoration: underline" in (new_portal / "content" / "stylesheets" / "site.css").read_text()


def test_from_empty_folder_to_audited_site(new_portal):
    env = {"PORTAL_SECRET": SECRET}
    for command in (
        ("client-portal", "new", "acme"),
        ("client-portal", "check"),
        ("mkdocs", "build", "--strict"),
        ("client-portal", "audit", "site"),
    ):
        result = run(*command, cwd=new_portal, env=env)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        assert "Traceback" not in result.stderr
    pages = [p.read_text(encoding="utf-8") for p in (new_portal / "site" / "p").glob("*/index.html")]
    assert sum("cp-payload" in page for page in pages) == 2  # the example client and acme
    assert sum("data-cp-replaced" in page for page in pages) == 2  # their addresses if they were unlisted


def test_init_refuses_to_overwrite(new_portal):
    before = (new_portal / "mkdocs.yml").read_text()
    result = run("client-portal", "init", str(new_portal), cwd=ROOT)
    assert result.returncode == 1
    assert "not overwriting existing files" in result.stderr and "mkdocs.yml" in result.stderr
    assert (new_portal / "mkdocs.yml").read_text() == before


def test_build_in_ci_without_secret_fails_clearly(new_portal):
    result = run("mkdocs", "build", "--strict", "-d", "site-ci", cwd=new_portal, env={"CI": "true"})
    assert result.returncode == 1
    assert "PORTAL_SECRET is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_github_workflow_is_valid_and_publishes_safely(new_portal):
    path = new_portal / ".github" / "workflows" / "publish.yml"
    checked = run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path), cwd=ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    workflow = yaml.safe_load(path.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert set(triggers) >= {"push", "schedule"}
    assert triggers["schedule"][0]["cron"]
    build = workflow["jobs"]["build"]
    assert build["env"]["PORTAL_SECRET"] == "${{ secrets.PORTAL_SECRET }}"
    runs = [step.get("run") for step in build["steps"]]
    assert (
        runs.index("client-portal check") < runs.index("mkdocs build --strict") < runs.index("client-portal audit site")
    )
    uses = [step.get("uses", "") for step in build["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    deploy = workflow["jobs"]["deploy"]["steps"][0]["uses"]
    assert deploy.startswith("actions/deploy-pages@")
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_gitlab_example_is_valid(tmp_path):
    result = run("client-portal", "init", str(tmp_path / "gl"), "--host", "gitlab", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "gl" / ".gitlab-ci.yml"
    checked = run("check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", str(path), cwd=ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    script = yaml.safe_load(path.read_text())["pages"]["script"]
    assert "client-portal audit public" in script
    assert not (tmp_path / "gl" / ".github").exists()


def test_workflows_pass_actionlint(new_portal, tmp_path):
    """actionlint reads the workflow init writes and the project's own; a broken copy fails it."""
    written = new_portal / ".github" / "workflows" / "publish.yml"
    checked = run("actionlint", str(written), *map(str, (ROOT / ".github" / "workflows").glob("*.yml")), cwd=ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(written.read_text().replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    step: 1", 1))
    assert run("actionlint", str(broken), cwd=ROOT).returncode == 1


def test_project_ci_runs_the_lock_the_edges_and_a_weekly_newest_run():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    *_, day, month, weekday = triggers["schedule"][0]["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit(), "weekly"
    runs = {name: [step.get("run") for step in job["steps"]] for name, job in workflow["jobs"].items()}
    assert runs == {
        "locked": [None, "make test"],
        "lowest": [None, "make test-lowest"],
        "newest": [None, "make test-newest"],
    }
    assert "schedule" in workflow["jobs"]["newest"]["if"]
    assert workflow["permissions"] == {"contents": "read"}


def test_pre_commit_hook_runs_check_on_records():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    [hook] = hooks
    assert hook["id"] == "client-portal-check"
    assert hook["entry"] == "client-portal check"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    pattern = re.compile(hook["files"])
    assert pattern.search("clients/acme.yml") and pattern.search("mkdocs.yml")
    assert not pattern.search("content/index.md")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return ""


def wait_for(url: str, text: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = fetch(url)
        if text in body:
            return body
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared at {url}")


def test_serve_rebuilds_when_a_record_changes(tmp_path):
    for name in ("mkdocs.yml", "content", "clients"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    port = free_port()
    temp = tmp_path / "tmp"  # where MkDocs' site and the plugin's kept pages live while serving
    temp.mkdir()
    env = os.environ | {"PORTAL_SECRET": SECRET, "NO_MKDOCS_2_WARNING": "1", "TMPDIR": str(temp)}
    env.pop("CI", None)
    server = subprocess.Popen(
        [str(BIN / "mkdocs"), "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        index = f"http://127.0.0.1:{port}/p/"
        wait_for(index, "Acme Bakery")
        record = tmp_path / "clients" / "acme-bakery.yml"
        record.write_text(record.read_text().replace("name: Acme Bakery", "name: Acme Bakery & Café"))
        wait_for(index, "Acme Bakery &amp; Café")
        assert sorted(p.name.split("-")[0].split("_")[0] for p in temp.iterdir()) == ["client", "mkdocs"]
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl+C
        server.wait(timeout=10)
    assert list(temp.iterdir()) == []  # both removed on the way out


def test_properdocs_builds_the_same_portal(tmp_path):
    for name in ("mkdocs.yml", "content", "clients"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    env = {"PORTAL_SECRET": SECRET, "LOTUS_TEA_PORTAL_PASSWORD": "correct horse battery staple"}
    for tool in ("mkdocs", "properdocs"):
        result = run(tool, "build", "--strict", "-d", f"site-{tool}", cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        audit = run("client-portal", "audit", f"site-{tool}", cwd=tmp_path, env=env)
        assert audit.returncode == 0, audit.stdout
    pages = {
        tool: sorted(p.parent.name for p in (tmp_path / f"site-{tool}" / "p").glob("*/index.html"))
        for tool in ("mkdocs", "properdocs")
    }
    assert pages["mkdocs"] == pages["properdocs"] and len(pages["mkdocs"]) == 10  # 5 clients, 5 replaced links
