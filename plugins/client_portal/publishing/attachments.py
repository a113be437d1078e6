"""Files attached to deliverables: found, checked, and encrypted under opaque names in the client's folder.

A file is read and written in chunks, never whole, so a large file costs the build
little memory. The ciphertext is deterministic (its key comes from the site secret and
the file's SHA-256), so it is kept in a cache folder between builds and an unchanged
file is neither encrypted again nor changed on the host.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from client_portal.records.loader import load_client, shown_path
from client_portal.records.model import Client
from client_portal.records.problems import Problem

MAX_FILE_BYTES = 100 * 2**20  # per file: beyond this, a file host serves clients better
MAX_CLIENT_BYTES = 500 * 2**20  # per client, so a site stays well under GitHub Pages' 1 GB
SAMPLE_BYTES = 32  # the audit looks for windows of this many bytes of every attached file
SAMPLES = 8
_CANDIDATES = 16  # windows tried per sample, keeping the most varied (least likely to occur by chance)


class AttachmentError(Exception):
    """Attached files that cannot be published; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Attachment:
    """One file attached to a deliverable, as found on disk."""

    deliverable: str  # the deliverable's id
    source: Path
    size: int
    sha256: str
    listed: str  # the path as the record lists it, relative to the clients folder

    @property
    def name(self) -> str:
        """The file's real name, as the client saves it."""
        return self.source.name


@dataclass(frozen=True)
class SealedFile:
    """An attached file encrypted for one page: what the page needs to fetch and open it."""

    attachment: Attachment
    url: str  # the opaque file name, relative to the page
    key: str  # base64url; it travels only inside the encrypted page
    sealed_size: int  # bytes published
    sealed: Path  # the ciphertext on disk, in the cache folder


def _located(client: Client, shown: Path, loc: tuple[str | int, ...], message: str, severity: str = "error") -> Problem:
    line, column = client.locate(*loc)
    return Problem(shown, line, column, message, "warning" if severity == "warning" else "error")


def find_attachments(client: Client, clients_dir: Path, shown: Path | None = None) -> list[Attachment]:
    """Every attached file of a record, hashed; raise `AttachmentError` when one cannot be published."""
    attachments, problems = _scan(client, clients_dir, shown or client.source, hashed=True)
    if any(p.severity == "error" for p in problems):
        raise AttachmentError([p for p in problems if p.severity == "error"])
    return attachments


def attachment_problems(client: Client, clients_dir: Path, shown: Path) -> list[Problem]:
    """What `check` says about a record's attached files (without reading them through)."""
    return _scan(client, clients_dir, shown, hashed=False)[1]


def attachment_errors(clients: list[Client], clients_dir: Path, root: Path, today: date | None) -> list[Problem]:
    """The errors that stop a build of ``clients``' attached files, each at its record's line, like `check`'s."""
    problems = []
    for client in clients:
        shown = shown_path(client.source, root)
        if any(p.severity == "error" for p in attachment_problems(client, clients_dir, shown)):
            # records are kept without their locations: read this one again to say where
            located = load_client(client.source, today=today, shown_as=shown)
            problems += [p for p in attachment_problems(located, clients_dir, shown) if p.severity == "error"]
    return problems


def _others_files(client: Client, base: Path, others: set[str], relative: str, resolved: Path) -> str | None:
    """Why an attached file looks like another client's: a record, or in the folder of another client (``others``)."""
    if resolved.suffix in (".yml", ".yaml") and resolved.parent == base:
        whose = "this client's own record" if resolved.stem == client.id else f"the record of '{resolved.stem}'"
        return f"{relative} is {whose}: attaching it publishes the record itself (encrypted) on this page"
    folders = resolved.relative_to(base).parts[:-1]
    if named := next((part for part in folders if part in others), None):
        return f"{relative} is in the folder of client '{named}': is it meant for this client's page?"
    return None


def _scan(client: Client, clients_dir: Path, shown: Path, *, hashed: bool) -> tuple[list[Attachment], list[Problem]]:
    record = client.record
    if not any(d.files for d in record.deliverables):
        return [], []  # most records attach nothing: no folder to resolve
    base = clients_dir.resolve()
    attachments: list[Attachment] = []
    problems: list[Problem] = []
    total = 0
    others: set[str] = set()
    if not hashed:
        others = {path.stem for path in base.iterdir() if path.suffix in (".yml", ".yaml")} - {client.id}
    for d_index, deliverable in enumerate(record.deliverables):
        if deliverable.files and record.access.mode == "unlisted":
            message = (
                f"deliverables[{d_index}].files: unlisted pages are readable by anyone with the address, so "
                "these files are not published; use link or password access to share them"
            )
            problems.append(_located(client, shown, ("deliverables", d_index, "files"), message, "warning"))
        for f_index, relative in enumerate(deliverable.files):
            loc = ("deliverables", d_index, "files", f_index)
            where = f"deliverables[{d_index}].files[{f_index}]"
            path = clients_dir / relative
            resolved = path.resolve()
            if not resolved.is_relative_to(base):
                message = f"{where}: {relative} leads outside the clients folder (through a symbolic link)"
                problems.append(_located(client, shown, loc, message))
                continue
            if not resolved.is_file():
                state = "is not a file" if resolved.exists() else "not found"
                message = f"{where}: {relative} {state} (looked in {shown.parent.as_posix()}/)"
                problems.append(_located(client, shown, loc, message))
                continue
            if not hashed and (whose := _others_files(client, base, others, relative, resolved)):
                problems.append(_located(client, shown, loc, f"{where}: {whose}", "warning"))
            size = resolved.stat().st_size
            if size > MAX_FILE_BYTES:
                message = (
                    f"{where}: {relative} is {size / 2**20:.1f} MiB; attach files of at most "
                    f"{MAX_FILE_BYTES // 2**20} MiB, or share larger ones through 'link'"
                )
                problems.append(_located(client, shown, loc, message))
                continue
            total += size
            if total > MAX_CLIENT_BYTES:
                message = (
                    f"{where}: the files attached for this client come to more than "
                    f"{MAX_CLIENT_BYTES // 2**20} MiB; share some through 'link' instead"
                )
                problems.append(_located(client, shown, loc, message))
                continue
            if hashed:
                attachments.append(Attachment(deliverable.key, path.absolute(), size, file_sha256(resolved), relative))
    return attachments, problems


def file_digests(attachments: Iterable[Attachment]) -> dict[str, str]:
    """The SHA-256 of each attached file by the path its record lists it under (what a decision's fingerprint covers).

    An unlisted page publishes no files, so it shows none: give it no attachments.
    """
    return {attachment.listed: attachment.sha256 for attachment in attachments}


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in pieces."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def seal_attachments(
    attachments: list[Attachment], secret: bytes, client: Client, token: str, cache_dir: Path
) -> list[SealedFile]:
    """Encrypt each file for the page at ``token``, reusing ciphertext an earlier build left in ``cache_dir``."""
    from client_portal.publishing import (
        crypto,  # here, not above: `check` reads this module and starts faster without cryptography
    )

    folder = cache_dir / token
    version = client.record.access.version
    sealed = []
    for attachment in attachments:
        name = crypto.file_name(secret, client.id, version, attachment.sha256)
        key = crypto.file_key(secret, client.id, version, attachment.sha256)
        target = folder / name
        size = crypto.sealed_file_size(attachment.size)
        if not _sealed_before(target, size, key, attachment, token):
            folder.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f"{name}.{os.getpid()}.partial")
            with attachment.source.open("rb") as source, partial.open("wb") as out:
                crypto.seal_file(key, source, attachment.size, attachment.sha256, token, out)
            partial.replace(target)  # whole or not at all: a cut-short build leaves no half file to reuse
        sealed.append(SealedFile(attachment, name, crypto.b64url(key), size, target))
    # What this page no longer attaches is not kept
    if folder.is_dir():
        keep = {item.url for item in sealed}
        for stale in folder.iterdir():
            if stale.name not in keep and stale.is_file():
                stale.unlink()
    return sealed


def _sealed_before(target: Path, size: int, key: bytes, attachment: Attachment, token: str) -> bool:
    """Whether an earlier build left at ``target`` exactly this file sealed for this page.

    The size alone would reuse a file altered in the cache. Sealing is deterministic and
    authenticated, so a file of the right size that opens with this file's key and page
    holds the very bytes sealing it again would write.
    """
    from client_portal.publishing import crypto

    if not (target.is_file() and target.stat().st_size == size):
        return False
    try:
        with target.open("rb") as source:
            crypto.open_file(key, source, attachment.size, attachment.sha256, token, None)
    except (crypto.FileMismatch, OSError):
        return False
    return True


def opens(sealed: Path, attachment: Attachment, secret: bytes, client: Client, token: str) -> bool:
    """Whether ``sealed`` is ``attachment`` encrypted for the page at ``token`` (what the audit checks)."""
    from client_portal.publishing import crypto

    key = crypto.file_key(secret, client.id, client.record.access.version, attachment.sha256)
    try:
        with sealed.open("rb") as source:
            crypto.open_file(key, source, attachment.size, attachment.sha256, token, None)
    except (crypto.FileMismatch, OSError):
        return False
    return True


def content_samples(path: Path, size: int) -> list[bytes]:
    """Windows of a file's bytes, spread over it, each the most varied of its neighbours.

    Varied bytes (compressed data, real text) do not turn up in other files by chance,
    where a run of zeros or a common header would.
    """
    if size < SAMPLE_BYTES:
        return []
    samples = []
    with path.open("rb") as stream:
        span = size - SAMPLE_BYTES
        for number in range(SAMPLES):
            stream.seek(span * number // max(SAMPLES - 1, 1))
            region = stream.read(SAMPLE_BYTES * _CANDIDATES)
            windows = [region[i : i + SAMPLE_BYTES] for i in range(0, len(region) - SAMPLE_BYTES + 1, 4)]
            best = max(windows, key=lambda window: len(set(window)), default=b"")
            if len(set(best)) >= SAMPLE_BYTES // 2:
                samples.append(best)
    return list(dict.fromkeys(samples))
