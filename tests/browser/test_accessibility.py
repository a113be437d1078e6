"""axe-core, the outside accessibility checker, on every page a client or visitor sees."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from ..conftest import ROOT
from .conftest import PASSWORD, copy_portal, serve_portal

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SAMPLES = ["acme-bakery", "fjord-cycles", "harbor-books", "jasmine-roastery", "lotus-tea", "northwind-studio"]
VIEWS = [(390, "light"), (390, "dark"), (1280, "light"), (1280, "dark")]
SERIOUS = {"serious", "critical"}
# Findings in the theme's own markup, which a site cannot change without copying
# Material's templates: its search dialog (`<div class="md-search" role="dialog">`
# in partials/search.html) has no accessible name.
THEME = {("aria-dialog-name", ".md-search")}


def axe_findings(page: Page) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line per element."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing; `make test` installs it (npm ci)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} {node.get('failureSummary', '')}"
        for violation in result["violations"]
        if violation["impact"] in SERIOUS
        for node in violation["nodes"]
        if (violation["id"], node["target"][-1]) not in THEME
    ]


@pytest.fixture(params=VIEWS, ids=[f"{width}-{scheme}" for width, scheme in VIEWS])
def view(request, browser):
    width, scheme = request.param
    # axe is injected as a script, which the pages' own CSP would rightly refuse
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme, bypass_csp=True)
    yield context.new_page()
    context.close()


def open_decrypted(page: Page, site, client_id: str) -> None:
    page.goto(site.url(site.links(client_id)[0]))
    if client_id == "lotus-tea":
        page.fill("#cp-password", PASSWORD)
        page.click("#cp-password-form button")
    expect(page.locator("#cp-content .cp-page")).to_be_visible()
    # expand everything collapsed, so axe sees it too
    page.evaluate("document.querySelectorAll('#cp-content details').forEach(d => d.open = true)")


@pytest.mark.parametrize("client_id", SAMPLES)
def test_client_pages_have_no_serious_accessibility_finding(site, view, client_id):
    open_decrypted(view, site, client_id)
    assert axe_findings(view) == []


def test_landing_page_has_no_serious_accessibility_finding(site, view):
    view.goto(site.base)
    assert axe_findings(view) == []


@pytest.mark.parametrize(
    ("state", "client_id"), [("missing", "acme-bakery"), ("password", "lotus-tea"), ("missing", "jasmine-roastery")]
)
def test_gate_has_no_serious_accessibility_finding(site, view, state, client_id):
    view.goto(site.url(site.links(client_id)[0]).split("#")[0])
    expect(view.locator("#cp-gate")).to_have_attribute("data-state", state)
    assert axe_findings(view) == []


@pytest.mark.parametrize("accent", ["#ffe14d", "#f5f5f5", "#0b1a2a", "#000000"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_any_brand_accent_keeps_contrast(build_env, browser, tmp_path, accent, scheme):
    portal = copy_portal(tmp_path / "portal")
    record = portal / "clients" / "acme-bakery.yml"
    record.write_text(record.read_text(encoding="utf-8").replace('"#b5651d"', f'"{accent}"'), encoding="utf-8")
    served = serve_portal(portal, tmp_path / "site")
    context = browser.new_context(viewport={"width": 390, "height": 900}, color_scheme=scheme, bypass_csp=True)
    try:
        page = context.new_page()
        open_decrypted(page, served, "acme-bakery")
        assert axe_findings(page) == []
    finally:
        context.close()
        served.server.shutdown()


FOCUS_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName, text: (el.textContent || el.value || "").trim().slice(0, 40),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== "none",
    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight,
    order: [...document.querySelectorAll("*")].indexOf(el),
  };
}"""


def tab_through(page: Page, limit: int = 80) -> list[dict[str, object]]:
    """Press Tab until focus leaves the page or comes round again; what each stop looked like."""
    stops: list[dict[str, object]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_JS)
        if stop["tag"] == "BODY" or (stops and stop["order"] <= stops[-1]["order"]):
            break
        stops.append(stop)
    return stops


@pytest.mark.parametrize("client_id", ["acme-bakery", "lotus-tea"])
def test_the_page_works_by_keyboard_alone(site, context, client_id):
    page = context.new_page()
    page.goto(site.url(site.links(client_id)[0]))
    if client_id == "lotus-tea":  # the gate: the password field has focus; type it, Enter
        expect(page.locator("#cp-password")).to_be_focused()
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
    expect(page.locator("#cp-content .cp-page")).to_be_visible()
    stops = tab_through(page)
    # what a closed <details> holds is reached once it is opened (see below); its summary now
    links = page.evaluate(
        """() => [...document.querySelectorAll("#cp-content a[href], #cp-content summary, #cp-content button")]
            .filter(e => {
              const closed = e.closest("details:not([open])");
              return !closed || e.parentElement === closed;
            })
            .length"""
    )
    assert len(stops) >= links  # every link, button and summary is reached, in reading order
    for stop in stops:
        assert stop["visible"], stop  # scrolled into view
        assert stop["outline"] or stop["shadow"], f"no visible focus on {stop}"
    # a collapsed section opens from the keyboard
    summary = page.locator("#cp-content details:not([open]) > summary").first.element_handle()
    summary.focus()
    page.keyboard.press("Enter")
    assert summary.evaluate("s => s.parentElement.open")
