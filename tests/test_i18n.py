"""Languages: complete catalogs, the catalog and formats each record gets, and pages without English labels."""

from __future__ import annotations

import dataclasses
import gettext
import io
import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from click.testing import CliRunner

from client_portal import i18n
from client_portal.commands.cli import main
from client_portal.i18n import (
    LOCALES_DIR,
    catalog_warning,
    compiled_name,
    html_lang,
    page_locale,
    shipped_languages,
    translations,
)
from client_portal.mail.digest import record_changes
from client_portal.mail.mail import client_letters
from client_portal.page.markdown_text import render_markdown
from client_portal.page.render import Assets, Renderer
from client_portal.page.view import Formatter, page_context
from client_portal.publishing.addresses import client_links
from client_portal.records.loader import load_client
from client_portal.records.model import Client
from client_portal.settings import Freelancer, phrase_choice, phrase_in

from .build import SECRET
from .conftest import ROOT, TODAY
from .pages import MATERIAL_TEMPLATES, SEEN_KEY, SETTINGS, render_sample, text_of

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
CATALOGS = sorted(po.parent.parent.name for po in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))
# Written the same in every language: names of products and of the URL scheme.
NAMES = ("JavaScript", "Safari", "Chrome", "Firefox", "Edge", "https")
# Words that are the right translation and also the English word (checked one by one).
SAME_AS_ENGLISH = {"de": {"Budget", "Status"}, "fr": {"Budget"}}
# Tokens a translation must carry over as they are: the reader is told to look for them.
TOKENS = ("#", "https://")

# One sample record per language, its whole text written in that language.
RECORDS = {
    "ar": "dar-al-oud",
    "de": "weingut-sommer",
    "fr": "atelier-lumiere",
    "es": "cafe-la-esquina",
    "ja": "komorebi-kissa",
    "pt-BR": "pousada-mar-azul",
}
UPDATED = {
    "ar": "آخر تحديث في 23 نوفمبر 2026",
    "de": "Aktualisiert am 23. November 2026",
    "fr": "Mis à jour le 23 novembre 2026",
    "es": "Actualizado el 23 de noviembre de 2026",
    "ja": "2026年11月23日更新",
    "pt-BR": "Atualizado em 23 de novembro de 2026",
}
# The overdue deliverable, due Fri 20 Nov: its date with weekday, and "3 days ago".
WAS_DUE = {
    "de": "War fällig am Fr., 20. Nov. · 3 Tage zu spät",
    "fr": "Prévu pour le ven. 20 nov. · 3 jours de retard",
    "es": "Previsto para el vie, 20 nov · 3 días de retraso",
    "ja": "当初の期日：11月20日(金) · 3日遅れ",
    "pt-BR": "Previsto para sex., 20 de nov. · 3 dias de atraso",
    "ar": "كان الموعد الجمعة، 20 نوفمبر · تأخير 3 أيام",
}
PROGRESS = {"ar": "70%", "de": "70 %", "fr": "70 %", "es": "70 %", "ja": "70%", "pt-BR": "70%"}
RESPONSE_TIME = {
    "en": "within one business day",
    "ar": "خلال يوم عمل واحد",
    "zh-CN": "一个工作日内",
    "de": "innerhalb eines Werktags",
    "fr": "sous un jour ouvré",
    "es": "en un plazo de un día laborable",
    "ja": "1営業日以内",
    "pt_BR": "em até um dia útil",  # an underscore works as well as a hyphen
}
REPLY_PROMISE = {
    "ar": "أرد خلال يوم عمل واحد.",
    "de": "Ich antworte innerhalb eines Werktags.",
    "fr": "Je réponds sous un jour ouvré.",
    "es": "Respondo en un plazo de un día laborable.",
    "ja": "1営業日以内にご返信します。",
    "pt-BR": "Respondo em até um dia útil.",
}
AVAILABILITY = {
    "en": "Mon–Fri, 09:00–17:00",
    "ar": "من الأحد إلى الخميس، 09:00–17:00",
    "zh-CN": "周一至周五 09:00–17:00",
    "de": "Mo–Fr, 09:00–17:00",
    "fr": "du lundi au vendredi, 09:00–17:00",
    "es": "de lunes a viernes, 09:00–17:00",
    "ja": "月〜金 09:00–17:00",
    "pt-br": "seg. a sex., 09:00–17:00",  # keys are case-insensitive
}
LANGUAGE_SETTINGS = dataclasses.replace(
    SETTINGS,
    freelancer=dataclasses.replace(SETTINGS.freelancer, availability=AVAILABILITY, response_time=RESPONSE_TIME),
)
ENGLISH_DATES = re.compile(
    r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), |\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d|\bdays?\b|\bago\b"
)


def extracted_ids() -> set[str]:
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "plugins" / "client_portal",
        method_map=method_map,
        options_map=options,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def read_catalog(name: str) -> Catalog:
    with (LOCALES_DIR / name / "LC_MESSAGES" / "messages.po").open("rb") as stream:
        return read_po(stream, locale=name)


def read_template() -> Catalog:
    with (LOCALES_DIR / "messages.pot").open("rb") as stream:
        return read_po(stream)


@pytest.fixture(scope="module")
def template_ids() -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in read_template() if m.id}


ENGLISH_MESSAGES = {text for m in read_template() if m.id for text in ([m.id] if isinstance(m.id, str) else m.id)}


def english_labels(english_text: str) -> set[str]:
    """The words of every message shown on an English page: each literal run between placeholders."""
    found = set()
    for message in ENGLISH_MESSAGES:
        for piece in PLACEHOLDER.split(message):
            piece = piece.strip(" ,.:·")
            if len(piece) > 3 and re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", english_text):
                found.add(piece)
    return found


def leaked(text: str, labels: set[str]) -> list[str]:
    return sorted(label for label in labels if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text))


def test_message_template_is_up_to_date(template_ids):
    assert extracted_ids() == template_ids, "run the pybabel extract command in CONTRIBUTING.md"


def test_every_language_of_the_spec_ships():
    assert shipped_languages() == ["ar", "de", "en", "es", "fr", "ja", "pt-BR", "zh-CN"]


# Counts that fall in different CLDR plural categories somewhere: zero, one, few and
# many (a million, for French, Spanish and Portuguese since CLDR 46), and other.
PLURAL_COUNTS = (0, 1, 2, 5, 21, 1_000_000)
# What a reader sees for "%(num)d day late" at each of PLURAL_COUNTS, written by hand.
DAYS_LATE = {
    # Arabic counts zero, one, two, a few (3-10), many (11-99) and the rest.
    "ar": ("تأخير 0 يوم", "تأخير 1 يوم", "تأخير 2 يوم", "تأخير 5 أيام", "تأخير 21 يومًا", "تأخير 1000000 يوم"),
    "en": ("0 days late", "1 day late", "2 days late", "5 days late", "21 days late", "1000000 days late"),
    "de": (
        "0 Tage zu spät",
        "1 Tag zu spät",
        "2 Tage zu spät",
        "5 Tage zu spät",
        "21 Tage zu spät",
        "1000000 Tage zu spät",
    ),
    "es": (
        "0 días de retraso",
        "1 día de retraso",
        "2 días de retraso",
        "5 días de retraso",
        "21 días de retraso",
        "1000000 días de retraso",
    ),
    "fr": (
        "0 jour de retard",
        "1 jour de retard",
        "2 jours de retard",
        "5 jours de retard",
        "21 jours de retard",
        "1000000 jours de retard",
    ),
    "ja": ("0日遅れ", "1日遅れ", "2日遅れ", "5日遅れ", "21日遅れ", "1000000日遅れ"),
    "pt_BR": (
        "0 dia de atraso",
        "1 dia de atraso",
        "2 dias de atraso",
        "5 dias de atraso",
        "21 dias de atraso",
        "1000000 dias de atraso",
    ),
    "zh_Hans_CN": ("延迟 0 天", "延迟 1 天", "延迟 2 天", "延迟 5 天", "延迟 21 天", "延迟 1000000 天"),
}


@pytest.mark.parametrize("name", CATALOGS)
def test_catalog_plural_rule_follows_cldr(name):
    """The catalog's Plural-Forms is the installed Babel's rule, or refines an older Babel's.

    The locked Babel gives the rule the catalogs are written for. An older Babel (what a
    user's resolver may pick) knows fewer categories; the catalog still reads right there
    because gettext takes the rule from the catalog, and each of its forms falls in one
    category of the older rule.
    """
    catalog = read_catalog(name)
    cldr = get_plural(name)
    if catalog.num_plurals == cldr.num_plurals:
        assert catalog.plural_expr == cldr.plural_expr, "Plural-Forms does not match the language"
        return
    assert catalog.num_plurals > cldr.num_plurals, "the catalog is older than Babel's plural rule: update it"
    rule = gettext.c2py(catalog.plural_expr)
    categories: dict[int, set[str]] = {}
    for n in [*range(2000), 1_000_000, 1_000_001, 2_000_000]:
        categories.setdefault(rule(n), set()).add(catalog.locale.plural_form(n))
    assert all(len(found) == 1 for found in categories.values()), categories


@pytest.mark.parametrize("name", ["en", *CATALOGS])
def test_plural_messages_read_right_at_every_count(name):
    """Every plural message picks the singular exactly where CLDR says "one", and the words are right."""
    forms = translations(name)
    assert (
        tuple(forms.ngettext("%(num)d day late", "%(num)d days late", n) % {"num": n} for n in PLURAL_COUNTS)
        == (DAYS_LATE[name])
    )
    if name == "en":
        return
    catalog = read_catalog(name)
    plural_messages = [m for m in catalog if m.id and not isinstance(m.id, str)]
    assert len(plural_messages) >= 15
    rule = gettext.c2py(catalog.plural_expr)
    singular_form = rule(1)  # the first form, except in Arabic, whose first is for zero
    for message in plural_messages:
        singular, plural = message.id
        strings = list(message.string)
        for n in PLURAL_COUNTS:
            shown = forms.ngettext(singular, plural, n)
            assert shown == strings[rule(n)], (name, singular, n)
            if strings[singular_form] != strings[-1]:
                one = catalog.locale.plural_form(n) == "one"
                assert (shown == strings[singular_form]) == one, (name, singular, n, shown)


@pytest.mark.parametrize("name", CATALOGS)
def test_catalog_is_complete_and_keeps_placeholders(name, template_ids):
    catalog = read_catalog(name)
    cjk = catalog.locale.language in ("zh", "ja")
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert len(strings) == (1 if isinstance(message.id, str) else catalog.num_plurals), key
        assert all(s.strip() for s in strings), f"{key!r} is not translated"
        assert not message.fuzzy, f"{key!r} is fuzzy"
        sources = [message.id] if isinstance(message.id, str) else list(message.id)
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == sorted(PLACEHOLDER.findall(sources[-1])), key
            assert all(token in string for token in TOKENS if token in key), key
            words = PLACEHOLDER.sub("", string)
            for product in NAMES:
                words = words.replace(product, "")
            if cjk:
                assert not re.search(r"[A-Za-z]{3,}", words), f"{key!r} has Latin words: {string!r}"
            elif string not in SAME_AS_ENGLISH.get(name, ()):
                assert string not in sources, f"{key!r} is left in English"
        translated[key] = strings
    assert set(translated) == template_ids


@pytest.mark.parametrize(
    ("tag", "locale", "catalog"),
    [("zh-CN", "zh_Hans_CN", "zh_Hans_CN"), ("zh", "zh_Hans_CN", "zh_Hans_CN"), ("zh-Hans", "zh_Hans", "zh_Hans_CN"),
     ("zh-TW", "en", "en"), ("en-GB", "en_GB", "en"), ("ko", "en", "en"),
     ("de", "de", "de"), ("de-AT", "de_AT", "de"), ("de-CH", "de_CH", "de"),
     ("fr", "fr", "fr"), ("fr-CA", "fr_CA", "fr"), ("es", "es", "es"), ("es-MX", "es_MX", "es"),
     ("ja", "ja", "ja"), ("ja-JP", "ja_JP", "ja"),
     ("pt-BR", "pt_BR", "pt_BR"), ("pt", "pt", "pt_BR"), ("pt-PT", "pt_PT", "pt_BR"),
     ("ar", "ar", "ar"), ("ar-EG", "ar_EG", "ar"), ("ar-SA", "ar_SA", "ar")],
)  # fmt: skip
def test_catalog_by_language_and_formats_by_the_whole_tag(tag, locale, catalog):
    chosen = page_locale(tag)
    assert str(chosen) == locale
    expected = "Deliverables" if catalog == "en" else read_catalog(catalog)["Deliverables"].string
    assert translations(str(chosen)).gettext("Deliverables") == expected


@pytest.fixture
def locales(tmp_path, monkeypatch):
    """A copy of the German catalog as the only one shipped, for a test that compiles its own."""
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_bytes((LOCALES_DIR / "de" / "LC_MESSAGES" / "messages.po").read_bytes())
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    caches = (i18n.shipped, i18n.translations, i18n.page_locale)  # what they keep depends on the catalogs
    for cached in caches:
        cached.cache_clear()
    yield folder
    for cached in caches:
        cached.cache_clear()


def test_a_catalog_compiled_from_its_po_is_read_and_one_from_another_po_never(locales):
    po = (locales / "messages.po").read_bytes()
    catalog = read_po(io.BytesIO(po), locale="de")
    catalog["Deliverables"].string = "Ergebnisse (aus dem kompilierten Katalog)"  # tells which one was read
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    (locales / compiled_name(po)).write_bytes(compiled.getvalue())
    assert translations("de").gettext("Deliverables") == "Ergebnisse (aus dem kompilierten Katalog)"
    # the .po changed since: that compiled catalog is not its own any more, so the .po is compiled here
    (locales / "messages.po").write_bytes(po + b"\n# a translator's note\n")
    translations.cache_clear()
    assert translations("de").gettext("Deliverables") == "Arbeitsergebnisse"


def test_portuguese_in_portugal_reads_the_brazilian_catalog_with_its_own_dates():
    def formatter(tag: str) -> Formatter:
        locale = page_locale(tag)
        return Formatter(locale, ZoneInfo("Europe/Lisbon"), TODAY, translations(str(locale)))

    portugal, brazil = formatter("pt-PT"), formatter("pt-BR")
    assert portugal.gettext.gettext("Deliverables") == brazil.gettext.gettext("Deliverables") == "Entregas"
    assert portugal.day(date(2026, 11, 30)) == "segunda, 30/11"
    assert brazil.day(date(2026, 11, 30)) == "seg., 30 de nov."
    assert html_lang(page_locale("pt-PT")) == "pt-PT"


def test_pages_of_one_language_zone_and_day_share_a_formatter_that_keeps_each_method_apart():
    def context(client_id: str, language: str) -> dict:
        client = load_client(ROOT / "clients" / f"{client_id}.yml", today=TODAY)
        record = client.record.model_copy(update={"language": language, "timezone": "Europe/Berlin"})
        return page_context(dataclasses.replace(client, record=record), SETTINGS, TODAY, whatsnew_key=SEEN_KEY)

    acme, fjord, german = context("acme-bakery", "en"), context("fjord-cycles", "en"), context("fjord-cycles", "de")
    assert acme["fmt"] is fjord["fmt"] and german["fmt"] is not fjord["fmt"]
    fmt, day = german["fmt"], date(2027, 3, 1)
    # one date, asked of three methods in turn: each answer is its own method's, however often asked
    for _ in range(2):
        assert (fmt.day(day), fmt.short(day), fmt.full_date(day)) == ("Mo., 1. März 2027", "1. März", "1. März 2027")
        assert (fmt.number(1), fmt.percent(1)) == ("1", "1\xa0%")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "de"), ("de-AT", "de"), ("fr", "fr"), ("fr-CA", "fr"), ("es", "es"), ("es-MX", "es"),
     ("ja", "ja"), ("ja-JP", "ja"), ("pt-BR", "pt_BR"), ("pt", "pt_BR"), ("pt-PT", "pt_BR"),
     ("zh-CN", "zh-CN"), ("en", "en"), ("en-GB", "en"), ("ko", "en"), ("ar-AE", "ar")],
)  # fmt: skip
def test_freelancer_phrases_follow_the_page_language(language, expected):
    assert phrase_in(RESPONSE_TIME, language) == RESPONSE_TIME[expected]


def test_a_phrase_without_english_falls_back_to_the_first():
    assert phrase_in({"de": "Mo–Fr", "fr": "lun.–ven."}, "ja") == "Mo–Fr"
    assert phrase_in("Mon–Fri", "ja") == "Mon–Fri"


@pytest.mark.parametrize(
    ("phrase", "language", "expected"),
    [
        ({"en": "Mon–Fri", "de": "Mo–Fr"}, "de", ("Mo–Fr", "de")),
        ({"en": "Mon–Fri", "pt_BR": "seg.–sex."}, "pt-PT", ("seg.–sex.", "pt-BR")),
        ({"en": "Mon–Fri", "de": "Mo–Fr"}, "ja", ("Mon–Fri", "en")),
        ({"de": "Mo–Fr", "fr": "lun.–ven."}, "ja", ("Mo–Fr", "de")),
        ("Mon–Fri", "ja", ("Mon–Fri", "")),  # written once: for any page
    ],
)
def test_a_phrase_says_which_language_it_is_in(phrase, language, expected):
    assert phrase_choice(phrase, language) == expected


def test_a_phrase_in_another_language_than_the_page_is_marked_so():
    settings = dataclasses.replace(
        LANGUAGE_SETTINGS,
        freelancer=Freelancer(
            name="Mei Chen",
            availability={"en": "Mon–Fri, 09:00–17:00", "de": "Mo–Fr, 09:00–17:00"},
            response_time={"en": "within one business day", "pt-BR": "em até um dia útil"},
        ),
    )
    client = sample("de")
    body = str(Renderer([MATERIAL_TEMPLATES]).body(page_context(client, settings, TODAY, whatsnew_key=SEEN_KEY)))
    contact = body[body.index('id="contact"') :]
    assert 'Ich antworte <span lang="en">within one business day</span>.' in contact
    assert "Mo–Fr, 09:00–17:00" in contact and 'lang="de"' not in contact  # the page's own: inherited


@pytest.fixture(scope="module", params=sorted(RECORDS))
def language(request) -> str:
    return request.param


def sample(language: str) -> Client:
    return load_client(ROOT / "tests" / "records" / f"{RECORDS[language]}.yml", today=TODAY)


def in_english(client: Client) -> Client:
    return dataclasses.replace(client, record=client.record.model_copy(update={"language": "en"}))


def rendered(client: Client) -> str:
    renderer = Renderer([MATERIAL_TEMPLATES])
    context = page_context(client, LANGUAGE_SETTINGS, TODAY, whatsnew_key=SEEN_KEY)
    assets = Assets("p{color:red}", "portal.js")
    return renderer.page(context, assets=assets, body=renderer.body(context))


def test_each_language_has_a_sample_record(language):
    assert sample(language).record.language == language


def test_page_has_no_english_label_and_local_dates(language):
    client = sample(language)
    english = text_of(rendered(in_english(client)))
    labels = english_labels(english)
    assert {"Needs your attention", "need you", "Deliverables", "Was due", "Track record", "Your contact"} <= labels
    assert {"Budget", "Invoices", "View invoice"} <= labels
    html = rendered(client)
    text = text_of(html)
    assert f'<html lang="{language}"' in html
    assert leaked(text, labels - SAME_AS_ENGLISH.get(language, set())) == []
    assert ENGLISH_DATES.findall(text) == []
    assert UPDATED[language] in text
    assert WAS_DUE[language] in text
    assert PROGRESS[language] in text
    assert REPLY_PROMISE[language] in text


def test_the_scripts_words_come_in_the_page_language(language):
    html = rendered(sample(language))
    catalog = translations(str(page_locale(language)))
    assert f'data-label-new="{catalog.gettext("New")}"' in html
    since = catalog.ngettext(
        "%(num)s change since your visit on %(date)s", "%(num)s changes since your visit on %(date)s", 2
    )
    assert since % {"num": "{num}", "date": "{date}"} in html.replace("&#39;", "'")
    assert "since your visit" not in html
    # the notice of an old page, and the days late the script counts again
    stale = catalog.ngettext(
        "Updated %(num)s day ago — this page may be out of date.",
        "Updated %(num)s days ago — this page may be out of date.",
        2,
    )
    assert f'data-stale-other="{stale % {"num": "{num}"}}"' in html.replace("&#39;", "'")
    late = catalog.ngettext("%(num)d day late", "%(num)d days late", 2).replace("%(num)d", "{num}")
    assert f'data-late-other="{late}"' in html.replace("&#39;", "'")
    assert "out of date" not in html and "days late" not in html and "where things stand" not in html


def test_gate_and_neutral_pages_speak_the_language(language):
    client = sample(language)
    renderer = Renderer([MATERIAL_TEMPLATES])
    context = page_context(client, LANGUAGE_SETTINGS, TODAY, whatsnew_key=SEEN_KEY)
    assets = Assets("p{color:red}", "portal.js")
    gate = renderer.page(context, assets=assets, payload='{"v":1}')
    english_gate = renderer.page(
        page_context(in_english(client), LANGUAGE_SETTINGS, TODAY, whatsnew_key=SEEN_KEY), assets=assets, payload="{}"
    )
    locale = context["locale"]
    notices = [
        renderer.notice(kind, str(locale), context["lang"], LANGUAGE_SETTINGS.freelancer, assets)
        for kind in ("replaced", "index")
    ]
    english_notices = [
        renderer.notice(kind, "en", "en", LANGUAGE_SETTINGS.freelancer, assets) for kind in ("replaced", "index")
    ]
    for page, english in ((gate, english_gate), *zip(notices, english_notices, strict=True)):
        labels = english_labels(text_of(english) + " " + _title(english))
        assert labels, "the English page has labels to compare with"
        assert leaked(text_of(page) + " " + _title(page), labels) == []
        assert f'<html lang="{language}"' in page


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_fallback_name_in_gate_messages_is_translated(language):
    client = sample(language)
    settings = dataclasses.replace(LANGUAGE_SETTINGS, freelancer=Freelancer())
    gate = Renderer([MATERIAL_TEMPLATES]).page(
        page_context(client, settings, TODAY, whatsnew_key=SEEN_KEY),
        assets=Assets("p{color:red}", "a.js"),
        payload="{}",
    )
    assert "the person who sent you the link" not in gate
    who = translations(str(page_locale(language))).gettext("the person who sent you the link")
    assert who in gate.replace("&#39;", "'")


def test_update_email_speaks_the_language(language):
    client = sample(language)
    before = client.record.model_copy(
        update={"updates": client.record.updates[:-1], "deliverables": client.record.deliverables[1:]}
    )

    def letter(of: Client):
        changes = record_changes(before, of.record, TODAY, zone=ZoneInfo(of.record.timezone or "UTC"))
        links = client_links(LANGUAGE_SETTINGS, SECRET.encode(), of)
        return client_letters(
            of, changes, links, "https://portal.example/", LANGUAGE_SETTINGS, TODAY, date(2026, 11, 16)
        )[0]

    english, translated = letter(in_english(client)), letter(client)
    labels = english_labels(english.subject + "\n" + english.text)
    assert {"Project update", "Delivered", "Needs your attention", "Best wishes"} <= labels
    assert leaked(translated.subject + "\n" + translated.text, labels) == []
    assert ENGLISH_DATES.findall(translated.text) == []
    assert translated.language == language
    assert client.record.name in translated.subject
    assert f'<html lang="{language}"' in translated.html


def test_chinese_page_has_chinese_labels_and_dates(template_ids):
    html = render_sample("lotus-tea")
    text = text_of(html)
    for label in ("需要您处理", "交付内容", "给您的建议", "联系方式", "交付记录"):
        assert label in text, label
    assert re.search(r"更新于 ?2026年11月23日", text)
    english = [m for m in template_ids if len(m) > 3 and not PLACEHOLDER.search(m) and m in text]
    assert english == []
    leftovers = re.findall(r"\b(?:Due|Delivered|days?|ago|Reply|Updated|Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", text)
    assert leftovers == []


@pytest.mark.parametrize("tag", ["de", "pt-PT", "zh-CN", "en-GB", "ja-JP", "es-MX"])
def test_no_warning_for_a_language_with_a_catalog(tag):
    assert catalog_warning(tag) is None


def test_check_warns_when_a_language_has_no_catalog(empty_portal):
    record = "name: A\ncontacts: [{name: B}]\nlanguage: zh-TW\n"
    (empty_portal / "clients" / "a.yml").write_text(record, encoding="utf-8")
    (empty_portal / "clients" / "b.yml").write_text(record.replace("zh-TW", "ja"), encoding="utf-8")
    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "clients/a.yml:3:11: warning: language: 'zh-TW' has no catalog, so the page and e-mails fall back "
        "to English; shipped: ar, de, en, es, fr, ja, pt-BR, zh-CN",
        "2 records checked: 0 errors, 1 warning",
    ]


@pytest.mark.parametrize(
    ("markdown", "html"),
    [("遅れました。\n新しい納期は*25日*です。", "<p>遅れました。新しい納期は<em>25日</em>です。</p>"),
     ("**已经晚了四天。**\n原因是价格", "<p><strong>已经晚了四天。</strong>原因是价格</p>"),
     ("Two lines\nin English", "<p>Two lines\nin English</p>"),
     ("中文\n\n第二段", "<p>中文</p>\n<p>第二段</p>")],
)  # fmt: skip
def test_chinese_and_japanese_lines_join_without_a_space(markdown, html):
    assert render_markdown(markdown) == html
