"""One list of the portal's files: what a build writes, the plugin hands MkDocs and a preview serves."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from client_portal.commands.preview import Preview
from client_portal.publishing import pipeline as pipeline_module
from client_portal.publishing.addresses import replaced_folders
from client_portal.publishing.portal import Portal
from client_portal.publishing.site_files import PREFIX_INDEX_MARKER, REPLACED_MARKER, SCRIPT
from client_portal.publishing.site_folder import build_into, linked
from client_portal.records.loader import load_clients
from client_portal.site_config import read_site_config

from .build import SECRET, build_site
from .conftest import TODAY
from .test_build import PASSWORD, copy_portal
from .test_generator_free import files_under

ENV = {"LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}


@pytest.fixture
def portal(tmp_path) -> Path:
    """A copy of the example portal; its mkdocs.yml."""
    return copy_portal(tmp_path / "portal")


def built(config: Path, headers_file: bool = False, **options: object) -> Portal:
    site = read_site_config(config)
    settings = dataclasses.replace(site.settings, headers_file=headers_file)
    return Portal(settings, SECRET.encode(), site.custom_dir, **options)  # type: ignore[arg-type]


def test_the_list_names_every_file_of_the_portal_once(portal):
    clients = {client.id: client for client in load_clients(portal.parent / "clients", today=TODAY)}
    maker = built(portal, headers_file=True)
    result = maker.build(ENV)
    try:
        files = list(result.files(lambda path: "User-agent: Bot\nDisallow: /drafts/\n" if path == "robots.txt" else ""))
    finally:
        result.discard()
        maker.close()
    paths = [site_file.path for site_file in files]
    assert len(paths) == len(set(paths))
    assert f"assets/client-portal/{SCRIPT}" in paths and "p/index.html" in paths and "_headers" in paths
    for page in result.pages:
        assert {site_file.path for site_file in page.files} <= set(paths)
        for folder in replaced_folders("p", SECRET.encode(), clients[page.owner.id]):
            assert folder + "index.html" in paths
    robots = next(site_file for site_file in files if site_file.path == "robots.txt")
    assert robots.content == "User-agent: Bot\nDisallow: /drafts/\n\nUser-agent: *\nDisallow: /p/\n"
    index = next(site_file for site_file in files if site_file.path == "p/index.html")
    assert PREFIX_INDEX_MARKER in str(index.content)


def test_while_previewing_the_prefix_index_is_the_local_index(portal):
    clients = {client.id: client for client in load_clients(portal.parent / "clients", today=TODAY)}
    maker = built(portal, remember=True)
    try:
        result = maker.build(ENV)
        files = {site_file.path: site_file for site_file in result.files(local_index_at="/site/")}
        assert "_headers" not in files  # headers_file is off
        # the pages that name no client are kept files: `mkdocs serve --dirty` does not write an unchanged one again
        index = files["p/index.html"].source
        assert index is not None
        html = index.read_text(encoding="utf-8")
        assert PREFIX_INDEX_MARKER not in html and "Local preview only" in html and 'href="/site/p/' in html
        assert files["p/index.html"].source.parent.name == "neutral"
        replaced = [
            files[folder + "index.html"]
            for page in result.pages
            for folder in replaced_folders("p", SECRET.encode(), clients[page.owner.id])
        ]
        assert replaced and all(
            f.source is not None and REPLACED_MARKER in f.source.read_text(encoding="utf-8") for f in replaced
        )
    finally:
        maker.close()


def test_a_build_and_a_preview_serve_the_same_files(portal, tmp_path, monkeypatch):
    settings = read_site_config(portal).settings
    site = tmp_path / "site"
    site.mkdir()
    (site / "robots.txt").write_text("User-agent: Bot\nDisallow: /drafts/\n", encoding="utf-8")
    build_into(site, settings, SECRET.encode(), environ=ENV)
    written = files_under(site)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CI", raising=False)
    (site / "robots.txt").write_text("User-agent: Bot\nDisallow: /drafts/\n", encoding="utf-8")
    preview = Preview(portal, SECRET.encode(), say=lambda _: None, site_dir=site)
    try:
        assert preview.rebuild()
        found = {path: preview.find(path) for path in preview.routes}
        served = {path: data if isinstance(data, bytes) else data.read_bytes() for path, data in found.items() if data}
    finally:
        preview.close()
    assert served.keys() == written.keys()
    for path, data in served.items():
        if path == "p/index.html":
            assert b"Local preview only" in data and PREFIX_INDEX_MARKER.encode() in written[path]
        elif path.endswith("index.html") and path.count("/") == 2 and b"cp-payload" in data:
            assert len(data) > 1000  # sealed again: the same page under other random numbers
        else:
            assert data == written[path], path


def test_a_first_preview_on_workers_compiles_the_templates_here_too(portal, monkeypatch):
    monkeypatch.setattr(pipeline_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline_module, "_renderers", {})
    monkeypatch.setattr(pipeline_module.os, "cpu_count", lambda: 2)
    maker = built(portal, remember=True)
    try:
        result = maker.build(ENV)
        assert maker.pipeline.workers.ready()  # the workers were started
        assert len(pipeline_module._renderers) == 1
        assert not [p for p in maker.pipeline.store().iterdir() if p.name.startswith("warm-")]
    finally:
        maker.close()
    assert len(result.pages) == 6


def test_a_preview_rebuild_takes_the_edited_record_only(portal, monkeypatch):
    maker = built(portal, remember=True, workers=1)
    read: list[str] = []
    original = pipeline_module.read_records
    monkeypatch.setattr(
        pipeline_module, "read_records", lambda paths, **o: read.extend(p.stem for p in paths) or original(paths, **o)
    )
    try:
        first = maker.build(ENV)
        record = portal.parent / "clients" / "harbor-books.yml"
        record.write_text(record.read_text(encoding="utf-8").replace("Harbor Books", "Harbour Books"), "utf-8")
        os.utime(record, ns=(1, 1))  # an edit that keeps neither size nor time
        read.clear()
        second = maker.build(ENV)
    finally:
        maker.close()
    assert read == ["harbor-books"] and second.reused == len(first.pages) - 1
    renamed = next(page for page in second.pages if page.owner.id == "harbor-books")
    before = next(page for page in first.pages if page.owner.id == "harbor-books")
    assert renamed.owner == dataclasses.replace(before.owner, name="Harbour Books")


def test_linked_places_a_file_without_copying_it(tmp_path, monkeypatch):
    source = tmp_path / "store" / "page.html"
    source.parent.mkdir()
    source.write_text("<p>page</p>", encoding="utf-8")
    target = tmp_path / "site" / "p" / "t" / "index.html"
    assert linked(source, target) == target and target.samefile(source)
    assert linked(source, target) == target  # already there
    target.unlink()
    target.write_text("<p>an earlier build</p>", encoding="utf-8")
    assert linked(source, target).samefile(source)
    target.unlink()
    monkeypatch.setattr(os, "link", lambda *args: (_ for _ in ()).throw(OSError("cross-device link")))
    assert linked(source, target).read_text(encoding="utf-8") == "<p>page</p>" and not target.samefile(source)


def test_mkdocs_serve_links_the_pages_into_the_site(portal, tmp_path, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.delenv("CI", raising=False)
    build_site(portal, tmp_path / "site", serving=True)
    pages = [path for path in (tmp_path / "site" / "p").glob("*/index.html")]
    assert pages and all(path.stat().st_nlink >= 2 for path in pages)  # the page kept for the next rebuild, linked
    build_site(portal, tmp_path / "built")
    # a build's pages are its own; only the attached files are linked, to their sealed copies in the cache
    built = [path for path in (tmp_path / "built" / "p").rglob("*") if path.is_file()]
    assert all(path.stat().st_nlink == 1 for path in built if path.suffix != ".bin")


@pytest.mark.parametrize("site_has_the_prefix", [False, True])
def test_placed_pages_are_where_their_files_say_in_a_site_with_or_without_a_prefix_folder(
    portal, tmp_path, site_has_the_prefix
):
    """A site with no prefix folder takes the staging folder's whole; one that has it (a dirty build), page by page."""
    maker = built(portal)
    try:
        result = maker.build(ENV)
        assert result.staging is not None
        staging = result.staging
        in_staging = [f for page in result.pages for f in page.files if f.source and f.source.is_relative_to(staging)]
        staged = {f.path: f.source.read_bytes() for f in in_staging if f.source}
        site = tmp_path / "site"
        if site_has_the_prefix:
            (site / "p").mkdir(parents=True)
            (site / "p" / "theirs.txt").write_text("left as it was", encoding="utf-8")
        placed = result.placed(site)
    finally:
        maker.close()
    assert not staging.exists()
    files = [f for page in placed.pages for f in page.files]
    assert {f.path for f in files if f.path in staged} == set(staged) and len(staged) > 12
    for f in files:
        if f.path in staged:
            assert f.source == site / f.path and f.source.read_bytes() == staged[f.path], f.path
    assert (site / "p" / "theirs.txt").exists() == site_has_the_prefix
