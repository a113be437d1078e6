"""The sample prospect's proposal in a phone-sized Chromium: the offer, three answers, no serious axe finding."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_accessibility import axe_findings, open_decrypted

pytestmark = pytest.mark.browser


def test_the_proposal_offers_accept_lets_talk_and_decline_at_phone_width(site, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    try:
        open_decrypted(page, site, "northwind-studio")
        offer = page.locator("#offer")
        expect(offer).to_contain_text("€13,800.00")
        expect(offer).to_contain_text("Deposit on acceptance")
        expect(page.locator("#decision")).to_contain_text("This offer stands until Mon, Nov 30.")
        buttons = page.locator("#decision .cp-actions a")
        expect(buttons).to_have_text(["Accept", "Let's talk", "Decline"])
        for index in range(3):
            assert (buttons.nth(index).get_attribute("href") or "").startswith("mailto:mei@")
            box = buttons.nth(index).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # nothing off-screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert axe_findings(page) == []
    finally:
        context.close()
