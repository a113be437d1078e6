"""Screenshots of every built client page, desktop and phone, light and dark.

Usage: python scripts/screenshots.py SITE_DIR OUT_DIR
Serves SITE_DIR on a loopback port and saves one PNG per page, width and scheme.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

WIDTHS = {"desktop": 1280, "phone": 390}


def main(site: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages = sorted(p.parent.relative_to(site).as_posix() for p in site.glob("p/*/index.html"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for folder in pages:
            for label, width in WIDTHS.items():
                for scheme in ("light", "dark"):
                    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
                    page.goto(f"{base}/{folder}/")
                    name = page.locator("h1").first.inner_text().split()[0].lower()
                    height = page.evaluate("document.documentElement.scrollHeight")
                    # in parts a person (and an image viewer) can read at full size
                    step = 1600 if label == "phone" else 1000
                    for part, top in enumerate(range(0, height, step), start=1):
                        clip = {"x": 0, "y": top, "width": width, "height": min(step, height - top)}
                        shot = out / f"{name}-{label}-{scheme}-{part}.png"
                        page.screenshot(path=str(shot), full_page=True, clip=clip)
                    page.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
