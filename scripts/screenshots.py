"""Screenshots of every built client page, desktop and phone, light and dark.

Usage: python scripts/screenshots.py SITE_DIR OUT_DIR
Run from the portal, with the same PORTAL_SECRET (and password variables) as the build.
Serves SITE_DIR on a loopback port and saves PNGs in parts an image viewer shows at full size.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

WIDTHS = {"desktop": 1280, "phone": 390}
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def save(page: Page, out: Path, name: str, width: int) -> None:
    height = page.evaluate("document.documentElement.scrollHeight")
    step = 1600 if width < 600 else 1000
    for part, top in enumerate(range(0, height, step), start=1):
        clip = {"x": 0, "y": top, "width": width, "height": min(step, height - top)}
        page.screenshot(path=str(out / f"{name}-{part}.png"), full_page=True, clip=clip)


def open_link(page: Page, url: str, password_env: str | None) -> None:
    page.goto(url)
    if password_env:
        page.fill("#cp-password", os.environ[password_env])
        page.click("#cp-password-form button")
    page.wait_for_selector("#cp-content:not([hidden])")


def main(site: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    links = json.loads(
        subprocess.run(
            [Path(sys.executable).parent / "client-portal", "links", "--json", "--base-url", base],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    records = {row["id"]: row for row in links}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for client_id, row in records.items():
            password_env = None
            if row["mode"] == "password":
                text = (Path("clients") / f"{client_id}.yml").read_text(encoding="utf-8")
                password_env = next(
                    line.split(":", 1)[1].strip() for line in text.splitlines() if "password_env" in line
                )
            for label, width in WIDTHS.items():
                for scheme in ("light", "dark"):
                    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
                    open_link(page, row["links"][0]["url"], password_env)
                    save(page, out, f"{client_id}-{label}-{scheme}", width)
                    page.close()
        first = next(row for row in records.values() if row["mode"] == "link")
        for state, url in (("gate-missing", base + first["path"]), ("gate-invalid", base + first["path"] + "#AAAA")):
            page = browser.new_page(viewport={"width": 390, "height": 700})
            page.goto(url)
            page.wait_for_selector("#cp-gate:not([data-state=loading])")
            save(page, out, state, 390)
            page.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
