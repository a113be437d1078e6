"""Arabic, right to left: the page, its gate and the letters run right to left, record names are isolated."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency, format_decimal

from client_portal.i18n import text_direction
from client_portal.mail.digest import record_changes
from client_portal.mail.mail import FSI, PDI, client_letters
from client_portal.page.render import ASSETS_DIR, ICONS_DIR, Assets, Renderer
from client_portal.page.view import page_context
from client_portal.publishing.addresses import client_links
from client_portal.records.loader import load_client
from client_portal.records.model import Client

from .build import SECRET
from .conftest import ROOT, TODAY
from .pages import MATERIAL_TEMPLATES, SEEN_KEY, SETTINGS, text_of

ASSETS = Assets("p{color:red}", "portal.js")
# Physical sides in a stylesheet: each would stay on the left in Arabic instead of mirroring.
PHYSICAL = re.compile(
    r"(?<![\w-])(?:(?:margin|padding|border)-(?:left|right)(?:-[a-z]+)?|border-(?:top|bottom)-(?:left|right)-radius"
    r"|left|right|float|clear)\s*:|text-align\s*:\s*(?:left|right)\b"
)


def arabic() -> Client:
    return load_client(ROOT / "tests" / "records" / "dar-al-oud.yml", today=TODAY)


def english(client: Client, **update: object) -> Client:
    return dataclasses.replace(client, record=client.record.model_copy(update={"language": "en", **update}))


def page(client: Client, *, payload: str | None = None) -> str:
    renderer = Renderer([MATERIAL_TEMPLATES])
    context = page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY)
    body = None if payload else renderer.body(context)
    return renderer.page(context, assets=ASSETS, body=body, payload=payload)


def letter(client: Client):
    before = client.record.model_copy(
        update={"updates": client.record.updates[:-1], "deliverables": client.record.deliverables[1:]}
    )
    changes = record_changes(before, client.record, TODAY, zone=ZoneInfo(client.record.timezone or "UTC"))
    links = client_links(SETTINGS, SECRET.encode(), client)
    return client_letters(client, changes, links, "https://portal.example/", SETTINGS, TODAY, date(2026, 11, 16))[0]


def test_arabic_page_gate_and_notices_run_right_to_left_and_others_left_to_right():
    client = arabic()
    assert text_direction("ar") == text_direction("ar_EG") == "rtl" and text_direction("he") == "rtl"
    assert '<html lang="ar" dir="rtl" class="cp-html">' in page(client)
    gate = page(client, payload='{"v":1}')
    assert '<html lang="ar" dir="rtl" class="cp-html">' in gate and 'id="cp-gate"' in gate
    renderer = Renderer([MATERIAL_TEMPLATES])
    for kind in ("replaced", "index"):
        assert '<html lang="ar" dir="rtl"' in renderer.notice(kind, "ar", "ar", SETTINGS.freelancer, ASSETS)
        assert '<html lang="de" dir="ltr"' in renderer.notice(kind, "de", "de", SETTINGS.freelancer, ASSETS)
    assert '<html lang="en" dir="ltr" class="cp-html">' in page(english(client))
    assert "<body dir=" not in gate  # one direction for the whole document, on <html>


def test_the_timeline_starts_on_the_right_in_arabic_and_on_the_left_otherwise_whichever_renders_first():
    today = re.compile(r'<line class="cp-timeline__today" x1="([\d.]+%)"')
    client = arabic()
    for first, second in ((client, english(client)), (english(client), client)):
        renderer = Renderer([MATERIAL_TEMPLATES])  # one build: every language shares the compiled templates
        shown = [str(renderer.body(page_context(c, SETTINGS, TODAY, whatsnew_key=SEEN_KEY))) for c in (first, second)]
        places = {c.record.language: today.findall(html) for c, html in zip((first, second), shown, strict=True)}
        assert places == {"ar": ["100.00%"], "en": ["0.00%"]}


def test_names_and_titles_are_isolated_on_the_page_and_the_gate():
    html = page(arabic())
    for isolated in (
        '<h1 class="cp-title"><bdi>دار العود للعطور</bdi></h1>',
        '<h4 class="cp-card__title"><bdi>متجر Shopify مع حاسبة الشحن</bdi></h4>',
        "<strong><bdi>إرسال قائمة أسعار 2027</bdi></strong>",
        '<span class="cp-event__title"><bdi>مراجعة متجر Shopify (مكالمة فيديو)</bdi></span>',
        "<bdi>علبة هدايا Oud Discovery</bdi></h3>",
        '<span class="cp-invoice__number"><bdi>OUD-2026-007</bdi></span>',
        '<strong>الفاتورة <span class="cp-invoice__number"><bdi>OUD-2026-011</bdi></span></strong>',
        "<strong><bdi>Mei Chen</bdi></strong>",
        "التالي: <bdi>صور المجموعة الشتوية</bdi>، ",
    ):
        assert isolated in html, isolated
    # attributes and mailto subjects carry the plain text, never markup
    assert 'data-title="دار العود للعطور"' in html
    assert "%3Cbdi" not in html and "&lt;bdi" not in html
    gate = page(arabic(), payload='{"v":1}')
    assert "<bdi>Mei Chen</bdi>" in gate
    assert '<p class="cp-gate__contact"><bdi>Mei Chen</bdi> · <a href="mailto:mei@example.com">' in gate


def test_arabic_dates_numbers_and_money_are_babels_in_cldrs_digits():
    text = text_of(page(arabic()))
    assert "آخر تحديث في 23 نوفمبر 2026" in text
    assert "كان الموعد الجمعة، 20 نوفمبر · تأخير 3 أيام" in text
    assert " ".join(format_currency(Decimal("4500.00"), "AED", locale="ar").split()) in text
    assert "متبقٍّ 7.5 من 20 ساعة هذا الشهر" in text
    # CLDR gives `ar` Latin digits; the page uses the digits of CLDR's default for the language, nowhere others
    assert format_decimal(2026, format="0", locale="ar", numbering_system="default") == "2026"
    assert not re.search("[\u0660-\u0669\u06f0-\u06f9]", text)


def test_arabic_letter_runs_right_to_left_with_names_isolated():
    mail = letter(arabic())
    assert mail.language == "ar"
    assert mail.html.startswith('<!doctype html>\n<html lang="ar" dir="rtl">')
    assert '<div dir="rtl" style="max-width:600px' in mail.html
    assert '<ul style="margin:0 0 12px;padding:0 20px 0 0">' in mail.html  # the indent on the right
    assert "<bdi>شعار جديد لعبوة Amber Nights</bdi> · سُلِّم بتاريخ 14 أكتوبر 2026" in mail.html
    assert "<title>مستجدات المشروع: دار العود للعطور</title>" in mail.html
    assert FSI not in mail.html and PDI not in mail.html
    assert mail.subject == f"مستجدات المشروع: {FSI}دار العود للعطور{PDI}"
    assert mail.text.startswith(f"مرحبًا {FSI}ليلى{PDI}،\n")
    assert f"- {FSI}شعار جديد لعبوة Amber Nights{PDI} · سُلِّم بتاريخ 14 أكتوبر 2026 · 2 يوم قبل الموعد" in mail.text
    # a line that is only a name (the signature) starts on the right too: a right-to-left mark leads it
    assert f"\n\u200f{FSI}Mei Chen{PDI}\n" in mail.text
    assert "الفاتورة" in mail.text and f"الفاتورة {FSI}OUD-2026-011{PDI}" in mail.text
    assert mail.text.count(FSI) == mail.text.count(PDI) >= 5


def test_an_english_letter_isolates_only_right_to_left_names():
    client = arabic()
    mail = letter(english(client))
    assert '<html lang="en">' in mail.html and '<div dir="ltr"' in mail.html
    assert "padding:0 0 0 20px" in mail.html
    assert f"{FSI}شعار جديد لعبوة Amber Nights{PDI} · Delivered Oct 14, 2026" in mail.text
    assert "Best wishes,\nMei Chen\n" in mail.text  # a Latin name in an English letter: no invisible marks
    assert mail.subject == f"Project update: {FSI}دار العود للعطور{PDI}"
    assert "<bdi>شعار جديد لعبوة Amber Nights</bdi> · Delivered Oct 14, 2026" in mail.html
    assert "<bdi>Mei Chen</bdi>" not in mail.html and "Mei Chen" in mail.html


def test_an_english_page_isolates_only_right_to_left_names():
    html = page(english(arabic()))
    assert '<h1 class="cp-title"><bdi>دار العود للعطور</bdi></h1>' in html
    assert '<span class="cp-invoice__number">OUD-2026-007</span>' in html  # nothing to isolate: no extra bytes
    assert "<strong>Mei Chen</strong>" in html


def test_icons_that_point_along_the_line_mirror_in_right_to_left():
    html = page(arabic())
    assert '<span class="cp-icon cp-icon--mirrored" aria-hidden="true">' in html  # open-in-new
    arrow = (ICONS_DIR / "open-in-new.svg").read_text(encoding="utf-8").strip()
    mirrored = re.findall(r'<span class="cp-icon cp-icon--mirrored" aria-hidden="true">(.*?)</span>', html, re.S)
    assert mirrored == [arrow] * 3  # two "Open the files", one "View invoice"; clocks and ticks stay as they are


def test_the_stylesheets_name_no_physical_side():
    for name in ("portal.css", "base.css"):
        css = re.sub(r"/\*.*?\*/", "", (ASSETS_DIR / name).read_text(encoding="utf-8"), flags=re.S)
        assert PHYSICAL.findall(css) == [], name
        assert '[dir="ltr"]' not in css, name


def test_an_attached_files_name_is_isolated_on_an_arabic_page():
    from client_portal.publishing.attachments import SealedFile, find_attachments

    client = load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY)
    client = dataclasses.replace(client, record=client.record.model_copy(update={"language": "ar"}))
    found = find_attachments(client, ROOT / "clients")
    files = [SealedFile(a, f"name{n}.bin", f"key{n}", 16400, a.source) for n, a in enumerate(found)]
    html = str(
        Renderer([MATERIAL_TEMPLATES]).body(page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY, files=files))
    )
    assert '<span class="cp-file__name"><bdi>acme-bakery-brand-guide.pdf</bdi></span>' in html
    assert "تنزيل" in html and "تم تنزيل {name}." in html  # the script fills in the name, isolated in Arabic
