"""Whether a change altered any client page: ``python -m benchmarks.same_pages [REV] [CLIENTS]``.

Builds two portals with `client-portal build`, once with the package as it is at REV
(HEAD by default) and once as it is in the working tree, and compares every page as the
client's browser shows it. The portals: the example clients, each also in every shipped
language, and CLIENTS synthetic clients of `make bench` (300 by default). Every build
encrypts with fresh IVs, so a page is compared decrypted, and its shell with the payload
taken out. Prints how many pages were compared; exits 1 showing the first difference.
A change meant to make pages faster, not different, should leave them all the same.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from client_portal.i18n import shipped_languages
from client_portal.publishing import crypto

from .portals import ROOT, portal

SECRET = "same-pages-comparison-secret-0123456789abcdefg"
PASSWORD = "same pages password"  # every password page of the example portal
PAYLOAD = re.compile(r'(<script type="application/json" id="cp-payload"[^>]*>)(.*?)(</script>)', re.S)
LANGUAGE = re.compile(r"^language: .*$", re.M)


def example_portal(folder: Path) -> Path:
    """The example portal, with a copy of each client in every shipped language beside the original."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    shutil.copytree(ROOT / "content", folder / "content")
    shutil.copytree(ROOT / "clients", folder / "clients")
    for record in sorted((ROOT / "clients").glob("*.yml")):
        text = record.read_text(encoding="utf-8")
        for language in shipped_languages():
            copy = LANGUAGE.sub(f"language: {language}", text, count=1)
            (folder / "clients" / f"{record.stem}-{language.lower()}.yml").write_text(copy, encoding="utf-8")
    return folder


def package_at(revision: str, folder: Path) -> Path:
    """The package's source as it was at ``revision``, unpacked under ``folder``; the folder to import it from."""
    archive = subprocess.run(["git", "archive", revision, "plugins"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "plugins"


def build(package: Path, config: Path, site: Path) -> None:
    """`client-portal build` of the portal ``config`` into ``site``, with the package imported from ``package``."""
    passwords = {"LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}
    environ = {**os.environ, "PYTHONPATH": str(package), "PORTAL_SECRET": SECRET, **passwords}
    environ.pop("CI", None)
    command = [sys.executable, "-c", "from client_portal.commands.cli import main; main()"]
    command += ["build", str(site), "--config", str(config)]
    subprocess.run(command, cwd=config.parent, env=environ, check=True, capture_output=True)


def links(config: Path) -> list[dict[str, object]]:
    """`client-portal links --json` of the portal ``config``, as the working tree makes them."""
    environ = {**os.environ, "PORTAL_SECRET": SECRET}
    command = [sys.executable, "-c", "from client_portal.commands.cli import main; main()"]
    command += ["links", "--json", "--config", str(config)]
    found = subprocess.run(command, cwd=config.parent, env=environ, check=True, capture_output=True, text=True)
    return list(json.loads(found.stdout))


def shown(site: Path, client: dict[str, object]) -> tuple[str, str]:
    """A client's page as its browser shows it: the shell without its payload, and the decrypted content."""
    path = str(client["path"])
    html = (site / path / "index.html").read_text(encoding="utf-8")
    found = PAYLOAD.search(html)
    if found is None:
        return html, ""
    payload = json.loads(found[2])
    token = path.rstrip("/").rsplit("/", 1)[-1]
    if client["mode"] == "password":
        content = crypto.open_with_password(payload, token, PASSWORD)
    else:
        first = client["links"][0]  # type: ignore[index]
        key = crypto.from_b64url(str(first["url"]).split("#", 1)[1])
        content = crypto.open_page(payload, token, crypto.Recipient.from_link(key))
    return PAYLOAD.sub(r"\1\3", html), content


def difference(name: str, before: str, after: str) -> str:
    """The first lines where two texts differ, as a unified diff."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), f"{name} (before)", f"{name} (after)", lineterm="", n=1
    )
    return "\n".join(list(lines)[:40])


def compare(revision: str, count: int) -> int:
    """Build both portals at ``revision`` and in the working tree; the number of pages that differ."""
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        trees = {"before": package_at(revision, work / "before"), "after": ROOT / "plugins"}
        configs = [example_portal(work / "example") / "mkdocs.yml", portal(work / "synthetic", count) / "mkdocs.yml"]
        compared = differ = 0
        for config in configs:
            sites = {}
            for label, package in trees.items():
                sites[label] = work / f"{config.parent.name}-{label}"
                build(package, config, sites[label])
            for client in links(config):
                before = shown(sites["before"], client)
                after = shown(sites["after"], client)
                compared += 1
                if before != after:
                    differ += 1
                    if differ == 1:
                        part = "shell" if before[0] != after[0] else "content"
                        index = 0 if part == "shell" else 1
                        print(difference(f"{client['id']} {part}", before[index], after[index]))
        print(f"{compared} pages compared with {revision}: {differ or 'none'} differ")
    return differ


def main() -> None:
    revision = sys.argv[1] if len(sys.argv) > 1 else "HEAD"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    sys.exit(1 if compare(revision, count) else 0)


if __name__ == "__main__":
    main()
