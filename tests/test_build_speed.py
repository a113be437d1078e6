"""The fast paths give the same pages: plain text without Markdown, worker processes, reused pages."""

from __future__ import annotations

import dataclasses
import gc
import json
import pickle
import re
import shutil
import uuid
import weakref
from pathlib import Path

import pytest
from benchmarks.portals import synthetic_record
from hypothesis import example, given, settings
from hypothesis import strategies as st

from client_portal.page.markdown_text import (
    _CJK_LINE_BREAK,
    _cleaner,
    _markdown_tidied,
    _simple_html,
    render_markdown,
)
from client_portal.page.render import Assets
from client_portal.publishing import crypto
from client_portal.publishing import pipeline as pipeline_module
from client_portal.publishing.pages import PageInputs, PageOwner, PortalPage
from client_portal.publishing.pipeline import Outcome, Pipeline
from client_portal.records.loader import load_clients, record_files

from .build import SECRET, build_site
from .conftest import ROOT, TODAY
from .pages import MATERIAL_TEMPLATES, SETTINGS

PASSWORD = "correct horse battery staple"
ASSETS = Assets("p{color:red}", "../../portal.js")
INPUTS = PageInputs(SETTINGS, SECRET.encode(), TODAY, (MATERIAL_TEMPLATES,), ASSETS)
ENV = {"LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}

# Letters, CJK, spaces of every kind and every character Markdown gives a meaning to.
alphabet = st.sampled_from(list("ab cZ9.,;:!?'\"()/%@–—’中文\u00a0\u2028\t\r\n#>*+-=|_`\\[]<>&~{}0123456789"))
# Simple text's pieces, and near misses: what the direct way writes, or must leave to Markdown.
PIECES = [
    "we", "deliver", "the photos", "café", "茶单", "2026", "v2.1", "!", "(", ")", ":", "’", " ", "  ", "\n", "\n\n",
    "*", "**", "_", "-", "#", "> ", "1. ", "|", "&", "<b>", "\\", "`", "[", "]", "![", "]( ", "\u00a0",
    "**ready**", "*two hours*", "** spaced**", "*a*b*", "***both***", "**a****b**", "*a**b*",
    "[the guide](https://ok.example/guide.pdf)", "[t](http://ok.example/a_b?c=1#d)", "[t](https://ok/(x))",
    "[t](https://ok.example/&x)", "[ t ](https://ok)", "[t](mailto:a@b.example)", "[t](ftp://ok)",
]  # fmt: skip


def slow(text: str) -> str:
    """The HTML of the general way: Markdown, `_Tidy`, nh3 (after joining CJK lines, as every text is)."""
    return _cleaner().clean(_markdown_tidied(_CJK_LINE_BREAK.sub(r"\1", text), 3))


def fast(text: str) -> str | None:
    """The HTML of the direct way, or None where it leaves the text to Markdown (CJK lines joined first, too)."""
    return _simple_html(_CJK_LINE_BREAK.sub(r"\1", text))


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(st.text(alphabet, min_size=1, max_size=40), st.lists(st.sampled_from(PIECES), min_size=1).map("".join))
)
@example("Logo files (SVG, PNG, PDF) and a 12-page guide; approved by Anna.")
@example("The bakery books are **ready** for the *launch*; see [the notes](https://ok.example/n).")
@example("2026 was good")
@example("1. first")
@example("A line  with two spaces")
@example("line one\nline two")
@example("a line break  \nhere")
@example("Heading\n===")
def test_simple_text_written_directly_is_what_markdown_and_nh3_write(text):
    written = fast(text)
    if written is not None:
        assert written == slow(text)
        assert _cleaner().clean(written) == written  # nothing left for nh3 to change: it may skip the cleaner
        assert render_markdown(text) == written
        if written.count("<p>") == 1:  # inline, the paragraph's tags go first, as before nh3
            assert render_markdown(text, inline=True) == _cleaner().clean(written[3:-4])


def test_the_direct_way_takes_ordinary_text_and_leaves_the_rest():
    assert fast("Ready for **review** by *Friday*: [the proofs](https://ok.example/p.pdf)") == (
        '<p>Ready for <strong>review</strong> by <em>Friday</em>: <a href="https://ok.example/p.pdf"'
        ' rel="noopener noreferrer nofollow">the proofs</a></p>'
    )
    for text in ("- a list", "# heading", "a\n\nb", "`code`", "![img](https://ok/i.png)", "[t](mailto:a@b.example)"):
        assert fast(text) is None, text


def test_most_record_text_takes_the_direct_way():
    clients = load_clients(ROOT / "clients", today=TODAY)
    notes = [d.notes for c in clients for d in c.record.deliverables if d.notes]
    direct = [text for text in notes if fast(text) is not None]
    assert len(direct) * 2 > len(notes), direct  # most of the sample notes take the short way
    for text in notes:
        assert render_markdown(text) == slow(text)
    record = synthetic_record(7)
    texts = [d["notes"] for d in record["deliverables"]] + [s["body"] for s in record["suggestions"]]
    texts += [s["notes"] for s in record["schedule"] if "notes" in s] + [record["greeting"]]
    assert all(fast(text) is not None for text in texts)  # the benchmark's shape is ordinary text too


def readable(page: PortalPage) -> tuple[str, str]:
    """A page's shell without its ciphertext, and its decrypted (or readable) body."""
    html = page.html
    found = re.search(r'<script type="application/json" id="cp-payload">(.*?)</script>', html)
    if found is None:
        return html, ""
    payload = json.loads(found.group(1))
    mode = page.owner.mode
    if mode == "link":
        key = crypto.from_b64url(page.links[0].path.split("#", 1)[1])
        body = crypto.open_page(payload, page.token, crypto.Recipient.from_link(key))
    else:
        body = crypto.open_with_password(payload, page.token, PASSWORD)
    kept = {k: v for k, v in payload.items() if k not in ("keys", "page", "ended")}
    kept["ended"] = [entry["check"] for entry in payload["ended"]]  # each date is sealed anew, as the page is
    return html.replace(found.group(1), json.dumps(kept, sort_keys=True)), body


def run(pipeline: Pipeline, records: Path, folder: Path, inputs=INPUTS, custom_dir=None, env=ENV) -> Outcome:
    """One build of every record in ``records`` (into the preview's store when remembering)."""
    return pipeline.run(
        record_files(records), inputs, custom_dir, env, pipeline.store() if pipeline.remember else folder
    )


def test_pages_built_in_worker_processes_are_those_built_in_this_one(monkeypatch, tmp_path):
    clients = load_clients(ROOT / "clients", today=TODAY)
    serial = run(Pipeline(workers=1), ROOT / "clients", tmp_path / "here").pages()
    monkeypatch.setattr(pipeline_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline_module, "CHUNK", 2)  # several tasks, so both workers take some
    parallel_pipeline = Pipeline(workers=2)
    try:
        parallel = run(parallel_pipeline, ROOT / "clients", tmp_path / "there").pages()
    finally:
        parallel_pipeline.close()
    assert [p.owner.id for p in parallel] == [c.id for c in clients]
    for one, other in zip(serial, parallel, strict=True):
        assert (one.folder, one.links, one.notice) == (other.folder, other.links, other.notice)
        assert readable(one) == readable(other)


def test_no_garbage_collection_while_pages_are_built_and_their_garbage_collected_after(monkeypatch, tmp_path):
    collecting, left = [], []
    built = pipeline_module.client_page

    class Cycle:  # garbage only the collector finds, as a page's Jinja contexts are
        pass

    def counted(*args, **kwargs):
        collecting.append(gc.isenabled())
        cycle = Cycle()
        cycle.itself = cycle
        left.append(weakref.ref(cycle))
        return built(*args, **kwargs)

    monkeypatch.setattr(pipeline_module, "client_page", counted)
    pages = run(Pipeline(workers=1), ROOT / "clients", tmp_path / "first").pages()
    assert len(collecting) == len(pages) > 3
    assert not any(collecting) and gc.isenabled()  # no collection while a chunk is built, as before after it
    assert all(ref() is None for ref in left)  # its garbage collected after it
    gc.freeze()  # objects someone else froze stay so
    try:
        run(Pipeline(workers=1), ROOT / "clients", tmp_path / "second")
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    gc.disable()  # and a collector someone else stopped stays stopped
    try:
        run(Pipeline(workers=1), ROOT / "clients", tmp_path / "third")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_checked_chunk_is_read_with_the_collector_paused_once_for_the_chunk(monkeypatch, tmp_path):
    collecting: list[bool] = []
    read = pipeline_module.read_records

    def counted(*args, **kwargs):
        found = read(*args, **kwargs)
        collecting.append(gc.isenabled())  # after every record of the chunk was read
        return found

    monkeypatch.setattr(pipeline_module, "read_records", counted)
    chunk_run = pipeline_module.Run(INPUTS, "templates", ENV, tmp_path / "chunk")
    chunk = pipeline_module.check_chunk(chunk_run, record_files(ROOT / "clients"))
    assert not chunk.records and not chunk.pages
    assert collecting == [False] and gc.isenabled()


def test_records_read_by_worker_processes_are_those_read_here(monkeypatch, tmp_path):
    folder = tmp_path / "clients"
    shutil.copytree(ROOT / "clients", folder)
    for n in range(5):  # several chunks, some with a record that is wrong
        text = (folder / "acme-bakery.yml").read_text(encoding="utf-8")
        (folder / f"copy-{n}.yml").write_text(text.replace("stage: active", "stage: nope") if n % 2 else text)
    (folder / "old-style.yaml").write_text("name: X\n")
    # previewing, the clients read come back with the problems; a build keeps no record
    here = run(Pipeline(workers=1, remember=True), folder, tmp_path / "here")
    monkeypatch.setattr(pipeline_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline_module, "CHUNK", 2)
    workers = Pipeline(workers=2, remember=True)
    try:
        there = run(workers, folder, tmp_path / "there")
    finally:
        workers.close()
    assert [c.id for c in there.clients] == [c.id for c in here.clients] and len(there.clients) == 9
    assert [c.record for c in there.clients] == [c.record for c in here.clients]
    assert there.records == here.records and len(there.records) == 3  # two wrong stages and the .yaml, in file order
    assert there.pages() == here.pages() == []  # no page of a build that stops


@pytest.fixture
def records(tmp_path) -> Path:
    folder = tmp_path / "clients"
    shutil.copytree(ROOT / "clients", folder)
    return folder


def test_a_page_is_reused_until_anything_it_is_made_from_changes(records, tmp_path):
    pages = Pipeline(workers=1, remember=True)
    reused: list[int] = []

    def build(inputs=INPUTS, custom_dir=None, env=ENV):
        outcome = run(pages, records, tmp_path, inputs, custom_dir, env)
        reused.append(outcome.reused)
        return {p.owner.id: p for p in outcome.pages()}

    first = build()
    assert reused[-1] == 0
    again = build()
    assert reused[-1] == len(first) and all(again[i] is first[i] for i in first)

    record = records / "acme-bakery.yml"
    record.write_text(record.read_text(encoding="utf-8").replace("Acme Bakery", "Acme Bakery & Café"), "utf-8")
    edited = build()
    assert reused[-1] == len(first) - 1 and "Acme Bakery &amp; Café" in readable(edited["acme-bakery"])[1]

    build(env={"LOTUS_TEA_PORTAL_PASSWORD": PASSWORD + "!"})
    assert reused[-1] == len(first) - 1  # only the password page changed

    next_day = PageInputs(SETTINGS, SECRET.encode(), TODAY.replace(day=24), (MATERIAL_TEMPLATES,), ASSETS)
    build(next_day)
    assert reused[-1] == 0

    overrides = tmp_path / "overrides"
    build(PageInputs(SETTINGS, SECRET.encode(), TODAY, (overrides, MATERIAL_TEMPLATES), ASSETS), overrides)
    build(PageInputs(SETTINGS, SECRET.encode(), TODAY, (overrides, MATERIAL_TEMPLATES), ASSETS), overrides)
    assert reused[-1] == len(first)
    partial = overrides / "client-portal" / "partials" / "contact.html"
    partial.parent.mkdir(parents=True)
    partial.write_text('<section id="contact"><p>Call me</p></section>', encoding="utf-8")
    changed = build(PageInputs(SETTINGS, SECRET.encode(), TODAY, (overrides, MATERIAL_TEMPLATES), ASSETS), overrides)
    assert reused[-1] == 0 and "<p>Call me</p>" in readable(changed["harbor-books"])[0]

    build(PageInputs(SETTINGS, b"another-secret-0123456789abcdef-0123456789", TODAY, (MATERIAL_TEMPLATES,), ASSETS))
    assert reused[-1] == 0
    pages.close()


def test_a_built_page_is_forgotten_outside_serve(records, tmp_path):
    pages = Pipeline(workers=1)
    run(pages, records, tmp_path / "first")
    assert run(pages, records, tmp_path / "second").reused == 0


def test_serve_derives_each_password_key_once(tmp_path, monkeypatch):
    password = f"a password nobody used before {uuid.uuid4()}"
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.setenv("LOTUS_TEA_PORTAL_PASSWORD", password)
    monkeypatch.delenv("CI", raising=False)
    portal = tmp_path / "portal"
    portal.mkdir()
    for name in ("mkdocs.yml", "content", "clients"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, portal / name)
    derived = []
    stretch = crypto.password_key
    monkeypatch.setattr(crypto, "password_key", lambda *args: derived.append(args[1]) or stretch(*args))

    build_site(portal / "mkdocs.yml", tmp_path / "site", serving=True)
    assert len(derived) == 1  # the lotus-tea page: one shared password
    lotus = portal / "clients" / "lotus-tea.yml"
    lotus.write_text(lotus.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    build_site(portal / "mkdocs.yml", tmp_path / "site", serving=True)
    assert len(derived) == 1  # rebuilt page, same password and salt: no new derivation
    page = next((tmp_path / "site" / "p").glob("*/index.html"))
    assert page.is_file()


def test_only_an_edited_record_is_read_again_while_previewing(records, tmp_path, monkeypatch):
    pages = Pipeline(workers=1, remember=True)
    read: list[str] = []
    original = pipeline_module.read_records

    def counted(paths, **options):
        read.extend(path.stem for path in paths)
        return original(paths, **options)

    monkeypatch.setattr(pipeline_module, "read_records", counted)
    try:
        first = {c.id: c for c in run(pages, records, tmp_path).clients}
        assert sorted(read) == sorted(first) and all(not c.locations and c.digest for c in first.values())
        read.clear()
        record = records / "fjord-cycles.yml"
        record.write_text(record.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        second = run(pages, records, tmp_path)
        assert read == ["fjord-cycles"] and second.reused == len(first) - 1
        assert [c.id for c in second.clients if c is not first[c.id]] == ["fjord-cycles"]
        read.clear()
        next_day = PageInputs(SETTINGS, SECRET.encode(), TODAY.replace(day=24), (MATERIAL_TEMPLATES,), ASSETS)
        run(pages, records, tmp_path, next_day)
        assert sorted(read) == sorted(first)  # validation depends on the date: every record is read again
    finally:
        pages.close()


def test_a_record_whose_imported_hours_changed_is_read_and_built_again_while_previewing(records, tmp_path):
    pages = Pipeline(workers=1, remember=True)
    try:
        once = run(pages, records, tmp_path)
        first = {p.owner.id: p for p in once.pages()}
        hours = records / "hours" / "acme-bakery.csv"
        lines = hours.read_text(encoding="utf-8").splitlines(keepends=True)
        hours.write_text("".join(lines[:-1]), encoding="utf-8")  # the last entry undone, the record untouched
        again = run(pages, records, tmp_path)
        second = {p.owner.id: p for p in again.pages()}
        assert [i for i in second if second[i] is not first[i]] == ["acme-bakery"]
        entries = [{c.id: len(c.hours) for c in outcome.clients}["acme-bakery"] for outcome in (once, again)]
        assert entries[1] == entries[0] - 1
    finally:
        pages.close()


def test_a_page_is_built_again_when_an_attached_file_changes_or_its_ciphertext_is_gone(records, tmp_path):
    settings = dataclasses.replace(SETTINGS, root=tmp_path, clients_dir=records)
    inputs = PageInputs(settings, SECRET.encode(), TODAY, (MATERIAL_TEMPLATES,), ASSETS)
    pages = Pipeline(workers=1, remember=True)

    def acme() -> PortalPage:
        built = run(pages, records, tmp_path, inputs).pages()
        return next(p for p in built if p.owner.id == "acme-bakery")

    first = acme()
    sealed = [f.source for f in first.files if f.source is not None and f.source.is_relative_to(tmp_path)]
    assert len(sealed) == 3 and all(path.is_file() for path in sealed)
    assert acme() is first

    flyer = records / "files" / "acme-bakery" / "christmas-market-flyer-a5.pdf"
    flyer.write_bytes(flyer.read_bytes() + b"\n% revised\n")
    revised = acme()
    assert revised is not first
    assert {f.path for f in revised.files} != {f.path for f in first.files}  # the new file has a new name

    shutil.rmtree(tmp_path / ".cache")
    rebuilt = acme()
    assert rebuilt is not revised and all(f.source is None or f.source.is_file() for f in rebuilt.files)
    pages.close()


def test_a_build_sends_back_no_record_and_keeps_none_only_previewing_does(tmp_path):
    clients = load_clients(ROOT / "clients", today=TODAY)
    chunk_run = pipeline_module.Run(INPUTS, "templates", ENV, tmp_path / "chunk")
    chunk = pipeline_module.build_chunk(chunk_run, record_files(ROOT / "clients"))
    sent = pickle.dumps(chunk)  # what a worker sends back
    assert chunk.clients == [] and [page.owner for page in chunk.pages] == [PageOwner.of(c) for c in clients]
    greeting = next(c.record.greeting for c in clients if c.record.greeting)
    assert greeting.encode("utf-8") not in sent and b"Record" not in sent  # the pages left their records behind
    keyed = pipeline_module.build_chunk(dataclasses.replace(chunk_run, keyed=True), record_files(ROOT / "clients"))
    assert [c.id for c in keyed.clients] == [c.id for c in clients]  # previewing remembers them
    outcome = run(Pipeline(workers=1), ROOT / "clients", tmp_path / "build")
    assert outcome.clients == [] and len(outcome.pages()) == len(clients)
    previewing = Pipeline(workers=1, remember=True)
    try:
        assert [c.record for c in run(previewing, ROOT / "clients", tmp_path).clients] == [c.record for c in clients]
    finally:
        previewing.close()


def test_only_a_preview_looks_at_the_record_files_before_reading_them(tmp_path, monkeypatch):
    looked: list[Path] = []
    stat = pipeline_module._stat
    monkeypatch.setattr(pipeline_module, "_stat", lambda path: looked.append(path) or stat(path))
    assert len(run(Pipeline(workers=1), ROOT / "clients", tmp_path / "build").pages()) == 6
    assert looked == []  # a build reads every record: their sizes and times would tell it nothing
    previewing = Pipeline(workers=1, remember=True)
    try:
        run(previewing, ROOT / "clients", tmp_path)
    finally:
        previewing.close()
    assert sorted(path.name for path in looked) == sorted(path.name for path in record_files(ROOT / "clients"))


def test_pages_are_written_where_asked_and_not_kept_in_memory(tmp_path):
    built = run(Pipeline(workers=1), ROOT / "clients", tmp_path).pages()
    assert len(built) == 6
    for page in built:
        assert all(f.content is None for f in page.files)
        assert page.files[0].source == tmp_path / page.path
        assert 'id="cp-payload"' in page.html or page.owner.mode == "unlisted"


def test_serve_keeps_unchanged_pages_where_they_are_and_forgets_edited_ones(records, tmp_path):
    pages = Pipeline(workers=1, remember=True)
    try:

        def build() -> dict[str, PortalPage]:
            return {p.owner.id: p for p in run(pages, records, tmp_path / "unused").pages()}

        first = build()
        store = pages.store()
        assert not (tmp_path / "unused").exists()  # kept in the store: MkDocs empties the site before each rebuild
        record = records / "harbor-books.yml"
        record.write_text(record.read_text(encoding="utf-8").replace("Harbor Books", "Harbour Books"), "utf-8")
        second = build()
        for client_id, page in second.items():
            same = page.files[0].source == first[client_id].files[0].source
            assert same == (client_id != "harbor-books")
        assert not first["harbor-books"].files[0].source.exists()  # the edited record's old page is gone
        kept = pages.kept("<p>x</p>")
        assert kept == pages.kept("<p>x</p>") and kept.read_text(encoding="utf-8") == "<p>x</p>"
        build()
        assert kept.is_file()  # listed by the build before: still served until the new list is
        build()
        assert not kept.exists()
    finally:
        pages.close()
    assert not store.exists()
