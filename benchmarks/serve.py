"""One `mkdocs serve` rebuild, in this process: how long until an edited record's page is live.

Run as ``python -m benchmarks.serve PORTAL_DIR [--dirty | --preview]``. It does what `mkdocs serve` does:
one plugin instance for the whole session (MkDocs keeps a plugin that defines
``on_startup``), a fresh config and a full `build` for every change; the browser
reloads when that build returns. With ``--dirty`` it does what `mkdocs serve --dirty`
does (files that did not change are not written again; MkDocs warns about such a build,
so strict mode is off). With ``--preview`` it does what `client-portal serve` does instead:
its first build, and a rebuild that builds only the pages whose inputs changed. It prints
the times as JSON.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config

SERVE_URL = "http://127.0.0.1:8000/"


def session_build(config_file: Path, site_dir: str, dirty: bool) -> float:
    """One build of the serve session, as serve.py's ``builder`` runs it; its wall time."""
    overrides = {"strict": False} if dirty else {}
    config = load_config(config_file=str(config_file), site_dir=site_dir, **overrides)
    config.site_url = SERVE_URL
    started = time.perf_counter()
    build(config, serve_url=SERVE_URL, dirty=dirty)
    return time.perf_counter() - started


def session(portal: Path, build: Callable[[], object]) -> dict[str, float]:
    """The first build, one record edited, nothing changed: the wall time of each ``build``."""

    def timed() -> float:
        started = time.perf_counter()
        build()
        return time.perf_counter() - started

    first = timed()
    records = sorted((portal / "clients").glob("*.yml"))
    record = records[len(records) // 2]
    text = record.read_text(encoding="utf-8")
    # a real edit: one deliverable moves on, so the page's text changes
    edited = re.sub(r"(\n *)status: in_review", r"\1status: approved\1delivered: 2026-11-20", text, count=1)
    assert edited != text
    record.write_text(edited, encoding="utf-8")
    try:
        rebuild = timed()
    finally:
        record.write_text(text, encoding="utf-8")
    return {"first": first, "rebuild": rebuild, "unchanged": timed()}


def preview(portal: Path) -> dict[str, float]:
    """`client-portal serve`'s builds, as its watcher runs them."""
    from client_portal.commands.preview import Preview

    pages = Preview(portal / "mkdocs.yml", os.environ["PORTAL_SECRET"].encode(), say=lambda _: None)
    try:
        return session(portal, lambda: pages.rebuild() or sys.exit("the preview failed to build"))
    finally:
        pages.close()


def main() -> None:
    portal = Path(sys.argv[1])
    if "--preview" in sys.argv[2:]:
        print(json.dumps(preview(portal)))
        return
    dirty = "--dirty" in sys.argv[2:]
    config_file = portal / "mkdocs.yml"
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="mkdocs_") as site_dir:
        config = load_config(config_file=str(config_file), site_dir=site_dir)
        config.plugins.on_startup(command="serve", dirty=dirty)
        try:
            times = session(portal, lambda: session_build(config_file, site_dir, dirty))
        finally:
            config.plugins.on_shutdown()
    print(json.dumps(times))


if __name__ == "__main__":
    main()
