"""Decoy copies in a page's key list: the same in every build, so two snapshots differ only where something real did."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from client_portal.publishing import crypto

from .build import build_site
from .example import copy_example, use_example_secrets

PAYLOAD = re.compile(r'<script type="application/json" id="cp-payload">(.*?)</script>', re.DOTALL)


def key_lists(site: Path) -> dict[str, list[str]]:
    """{page folder: the ids of its key list} for every encrypted page of a built site."""
    found = {}
    for page in sorted((site / "p").glob("*/index.html")):
        payload = PAYLOAD.search(page.read_text(encoding="utf-8"))
        if payload:
            found[page.parent.name] = [entry["id"] for entry in json.loads(payload[1])["keys"]]
    return found


@pytest.fixture
def portal(tmp_path, monkeypatch) -> Path:
    use_example_secrets(monkeypatch)
    return copy_example(tmp_path / "portal")


def test_two_builds_carry_the_same_key_lists_and_a_bump_changes_one_entry(portal, tmp_path):
    build_site(portal / "mkdocs.yml", tmp_path / "first")
    build_site(portal / "mkdocs.yml", tmp_path / "second")
    first, second = key_lists(tmp_path / "first"), key_lists(tmp_path / "second")
    assert first == second and len(first) >= 4
    assert all(len(ids) % crypto.KEYS_MULTIPLE == 0 for ids in first.values())

    record = portal / "clients" / "acme-bakery.yml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("key_version: 1", "key_version: 2", 1), encoding="utf-8")
    build_site(portal / "mkdocs.yml", tmp_path / "bumped")
    bumped = key_lists(tmp_path / "bumped")
    changed = {page for page in first if bumped[page] != first[page]}
    assert len(changed) == 1  # Acme's page only
    [page] = changed
    assert len(set(first[page]) - set(bumped[page])) == 1 and len(set(bumped[page]) - set(first[page])) == 1


def test_decoy_ids_depend_on_the_secret_client_version_and_slot():
    ids = {
        crypto.decoy_id(crypto.decoys_key(secret, client, version), slot)
        for secret in (b"one secret of enough length!!!!", b"another secret of enough length")
        for client in ("acme-bakery", "harbor-books")
        for version in (1, 2)
        for slot in range(3)
    }
    assert len(ids) == 2 * 2 * 2 * 3
    assert all(len(crypto.from_b64url(i)) == crypto.LABEL_BYTES for i in ids)  # as long as a real copy's id
