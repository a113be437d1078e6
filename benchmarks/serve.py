"""One `mkdocs serve` rebuild, in this process: how long until an edited record's page is live.

Run as ``python -m benchmarks.serve PORTAL_DIR [--dirty]``. It does what `mkdocs serve` does:
one plugin instance for the whole session (MkDocs keeps a plugin that defines
``on_startup``), a fresh config and a full `build` for every change; the browser
reloads when that build returns. With ``--dirty`` it does what `mkdocs serve --dirty`
does (files that did not change are not written again; MkDocs warns about such a build,
so strict mode is off). It prints the times as JSON.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import tempfile
import time
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


def main() -> None:
    portal = Path(sys.argv[1])
    dirty = "--dirty" in sys.argv[2:]
    config_file = portal / "mkdocs.yml"
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="mkdocs_") as site_dir:
        config = load_config(config_file=str(config_file), site_dir=site_dir)
        config.plugins.on_startup(command="serve", dirty=dirty)
        try:
            first = session_build(config_file, site_dir, dirty)
            records = sorted((portal / "clients").glob("*.yml"))
            record = records[len(records) // 2]
            text = record.read_text(encoding="utf-8")
            # a real edit: one deliverable moves on, so the page's text changes
            edited = re.sub(r"(\n *)status: in_review", r"\1status: approved\1delivered: 2026-11-20", text, count=1)
            assert edited != text
            record.write_text(edited, encoding="utf-8")
            try:
                rebuild = session_build(config_file, site_dir, dirty)
            finally:
                record.write_text(text, encoding="utf-8")
            unchanged = session_build(config_file, site_dir, dirty)
        finally:
            config.plugins.on_shutdown()
    print(json.dumps({"first": first, "rebuild": rebuild, "unchanged": unchanged}))


if __name__ == "__main__":
    main()
