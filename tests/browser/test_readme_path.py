"""The README's own set-up, command by command, as a freelancer types it.

The commands between `<!-- readme-setup:begin -->` and `<!-- readme-setup:end -->` run
in order in an empty folder (with stand-ins for `pip` and GitHub's `gh`: the
repository becomes a local bare one, the repository secret a file). The pushed
repository is then built the way its workflow does (`CI=true`, the secret from the
environment), served under the path of its `site_url`, and the link `client-portal links`
printed is opened in Chromium: the page must decrypt. Every command comes from the
wheel a release publishes, installed into a clean virtual environment (tests/wheel.py),
as the README's `pip install` does. When the README's path breaks, this test says so.
The path starts the generator the README recommends (Zensical); the portal's
configuration file says which it is.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import threading
import tomllib
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from ..conftest import ROOT
from ..wheel import installed, wheel_environment
from .conftest import Watched, _QuietHandler

pytestmark = pytest.mark.browser

FAKE_PIP = """#!/bin/sh
# the wheel is already installed in this environment
[ "$*" = "install mkdocs-client-portal" ] || { echo "unexpected: pip $*" >&2; exit 1; }
"""
FAKE_GH = """#!/bin/sh
# GitHub, played locally: a bare repository for the remote, a file per repository secret
set -e
echo "gh $*" >> "$FAKE_GITHUB/calls"
case "$1 $2" in
  "repo create")
    case " $* " in *" --private "*) ;; *) echo "the README must create a private repository" >&2; exit 1;; esac
    git init -q --bare "$FAKE_GITHUB/remote.git"
    git remote add origin "$FAKE_GITHUB/remote.git" ;;
  "secret set") mkdir -p "$FAKE_GITHUB/secrets"; cat > "$FAKE_GITHUB/secrets/$3" ;;
  "api "*) ;;
  *) echo "unexpected: gh $*" >&2; exit 1 ;;
esac
"""


def setup_commands() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- readme-setup:begin -->", 1)[1].split("<!-- readme-setup:end -->", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the set-up section holds one ```sh block"
    return block.group(1)


def tool(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)
    (folder / name).chmod(0o755)


def run(command: list[str] | str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    shell = isinstance(command, str)
    args = ["bash", "-euo", "pipefail", "-c", command] if shell else command
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def followed(tmp_path_factory):
    """The README's set-up run in an empty folder; then CI's build of what was pushed, served."""
    home = tmp_path_factory.mktemp("readme")
    fresh = wheel_environment(home)
    fake = home / "fake-bin"
    fake.mkdir()
    tool(fake, "pip", FAKE_PIP)
    tool(fake, "gh", FAKE_GH)
    github = home / "github"
    github.mkdir()
    env = {
        "PATH": f"{fake}:{fresh / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "FAKE_GITHUB": str(github),
        "GIT_AUTHOR_NAME": "Mei Chen",
        "GIT_AUTHOR_EMAIL": "mei@example.com",
        "GIT_COMMITTER_NAME": "Mei Chen",
        "GIT_COMMITTER_EMAIL": "mei@example.com",
        "NO_MKDOCS_2_WARNING": "1",
        "LANG": "C.UTF-8",
    }
    work = home / "work"
    work.mkdir()
    done = run(setup_commands(), work, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    calls = (github / "calls").read_text()
    assert "repo create my-portal --private" in calls and "secret set PORTAL_SECRET" in calls
    [portal] = [p for p in work.iterdir() if (p / ".git").exists()]
    assert (portal / "zensical.toml").exists(), "the README starts a portal on the generator it recommends"

    # CI: a fresh clone of what was pushed, built with the workflow's own steps
    ci = home / "ci"
    assert run(["git", "clone", "-q", "-b", "main", str(github / "remote.git"), str(ci)], home, env).returncode == 0
    assert not (ci / ".portal-secret").exists()  # the secret never went into git
    workflow = yaml.safe_load((ci / ".github" / "workflows" / "publish.yml").read_text())
    assert workflow[True]["push"]["branches"] == ["main"]
    secret = (github / "secrets" / "PORTAL_SECRET").read_text().strip()
    ci_env = env | {"CI": "true", "PORTAL_SECRET": secret, "REPOSITORY_PRIVATE": "true", "ALLOW_PUBLIC": ""}
    for step in workflow["jobs"]["build"]["steps"]:
        command = step.get("run")
        if command == "pip install -r requirements.txt":  # the portal's pin is met by the wheel
            installed(fresh, "-r", str(ci / "requirements.txt"))
        elif command:
            result = run(command, ci, ci_env)
            assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"

    site_url = tomllib.loads((ci / "zensical.toml").read_text())["project"]["site_url"]
    path = re.sub(r"^https?://[^/]+", "", site_url)
    assert path.strip("/"), "the README's site_url has a path, as GitHub project pages do"
    published = home / "host"
    shutil.copytree(ci / "site", published / path.strip("/"))
    server = serve(published)
    local = f"http://127.0.0.1:{server.server_address[1]}"
    yield {"portal": portal, "printed": done.stdout, "site_url": site_url, "local": local, "env": env}
    server.shutdown()


def links_printed(output: str) -> dict[str, str]:
    return dict(re.findall(r"^  (.+?): (\S+)$", output, re.M))


def open_link(watched: Watched, url: str) -> None:
    watched.page.goto(url)
    expect(watched.page.locator("#cp-content:visible, #cp-gate:visible[data-state]").first).to_be_visible()


def test_the_link_the_readme_path_prints_opens_the_page(followed, watched):
    printed = links_printed(followed["printed"])
    assert list(printed) == ["Anna Weber"]
    url = printed["Anna Weber"]
    assert url.startswith(followed["site_url"] + "p/") and "#" in url
    open_link(watched, url.replace(followed["site_url"].rstrip("/").rsplit("/", 1)[0], followed["local"], 1))
    expect(watched.page.locator("h1.cp-title")).to_have_text("Acme Bakery")
    assert watched.errors == [] and watched.csp_violations() == []
    # and the published site confirms it was built with the secret the links come from
    where = followed["local"] + "/" + followed["site_url"].split("/", 3)[3]
    checked = run(["client-portal", "links", "--check", where], followed["portal"], followed["env"])
    assert checked.returncode == 0, checked.stderr


def test_a_link_made_with_another_secret_does_not_open(followed, watched):
    """The control: the test above fails when `links` uses a secret other than the published one."""
    other = followed["env"] | {"PORTAL_SECRET": "aN3xV8qL5rT1mK7wC4yP9hJ2dF6gB0sZ-eU_oI3tQ8v"}
    result = run(["client-portal", "links"], followed["portal"], other)
    url = links_printed(result.stdout)["Anna Weber"]
    response = watched.page.goto(url.replace(followed["site_url"].rstrip("/").rsplit("/", 1)[0], followed["local"], 1))
    assert response is not None and response.status == 404  # another secret, another address: nothing there
    expect(watched.page.locator("h1.cp-title")).to_have_count(0)
    where = followed["local"] + "/" + followed["site_url"].split("/", 3)[3]
    checked = run(["client-portal", "links", "--check", where], followed["portal"], other)
    assert checked.returncode == 1 and "built with another site secret" in checked.stderr
