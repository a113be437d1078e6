"""The site secret: from the environment, or a generated git-ignored file for local builds."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SECRET_FILE = ".portal-secret"
MIN_LENGTH = 32


class SecretError(Exception):
    """The site secret is missing or unusable; the message says what to do."""


@dataclass(frozen=True)
class SiteSecret:
    """The secret's bytes and where they came from (for the build log, never the value)."""

    value: bytes
    source: str
    generated: bool = False


def new_secret() -> str:
    """A fresh random secret, URL-safe text."""
    return secrets.token_urlsafe(32)


def site_secret(root: Path, env_name: str, environ: Mapping[str, str] = os.environ) -> SiteSecret:
    """The secret from ``env_name``; else, outside CI, from (or into) ``root/.portal-secret``."""
    value = environ.get(env_name, "").strip()
    if value:
        if len(value) < MIN_LENGTH:
            raise SecretError(
                f"{env_name} is too short ({len(value)} characters); use at least {MIN_LENGTH}, "
                "for example the output of `client-portal secret`"
            )
        return SiteSecret(value.encode("utf-8"), f"environment variable {env_name}")
    if environ.get("CI"):
        raise SecretError(
            f"{env_name} is not set. In CI the site secret must come from the environment "
            f"(a repository secret named {env_name}); without it every client link would change."
        )
    path = root / SECRET_FILE
    if path.is_file():
        stored = path.read_text(encoding="utf-8").strip()
        if len(stored) < MIN_LENGTH:
            raise SecretError(f"{path} holds no usable secret; delete it to generate a new one")
        return SiteSecret(stored.encode("utf-8"), str(path))
    generated = new_secret()
    path.write_text(generated + "\n", encoding="utf-8")
    path.chmod(0o600)
    return SiteSecret(generated.encode("utf-8"), str(path), generated=True)
