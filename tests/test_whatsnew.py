"""What's-new fingerprints: one id per item, a state that follows what the item shows."""

from __future__ import annotations

import re

from client_portal.whatsnew import seen_attributes, seen_for


def pair(client_id: str, kind: str, key: object, *shown: object) -> tuple[str, str]:
    found = re.fullmatch(
        r' data-cp-item="([0-9a-f]{12})" data-cp-state="([0-9a-f]{12})"', seen_attributes(client_id, kind, key, *shown)
    )
    assert found
    return found[1], found[2]


def test_an_upgrade_keeps_the_fingerprints_a_browser_saw():
    # A new format would mark every item "Updated" on every client's next visit.
    assert pair("acme", "deliverable", "brand", "Brand refresh", "in_progress", None, 60) == (
        "83dd8ba831c0",
        "018719e94e54",
    )


def test_each_item_has_its_own_id_on_each_clients_page():
    ids = {
        pair(client, kind, key)[0]
        for client in ("acme", "lotus")
        for kind in ("deliverable", "idea")
        for key in ("brand", "menu")
    }
    assert len(ids) == 8
    assert seen_for("acme")("deliverable", "brand", "x") == seen_attributes("acme", "deliverable", "brand", "x")


def test_the_state_follows_what_the_item_shows():
    states = {
        pair("acme", "deliverable", "brand", *shown)[1] for shown in [("a", None), ("a", ""), ("a", "b"), ("a b",)]
    }
    assert len(states) == 3  # a missing value shows as nothing: None and "" are the same state
    assert pair("acme", "deliverable", "brand", "a", None)[1] == pair("lotus", "idea", "menu", "a", "")[1]
