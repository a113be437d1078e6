"""Write assets/base.css: the rules of Material for MkDocs' stylesheets that client pages use.

Usage: python scripts/base_css.py SITE_DIR
SITE_DIR is the example portal built by the plugin with Material's stylesheets linked
(an older build, or one whose ``Assets.stylesheet`` is Material's main.css).
Run from the portal, with the same PORTAL_SECRET and LOTUS_TEA_PORTAL_PASSWORD as the build.

Every client page, gate and neutral page is opened in Chromium, light and dark; a rule
is kept when one of its selectors (hover, focus and pseudo-elements aside) matches an
element of one of them. Material's light and dark palettes become
``prefers-color-scheme`` media queries, so pages follow the system even without script.
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

OUT = Path(__file__).resolve().parent.parent / "plugins" / "client_portal" / "page" / "assets" / "base.css"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# Runs in the page: the matching rules of Material's stylesheets, as {key: css text}.
COLLECT_JS = r"""() => {
  const dynamic = new RegExp("::?(hover|focus-visible|focus-within|focus|active|visited|before|after|marker"
    + "|placeholder|selection|first-letter|first-line|-webkit-[a-z-]+|-moz-[a-z-]+)(\\([^)]*\\))?", "g");
  const matches = (selector) => {
    const plain = selector.replace(dynamic, "").replace(/:not\(\)/g, "").trim() || "*";
    try { return document.querySelector(plain) !== null; } catch (e) { return false; }
  };
  const found = {};
  const walk = (rules, wrappers, sheet) => {
    Array.from(rules).forEach((rule, index) => {
      if (rule instanceof CSSStyleRule) {
        const kept = rule.selectorText.split(/,(?![^(]*\))/).map(s => s.trim()).filter(matches);
        if (kept.length) {
          const key = sheet + "/" + wrappers.join("/") + "/" + index;
          found[key] = {wrappers, selectors: kept, style: rule.style.cssText};
        }
      } else if (rule instanceof CSSMediaRule) {
        walk(rule.cssRules, [...wrappers, "@media " + rule.conditionText], sheet);
      } else if (rule instanceof CSSSupportsRule) {
        walk(rule.cssRules, [...wrappers, "@supports " + rule.conditionText], sheet);
      }
    });
  };
  Array.from(document.styleSheets).forEach((sheet, n) => {
    if (sheet.href && sheet.href.includes("/assets/stylesheets/")) {
      walk(sheet.cssRules, [], n + ":" + sheet.href.split("/").pop());
    }
  });
  return found;
}"""


def _open(page: Page, url: str, password: str | None, ready: str) -> None:
    page.goto(url)
    if password:
        page.fill("#cp-password", password)
        page.click("#cp-password-form button")
    page.wait_for_selector(ready, timeout=120_000)


def collect(site: Path) -> dict[str, dict[str, object]]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    command = [Path(sys.executable).parent / "client-portal", "links", "--json", "--base-url", base]
    rows = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    password = os.environ.get("LOTUS_TEA_PORTAL_PASSWORD")
    visits = []
    for row in rows:
        needs = password if row["mode"] == "password" else None
        visits.append((row["links"][0]["url"], needs, "#cp-content:not([hidden])"))
        if row["mode"] != "unlisted":
            visits.append((base + row["path"], None, "#cp-gate:not([data-state=loading])"))
    replaced = next(p for p in site.glob("p/*/index.html") if "data-cp-replaced" in p.read_text(encoding="utf-8"))
    visits += [(base + "p/", None, "main"), (base + replaced.parent.relative_to(site).as_posix() + "/", None, "main")]
    found: dict[str, dict[str, object]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for scheme in ("light", "dark"):
            for url, needs, ready in visits:
                page = browser.new_page(color_scheme=scheme)
                _open(page, url, needs, ready)
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                for key, rule in page.evaluate(COLLECT_JS).items():
                    kept = found.setdefault(key, rule)
                    kept["selectors"] = sorted(set(kept["selectors"]) | set(rule["selectors"]))  # type: ignore[call-overload]
                page.close()
        browser.close()
    server.shutdown()
    return found


def _scheme(selector: str) -> tuple[str, str | None]:
    """The selector without Material's palette attribute, and the colour scheme it was for."""
    for value, scheme in (("slate", "dark"), ("default", "light")):
        for form in (f'[data-md-color-scheme="{value}"]', f"[data-md-color-scheme={value}]"):
            if form in selector:
                return selector.replace(form, "[data-md-color-scheme]"), scheme
    return selector, None


def declarations(style: str) -> list[str]:
    """``a: b; c: url("x;y")`` as its declarations, semicolons in quotes and brackets kept."""
    parts, current, depth, quote = [], "", 0, ""
    for char in style:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == ";" and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    return [part for part in [*parts, current.strip()] if part]


def used_variables(texts: list[str]) -> set[str]:
    """Custom properties that some declaration reads, following variables that read others."""
    import re

    reads = re.compile(r"var\((--[\w-]+)")
    defined: dict[str, set[str]] = {}
    used: set[str] = set()
    for text in texts:
        for declaration in declarations(text):
            name, _, value = declaration.partition(":")
            if name.strip().startswith("--"):
                defined.setdefault(name.strip(), set()).update(reads.findall(value))
            else:
                used.update(reads.findall(value))
    todo = list(used)
    while todo:
        for name in defined.get(todo.pop(), ()):
            if name not in used:
                used.add(name)
                todo.append(name)
    return used


def _pruned(style: str, used: set[str]) -> str:
    kept = [d for d in declarations(style) if not d.startswith("--") or d.partition(":")[0].strip() in used]
    return ";".join(kept)


# Material writes each side twice, [dir=ltr] and [dir=rtl]; a page mirrors in Arabic from one
# rule when the side is a logical property.
LOGICAL = {
    "margin-left": "margin-inline-start",
    "margin-right": "margin-inline-end",
    "padding-left": "padding-inline-start",
    "padding-right": "padding-inline-end",
    "border-left-width": "border-inline-start-width",
    "border-right-width": "border-inline-end-width",
    "border-top-left-radius": "border-start-start-radius",
    "border-top-right-radius": "border-start-end-radius",
    "left": "inset-inline-start",
    "right": "inset-inline-end",
}


def logical(selectors: list[str], style: str) -> tuple[list[str], str] | None:
    """A [dir=ltr] rule as one for both directions, with logical properties; None for its [dir=rtl] twin."""
    if any("[dir=rtl]" in s or '[dir="rtl"]' in s for s in selectors):
        return None
    if not any("[dir=ltr]" in s or '[dir="ltr"]' in s for s in selectors):
        return selectors, style
    sides = []
    for declaration in declarations(style):
        name, _, value = declaration.partition(":")
        sides.append(f"{LOGICAL.get(name.strip(), name.strip())}:{value}")
    both = [s.replace('[dir="ltr"]', "[dir]").replace("[dir=ltr]", "[dir]") for s in selectors]
    return both, ";".join(sides)


def stylesheet(found: dict[str, dict[str, object]]) -> str:
    def order(key: str) -> list[object]:
        sheet, *rest = key.split("/")
        return [sheet, *(int(part) if part.isdigit() else part for part in rest)]

    lines = [
        "/*! The parts of Material for MkDocs' stylesheets that client pages use (typography, buttons,",
        "   palettes), so a page looks the same whatever built the rest of the site. Made by",
        "   scripts/base_css.py from Material for MkDocs 9 (MIT, Copyright (c) 2016-2025 Martin Donath;",
        "   see LICENSE-material). Light and dark follow prefers-color-scheme. */",
    ]
    ours = [(OUT.parent / "portal.css").read_text(encoding="utf-8")]
    ours += [t.read_text(encoding="utf-8") for t in (OUT.parent.parent / "templates").rglob("*.html")]
    # what our own stylesheet and templates read (as declarations), and what Material's rules read
    used = used_variables([str(rule["style"]) for rule in found.values()] + [f"x: {text}" for text in ours])
    for key in sorted(found, key=order):
        rule = found[key]
        style = _pruned(str(rule["style"]), used)
        if not style:
            continue
        wrappers = list(rule["wrappers"])  # type: ignore[call-overload]
        selectors = []
        schemes = set()
        for selector in rule["selectors"]:  # type: ignore[attr-defined]
            plain, scheme = _scheme(selector)
            selectors.append(plain)
            schemes.add(scheme)
        if "dark" in schemes:
            wrappers.insert(0, "@media screen and (prefers-color-scheme: dark)")
        mirrored = logical(selectors, style)
        if mirrored is None:
            continue
        selectors, style = mirrored
        text = f"{','.join(dict.fromkeys(selectors))}{{{style}}}"
        for wrapper in reversed(wrappers):
            text = f"{wrapper}{{{text}}}"
        lines.append(text)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUT.write_text(stylesheet(collect(Path(sys.argv[1]))), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
