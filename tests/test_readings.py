"""A record's YAML is parsed once: later builds read a valid record from what it was read as, while its text
is the same."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import yaml

from client_portal.publishing.pages import PageInputs
from client_portal.publishing.pipeline import Pipeline
from client_portal.records import loader, readings
from client_portal.records.loader import load_client, parse_record, record_files
from client_portal.records.problems import RecordError
from client_portal.records.readings import Readings
from client_portal.settings import READINGS_CACHE

from .build import SECRET
from .conftest import ROOT, TODAY
from .pages import MATERIAL_TEMPLATES, SETTINGS
from .test_build_speed import ASSETS, run

SHOWN = Path("clients/acme-bakery.yml")
TEXT = (ROOT / "clients" / "acme-bakery.yml").read_text(encoding="utf-8")


@pytest.fixture
def composed(monkeypatch) -> list[str]:
    """The texts whose YAML is parsed from now on."""
    parsed: list[str] = []
    compose = yaml.compose
    monkeypatch.setattr(loader.yaml, "compose", lambda text, **kw: parsed.append(text) or compose(text, **kw))
    return parsed


def read(text: str, kept: Readings) -> object:
    return parse_record(text, SHOWN, today=TODAY, located=False, readings=kept)[0]


def test_a_record_read_again_from_the_same_text_is_not_parsed_again_and_is_the_same(tmp_path, composed):
    kept = Readings(tmp_path)
    first = read(TEXT, kept)
    assert composed == [TEXT] and [p.name for p in tmp_path.iterdir()] == ["acme-bakery.json"]
    again = read(TEXT, kept)
    assert composed == [TEXT]  # the second reading parsed nothing
    assert again == first == parse_record(TEXT, SHOWN, today=TODAY)[0]


def test_an_edited_record_is_parsed_again_and_its_reading_replaced(tmp_path, composed):
    kept = Readings(tmp_path)
    read(TEXT, kept)
    edited = TEXT.replace("Acme Bakery", "Acme Bakehouse", 1)
    assert read(edited, kept).name == "Acme Bakehouse"
    assert read(edited, kept).name == "Acme Bakehouse"
    assert composed == [TEXT, edited]
    assert kept.values("acme-bakery", TEXT) is None  # one reading a record: the last text's


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: "",  # empty
        lambda text: text.replace("{", "[", 1),  # no JSON any more
        lambda text: "0" * 64 + text[64:],  # another text's
    ],
    ids=["empty", "not json", "another key"],
)
def test_a_missing_or_damaged_reading_has_the_record_parsed_again(tmp_path, composed, damage):
    kept = Readings(tmp_path)
    first = read(TEXT, kept)
    stored = tmp_path / "acme-bakery.json"
    stored.write_text(damage(stored.read_text(encoding="utf-8")), encoding="utf-8")
    assert read(TEXT, kept) == first and len(composed) == 2
    stored.unlink()
    assert read(TEXT, kept) == first and len(composed) == 3


def test_readings_by_another_reader_are_not_used(tmp_path, composed, monkeypatch):
    kept = Readings(tmp_path)
    read(TEXT, kept)
    monkeypatch.setattr(readings, "_reader", lambda: b"the reading code changed")
    read(TEXT, kept)
    assert len(composed) == 2
    monkeypatch.setattr(readings, "_reader", lambda: None)  # the reading code cannot be read
    (tmp_path / "acme-bakery.json").unlink()
    assert read(TEXT, kept) == read(TEXT, kept) and len(composed) == 4 and not list(tmp_path.iterdir())


def test_a_reading_keeps_the_record_s_own_values_and_nothing_else(tmp_path):
    kept = Readings(tmp_path)
    read(TEXT, kept)
    key, _, values = (tmp_path / "acme-bakery.json").read_text(encoding="utf-8").partition("\n")
    # dates stay the text they were written as: the model reads them strictly
    written = json.loads(json.dumps(yaml.safe_load(TEXT), default=lambda value: value.isoformat()))
    assert len(key) == 64 and json.loads(values) == written


def test_an_invalid_record_keeps_no_reading_and_is_reported_where_it_is_wrong(tmp_path):
    kept = Readings(tmp_path)
    with pytest.raises(RecordError) as caught:
        read(TEXT.replace("name: Acme Bakery", "name: [Acme]", 1), kept)
    assert caught.value.problems[0].line > 0 and not list(tmp_path.iterdir())


def test_a_kept_reading_no_longer_valid_on_a_later_day_is_reported_as_check_reports_it(tmp_path):
    kept = Readings(tmp_path)
    text = TEXT.replace("name: Acme Bakery", "name: Acme Bakery", 1)
    load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY, located=False, readings=kept)
    assert kept.values("acme-bakery", text) is not None
    (tmp_path / "acme-bakery.json").write_text(
        (tmp_path / "acme-bakery.json").read_text(encoding="utf-8").replace('"Acme Bakery"', "[1]", 1),
        encoding="utf-8",
    )  # values the model refuses, as a kept reading may be on another day
    assert read(text, kept).name == "Acme Bakery"  # read again, located: nothing wrong with the text


def test_a_build_keeps_a_reading_per_record_and_forgets_removed_records(tmp_path, composed):
    clients = tmp_path / "clients"
    shutil.copytree(ROOT / "clients", clients)
    settings = dataclasses.replace(SETTINGS, root=tmp_path, clients_dir=clients)
    inputs = PageInputs(settings, SECRET.encode(), TODAY, (MATERIAL_TEMPLATES,), ASSETS)
    kept = tmp_path / READINGS_CACHE

    def build(folder: str) -> list[str]:
        return [page.html for page in run(Pipeline(workers=1), clients, tmp_path / folder, inputs).pages()]

    first = build("one")
    assert sorted(p.stem for p in kept.iterdir()) == sorted(p.stem for p in record_files(clients))
    parsed = len(composed)
    assert len(build("two")) == len(first) and len(composed) == parsed  # no record parsed again
    (clients / "lotus-tea.yml").unlink()
    build("three")
    assert "lotus-tea" not in {p.stem for p in kept.iterdir()}
