"""One pipeline reads, checks and builds the records, here or on workers: the same site, the same messages."""

from __future__ import annotations

import functools
import gc
import json
import multiprocessing
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from mkdocs.config import load_config

from client_portal.mkdocs_plugin import plugin as plugin_module
from client_portal.publishing import crypto
from client_portal.publishing import pipeline as pipeline_module
from client_portal.publishing.errors import BuildError
from client_portal.publishing.pages import SiteFile
from client_portal.publishing.site_folder import build_into
from client_portal.publishing.workers import PARALLEL_FROM, PRELOAD, Workers, start_server
from client_portal.records.loader import load_clients
from client_portal.settings import CACHE_DIR
from client_portal.site_config import read_site_config

from .build import SECRET, build_site
from .conftest import TODAY
from .test_build import PASSWORD, copy_portal, folder_of, payload_of
from .test_generator_free import files_under

ENV = {"LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}


def build(config: Path, site_dir: Path) -> None:
    site = read_site_config(config)
    site_dir.mkdir()
    build_into(site_dir, site.settings, SECRET.encode(), site.custom_dir, environ=ENV)


WAYS = ["here", "workers"]


@pytest.fixture
def way(request, monkeypatch) -> list[int]:
    """Builds from here on run the pipeline in this process, or on two workers in slices of two records at most.

    Returns the number of records each worker pass was given (none in this process).
    """
    passes: list[int] = []
    if request.param == "here":
        monkeypatch.setattr(pipeline_module, "PARALLEL_FROM", 10**6)
        monkeypatch.setattr(Workers, "hand_out", lambda *args, **kw: pytest.fail("a worker was asked to build"))
        return passes
    original = Workers.hand_out

    def counted(self, function, items, **options):
        self.start()
        assert self.ready(), "no worker processes started"
        passes.append(len(items))
        return original(self, function, items, **options)

    monkeypatch.setattr(pipeline_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline_module, "CHUNK", 2)  # several chunks, so both workers take some
    monkeypatch.setattr(pipeline_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(Workers, "hand_out", counted)
    return passes


def opened(site: Path, client) -> str:
    """A client's page, decrypted as its first contact (or with the password) opens it."""
    html = (site / folder_of(client) / "index.html").read_text(encoding="utf-8")
    if client.record.access.mode == "unlisted":
        return html
    token = folder_of(client).split("/")[1]
    payload = payload_of(html)
    if client.record.access.mode == "password":
        body = crypto.open_with_password(payload, token, PASSWORD)
    else:
        contact = client.record.contacts[0]
        key = crypto.contact_key(
            SECRET.encode(), client.id, client.record.access.version, contact.identity, contact.key_version
        )
        body = crypto.open_page(payload, token, crypto.Recipient.from_link(key))
    return re.sub(r'(id="cp-payload">).*?(</script>)', r"\1\2", html, flags=re.S) + body


def test_the_pipeline_writes_the_same_site_in_this_process_and_on_workers(tmp_path, monkeypatch):
    config = copy_portal(tmp_path / "portal")
    with monkeypatch.context() as patched:
        patched.setattr(pipeline_module, "PARALLEL_FROM", 10**6)
        build(config, tmp_path / "here")
    passes: list[int] = []
    with monkeypatch.context() as patched:
        patched.setattr(pipeline_module, "PARALLEL_FROM", 1)
        patched.setattr(pipeline_module, "CHUNK", 2)
        patched.setattr(pipeline_module.os, "cpu_count", lambda: 2)
        original = Workers.hand_out
        patched.setattr(
            Workers,
            "hand_out",
            lambda self, f, items, **options: passes.append(len(items)) or original(self, f, items, **options),
        )
        build(config, tmp_path / "workers")
    assert passes == [6]  # six records, in slices of two at most
    here, on_workers = (files_under(tmp_path / name) for name in ("here", "workers"))
    assert here.keys() == on_workers.keys()
    clients = load_clients(config.parent / "clients", today=TODAY)
    pages = {folder_of(client) + "index.html": client for client in clients}
    assert len(pages) == 6
    for path in here:
        if path in pages:
            assert opened(tmp_path / "here", pages[path]) == opened(tmp_path / "workers", pages[path]), path
        else:  # attached files, replaced-link pages, the prefix index, assets, robots.txt
            assert here[path] == on_workers[path], path
    assert not list((config.parent / CACHE_DIR).glob("pages-*"))  # nothing left waiting


@pytest.mark.parametrize("way", WAYS, indirect=True)
def test_a_wrong_record_stops_the_build_before_the_site_is_touched(tmp_path, way):
    config = copy_portal(tmp_path / "portal")
    record = config.parent / "clients" / "fjord-cycles.yml"
    text = record.read_text(encoding="utf-8")
    line = text[: text.index("stage: ")].count("\n") + 1
    assert "stage: paused" in text
    record.write_text(text.replace("stage: paused", "stage: nope", 1), encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    (site / "keep.txt").write_text("an earlier build")
    with pytest.raises(BuildError, match=rf"invalid client records:\nclients/fjord-cycles.yml:{line}:8: error: stage"):
        build_into(site, read_site_config(config).settings, SECRET.encode(), environ=ENV)
    assert way == ([6] if len(way) else [])
    assert [p.name for p in site.iterdir()] == ["keep.txt"]
    assert not list((config.parent / CACHE_DIR).glob("pages-*"))


@pytest.mark.parametrize("way", WAYS, indirect=True)
def test_an_attached_file_that_cannot_be_published_is_named_at_its_line(tmp_path, way):
    config = copy_portal(tmp_path / "portal")
    (config.parent / "clients" / "files" / "acme-bakery" / "acme-bakery-brand-guide.pdf").unlink()
    site = tmp_path / "site"
    site.mkdir()
    with pytest.raises(BuildError) as error:
        build_into(site, read_site_config(config).settings, SECRET.encode(), environ=ENV)
    # the line and column of the file's name in the record, as `client-portal check` says it
    assert str(error.value) == (
        "attached files cannot be published:\nclients/acme-bakery.yml:43:9: error: deliverables[0].files[0]: "
        "files/acme-bakery/acme-bakery-brand-guide.pdf not found (looked in clients/)"
    )
    assert way == ([6] if len(way) else [])
    assert not any(site.iterdir())
    assert not list((config.parent / CACHE_DIR).glob("pages-*"))


# A build whose settings make it take the one-pass way on two workers, one record a task.
KILLED_BUILD = """
import os, sys
from pathlib import Path
from client_portal.publishing import pipeline, site_folder
from client_portal.site_config import read_site_config
pipeline.PARALLEL_FROM = 1
pipeline.CHUNK = 1
os.cpu_count = lambda: 2
site = read_site_config(Path("mkdocs.yml"))
site_folder.build_into(Path("site"), site.settings, sys.argv[1].encode(), site.custom_dir)
"""


def _descendants(pid: int) -> set[int]:
    """Every running process below ``pid`` (the forkserver, its workers, the resource tracker)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs still (a zombie waiting for its new parent to reap it has exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="finds the workers through /proc (Linux)")
def test_a_killed_one_pass_build_leaves_no_worker_running(tmp_path):
    config = copy_portal(tmp_path / "portal")
    portal = config.parent
    record = (portal / "clients" / "lotus-tea.yml").read_text(encoding="utf-8")
    for number in range(40):  # password pages: each costs its workers a password stretch
        (portal / "clients" / f"lotus-tea-{number}.yml").write_text(record, encoding="utf-8")
    cache = portal / CACHE_DIR
    env = os.environ | ENV
    build = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, SECRET], cwd=portal, env=env)
    try:
        deadline = time.monotonic() + 60
        # pages are being written, and the forkserver, its worker and the resource tracker are there
        while not any(cache.glob("pages-*/**/index.html")) or len(_descendants(build.pid)) < 3:
            assert build.poll() is None and time.monotonic() < deadline, "the build ended before it was killed"
            time.sleep(0.02)
        workers = _descendants(build.pid)
    finally:
        build.kill()
        build.wait()
    deadline = time.monotonic() + 5
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]
    staged = list(cache.glob("pages-*"))
    assert staged  # the killed build's pages wait there...
    build_into(tmp_path / "site", read_site_config(config).settings, SECRET.encode(), environ=ENV)
    assert not any(folder.exists() for folder in staged)  # ...until the next build sweeps them away


def test_the_next_build_sweeps_the_staging_folders_of_killed_builds(tmp_path):
    config = copy_portal(tmp_path / "portal")
    cache = config.parent / CACHE_DIR
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = [cache / f"pages-{ended.stdout.strip()}-abc", cache / "pages-3d9x_1q"]  # the latter: no process named
    for folder in stale:
        (folder / "p" / "token").mkdir(parents=True)
        (folder / "p" / "token" / "index.html").write_text("an unlisted client's readable page")
    build(config, tmp_path / "site")
    assert not any(folder.exists() for folder in stale)


@pytest.mark.parametrize("way", ["workers"], indirect=True)
def test_a_build_leaves_the_staging_folder_of_a_running_build(tmp_path, way):
    config = copy_portal(tmp_path / "portal")
    cache = config.parent / CACHE_DIR
    running = cache / f"pages-{os.getppid()}-abc"  # the process that started these tests runs still
    (running / "p").mkdir(parents=True)
    build(config, tmp_path / "site")
    assert running.is_dir()


def _whose(numbers: list[int]) -> list[tuple[int, int]]:
    """Each of ``numbers`` and the process that took it."""
    time.sleep(0.01)
    return [(number, os.getpid()) for number in numbers]


def test_this_process_shares_the_work_with_its_workers_and_results_keep_their_order():
    workers = Workers(3)
    try:
        workers.start()
        assert workers.ready()
        slices = workers.map(_whose, list(range(600)), largest=16)
    finally:
        workers.close()
    results = [result for piece in slices for result in piece]
    assert [number for number, _ in results] == list(range(600))
    here = [number for number, pid in results if pid == os.getpid()]
    assert here and here[-1] == 599  # this process takes the last ones
    assert len({pid for _, pid in results} - {os.getpid()}) == 2  # and each worker some of the first
    sizes = [len(piece) for piece in slices]
    assert max(sizes) == 16 and sizes[0] == 16  # a large share of what is left while much is
    assert min(sizes) == 1  # and smaller ones as it runs out


_RELEASE = threading.Event()
_DONE_HERE: list[int] = []


def _releasing(numbers: list[int]) -> list[int]:
    """``numbers``; in the test's process, the third call lets the workers start."""
    if multiprocessing.parent_process() is None:
        _DONE_HERE.append(numbers[-1])
        if len(_DONE_HERE) == 3:
            _RELEASE.set()
    return numbers


def test_this_process_works_while_its_workers_start(monkeypatch):
    starting = Workers._start

    def held(self):
        assert _RELEASE.wait(30), "this process did not go on while the workers started"
        starting(self)

    monkeypatch.setattr(Workers, "_start", held)
    _RELEASE.clear()
    _DONE_HERE.clear()
    workers = Workers(2)
    try:
        slices = workers.map(_releasing, list(range(400)), largest=10)
        assert [number for piece in slices for number in piece] == list(range(400))
        assert workers.ready()
    finally:
        workers.close()
    # from the back, before any worker was there, in slices a quarter as large while they start
    assert _DONE_HERE[:3] == [399, 397, 395]


def _dies_in_a_worker(numbers: list[int]) -> list[int]:
    if 0 in numbers and multiprocessing.parent_process() is not None:
        os._exit(1)  # killed, say, or out of memory
    return [number * 2 for number in numbers]


def test_work_a_dead_worker_had_is_done_here():
    workers = Workers(2)
    try:
        slices = workers.map(_dies_in_a_worker, list(range(80)), largest=4)
    finally:
        workers.close()
    assert [number for piece in slices for number in piece] == [n * 2 for n in range(80)]


def _parent(numbers: list[int]) -> list[int]:
    return [os.getppid() for _ in numbers]


def test_workers_fork_from_the_server_started_before_them():
    start_server()
    server = multiprocessing.forkserver._forkserver._forkserver_pid
    assert server is not None
    workers = Workers(2, preload=[PRELOAD])
    try:
        workers.start()
        assert workers.ready()
        parents = {pid for piece in workers.map(_parent, list(range(200)), largest=8) for pid in piece}
    finally:
        workers.close()
    assert server in parents  # the worker's parent: no second server was started
    assert multiprocessing.forkserver._forkserver._forkserver_pid == server


def test_the_workers_server_imports_the_pipeline_with_the_collector_paused_and_freezes_it():
    script = (
        "import gc, sys\n"
        "during = []\n"
        "def importing():\n"
        "    pipeline = sys.modules.get('client_portal.publishing.pipeline')\n"
        "    return pipeline is not None and not hasattr(pipeline, 'Pipeline')\n"  # its last class, made last
        "gc.callbacks.append(lambda phase, info: during.append(importing()))\n"
        f"import {PRELOAD}\n"
        "print(hasattr(sys.modules['client_portal.publishing.pipeline'], 'Pipeline'), during.count(True),"
        " gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    # what the workers run; no collection while it was imported (60 to 230 without the pause); collecting after; frozen
    assert shown == "True 0 True True\n"


def test_the_plugin_reads_its_settings_and_imports_the_core_with_the_collector_paused(tmp_path, monkeypatch):
    read = plugin_module.settings_from_config
    collecting: list[bool] = []

    def settings_from_config(*args, **kwargs):
        collecting.append(gc.isenabled())
        return read(*args, **kwargs)

    monkeypatch.setattr(plugin_module, "settings_from_config", settings_from_config)
    mkdocs_config = load_config(str(copy_portal(tmp_path / "portal")))
    try:
        mkdocs_config.plugins.on_startup(command="build", dirty=False)
        mkdocs_config.plugins.on_config(mkdocs_config)
    finally:
        mkdocs_config.plugins.on_shutdown()
    assert collecting == [False]
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("records", "cores", "started"),
    [(PARALLEL_FROM, 2, True), (PARALLEL_FROM - 1, 2, False), (PARALLEL_FROM, 1, False)],
)
def test_the_plugin_starts_the_workers_server_as_it_is_given_the_options_of_a_large_portal(
    tmp_path, monkeypatch, records, cores, started
):
    config = copy_portal(tmp_path / "portal")
    clients = config.parent / "clients"
    sample = next(clients.glob("*.yml")).read_text(encoding="utf-8")
    for number in range(records - len(list(clients.glob("*.yml")))):
        (clients / f"copy-{number}.yml").write_text(sample, encoding="utf-8")
    calls: list[int] = []
    monkeypatch.setattr(plugin_module, "start_server", lambda: calls.append(1))
    monkeypatch.setattr(plugin_module.os, "cpu_count", lambda: cores)
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    mkdocs_config = load_config(str(config))
    # as MkDocs hands the plugin its options, before the rest of the configuration is read
    assert calls == ([1] if started else [])
    try:
        mkdocs_config.plugins.on_startup(command="build", dirty=False)
        mkdocs_config.plugins.on_config(mkdocs_config)
    finally:
        mkdocs_config.plugins.on_shutdown()
    assert calls == ([1] if started else [])


def test_the_plugin_imports_the_core_only_once_it_reads_its_settings():
    """So the workers' server, started then, imports the core while this process does the same."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, client_portal.mkdocs_plugin.plugin; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "'client_portal.mkdocs_plugin.plugin'" in loaded
    core_modules = (
        "client_portal.publishing.portal",
        "client_portal.page.render",
        "client_portal.records.loader",
        "client_portal.settings",  # and pydantic, which checks them: a twentieth of a second
        "pydantic",
        "nh3",
    )
    for core in core_modules:
        assert f"'{core}'" not in loaded, core


@pytest.mark.parametrize("before", [b"", b"short", b"a longer page than the one written over it, " * 400])
def test_a_page_written_over_the_last_builds_is_exactly_the_new_page(tmp_path, before):
    page = tmp_path / "p" / "token" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_bytes(before)
    pipeline_module._write_over(page, b"the new page " * 100)
    assert page.read_bytes() == b"the new page " * 100


def test_writing_over_never_changes_a_file_linked_in_from_elsewhere(tmp_path):
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_bytes(b"not the portal's")
    folder = tmp_path / "staging" / "p" / "token"
    folder.mkdir(parents=True)
    (folder / "index.html").hardlink_to(elsewhere)
    (folder / "feed.ics").symlink_to(elsewhere)
    (tmp_path / "staging" / "p" / "other").symlink_to(tmp_path, target_is_directory=True)
    for path in ("p/token/index.html", "p/token/feed.ics", "p/other/index.html"):
        pipeline_module._written(SiteFile(path, "new"), tmp_path / "staging")
        assert (tmp_path / "staging" / path).read_text(encoding="utf-8") == "new"
    assert elsewhere.read_bytes() == b"not the portal's"
    assert not (tmp_path / "index.html").exists()  # nothing written through the folder's link
    assert not [path for path in (tmp_path / "staging").rglob("*") if path.is_symlink()]


def test_the_collector_skips_the_build_process_objects_only_as_it_exits():
    script = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('at exit', gc.get_freeze_count() > 0))\n"  # runs after the plugin's
        "from client_portal.mkdocs_plugin.plugin import PortalPlugin\n"
        "plugin = PortalPlugin()\n"
        "plugin.on_startup(command='build', dirty=False)\n"
        "plugin.on_startup(command='build', dirty=False)\n"
        "print('running', gc.get_freeze_count())\n"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert shown.split("\n") == ["running 0", "at exit True", ""]


def _slow_whose(numbers: list[int]) -> list[tuple[int, int]]:
    time.sleep(0.05)
    return _whose(numbers)


def test_this_process_checks_the_last_slices_and_leaves_them_to_the_workers():
    workers = Workers(2)
    checked: list[int] = []

    def check(numbers: list[int]) -> list[tuple[int, int]]:
        checked.extend(numbers)
        return [(number, 0) for number in numbers]

    try:
        workers.start()
        assert workers.ready()
        handout = workers.hand_out(_slow_whose, list(range(300)), largest=8, check=check, later=40)
        assert handout.running  # returned while the worker still has slices
        verdicts = [result for piece in handout.verdicts() for result in piece]
        slices = handout.results()
    finally:
        workers.close()
    # every slice not done when this process left: the last 40 at most, and the two slices the worker had
    assert 0 < len(checked) <= 40 + 2 * 8 and checked == list(range(checked[0], checked[-1] + 1))
    assert [number for number, _ in verdicts] == list(range(300))
    assert [number for number, pid in verdicts if pid == 0] == checked  # the check's findings stand in for them
    results = [result for piece in slices for result in piece]
    assert [number for number, _ in results] == list(range(300))
    assert not [number for number, pid in results if pid == 0]  # then every slice's own result
    # the queued slices the worker had not begun, taken back by this process as it waited for them
    taken_back = [number for number, pid in results if pid == os.getpid() and number in checked]
    assert taken_back and taken_back[-1] == checked[-1]


def test_slices_given_up_are_not_built(tmp_path):
    workers = Workers(2)
    try:
        workers.start()
        assert workers.ready()
        handout = workers.hand_out(_slow_whose, list(range(300)), largest=8, check=lambda part: [], later=40)
        left = sorted(piece for piece in handout.running.values())
        handout.cancel()
        assert not handout.running
    finally:
        workers.close()
    # the worker finished at most the slices it was running (and one queued for it): never the last
    assert len(left) > 3 and left[-1] not in handout.done


def _marking(folder: Path, numbers: list[int]) -> list[int]:
    """``numbers``, each marked done by a file in ``folder``, slowly."""
    time.sleep(0.05)
    for number in numbers:
        (folder / str(number)).touch()
    return numbers


def test_a_check_that_fails_gives_up_the_slices_the_workers_have_not_begun(tmp_path):
    workers = Workers(2)

    def check(numbers: list[int]) -> list[int]:
        raise ValueError("a check that fails")

    try:
        workers.start()
        assert workers.ready()
        with pytest.raises(ValueError, match="a check that fails"):
            workers.hand_out(functools.partial(_marking, tmp_path), list(range(300)), largest=8, check=check, later=40)
        done_then = len(list(tmp_path.iterdir()))
        time.sleep(0.3)  # six more slices' time: none is begun
        assert len(list(tmp_path.iterdir())) == done_then < 300
    finally:
        workers.close()


def test_giving_up_slices_after_the_workers_stopped_waits_for_none_of_them():
    workers = Workers(2)
    try:
        workers.start()
        assert workers.ready()
        handout = workers.hand_out(_slow_whose, list(range(300)), largest=8, check=lambda part: [], later=40)
    finally:
        workers.close()  # the slices not begun are cancelled, and never marked done by the closed pool
    giving_up = threading.Thread(target=handout.cancel, daemon=True)
    giving_up.start()
    giving_up.join(30)
    assert not giving_up.is_alive() and not handout.running


@pytest.fixture
def mkdocs_on_workers(request, monkeypatch):
    """MkDocs builds from here on share the records with a worker, once it is there, in slices of two; the last
    ``request.param`` records are checked here and left to the worker while MkDocs writes its own pages."""
    monkeypatch.setattr(pipeline_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline_module, "CHUNK", 2)
    monkeypatch.setattr(pipeline_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(plugin_module, "LATER", request.param)
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.setenv("LOTUS_TEA_PORTAL_PASSWORD", PASSWORD)
    original = Workers.hand_out

    def once_started(self, function, items, **options):
        self.start()
        assert self.ready(), "no worker processes started"
        return original(self, function, items, **options)

    monkeypatch.setattr(Workers, "hand_out", once_started)


# A hook (a plugin of the site's own): what MkDocs and every other plugin see of the client pages.
SEEING_HOOK = """
import json
from pathlib import Path

def on_files(files, config):
    Path(config.site_dir).with_name("seen.json").write_text(json.dumps([f.dest_uri for f in files]))

def on_post_build(config):
    seen = Path(config.site_dir).with_name("seen.json")
    found = [p.relative_to(config.site_dir).as_posix() for p in Path(config.site_dir).rglob("*")]
    seen.write_text(json.dumps(json.loads(seen.read_text()) + found))
"""


@pytest.mark.parametrize("mkdocs_on_workers", [4], indirect=True)
def test_no_other_plugin_sees_a_client_file_and_the_pages_come_last(tmp_path, mkdocs_on_workers):
    config = copy_portal(tmp_path / "portal")
    (config.parent / "content" / "robots.txt").write_text("User-agent: *\nDisallow: /drafts/\n", encoding="utf-8")
    hook = config.parent / "seeing.py"
    hook.write_text(SEEING_HOOK, encoding="utf-8")
    site = tmp_path / "out" / "site"
    site.parent.mkdir()
    build_site(config, site, hooks=[str(hook)])
    seen = json.loads((tmp_path / "out" / "seen.json").read_text())
    assert "index.html" in seen and "robots.txt" in seen  # the generator's own files, as MkDocs has them
    assert not [path for path in seen if path.startswith("p/") or path == "p"]
    clients = load_clients(config.parent / "clients", today=TODAY)
    assert all((site / folder_of(client) / "index.html").is_file() for client in clients)
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    assert robots.startswith((config.parent / "content" / "robots.txt").read_text(encoding="utf-8"))
    assert "Disallow: /p/" in robots  # theirs, extended
    assert not list((config.parent / CACHE_DIR).glob("pages-*"))


# every record left to the worker: only this process's check can find the wrong one in time
@pytest.mark.parametrize("mkdocs_on_workers", [100], indirect=True)
def test_a_wrong_record_left_to_the_workers_stops_mkdocs_before_the_site_is_touched(
    tmp_path, mkdocs_on_workers, caplog
):
    config = copy_portal(tmp_path / "portal")
    record = config.parent / "clients" / "fjord-cycles.yml"
    text = record.read_text(encoding="utf-8")
    line = text[: text.index("stage: ")].count("\n") + 1
    record.write_text(text.replace("stage: paused", "stage: nope", 1), encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    (site / "keep.txt").write_text("an earlier build", encoding="utf-8")
    with pytest.raises(Exception, match="BuildError"):
        build_site(config, site)
    assert f"clients/fjord-cycles.yml:{line}:8: error: stage" in caplog.text
    assert [path.name for path in site.iterdir()] == ["keep.txt"]
    assert not list((config.parent / CACHE_DIR).glob("pages-*"))


def test_pruning_removes_only_what_the_recycled_folder_held_and_this_build_did_not_write(tmp_path):
    from client_portal.publishing import portal as portal_module

    staging = tmp_path / "staging"
    (staging / "p" / "kept").mkdir(parents=True)
    (staging / "p" / "gone").mkdir()
    (staging / "p" / "kept" / "index.html").write_text("last build's", encoding="utf-8")
    (staging / "p" / "kept" / "old.pdf").write_text("no longer attached", encoding="utf-8")
    (staging / "p" / "gone" / "index.html").write_text("a removed client's", encoding="utf-8")
    (staging / "p" / "linked.html").symlink_to(tmp_path / "elsewhere.html")
    (staging / "p" / "link-kept.html").symlink_to(tmp_path / "elsewhere.html")
    (staging / "p" / "file-then-folder").write_text("a file where this build makes a folder", encoding="utf-8")
    listed = portal_module._listed(staging)
    # what the last pages write while the folder is listed and pruned: over a link, a folder where a file was
    (staging / "p" / "link-kept.html").unlink()
    (staging / "p" / "link-kept.html").write_text("this build's", encoding="utf-8")
    (staging / "p" / "file-then-folder").unlink()
    (staging / "p" / "file-then-folder").mkdir()
    (staging / "p" / "file-then-folder" / "index.html").write_text("this build's", encoding="utf-8")
    (staging / "p" / "new").mkdir()
    (staging / "p" / "new" / "index.html").write_text("this build's", encoding="utf-8")
    kept = {
        "p/kept/index.html",
        "p/linked.html",  # a link is never kept
        "p/link-kept.html",
        "p/file-then-folder/index.html",
        "p/new/index.html",
    }
    portal_module._prune(staging, listed, kept)
    left = {path.relative_to(staging).as_posix() for path in staging.rglob("*") if not path.is_dir()}
    assert left == kept - {"p/linked.html"}
    assert not (staging / "p" / "gone").exists()
