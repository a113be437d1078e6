"""A real IMAP server (pymap) on loopback for the tests, with an in-memory INBOX, and mail delivered to it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

USER, PASSWORD = "jo", "imap-test-password"
PYMAP = shutil.which("pymap", path=str(Path(sys.executable).parent))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0].decode(errors="replace")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"pymap did not listen on {port}")


@pytest.fixture
def imap_port() -> Iterator[int]:
    """A pymap server with an empty in-memory INBOX for USER, on a free loopback port."""
    assert PYMAP, "pymap is a test dependency (requirements/dev.txt)"
    port = free_port()
    command = [PYMAP, "--host", "127.0.0.1", "--port", str(port), "--no-tls"]
    command += ["dict", "--demo-user", USER, "--demo-password", PASSWORD]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def deliver(port: int, *messages: bytes) -> None:
    """Messages put into the INBOX as a mail server delivers them (unread)."""
    client = IMAPClient("127.0.0.1", port=port, ssl=False)
    client.login(USER, PASSWORD)
    for raw in messages:
        client.append("INBOX", raw)
    client.logout()
