"""The passwords of password-mode pages: each from its own variable, else from one ``PORTAL_PASSWORDS`` secret.

``PORTAL_PASSWORDS`` holds one ``NAME=password`` line per password (NAME as in the
record's ``password_env``), so a new password client needs a new line in one secret,
never a new line in the workflow. No message here ever shows a password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from client_portal.records.model import Client

PASSWORDS_ENV = "PORTAL_PASSWORDS"
# As the record's password_env accepts it (records.model.EnvName).
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PasswordsError(Exception):
    """``PORTAL_PASSWORDS`` cannot be read; the message names the line, never its value."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"{PASSWORDS_ENV} line {line}: {reason}")


def portal_passwords(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The ``NAME=password`` lines of ``PORTAL_PASSWORDS``; blank lines and ``#`` comments are skipped.

    Spaces around the name and the password are ignored. A line without ``=``, with a name that
    is not a variable name, with no password, or naming a variable twice is an error.
    """
    found: dict[str, str] = {}
    for number, line in enumerate(re.split(r"\r\n|\n|\r", environ.get(PASSWORDS_ENV, "")), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, equals, password = text.partition("=")
        name, password = name.strip(), password.strip()
        if not equals:
            raise PasswordsError(number, "no '='; write NAME=password, such as ACME_PORTAL_PASSWORD=…")
        if not ENV_NAME.match(name):
            raise PasswordsError(
                number,
                "the text before '=' is not a variable name; write NAME=password, "
                "such as ACME_PORTAL_PASSWORD=…, with NAME as in the record's password_env",
            )
        if not password:
            raise PasswordsError(number, f"{name} has no password after '='")
        if name in found:
            raise PasswordsError(number, f"{name} is given a second time; keep one line for it")
        found[name] = password
    return found


def password(name: str, environ: Mapping[str, str] = os.environ) -> str:
    """The password in the variable ``name``, else on ``name``'s line of ``PORTAL_PASSWORDS``; "" when neither."""
    return environ.get(name, "") or portal_passwords(environ).get(name, "")


def where_to_set(names: list[str], environ: Mapping[str, str] = os.environ) -> str:
    """How to give the build the passwords ``names``, on the CI service this runs on (or on either)."""
    many = len(names) > 1
    lines = " and ".join(f"{name}=<password>" for name in names)
    listed = f"add the line{'s' * many} {lines} to the {PASSWORDS_ENV}"
    github = "GitHub: Settings → Secrets and variables → Actions"
    gitlab = "GitLab: Settings → CI/CD → Variables"
    if environ.get("GITHUB_ACTIONS"):
        return f"{listed} repository secret ({github})"
    if environ.get("GITLAB_CI"):
        variables = f"masked CI/CD variable{'s' * many} named {' and '.join(names)}"
        return f"add {'' if many else 'a '}{variables} ({gitlab}), or {listed} variable"
    return f"{listed} secret ({github}; {gitlab})"


@dataclass(frozen=True)
class NeededSecret:
    """One secret a build of the portal reads, the clients that need it, and where this build finds it."""

    name: str
    clients: tuple[str, ...]
    found_in: str | None  # "the environment", PORTAL_PASSWORDS, or None when missing


def needed_passwords(clients: list[Client], environ: Mapping[str, str] = os.environ) -> list[NeededSecret]:
    """Every password the password-mode records name, in order of first use; raises PasswordsError."""
    users: dict[str, list[str]] = {}
    for client in clients:
        record = client.record
        if record.access.mode != "password":
            continue
        for name in (*(c.password_env for c in record.contacts), record.access.password_env):
            if name and client.id not in users.setdefault(name, []):
                users[name].append(client.id)
    listed = portal_passwords(environ) if users else {}  # read, as the build does, only when a page needs it
    return [
        NeededSecret(
            name,
            tuple(ids),
            "the environment" if environ.get(name) else PASSWORDS_ENV if listed.get(name) else None,
        )
        for name, ids in users.items()
    ]
