"""Helpers to render sample pages and read their text."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from client_portal.page.render import Renderer
from client_portal.page.view import page_context
from client_portal.records.loader import load_client
from client_portal.settings import Freelancer, PortalSettings

from .conftest import ROOT, TODAY

SEEN_KEY = b"the tests what-is-new key"  # any 16 bytes or more
MATERIAL_TEMPLATES = Path(__import__("material").__file__).parent / "templates"

SETTINGS = PortalSettings(
    root=ROOT,
    clients_dir=ROOT / "clients",
    timezone="Europe/Berlin",
    freelancer=Freelancer(
        name="Mei Chen",
        email="mei@example.com",
        availability={"en": "Mon–Fri, 09:00–17:00", "zh-CN": "周一至周五 09:00–17:00"},
        response_time={"en": "within one business day", "zh-CN": "一个工作日内"},
    ),
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self.skip += 1
        if tag != "bdi":  # an isolated name joins the words around it, as a reader sees it
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title") and self.skip:
            self.skip -= 1
        if tag != "bdi":
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def render_sample(client_id: str, settings: PortalSettings = SETTINGS) -> str:
    """The rendered body of one sample client's page on the fixed build date."""
    client = load_client(ROOT / "clients" / f"{client_id}.yml", today=TODAY)
    return str(Renderer([MATERIAL_TEMPLATES]).body(page_context(client, settings, TODAY, whatsnew_key=SEEN_KEY)))
