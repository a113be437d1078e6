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
from click.testing import CliRunner

from client_portal.commands.cli import main

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
    result = run(
        "client-portal",
        "init",
        str(folder),
        "--name",
        "Sam Rivera",
        "--email",
        "sam@example.org",
        "--timezone",
        "Europe/Lisbon",
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(scope="module")
def workflows(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """The workflow `init` writes for each generator and host: each must carry the public-repository guard."""
    found = {}
    for generator in ("mkdocs", "zensical"):
        for host, name in (("github", ".github/workflows/publish.yml"), ("gitlab", ".gitlab-ci.yml")):
            folder = tmp_path_factory.mktemp(f"{generator}-{host}") / "portal"
            # in this process: the command itself runs in new_portal and in the tests of the loop
            done = CliRunner().invoke(main, ["init", str(folder), "--generator", generator, "--host", host])
            assert done.exit_code == 0, done.output
            found[generator, host] = folder / name
    return found


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout.strip()


def test_init_writes_a_complete_portal(new_portal):
    written = sorted(
        p.relative_to(new_portal).as_posix()
        for p in new_portal.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(new_portal).parts
    )
    assert written == [
        ".github/dependabot.yml",  # a pull request when a new release ships
        ".github/workflows/publish.yml",
        ".gitignore",
        "README.md",
        "client-record.schema.json",
        "clients/.gitkeep",  # no placeholder client to publish; git keeps the empty folder
        "content/index.md",
        "content/stylesheets/site.css",
        "mkdocs.yml",
        "requirements.txt",
    ]
    ignored = (new_portal / ".gitignore").read_text().splitlines()
    assert {".portal-secret", "drafts/", "*.eml", ".env"} <= set(ignored)
    config = (new_portal / "mkdocs.yml").read_text()
    assert "Sam Rivera" in config and "timezone: Europe/Lisbon" in config
    assert "<NAME>" not in (new_portal / "content" / "index.md").read_text()
    # the public pages' stylesheet is written and linked, so links are underlined there too
    assert "stylesheets/site.css" in (new_portal / "mkdocs.yml").read_text()
    assert "text-decoration: underline" in (new_portal / "content" / "stylesheets" / "site.css").read_text()


def test_init_makes_a_git_repository_on_the_branch_the_workflow_publishes(new_portal):
    assert git(new_portal, "symbolic-ref", "--short", "HEAD") == "main"
    workflow = yaml.safe_load((new_portal / ".github" / "workflows" / "publish.yml").read_text())
    assert workflow[True]["push"]["branches"] == ["main"]
    git(new_portal, "add", "-A")
    staged = git(new_portal, "diff", "--cached", "--name-only").splitlines()
    assert ".portal-secret" not in staged and "clients/.gitkeep" in staged


def test_init_takes_the_time_zone_of_the_machine(tmp_path):
    result = run("client-portal", "init", str(tmp_path / "p"), cwd=ROOT, env={"TZ": "Asia/Tokyo"})
    assert result.returncode == 0, result.stderr
    assert "timezone: Asia/Tokyo" in (tmp_path / "p" / "mkdocs.yml").read_text()
    assert "time zone Asia/Tokyo" in result.stdout
    bad = run("client-portal", "init", str(tmp_path / "q"), "--timezone", "Moon/Base", cwd=ROOT)
    assert bad.returncode == 2 and "Moon/Base" in bad.stderr and not (tmp_path / "q" / "mkdocs.yml").exists()


def test_from_empty_folder_to_audited_site(new_portal):
    env = {"PORTAL_SECRET": SECRET}
    for command in (
        ("client-portal", "check"),  # nothing yet: a fresh portal checks, builds and audits
        ("mkdocs", "build", "--strict"),
        ("client-portal", "audit", "site"),
        ("client-portal", "new", "acme", "--contact", "Ana Lima", "--email", "ana@acme.example"),
        ("client-portal", "check"),
        ("mkdocs", "build", "--strict"),
        ("client-portal", "audit", "site"),
    ):
        result = run(*command, cwd=new_portal, env=env)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        assert "Traceback" not in result.stderr
    pages = [p.read_text(encoding="utf-8") for p in (new_portal / "site" / "p").glob("*/index.html")]
    assert sum("cp-payload" in page for page in pages) == 1
    assert sum("data-cp-replaced" in page for page in pages) == 1  # its address if it were unlisted


def test_check_refuses_to_publish_the_template_placeholder(tmp_path):
    portal = tmp_path / "portal"
    assert run("client-portal", "init", str(portal), cwd=ROOT).returncode == 0
    assert run("client-portal", "new", "acme", cwd=portal).returncode == 0
    result = run("client-portal", "check", cwd=portal)
    assert result.returncode == 1
    assert re.search(
        r"clients/acme.yml:\d+:\d+: error: contacts\[0\].name: still the template's placeholder", result.stdout
    )
    assert (
        run("mkdocs", "build", cwd=portal, env={"PORTAL_SECRET": SECRET}).returncode == 0
    )  # the workflow's check stops it


def test_init_into_an_existing_repository_merges_and_never_overwrites(tmp_path):
    existing = tmp_path / "mine"
    existing.mkdir()
    git(existing, "init", "-q")
    git(existing, "symbolic-ref", "HEAD", "refs/heads/trunk")
    (existing / "README.md").write_text("# My notes\n")
    (existing / ".gitignore").write_text("node_modules/\n.portal-secret")
    result = run("client-portal", "init", str(existing), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "Kept your existing README.md" in result.stdout
    assert (existing / "README.md").read_text() == "# My notes\n"
    ignored = (existing / ".gitignore").read_text().splitlines()
    assert ignored[:2] == ["node_modules/", ".portal-secret"] and ignored.count(".portal-secret") == 1
    assert "drafts/" in ignored
    assert (existing / "mkdocs.yml").is_file() and (existing / "clients" / ".gitkeep").is_file()
    workflow = yaml.safe_load((existing / ".github" / "workflows" / "publish.yml").read_text())
    assert workflow[True]["push"]["branches"] == ["trunk"]  # the branch the repository is on
    before = (existing / "mkdocs.yml").read_text()
    again = run("client-portal", "init", str(existing), "--name", "Other", cwd=ROOT)
    assert again.returncode == 0 and "mkdocs.yml" in again.stdout
    assert (existing / "mkdocs.yml").read_text() == before


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


@pytest.mark.parametrize(
    ("private", "allowed", "api", "publishes"),
    [
        ("true", "", "", True),
        ("false", "", "", False),
        ("false", "true", "", True),
        ("false", "yes", "", False),  # only the exact word allows it
        ("", "", "true", True),  # an event without the repository in its payload: asks the API
        ("", "", "false", False),
        ("", "", "fail", False),  # the API cannot tell: fail closed
    ],
)
@pytest.mark.parametrize("generator", ["mkdocs", "zensical"])
def test_github_workflow_refuses_a_public_repository(workflows, tmp_path, generator, private, allowed, api, publishes):
    workflow = yaml.safe_load(workflows[generator, "github"].read_text())
    steps = workflow["jobs"]["build"]["steps"]
    guard = steps[0]
    assert guard["env"]["REPOSITORY_PRIVATE"] == "${{ github.event.repository.private }}"
    assert guard["env"]["ALLOW_PUBLIC"] == "${{ vars.PORTAL_ALLOW_PUBLIC_REPO }}"
    assert [s.get("uses", "") for s in steps].index("actions/checkout@v4") > 0  # before the records are read
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gh").write_text(f"#!/bin/sh\n[ '{api}' = fail ] && exit 1\necho '{api}'\n")
    (fake / "gh").chmod(0o755)
    env = {
        "PATH": f"{fake}:/usr/bin:/bin",
        "REPOSITORY_PRIVATE": private,
        "ALLOW_PUBLIC": allowed,
        "GITHUB_REPOSITORY": "sam/portal",
    }
    done = subprocess.run(["bash", "-e", "-c", guard["run"]], env=env, capture_output=True, text=True, check=False)
    assert (done.returncode == 0) is publishes, done.stdout + done.stderr
    if not publishes:
        assert "::error::" in done.stdout and "PORTAL_ALLOW_PUBLIC_REPO" in done.stdout


@pytest.mark.parametrize(
    ("visibility", "allowed", "publishes"),
    [("private", "", True), ("public", "", False), ("internal", "", False), ("public", "true", True)],
)
@pytest.mark.parametrize("generator", ["mkdocs", "zensical"])
def test_gitlab_pipeline_refuses_a_public_project(workflows, generator, visibility, allowed, publishes):
    guard = yaml.safe_load(workflows[generator, "gitlab"].read_text())["pages"]["script"][0]
    env = {"PATH": "/usr/bin:/bin", "CI_PROJECT_VISIBILITY": visibility, "PORTAL_ALLOW_PUBLIC_REPO": allowed}
    done = subprocess.run(["sh", "-e", "-c", guard], env=env, capture_output=True, text=True, check=False)
    assert (done.returncode == 0) is publishes, done.stdout


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
    assert pages["mkdocs"] == pages["properdocs"] and len(pages["mkdocs"]) == 12  # 6 clients, 6 replaced links


@pytest.mark.parametrize("host", ["github", "gitlab"])
def test_the_written_workflow_warns_that_an_organisation_variable_turns_the_guard_off(workflows, host):
    comment = "".join(line for line in workflows["mkdocs", host].read_text().splitlines(True) if line.startswith("#"))
    place = "organisation variable" if host == "github" else "group variable"
    assert "PORTAL_ALLOW_PUBLIC_REPO" in comment and place in comment and "alone" in comment
    readme = (workflows["mkdocs", host].parents[2 if host == "github" else 0] / "README.md").read_text()
    assert "organisation or group variable" in readme


@pytest.mark.parametrize("generator", ["mkdocs", "zensical"])
@pytest.mark.parametrize(("open_issue", "called"), [("", "issue create"), ("7", "issue comment 7")])
def test_a_failed_daily_build_opens_an_issue_or_adds_to_the_open_one(
    workflows, tmp_path, generator, open_issue, called
):
    workflow = yaml.safe_load(workflows[generator, "github"].read_text())
    report = workflow["jobs"]["report"]
    assert report["needs"] == ["build", "deploy"]
    assert report["if"] == "failure() && github.event_name == 'schedule'"  # the daily run, not a push
    assert report["permissions"] == {"issues": "write"}  # this job alone may write issues
    (step,) = report["steps"]
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gh").write_text(
        f'#!/bin/sh\necho "$@" >> "{tmp_path}/calls"\n[ "$1 $2" = "issue list" ] && echo "{open_issue}"\nexit 0\n'
    )
    (fake / "gh").chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "RUN_URL": "https://github.com/sam/portal/actions/runs/42"}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0].startswith("issue list --state open")
    assert calls[1].startswith(called)
    assert "The daily portal build failed" in calls[1] or called.startswith("issue comment")
    assert "https://github.com/sam/portal/actions/runs/42" in calls[1]
