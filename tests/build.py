"""Build a portal in-process, as `mkdocs build` would."""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config

SECRET = "tS7kQ2vX9mB4nW8cR3yL6pJ1hF5dG0zA-uE_oK2wN7b"  # as random as `client-portal secret` makes one


def build_site(config_file: Path, site_dir: Path, *, serving: bool = False, **overrides) -> None:
    """Run a full MkDocs build of ``config_file`` into ``site_dir``."""
    config = load_config(str(config_file), site_dir=str(site_dir), **overrides)
    config.plugins.on_startup(command="serve" if serving else "build", dirty=False)
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    build(config)
