"""What `client-portal check` finds beyond the records: the secrets a build needs, and an unpinned install."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from client_portal import __version__
from client_portal.publishing.passwords import PASSWORDS_ENV, PasswordsError, needed_passwords, where_to_set
from client_portal.records.model import Client
from client_portal.records.problems import Problem
from client_portal.settings import PortalSettings

PACKAGE = "mkdocs-client-portal"
# The package's line in requirements.txt: its name as pip normalises it, then what follows.
PACKAGE_LINE = re.compile(r"^mkdocs[-_.]client[-_.]portal(?![\w.-])(?P<rest>.*)$", re.IGNORECASE)
# The package installed straight from its repository, without its name in front.
GIT_LINE = re.compile(r"^git\+\S*/mkdocs-client-portal(\.git)?(@\S*)?$", re.IGNORECASE)


def requirement_line(version: str = __version__) -> str:
    """The requirements.txt line that installs exactly ``version`` (a development build: its commit)."""
    commit = re.search(r"\+g([0-9a-f]{7,40})\b", version)
    if commit:  # built from a git checkout between releases: no index holds it
        return f"{PACKAGE} @ git+https://github.com/mkdocs-client-portal/mkdocs-client-portal@{commit.group(1)}"
    return f"{PACKAGE}=={version}"


def pin_problems(requirements: Path, shown: Path) -> list[Problem]:
    """A warning at each line of ``requirements`` that installs the package without naming one version."""
    try:
        text = requirements.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):  # no requirements file: the portal installs some other way
        return []
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split(" #")[0].strip()
        if GIT_LINE.match(line):
            if _url_pinned(line):
                continue
        elif (found := PACKAGE_LINE.match(line)) is None or _pinned(found.group("rest")):
            continue
        message = (
            f"{PACKAGE} is not pinned, so every CI run installs whatever is newest; write "
            f"{requirement_line()} (the version you use: client-portal --version), and let Dependabot or "
            "Renovate propose each new release (`client-portal init` in a new folder writes "
            ".github/dependabot.yml or renovate.json to copy)"
        )
        problems.append(Problem(shown, number, 1, message, "warning"))
    return problems


def _pinned(rest: str) -> bool:
    """Whether what follows the package's name names one version: ``==1.2.3``, or a git URL at a tag or commit."""
    rest = rest.split(";")[0].split(" --")[0].rstrip("\\ ").strip()  # markers, --hash options, continuations
    rest = re.sub(r"^\[[^\]]*\]\s*", "", rest)  # extras
    if rest.startswith("@"):
        return _url_pinned(rest[1:].strip())
    return bool(re.fullmatch(r"===?\s*[\w.!+-]+", rest))


def _url_pinned(url: str) -> bool:
    """Whether a git URL ends in ``@tag`` or ``@commit`` after the repository's name."""
    return bool(re.search(r"/[^/@\s]+@[^/\s]+$", url.split("#")[0]))


def secrets_report(
    settings: PortalSettings,
    clients: list[Client],
    shown: Callable[[Path], Path],
    environ: Mapping[str, str] = os.environ,
) -> tuple[list[Problem], list[str]]:
    """Errors for what a CI build would miss, and one line per secret a build needs (none without passwords).

    Outside CI a missing password is no error: a local build leaves it out and says so, as the
    build does. In CI (``CI`` set) it fails the build, so `check` fails with it.
    """
    in_ci = bool(environ.get("CI"))
    try:
        needed = needed_passwords(clients, environ)
    except PasswordsError as error:
        return [Problem(Path(PASSWORDS_ENV), error.line, 1, error.reason)], []
    if not needed:
        return [], []
    problems: list[Problem] = []
    secret = settings.secret_env
    if environ.get(secret, "").strip():
        lines = [f"  {secret}: set"]
    elif in_ci:
        lines = [f"  {secret}: missing: add it as a repository secret (value: `client-portal secret`)"]
    else:
        lines = [f"  {secret}: not set here; local builds use .portal-secret"]
    by_id = {client.id: client for client in clients}
    for found in needed:
        who = f"{found.name} ({', '.join(found.clients)})"
        if found.found_in:
            lines.append(f"  {who}: set, in {found.found_in}")
            continue
        how = where_to_set([found.name], environ)
        if not in_ci:
            lines.append(f"  {who}: not set here (a local build leaves it out); for CI, {how}")
            continue
        lines.append(f"  {who}: missing: {how}")
        client = by_id[found.clients[0]]
        line, column = client.locate(*_password_field(client, found.name))
        message = f"{found.name} is not set: {how}"
        problems.append(Problem(shown(client.source), line, column, message))
    return problems, ["Secrets a build needs:", *lines]


def _password_field(client: Client, name: str) -> tuple[str | int, ...]:
    """Where the record names the password variable ``name``."""
    for index, contact in enumerate(client.record.contacts):
        if contact.password_env == name:
            return ("contacts", index, "password_env")
    return ("access", "password_env")
