"""What's-new fingerprints: stable for one page, keyed so that what a browser keeps names nothing."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client_portal.page.whatsnew import Seen
from client_portal.publishing import crypto

SECRET = b"what's new tests secret, 32 bytes!"
# What the pinned key gives today: ids, state and storage name browsers keep.
PINNED = ("68ec2451b511", "d4b327b6ea20")
PINNED_STORAGE = "9a5efb01acc460b9a44d9297"


def attributes(seen: Seen, *args: object) -> tuple[str, str]:
    found = re.fullmatch(r' data-cp-item="([0-9a-f]{12})" data-cp-state="([0-9a-f]{12})"', str(seen(*args)))
    assert found, seen(*args)
    return found[1], found[2]


def test_the_same_page_gives_the_same_ids_and_a_change_only_changes_the_state():
    seen = Seen(crypto.whatsnew_key(SECRET, "acme-bakery", 1))
    again = Seen(crypto.whatsnew_key(SECRET, "acme-bakery", 1))
    item, state = attributes(seen, "deliverable", "logo", "Logo", "in_review")
    assert attributes(again, "deliverable", "logo", "Logo", "in_review") == (item, state)
    moved = attributes(again, "deliverable", "logo", "Logo", "approved")
    assert moved[0] == item and moved[1] != state
    assert seen.storage == again.storage and re.fullmatch(r"[0-9a-f]{24}", seen.storage)


@pytest.mark.parametrize(
    ("client_id", "version", "secret"),
    [("harbor-books", 1, SECRET), ("acme-bakery", 2, SECRET), ("acme-bakery", 1, b"another site secret of 32 bytes!!")],
)
def test_another_page_version_or_secret_gives_unrelated_ids(client_id, version, secret):
    ours = Seen(crypto.whatsnew_key(SECRET, "acme-bakery", 1))
    theirs = Seen(crypto.whatsnew_key(secret, client_id, version))
    assert attributes(ours, "budget", "budget", "month", "hours", 20, 12.5) != attributes(
        theirs, "budget", "budget", "month", "hours", 20, 12.5
    )
    assert ours.storage != theirs.storage


def test_a_dictionary_of_unkeyed_hashes_finds_nothing():
    """The attack of issue 19: guess the client id or the budget by hashing likely values."""
    seen = Seen(crypto.whatsnew_key(SECRET, "acme-bakery", 1))
    item, state = attributes(seen, "budget", "budget", "month", "hours", 20, 12.5)
    guesses = {
        hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:12]
        for parts in [("acme-bakery", "budget", "budget"), ("month", "hours", 20, 12.5), ("item", "budget", "budget")]
    }
    assert item not in guesses and state not in guesses


def test_a_key_shorter_than_128_bits_is_refused():
    with pytest.raises(ValueError, match=r"^a what's-new key needs at least 128 bits$"):
        Seen(b"x" * 15)
    assert Seen(b"x" * 16).storage != Seen(b"y" * 16).storage  # 128 bits are enough


def test_each_item_has_its_own_id_on_each_clients_page():
    ids = {
        attributes(Seen(crypto.whatsnew_key(SECRET, client, 1)), kind, key)[0]
        for client in ("acme", "lotus")
        for kind in ("deliverable", "idea")
        for key in ("brand", "menu")
    }
    assert len(ids) == 8


def test_the_state_follows_what_the_item_shows():
    seen = Seen(crypto.whatsnew_key(SECRET, "acme", 1))
    states = {
        attributes(seen, "deliverable", "brand", *shown)[1] for shown in [("a", None), ("a", ""), ("a", "b"), ("a b",)]
    }
    assert len(states) == 3  # a missing value shows as nothing: None and "" are the same state
    assert attributes(seen, "deliverable", "brand", "a", None)[1] == attributes(seen, "idea", "menu", "a", "")[1]


def test_the_format_browsers_keep_is_pinned():
    # A new format marks every item "Updated" on every client's next visit: change it on purpose only.
    seen = Seen(bytes(range(32)))
    assert attributes(seen, "deliverable", "brand", "Brand refresh", "in_progress", None, 60) == PINNED
    assert seen.storage == PINNED_STORAGE


@given(key=st.binary(min_size=16, max_size=130), parts=st.lists(st.none() | st.text() | st.integers(), max_size=5))
def test_a_digest_is_hmac_sha256_of_the_parts(key, parts):
    # keys past SHA-256's 64-byte block are hashed first, as HMAC does
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    assert Seen(key)._digest(*parts) == hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:12]
