"""The leak audit of a built site: proof that nothing about a client is published in the open."""

from __future__ import annotations

import contextlib
import gzip
import re
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from .model import Client
from .publish import client_folder

# Shorter texts (a title like "Logo") also occur in ordinary pages; they prove nothing.
# Measured in UTF-8 bytes, so four Chinese characters (12 bytes) count as distinctive.
MIN_DISTINCTIVE = 8
MIN_NAME = 4
PAYLOAD = re.compile(r'<script type="application/json" id="cp-payload">')


@dataclass(frozen=True, order=True)
class Finding:
    """One thing the audit found, tied to the file it is in."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def fingerprints(client: Client) -> set[str]:
    """Texts that identify a client: name, people, titles and the longer notes."""
    record = client.record
    texts = {record.name, *(c.name for c in record.contacts), *(c.email for c in record.contacts if c.email)}
    texts |= {d.title for d in record.deliverables} | {s.title for s in record.suggestions}
    texts |= {s.title for s in record.schedule} | {r.title for r in record.requests}
    for long_text in (record.greeting, *(d.notes for d in record.deliverables), *(u.text for u in record.updates)):
        if long_text:
            texts.add(long_text.strip().splitlines()[0][:60].strip())
    if "-" in client.id:
        texts.add(client.id)
    distinctive = {t for t in texts if len(t.encode("utf-8")) >= MIN_DISTINCTIVE}
    if len(record.name.encode("utf-8")) >= MIN_NAME:
        distinctive.add(record.name)
    return distinctive


def site_texts(site: Path) -> Iterator[tuple[str, str]]:
    """(path relative to the site, text) of every file, compressed files opened."""
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        if path.suffix == ".gz":
            # a .gz that is not gzip is read as it is
            with contextlib.suppress(OSError, EOFError, zlib.error):
                raw = gzip.decompress(raw)
        yield path.relative_to(site).as_posix(), raw.decode("utf-8", errors="replace")


def audit_site(
    site: Path, clients: list[Client], secret: bytes, prefix: str, environ: Mapping[str, str]
) -> list[Finding]:
    """Every way the built ``site`` could leak a client; empty when it is clean."""
    folders = {client.id: client_folder(prefix, secret, client) for client in clients}
    findings: list[Finding] = []
    if not (site / prefix).is_dir() or not any((site / prefix).glob("*/index.html")):
        findings.append(Finding(f"{prefix}/", "no client page was built: is the client-portal plugin enabled?"))
    for client in clients:
        if not (site / folders[client.id] / "index.html").is_file():
            findings.append(Finding(folders[client.id], f"no page was built for client '{client.id}'"))
    needles = _needles(clients, folders, secret, environ)
    for path, text in site_texts(site):
        found = {needle for _, needle in needles.iter(text)}
        home = next((c for c in clients if path.startswith(folders[c.id])), None)
        findings += _file_findings(path, text, found, home)
    return sorted(set(findings))


@dataclass(frozen=True)
class _Needle:
    """A text to look for, and what it means when found."""

    text: str
    kind: str  # "client": private text; "token": a page address; "secret": never publishable
    owner: str  # a client id, or what the secret is
    encrypted: bool = False  # whether the owner's page must hold nothing readable


def _needles(
    clients: list[Client], folders: dict[str, str], secret: bytes, environ: Mapping[str, str]
) -> ahocorasick.Automaton:
    """One automaton for every text at once: a site of 1,000 pages is read in one pass per file."""
    counts = Counter(text for client in clients for text in fingerprints(client))
    automaton = ahocorasick.Automaton()
    for client in clients:
        encrypted = client.record.access.mode != "unlisted"
        for text in fingerprints(client):
            # Text that several records share (the freelancer's own holiday) is no one client's.
            if counts[text] == 1:
                automaton.add_word(text, _Needle(text, "client", client.id, encrypted))
        token = folders[client.id].rstrip("/").rsplit("/", 1)[-1]
        automaton.add_word(token, _Needle(token, "token", client.id, encrypted))
    secrets = {"the site secret": secret.decode("utf-8", errors="replace")}
    for client in clients:
        name = client.record.access.password_env
        if name and environ.get(name):
            secrets[f"the password in {name}"] = environ[name]
    for what, value in secrets.items():
        automaton.add_word(value, _Needle(value, "secret", what))
    automaton.make_automaton()
    return automaton


def _file_findings(path: str, text: str, found: set[_Needle], home: Client | None) -> Iterator[Finding]:
    if path.endswith((".yml", ".yaml")):
        yield Finding(path, "a YAML file is published; client records must stay out of the site")
    if path.rsplit("/", 1)[-1] == ".portal-secret":
        yield Finding(path, "the local secret file is published")
    sealed = home is not None and home.record.access.mode != "unlisted"
    if sealed and home is not None and path.endswith(".html") and not PAYLOAD.search(text):
        yield Finding(path, f"the page of '{home.id}' is not encrypted")
    for needle in sorted(found, key=lambda n: (n.kind, n.owner, n.text)):
        at_home = home is not None and needle.owner == home.id
        if needle.kind == "secret":
            yield Finding(path, f"{needle.owner} appears in this file")
        elif needle.kind == "token" and not at_home:
            yield Finding(path, f"the page address of '{needle.owner}' appears outside its folder")
        elif needle.kind == "client" and not at_home:
            yield Finding(path, f"text of client '{needle.owner}' appears outside its folder: {needle.text!r}")
        elif needle.kind == "client" and needle.encrypted:
            yield Finding(path, f"readable text of '{needle.owner}' in its encrypted page: {needle.text!r}")
