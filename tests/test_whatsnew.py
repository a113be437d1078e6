"""What's-new fingerprints: stable for one page, keyed so that what a browser keeps names nothing."""

from __future__ import annotations

import hashlib
import re

import pytest

from client_portal import crypto
from client_portal.whatsnew import Seen

SECRET = b"what's new tests secret, 32 bytes!"


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


def test_a_short_key_is_refused():
    with pytest.raises(ValueError, match="128 bits"):
        Seen(b"short")
