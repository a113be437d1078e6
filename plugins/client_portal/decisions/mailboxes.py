"""Where decision replies are read from: an mbox file, a Maildir, a folder of ``.eml`` files, or IMAP.

Every source is read without changing it; only `mark_read`, when asked, flags the
messages whose decisions were recorded (IMAP ``\\Seen``, Maildir ``S``). Nothing is
ever deleted.
"""

from __future__ import annotations

import contextlib
import ipaddress
import mailbox
import os
import ssl
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

PASSWORD_ENV = "PORTAL_IMAP_PASSWORD"
_FETCH_BATCH = 50
_TIMEOUT = 60  # seconds for any one IMAP exchange


class SourceError(Exception):
    """A SOURCE that cannot be read; the message says what to do."""


@dataclass(frozen=True)
class Mail:
    """One message as a source holds it: where it is (for messages), its bytes, and how to flag it."""

    where: str
    raw: bytes
    handle: str | int


class MailSource(Protocol):
    """Messages to read, and a way to mark some of them read."""

    def messages(self) -> Iterator[Mail]: ...

    def mark_read(self, handles: Sequence[str | int]) -> str: ...

    def close(self) -> None: ...


def open_source(source: str, environ: Mapping[str, str] = os.environ) -> MailSource:
    """The mail source SOURCE names; `SourceError` when it names none."""
    if "://" in source:
        return ImapSource.from_url(source, environ)
    path = Path(source)
    if path.is_file():
        return MboxSource(path)
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            return MaildirSource(path)
        return EmlFolder(path)
    raise SourceError(
        f"{source} not found: give an mbox file, a Maildir folder, a folder of .eml files, or imaps://USER@HOST/FOLDER"
    )


class MboxSource:
    """An mbox file, as mail clients export one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def messages(self) -> Iterator[Mail]:
        box = mailbox.mbox(self.path, create=False)
        try:
            for number, key in enumerate(box.iterkeys(), start=1):
                yield Mail(f"{self.path} message {number}", box.get_bytes(key), str(key))
        except (OSError, mailbox.Error) as error:
            raise SourceError(f"cannot read {self.path}: {error}") from None
        finally:
            box.close()

    def mark_read(self, handles: Sequence[str | int]) -> str:
        return f"{self.path} is an mbox file: its messages were left as they are (only IMAP and Maildir are marked)"

    def close(self) -> None:
        pass


class EmlFolder:
    """A folder of ``.eml`` files, one message each."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def messages(self) -> Iterator[Mail]:
        for file in sorted(self.path.glob("*.eml")):
            try:
                yield Mail(str(file), file.read_bytes(), str(file))
            except OSError as error:
                raise SourceError(f"cannot read {file}: {error.strerror}") from None

    def mark_read(self, handles: Sequence[str | int]) -> str:
        return f"{self.path} is a folder of .eml files: they were left as they are (only IMAP and Maildir are marked)"

    def close(self) -> None:
        pass


class MaildirSource:
    """A Maildir folder (``cur``, ``new``, ``tmp``): read in place; marking read renames as mail clients do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def messages(self) -> Iterator[Mail]:
        for folder in ("new", "cur"):
            for file in sorted((self.path / folder).iterdir()):
                if file.name.startswith(".") or not file.is_file():
                    continue
                try:
                    yield Mail(str(file), file.read_bytes(), str(file))
                except OSError as error:
                    raise SourceError(f"cannot read {file}: {error.strerror}") from None

    def mark_read(self, handles: Sequence[str | int]) -> str:
        for handle in handles:
            file = Path(str(handle))
            name, _, info = file.name.partition(":")
            flags = info[2:] if info.startswith("2,") else ""
            if "S" in flags and file.parent.name == "cur":
                continue
            target = self.path / "cur" / f"{name}:2,{''.join(sorted(set(flags + 'S')))}"
            os.replace(file, target)
        return f"marked {len(handles)} message{'s' * (len(handles) != 1)} read in {self.path}"

    def close(self) -> None:
        pass


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ImapSource:
    """An IMAP folder, read with ``BODY.PEEK[]`` from a folder selected read-only."""

    def __init__(self, host: str, port: int, user: str, password: str, folder: str, tls: bool) -> None:
        self.host, self.port, self.user, self.folder, self.tls = host, port, user, folder, tls
        self._password = password
        self._client: object | None = None

    @classmethod
    def from_url(cls, url: str, environ: Mapping[str, str]) -> ImapSource:
        """``imaps://USER@HOST[:PORT]/FOLDER``; plain ``imap://`` only to this computer (tests, local bridges)."""
        parts = urlsplit(url)
        if parts.scheme not in ("imaps", "imap"):
            raise SourceError(f"{url}: use imaps://USER@HOST[:PORT]/FOLDER")
        try:
            port = parts.port
        except ValueError:
            raise SourceError(f"{url}: the port is not a number") from None
        host = parts.hostname or ""
        if not host or not parts.username:
            raise SourceError(f"{url}: name the user and the server, such as imaps://you@mail.example/INBOX")
        if parts.scheme == "imap" and not _loopback(host):
            raise SourceError(
                f"{url}: imap:// would send the password unencrypted; use imaps:// (imap:// is only for 127.0.0.1)"
            )
        password = environ.get(PASSWORD_ENV, "")
        if not password:
            raise SourceError(f"set {PASSWORD_ENV} to the password of {unquote(parts.username)} on {host}")
        tls = parts.scheme == "imaps"
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(host, port or (993 if tls else 143), unquote(parts.username), password, folder, tls)

    @property
    def shown(self) -> str:
        return f"{'imaps' if self.tls else 'imap'}://{self.user}@{self.host}:{self.port}/{self.folder}"

    def _connect(self) -> object:
        from imapclient import IMAPClient
        from imapclient.exceptions import IMAPClientError

        # the system's trust store, or the file SSL_CERT_FILE names
        context = ssl.create_default_context() if self.tls else None
        try:
            client = IMAPClient(self.host, port=self.port, ssl=self.tls, ssl_context=context, timeout=_TIMEOUT)
            client.login(self.user, self._password)
            client.select_folder(self.folder, readonly=True)
        except (IMAPClientError, OSError) as error:
            raise SourceError(f"cannot read {self.shown}: {error}") from None
        self._client = client
        return client

    def messages(self) -> Iterator[Mail]:
        from imapclient import IMAPClient
        from imapclient.exceptions import IMAPClientError

        client = self._client or self._connect()
        assert isinstance(client, IMAPClient)
        try:
            uids = client.search("ALL")
            for start in range(0, len(uids), _FETCH_BATCH):
                fetched = client.fetch(uids[start : start + _FETCH_BATCH], ["BODY.PEEK[]"])
                for uid, data in sorted(fetched.items()):
                    raw = data.get(b"BODY[]")
                    if isinstance(raw, bytes):
                        yield Mail(f"{self.shown} UID {uid}", raw, int(uid))
        except (IMAPClientError, OSError) as error:
            raise SourceError(f"cannot read {self.shown}: {error}") from None

    def mark_read(self, handles: Sequence[str | int]) -> str:
        from imapclient import SEEN, IMAPClient
        from imapclient.exceptions import IMAPClientError

        client = self._client or self._connect()
        assert isinstance(client, IMAPClient)
        try:
            client.select_folder(self.folder, readonly=False)
            client.add_flags([int(h) for h in handles], [SEEN])
        except (IMAPClientError, OSError) as error:
            raise SourceError(f"cannot mark messages read in {self.shown}: {error}") from None
        return f"marked {len(handles)} message{'s' * (len(handles) != 1)} read in {self.shown}"

    def close(self) -> None:
        from imapclient import IMAPClient
        from imapclient.exceptions import IMAPClientError

        if isinstance(self._client, IMAPClient):
            with contextlib.suppress(IMAPClientError, OSError):  # the connection may already be gone
                self._client.logout()
            self._client = None
