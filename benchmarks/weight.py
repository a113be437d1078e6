"""What a client page weighs in a browser: `python -m benchmarks.weight` (also part of `make bench`).

Builds the example portal and a portal of one synthetic client (the 12-deliverable shape of
`benchmarks.portals.synthetic_record`), serves each site over HTTP on a loopback port, then:

1. opens every link-mode page with its link in Chromium (Playwright) and counts the bytes
   transferred before compression: the body of every response the page asks for (the page,
   its script, images, logo), until the network is idle;
2. runs Lighthouse (the version package-lock.json pins; mobile, default simulated
   throttling) on Acme Bakery and the synthetic client, opened with the key in the
   link's fragment so the page decrypts, RUNS times each, and prints the median run's
   performance score, first and largest contentful paint, accessibility and best practices.

WEIGHT_RUNS (default 3) sets how many Lighthouse runs each page gets.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .portals import ROOT, portal, samples_portal

BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
RUNS = int(os.environ.get("WEIGHT_RUNS", "3"))
TARGET = 64 * 1024  # issue 22: a typical page and everything it loads, before compression
BUILD_ENV = os.environ | {
    "PORTAL_SECRET": "nHZI1nGNaJ7jB_iqqoS-ocQiJikDV7nMxgSpfsCklN8",
    "LOTUS_TEA_PORTAL_PASSWORD": "bench-password-for-the-tea-shop",
    "NO_MKDOCS_2_WARNING": "1",
}
LIGHTHOUSE_FIGURES = {  # what is printed: (label, audit or category, how)
    "performance": ("categories", "performance"),
    "FCP": ("audits", "first-contentful-paint"),
    "LCP": ("audits", "largest-contentful-paint"),
    "accessibility": ("categories", "accessibility"),
    "best practices": ("categories", "best-practices"),
}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def served(site: Path) -> Iterator[str]:
    """``site`` on a loopback port, as a static host serves it (uncompressed); its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        thread.join()


def built(folder: Path) -> Path:
    """``folder``'s portal built with `mkdocs build`; its site folder."""
    subprocess.run([str(BIN / "mkdocs"), "build", "-q"], cwd=folder, env=BUILD_ENV, check=True, capture_output=True)
    return folder / "site"


def example_portal(folder: Path) -> Path:
    """A copy of the repository's example portal: its settings, logos, files and records."""
    samples_portal(folder, 0)
    for record in (ROOT / "clients").glob("*.yml"):
        shutil.copy(record, folder / "clients" / record.name)
    return folder


def link_pages(folder: Path, base: str) -> dict[str, str]:
    """{client name: its first contact's link} of every link-mode page, as `client-portal links` prints them."""
    output = subprocess.run(
        [str(BIN / "client-portal"), "links", "--json", "--base-url", base],
        cwd=folder,
        env=BUILD_ENV,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {row["name"]: row["links"][0]["url"] for row in json.loads(output) if row["mode"] == "link"}


def transferred(urls: dict[str, str]) -> dict[str, tuple[int, int]]:
    """{name: (bytes, requests)}: every response body a page's opening fetches, before compression."""
    from playwright.sync_api import Response, sync_playwright

    weights = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for name, url in urls.items():
            page = browser.new_page(viewport={"width": 390, "height": 844})
            responses: list[Response] = []

            def record(response: Response, into: list[Response] = responses) -> None:
                into.append(response)

            page.on("response", record)
            page.goto(url, wait_until="networkidle")
            page.wait_for_selector("#cp-content:not([hidden])")
            page.wait_for_load_state("networkidle")
            bodies = [len(r.body()) for r in responses if r.url.startswith("http")]
            weights[name] = (sum(bodies), len(bodies))
            page.close()
        browser.close()
    return weights


def lighthouse(url: str, out: Path) -> dict[str, float]:
    """One Lighthouse run (mobile, simulated throttling) of ``url``: the figures of LIGHTHOUSE_FIGURES."""
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--chrome-flags=--headless=new --no-sandbox",
            "--only-categories=performance,accessibility,best-practices",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
        ],
        env=os.environ | {"CHROME_PATH": CHROMIUM},
        check=True,
        capture_output=True,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    figures = {}
    for label, (kind, name) in LIGHTHOUSE_FIGURES.items():
        entry = report[kind][name]
        figures[label] = entry["score"] * 100 if kind == "categories" else entry["numericValue"] / 1000
    return figures


def median_run(url: str, work: Path) -> dict[str, float]:
    """The run with the median largest contentful paint, of RUNS (Lighthouse's own advice: several runs)."""
    runs = sorted((lighthouse(url, work / f"lighthouse-{n}.json") for n in range(RUNS)), key=lambda r: r["LCP"])
    return runs[len(runs) // 2]


def page_weight(work: Path) -> None:
    """Print each link-mode page's weight, and Lighthouse's figures for Acme Bakery and a synthetic client."""
    figures: dict[str, dict[str, float]] = {}
    for label, folder in (("example portal", example_portal(work / "example")), ("synthetic", portal(work / "one", 1))):
        with served(built(folder)) as base:
            urls = link_pages(folder, base)
            for name, (size, requests) in transferred(urls).items():
                verdict = "within" if size <= TARGET else "OVER"
                print(
                    f"page weight, {label}, {name}: {size:,} bytes in {requests} requests, before compression"
                    f" ({verdict} the {TARGET:,}-byte target)"
                )
            if not LIGHTHOUSE.exists():
                print("Lighthouse is not installed: run `make checkers`")
                continue
            for name in urls if label == "synthetic" else ["Acme Bakery"]:
                figures[f"{label}, {name}"] = median_run(urls[name], work)
    for name, f in figures.items():
        print(
            f"Lighthouse mobile, {name} (median of {RUNS}): performance {f['performance']:.0f},"
            f" FCP {f['FCP']:.2f} s, LCP {f['LCP']:.2f} s, accessibility {f['accessibility']:.0f},"
            f" best practices {f['best practices']:.0f}"
        )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as temp:
        page_weight(Path(temp))
