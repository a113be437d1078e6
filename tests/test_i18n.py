"""Languages: complete catalogs, and Chinese pages without English labels."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from client_portal.i18n import LOCALES_DIR, page_locale

from .conftest import ROOT
from .pages import render_sample, text_of

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


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


@pytest.fixture(scope="module")
def template_ids() -> set[str]:
    with (LOCALES_DIR / "messages.pot").open("rb") as stream:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(stream) if m.id}


def test_message_template_is_up_to_date(template_ids):
    assert extracted_ids() == template_ids, "run the pybabel extract command in CONTRIBUTING.md"


def test_chinese_catalog_is_complete_and_keeps_placeholders(template_ids):
    with (LOCALES_DIR / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po").open("rb") as stream:
        catalog = read_po(stream)
    assert catalog.num_plurals == 1
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings) and not message.fuzzy, key
        source = message.id if isinstance(message.id, str) else message.id[1]
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == sorted(PLACEHOLDER.findall(source)), key
            assert not re.search(
                r"[A-Za-z]{3,}",
                PLACEHOLDER.sub("", string)
                .replace("JavaScript", "")
                .replace("Safari、Chrome、Firefox", "")
                .replace("Edge", "")
                .replace("https", ""),
            ), key
        translated[key] = strings
    assert set(translated) == template_ids


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("zh-CN", "zh_Hans_CN"), ("zh", "zh_Hans_CN"), ("zh-Hans", "zh_Hans"), ("zh-TW", "en"), ("fr", "en"),
     ("en-GB", "en_GB"), ("de-AT", "en")],
)  # fmt: skip
def test_page_locale_falls_back_to_english(tag, expected):
    assert str(page_locale(tag)) == expected


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
