"""The same steps in three browser engines: Chromium (Playwright), WebKit and Firefox.

WebKit is Debian's WebKitGTK, driven by its `WebKitWebDriver` over classic WebDriver
(a small JSON-over-HTTP protocol, spoken here with the standard library) under an Xvfb
display. Firefox is Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core
in a Node process (`firefox.mjs`) that answers one JSON line per command.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

from playwright.sync_api import Browser

from ..conftest import ROOT

WEBKIT_DRIVER = os.environ.get("WEBKIT_DRIVER", "/usr/bin/WebKitWebDriver")
FIREFOX = os.environ.get("FIREFOX", "/usr/bin/firefox-esr")
XVFB = os.environ.get("XVFB", "/usr/bin/Xvfb")
FIREFOX_SCRIPT = Path(__file__).with_name("firefox.mjs")
PUPPETEER = ROOT / "node_modules" / "puppeteer-core" / "package.json"
STARTUP = 60.0  # seconds: Firefox takes about ten on two busy cores
COMMAND = 60.0
WAIT = 20.0

# Errors the page throws after it has loaded (an engine that reports none of its own
# console, as classic WebDriver does not, is asked for these at least).
WATCH_ERRORS_JS = """() => {
  if (window.__engineErrors) return;
  window.__engineErrors = [];
  window.addEventListener("error", (e) => window.__engineErrors.push(String(e.message)));
  window.addEventListener("unhandledrejection", (e) => window.__engineErrors.push(String(e.reason)));
}"""


class EngineMissing(Exception):
    """An engine the tests need is not installed."""


def require(path: str | Path, what: str) -> None:
    """Fail, never skip, when an engine `make debian` or `make checkers` installs is absent."""
    if not Path(path).exists() and shutil.which(str(path)) is None:
        raise EngineMissing(f"{what} not found at {path}: run `make debian` and `make checkers` (make test runs both)")


class Engine(Protocol):
    """What a test asks of a browser: open, run a script, type, click, report errors."""

    name: str

    def goto(self, url: str) -> None: ...
    def evaluate(self, function: str, *args: Any) -> Any: ...
    def type(self, selector: str, text: str) -> None: ...
    def click(self, selector: str) -> None: ...
    def errors(self) -> list[str]: ...
    def close(self) -> None: ...


def wait_for(engine: Engine, function: str, *args: Any, what: str) -> Any:
    """Poll ``function`` in the page until it returns something truthy; fail saying ``what`` did not happen."""
    deadline = time.monotonic() + WAIT
    value = None
    while time.monotonic() < deadline:
        value = engine.evaluate(function, *args)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{engine.name}: {what} within {WAIT:.0f} s (last: {value!r})")


class Chromium:
    """Debian's Chromium, through the Playwright browser the other browser tests use."""

    name = "chromium"

    def __init__(self, browser: Browser) -> None:
        self.context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
        self.page = self.context.new_page()
        self.seen: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.seen.append(m.text))
        self.page.on("pageerror", lambda e: self.seen.append(str(e)))

    def goto(self, url: str) -> None:
        self.page.goto("about:blank")
        self.page.goto(url)
        self.page.evaluate(WATCH_ERRORS_JS)

    def evaluate(self, function: str, *args: Any) -> Any:
        return self.page.evaluate(f"(args) => ({function})(...args)", list(args))

    def type(self, selector: str, text: str) -> None:
        self.page.locator(selector).press_sequentially(text)

    def click(self, selector: str) -> None:
        self.page.locator(selector).click()

    def errors(self) -> list[str]:
        return self.seen + list(self.evaluate("() => window.__engineErrors || []"))

    def close(self) -> None:
        self.context.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Xvfb:
    """A virtual X display for WebKitGTK, on the first free display number."""

    def __init__(self) -> None:
        require(XVFB, "Xvfb (Debian package xvfb)")
        read, write = os.pipe()
        self.process = subprocess.Popen(
            [XVFB, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            pass_fds=[write],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as displayfd:
            number = displayfd.readline().strip()
        if not number:
            self.process.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class WebKit:
    """Debian's WebKitGTK (its MiniBrowser), driven by WebKitWebDriver over classic WebDriver."""

    name = "webkit"

    def __init__(self) -> None:
        require(WEBKIT_DRIVER, "WebKitWebDriver (Debian package webkit2gtk-driver)")
        self.display = Xvfb()
        self.port = _free_port()
        self.driver = subprocess.Popen(
            [WEBKIT_DRIVER, f"--port={self.port}"],
            env={**os.environ, "DISPLAY": self.display.display},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.session = ""
        try:
            deadline = time.monotonic() + STARTUP
            while True:
                try:
                    self._call("GET", "/status")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            self.session = self._call("POST", "/session", {"capabilities": {}})["sessionId"]
            self._call("POST", self._in("/window/rect"), {"width": 390, "height": 844})
        except BaseException:
            self.close()
            raise

    def _in(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=COMMAND) as response:
                return json.load(response)["value"]
        except urllib.error.HTTPError as error:
            value = json.load(error)["value"]
            raise AssertionError(f"webkit: {method} {path}: {value.get('error')}: {value.get('message')}") from None

    def goto(self, url: str) -> None:
        self._call("POST", self._in("/url"), {"url": "about:blank"})
        self._call("POST", self._in("/url"), {"url": url})
        self.evaluate(WATCH_ERRORS_JS)

    def evaluate(self, function: str, *args: Any) -> Any:
        script = (
            "const done = arguments[arguments.length - 1];"
            f"Promise.resolve().then(() => ({function})(...Array.from(arguments).slice(0, -1)))"
            ".then((value) => done({ value: value === undefined ? null : value }),"
            " (error) => done({ error: String(error) + ' ' + (error && error.stack || '') }));"
        )
        result = self._call("POST", self._in("/execute/async"), {"script": script, "args": list(args)})
        if "error" in result:
            raise AssertionError(f"webkit: the script failed: {result['error']}")
        return result["value"]

    def _element(self, selector: str) -> str:
        found = self._call("POST", self._in("/element"), {"using": "css selector", "value": selector})
        return str(next(iter(found.values())))

    def type(self, selector: str, text: str) -> None:
        self._call("POST", self._in(f"/element/{self._element(selector)}/value"), {"text": text})

    def click(self, selector: str) -> None:
        self._call("POST", self._in(f"/element/{self._element(selector)}/click"), {})

    def errors(self) -> list[str]:
        return list(self.evaluate("() => window.__engineErrors || []"))

    def close(self) -> None:
        try:
            if self.session:
                self._call("DELETE", f"/session/{self.session}")
        finally:
            self.driver.terminate()
            self.driver.wait(timeout=10)
            self.display.close()


class Firefox:
    """Debian's Firefox ESR, headless, driven over WebDriver BiDi by puppeteer-core (`firefox.mjs`)."""

    name = "firefox"

    def __init__(self, downloads: Path) -> None:
        require(FIREFOX, "Firefox ESR (Debian package firefox-esr)")
        require(PUPPETEER, "puppeteer-core")
        node = shutil.which("node")
        if node is None:
            raise EngineMissing("node not found: run `make debian` (make test runs it)")
        self.downloads = downloads
        self.process = subprocess.Popen(
            [node, str(FIREFOX_SCRIPT), FIREFOX, str(downloads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self.version = self._answer(STARTUP)
        except BaseException:
            self.process.kill()
            raise

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")

    def _answer(self, timeout: float) -> Any:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"firefox: no answer within {timeout:.0f} s") from None
        if not line:
            assert self.process.stderr is not None
            self.process.wait(timeout=10)
            raise AssertionError(f"firefox: the driver stopped: {self.process.stderr.read()[-2000:]}")
        answer = json.loads(line)
        if "error" in answer:
            raise AssertionError(f"firefox: {answer['error']}")
        return answer["value"]

    def _send(self, op: str, **fields: Any) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        return self._answer(COMMAND)

    def goto(self, url: str) -> None:
        self._send("goto", url=url)
        self.evaluate(WATCH_ERRORS_JS)

    def evaluate(self, function: str, *args: Any) -> Any:
        return self._send("evaluate", function=function, args=list(args))

    def type(self, selector: str, text: str) -> None:
        self._send("type", selector=selector, text=text)

    def click(self, selector: str) -> None:
        self._send("click", selector=selector)

    def errors(self) -> list[str]:
        return list(self._send("errors")) + list(self.evaluate("() => window.__engineErrors || []"))

    def close(self) -> None:
        try:
            self._send("quit")
        finally:
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
