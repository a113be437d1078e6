"""The update e-mail's HTML part in Chromium: one column on a phone, the client's accent, a button for the link."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from client_portal.mail.digest import record_changes
from client_portal.mail.mail import Letter, client_letters
from client_portal.page.colour import accent_shades, contrast
from client_portal.publishing.addresses import client_links
from client_portal.records.loader import parse_record
from client_portal.records.model import Client
from client_portal.settings import Freelancer, PortalSettings

from ..build import SECRET
from ..conftest import TODAY
from ..test_digest import ACME_AFTER, ACME_BEFORE

pytestmark = pytest.mark.browser

ACCENT = "#1f5c4a"
SETTINGS = PortalSettings(
    root=Path("."), clients_dir=Path("clients"), freelancer=Freelancer("Mei Chen", "mei@example.com")
)


def letter_in(language: str) -> Letter:
    def text(base: str) -> str:
        branded = base.replace("language: en", f'language: {language}\nbrand:\n  accent: "{ACCENT}"')
        # a long unbroken word, as pasted links are, must not widen the letter either
        return branded.replace("delivered & printed.", "delivered & printed, see https://files.example/" + "x" * 90)

    before, _ = parse_record(text(ACME_BEFORE), Path("acme.yml"), today=TODAY)
    after, _ = parse_record(text(ACME_AFTER), Path("acme.yml"), today=TODAY)
    client = Client(id="acme-bakery", source=Path("clients/acme-bakery.yml"), record=after)
    links = client_links(SETTINGS, SECRET.encode(), client)
    changes = record_changes(before, after, TODAY)
    return client_letters(client, changes, links, "https://mei.example/portal/", SETTINGS, TODAY, date(2026, 11, 16))[0]


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_letter_fits_a_phone_in_the_clients_accent_with_a_button(browser, tmp_path, language):
    letter = letter_in(language)
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.set_content(letter.html)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    button = page.locator("a", has_text="Open your project page" if language == "en" else "打开您的项目页面")
    expect(button).to_be_visible()
    href = button.get_attribute("href", timeout=1000) or ""
    assert href.startswith("https://mei.example/portal/p/") and "#" in href and href in letter.text
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] <= 390  # a tap target
    assert "https://" not in button.inner_text()  # the link is a button, not 100 characters of URL
    background = button.evaluate("element => getComputedStyle(element).backgroundColor")
    light = accent_shades(ACCENT).light
    assert background == "rgb({}, {}, {})".format(*(int(light[i : i + 2], 16) for i in (1, 3, 5)))
    assert contrast(light, "#ffffff") >= 4.5  # white text on it reads
    expect(page.locator("body")).to_contain_text("Mei Chen")  # the freelancer's letter
    page.screenshot(path=str(tmp_path / f"letter-{language}.png"), full_page=True)
