"""The leak audit of a built site: proof that nothing about a client is published in the open.

Every file, its name included, is read as a reader sees it (``reader_text``) and searched
in one pass for every client's texts, page addresses and the secrets. A record's long
texts are searched as overlapping windows of about eight words, so a part of a note
leaks as surely as all of it.
"""

from __future__ import annotations

import re
import types
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, groupby
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import ahocorasick
from pydantic import BaseModel

from client_portal.audit.reader_text import is_unspaced, markdown_reader_text, reader_text, words
from client_portal.audit.site_files import SiteFile, site_files
from client_portal.publishing import crypto
from client_portal.publishing.addresses import client_folder, link_keys, replaced_folders
from client_portal.publishing.attachments import Attachment, AttachmentError, content_samples, find_attachments, opens
from client_portal.publishing.calendar_feed import FEED_SUFFIX, feed_dates, feed_path, subscribes
from client_portal.publishing.passwords import password
from client_portal.publishing.site_files import PREFIX_INDEX_MARKER, REPLACED_MARKER
from client_portal.records.model import Client

# Shorter texts (a title like "Logo") also occur in ordinary pages; they prove nothing.
# Measured in UTF-8 bytes, so three Chinese characters (9 bytes) count as distinctive.
MIN_DISTINCTIVE = 8
MIN_NAME = 4
# A window is 8 words (weight 3 each) or 12 Chinese or Japanese characters (weight 2 each);
# one starts every 5 words, so any leaked run of 12 words holds a whole window.
WORD_WEIGHT, CHARACTER_WEIGHT, WINDOW, STRIDE = 3, 2, 24, 15
# The automaton holds only the start of each text and the rest is compared on a hit:
# whole windows for 1,000 clients would take hundreds of MiB.
ANCHOR = 16
PAYLOAD = '<script type="application/json" id="cp-payload">'
# Ciphertext is no text, and in its random letters a short name turns up by chance.
_CIPHERTEXT = re.compile(r'"[A-Za-z0-9_-]{64,}={0,2}"')
_PAYLOAD_ELEMENT = re.compile(re.escape(PAYLOAD) + r".*?</script>", re.DOTALL)
# Record fields that say how, not who or what, so they occur on any page. A deliverable's
# id is a short slug ("product-copy") as common as any phrase; the client's id does count.
# Zensical and other generators build the site without the plugin: say what adds the pages.
NO_PAGES = (
    "no client page was built: with MkDocs, enable the client-portal plugin; after Zensical or any other "
    "generator, run `client-portal build SITE_DIR`"
)
NOT_IDENTIFYING = frozenset({"language", "timezone", "accent", "password_env", "id"})


@dataclass(frozen=True, order=True)
class Finding:
    """One thing the audit found, tied to the file it is in."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True, eq=False)  # each needle is one of a kind: compared by identity, cheaply
class _Needle:
    """A text to look for, as ``reader_text`` gives it, and whose it is."""

    text: str
    shown: str  # what a finding quotes (secrets are named, never quoted)
    kind: Literal["client", "token", "secret", "file"]
    owners: frozenset[str]  # the records that hold it: only their own pages may show it
    public: frozenset[str] = frozenset()  # owners that agreed to be named anywhere (public_name)


def site_texts(site: Path) -> Iterator[tuple[str, str]]:
    """(path relative to the site, text) of every file, archives opened; big files come in pieces."""
    return ((file.path, file.text) for file in site_files(site))


def fingerprints(client: Client) -> dict[str, str]:
    """The texts that identify a client, as ``reader_text`` gives them, each with the form a finding quotes."""
    found: dict[str, str] = {}
    # an attached file's own name, as a link or a download would show it
    names = [path.rsplit("/", 1)[-1] for deliverable in client.record.deliverables for path in deliverable.files]
    for text in [*_record_texts(client.record), *names]:
        folded = markdown_reader_text(text)
        for piece in _pieces(folded):
            found.setdefault(piece, " ".join(text.split()) if piece == folded else piece)
    for name in _name_forms(client):
        if len(name.encode("utf-8")) >= MIN_NAME:
            found[name] = client.record.name
    identifier = reader_text(client.id)
    if len(identifier.encode("utf-8")) >= MIN_DISTINCTIVE:
        found.setdefault(identifier, client.id)
    return found


def audit_site(
    site: Path, clients: list[Client], secret: bytes, prefix: str, environ: Mapping[str, str]
) -> list[Finding]:
    """Every way the built ``site`` could leak a client; empty when it is clean."""
    folders = {client_folder(prefix, secret, client): client for client in clients}
    replaced = {folder for client in clients for folder in replaced_folders(prefix, secret, client)}
    findings = _missing_pages(site, prefix, folders)
    attached, samples, problems = _attached_files(clients, folders, secret)
    findings += problems
    sealed = _sealed_files(site, attached, secret)
    findings += sealed.findings
    needles, weak_secrets = _needles(clients, folders, secret, environ)
    feeds = {feed_path(prefix, secret, client): client for client in clients if subscribes(client.record)}
    needles += [
        _Needle(reader_text(_feed_token(path)), _feed_token(path), "token", frozenset({c.id}))
        for path, c in feeds.items()
    ]
    automaton = _automaton(needles)
    contents = _automaton(samples) if samples else None
    for path, pieces in groupby(
        site_files(site, skip=sealed.verified, archive_bytes=bool(samples)), key=lambda file: file.path
    ):
        file = path.partition("!/")[0]  # the archive, for a member
        folder = _page_folder(file, prefix)
        home = folders.get(folder)
        hits, markers, unread = _scan(path, pieces, automaton, weak_secrets, contents)
        findings += unread
        if (subscriber := feeds.get(file)) is not None:  # the one file in the open about a client: its feed
            hits = [hit for hit in hits if not _in_feed(hit, subscriber, file)]
        else:
            findings += _placement(path, file, folder, prefix, home, replaced, markers, attached)
        findings += _leaks(path, hits, home)
    return sorted(set(findings))


@dataclass(frozen=True)
class _Attached:
    """An attached file the site should hold, encrypted, in its client's folder."""

    client: Client
    attachment: Attachment
    token: str


@dataclass(frozen=True)
class _Sealed:
    verified: frozenset[str]  # published attachments that open as the file they are named after
    findings: list[Finding]


def _attached_files(
    clients: list[Client], folders: Mapping[str, Client], secret: bytes
) -> tuple[dict[str, _Attached], list[_Needle], list[Finding]]:
    """{site path: the file} of every encrypted attachment, byte samples of every attached file, and what failed."""
    attached: dict[str, _Attached] = {}
    samples: list[_Needle] = []
    findings = []
    for folder, client in folders.items():
        token = folder.rstrip("/").rsplit("/", 1)[-1]
        try:
            found = find_attachments(client, client.source.parent)
        except AttachmentError as error:
            findings.append(Finding(folder, f"the attached files of '{client.id}' cannot be checked:\n{error}"))
            continue
        for attachment in found:
            shown = f"the content of {attachment.name}"
            samples += (
                _Needle(sample.decode("latin-1"), shown, "file", frozenset({client.id}))
                for sample in content_samples(attachment.source, attachment.size)
            )
            if client.record.access.mode != "unlisted":
                name = crypto.file_name(secret, client.id, client.record.access.version, attachment.sha256)
                attached[folder + name] = _Attached(client, attachment, token)
    return attached, samples, findings


def _sealed_files(site: Path, attached: Mapping[str, _Attached], secret: bytes) -> _Sealed:
    """Which published attachments really are their file, encrypted for their page; the rest are findings."""
    verified, findings = set(), []
    for path, item in attached.items():
        where = f"an attached file of '{item.client.id}' (deliverable '{item.attachment.deliverable}')"
        if not (site / path).is_file():
            findings.append(Finding(path, f"{where} was not published"))
        elif opens(site / path, item.attachment, secret, item.client, item.token):
            verified.add(path)
        else:
            findings.append(Finding(path, f"is not {where} encrypted for its page: it does not open with its key"))
    return _Sealed(frozenset(verified), findings)


def _scan(
    path: str,
    pieces: Iterable[SiteFile],
    automaton: ahocorasick.Automaton,
    weak_secrets: list[_Needle],
    contents: ahocorasick.Automaton | None = None,
) -> tuple[list[tuple[_Needle, bool]], set[str], list[Finding]]:
    """What one file holds: each needle (and whether it is in the file's name), page markers, what went unread."""
    name = reader_text(path)
    hits: dict[tuple[_Needle, bool], None] = {}  # a dict keeps the order they were found in
    markers: set[str] = set()
    unread = []
    for piece in pieces:
        if piece.problem:
            unread.append(Finding(path, piece.problem))
        # one pass: the file's name and its text together
        haystack = f"{name} {reader_text(_without_ciphertext(piece.text))}"
        for start, needle in _matches(automaton, haystack):
            hits[needle, start < len(name)] = None
        for needle in weak_secrets:
            if needle.text in path or needle.text in piece.text:
                hits[needle, needle.text in path] = None
        if contents is not None:  # attached files' bytes, compared as bytes: latin-1 maps each to one character
            raw = piece.raw.decode("latin-1")
            for end, (length, group) in contents.iter(raw):
                start = end + 1 - length
                hits.update(((needle, False), None) for needle in group if raw.startswith(needle.text, start))
        markers |= {marker for marker in (PAYLOAD, REPLACED_MARKER, PREFIX_INDEX_MARKER) if marker in piece.text}
    return list(hits), markers, unread


def _feed_token(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(FEED_SUFFIX)


def _in_feed(hit: tuple[_Needle, bool], client: Client, path: str) -> bool:
    """Whether a hit in a client's calendar feed is what the feed may carry: its address, and titles if chosen."""
    needle, in_name = hit
    if needle.kind == "token":
        return in_name and needle.text == reader_text(_feed_token(path))
    if needle.kind != "client" or in_name or client.id not in needle.owners:
        return False
    detail = client.record.calendar.detail if client.record.calendar is not None else "busy"
    # part of a title: the whole title, a window of a long one, or the client's name in one
    return detail == "titles" and any(needle.text in title for title in _feed_titles(client))


def _feed_titles(client: Client) -> list[str]:
    """The titles a titles feed shows, as a reader sees them."""
    return [markdown_reader_text(title) for _, title in feed_dates(client.record)]


def _page_folder(file: str, prefix: str) -> str:
    """``<prefix>/<token>/`` for a file in a page folder, else ""."""
    folder, slash, _ = file.removeprefix(prefix + "/").partition("/")
    return f"{prefix}/{folder}/" if slash and file.startswith(prefix + "/") else ""


def _missing_pages(site: Path, prefix: str, folders: Mapping[str, Client]) -> list[Finding]:
    """Pages the build should have made: each client's, and the neutral index of the prefix."""
    findings = []
    # no record, no page to expect (a portal before its first client); records but no page: a generator skipped ours
    if folders and not any((site / prefix).glob("*/index.html")):
        findings.append(Finding(f"{prefix}/", NO_PAGES))
    for folder, client in folders.items():
        if not (site / folder / "index.html").is_file():
            findings.append(Finding(folder, f"no page was built for client '{client.id}'"))
    if not (site / prefix / "index.html").is_file():
        message = "is missing: a host that lists folders would list the client pages"
        findings.append(Finding(f"{prefix}/index.html", message))
    return findings


def _record_texts(model: BaseModel) -> Iterator[str]:
    """Every text of a record, nested parts included; fields new to the model count as private."""
    for name in _text_fields(type(model)):
        yield from _texts_in(getattr(model, name))


@cache
def _text_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(
        name
        for name, field in model.model_fields.items()
        if name not in NOT_IDENTIFYING and not _is_label(field.annotation)
    )


def _texts_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, BaseModel):
        yield from _record_texts(value)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts_in(item)


def _is_label(annotation: Any) -> bool:
    """Whether a field holds one of a fixed set of words (a status, a kind), which any page may show."""
    options = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    return all(get_origin(option) is Literal or option is type(None) for option in options)


def _name_forms(client: Client) -> set[str]:
    """The client's name as a reader sees it, and run together as in a file name (``AcmeBakery.pdf``)."""
    name = reader_text(client.record.name)
    joined = name.replace(" ", "")
    return {name, joined} if len(joined.encode("utf-8")) >= MIN_DISTINCTIVE else {name}


def _pieces(text: str) -> Iterator[str]:
    """A text whole when it is short, else overlapping windows of it; too short to prove anything: nothing."""
    if text.isascii() and text.count(" ") < WINDOW // WORD_WEIGHT:  # most titles: no need to find the words
        if len(text) >= MIN_DISTINCTIVE:
            yield text
        return
    spans = words(text)
    weights = [CHARACTER_WEIGHT if unspaced else WORD_WEIGHT for _, _, unspaced in spans]
    total = sum(weights)
    if total <= WINDOW:
        if len(text.encode("utf-8")) >= MIN_DISTINCTIVE:
            yield text
        return
    weight_before = list(accumulate(weights, initial=0))

    def window(first: int) -> str:
        last = bisect_left(weight_before, weight_before[first] + WINDOW)
        return text[spans[first][0] : spans[last - 1][1]]

    first = 0
    while weight_before[first] + WINDOW < total:
        yield window(first)
        first = bisect_left(weight_before, weight_before[first] + STRIDE)
    yield text[spans[bisect_right(weight_before, total - WINDOW) - 1][0] :]


def _needles(
    clients: list[Client], folders: Mapping[str, Client], secret: bytes, environ: Mapping[str, str]
) -> tuple[list[_Needle], list[_Needle]]:
    """Every client text, page address and secret; and the secrets too short once folded, compared as they are."""
    owners: dict[str, set[str]] = defaultdict(set)
    public: dict[str, set[str]] = defaultdict(set)
    shown: dict[str, str] = {}
    for client in clients:
        for text, quoted in fingerprints(client).items():
            owners[text].add(client.id)
            shown.setdefault(text, quoted)
        if client.record.public_name:
            for text in _name_forms(client) | {reader_text(client.id)}:
                public[text].add(client.id)
    needles = [
        _Needle(text, shown[text], "client", frozenset(ids), frozenset(public[text])) for text, ids in owners.items()
    ]
    for folder, client in folders.items():
        token = folder.rstrip("/").rsplit("/", 1)[-1]
        needles.append(_Needle(reader_text(token), token, "token", frozenset({client.id})))
    secrets = {"the site secret": secret.decode("utf-8", errors="replace")}
    for client in clients:
        for number, key in enumerate(link_keys(secret, client), start=1):
            secrets[f"the link key of contact #{number} of '{client.id}'"] = key
        for variable in (client.record.access.password_env, *(c.password_env for c in client.record.contacts)):
            if variable and (given := password(variable, environ)):
                secrets[f"the password in {variable}"] = given
    weak = []
    for what, value in secrets.items():
        folded = reader_text(value)
        if len(folded.encode("utf-8")) >= MIN_DISTINCTIVE:
            needles.append(_Needle(folded, what, "secret", frozenset()))
        else:  # mostly punctuation: folding would leave too little to be sure of
            weak.append(_Needle(value, what, "secret", frozenset()))
    return needles, weak


def _automaton(needles: Iterable[_Needle]) -> ahocorasick.Automaton:
    """One automaton for every text at once: a site of 1,000 pages is read in one pass per file."""
    by_anchor: dict[str, list[_Needle]] = defaultdict(list)
    for needle in needles:
        by_anchor[needle.text[:ANCHOR]].append(needle)
    automaton = ahocorasick.Automaton()
    for anchor, group in by_anchor.items():
        automaton.add_word(anchor, (len(anchor), tuple(group)))
    automaton.make_automaton()
    return automaton


def _matches(automaton: ahocorasick.Automaton, haystack: str) -> Iterator[tuple[int, _Needle]]:
    """(start, needle) of each whole needle in ``haystack`` that stands as words of its own."""
    for end, (length, group) in automaton.iter(haystack):
        start = end + 1 - length
        for needle in group:
            stop = start + len(needle.text)
            if haystack.startswith(needle.text, start) and _separate(haystack, start, stop):
                yield start, needle


def _separate(haystack: str, start: int, stop: int) -> bool:
    """Whether ``haystack[start:stop]`` is not part of a longer word ("acme" in "acmeville")."""
    before = haystack[start - 1] if start else " "
    after = haystack[stop] if stop < len(haystack) else " "
    return (before == " " or is_unspaced(before) or is_unspaced(haystack[start])) and (
        after == " " or is_unspaced(after) or is_unspaced(haystack[stop - 1])
    )


def _without_ciphertext(text: str) -> str:
    if PAYLOAD not in text:
        return text
    return _PAYLOAD_ELEMENT.sub(lambda element: _CIPHERTEXT.sub('""', element[0]), text)


def _placement(
    path: str,
    file: str,
    folder: str,
    prefix: str,
    home: Client | None,
    replaced: set[str],
    markers: set[str],
    attached: Mapping[str, _Attached],
) -> Iterator[Finding]:
    """What is wrong with where a file is: records and secrets published, stray files under the prefix."""
    if file.endswith((".yml", ".yaml")):
        yield Finding(file, "a YAML file is published; client records must stay out of the site")
    if file.rsplit("/", 1)[-1] == ".portal-secret":
        yield Finding(file, "the local secret file is published")
    if home is not None:
        if home.record.access.mode != "unlisted" and file.endswith(".html") and PAYLOAD not in markers:
            yield Finding(file, f"the page of '{home.id}' is not encrypted")
        if file != folder + "index.html" and file not in attached:
            yield Finding(file, f"is neither the page of '{home.id}' nor one of its encrypted files: remove it")
    elif file == f"{prefix}/index.html":
        if PREFIX_INDEX_MARKER not in markers:
            yield Finding(file, f"is not the neutral index of the client pages (no {PREFIX_INDEX_MARKER})")
    elif folder in replaced:
        if file != folder + "index.html" or path != file or REPLACED_MARKER not in markers:
            yield Finding(file, f"only an index.html with {REPLACED_MARKER} belongs in a replaced page's folder")
    elif file.startswith(prefix + "/"):
        yield Finding(file, "is no current client page, replaced-link page or index: remove it")


_OUTSIDE = "text of client '{}' appears outside its folder"
_IN_NAME = "the file name carries text of client '{}'"


def _leaks(path: str, hits: list[tuple[_Needle, bool]], home: Client | None) -> Iterator[Finding]:
    """One finding per kind of leak and client, quoting what was found."""
    quoted: dict[str, list[str]] = defaultdict(list)
    for needle, in_name in hits:
        if needle.kind == "secret":
            yield Finding(path, f"{needle.shown} {'is in the file name' if in_name else 'appears in this file'}")
        elif needle.kind == "file":  # attached files are published encrypted only, even in their own folder
            yield Finding(path, f"{needle.shown}, attached for '{min(needle.owners)}', is readable in this file")
        elif home is not None and home.id in needle.owners:
            if needle.kind == "client" and home.record.access.mode != "unlisted" and home.id not in needle.public:
                quoted[f"readable text of '{home.id}' in its encrypted page"].append(needle.shown)
        elif needle.kind == "token":
            yield Finding(path, f"the page address of '{min(needle.owners)}' appears outside its folder")
        else:
            for owner in sorted(needle.owners - needle.public):
                quoted[(_IN_NAME if in_name else _OUTSIDE).format(owner)].append(needle.shown)
    for message, texts in quoted.items():
        shown = list(dict.fromkeys(texts))
        more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
        yield Finding(path, f"{message}: {', '.join(repr(text) for text in shown[:3])}{more}")
