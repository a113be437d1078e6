"""CPU time per client page, in one process: ``python -m benchmarks.per_page [CLIENTS]``.

Reads and builds the synthetic clients of `make bench` (300 by default) one after the
other, with the settings `make bench` builds them with (the freelancer's contact among
them, so each page has its decision replies), after a few pages that compile the
templates, and prints the CPU milliseconds per record read and per page built (rendered,
encrypted and written). Run it at two commits to see what a change saved; the
documentation's Performance table was made that way.

The records and pages are in memory-backed storage where there is some (``/dev/shm``):
on a virtual machine's disk, making a folder or a file cost from 0.01 to 0.3 ms depending
on which blocks it was given, which moved the figure by more than the code did. The
builds of `make bench` write to the disk.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from client_portal.publishing.page_keys import templates_fingerprint
from client_portal.publishing.pages import PageInputs
from client_portal.publishing.pipeline import CHUNK, Run, build_chunk
from client_portal.publishing.site_files import page_assets
from client_portal.records.loader import load_clients
from client_portal.site_config import read_site_config

from .portals import TODAY, portal

WARM_UP = 10  # pages that compile the templates and fill the per-locale caches
MEMORY = Path("/dev/shm")  # Linux's memory-backed folder


def per_page(count: int = 300) -> tuple[float, float]:
    """CPU milliseconds per record read and per page built, over ``count`` synthetic clients."""
    with tempfile.TemporaryDirectory(dir=MEMORY if MEMORY.is_dir() else None) as temp:
        folder = portal(Path(temp) / "portal", count)
        settings = read_site_config(folder / "mkdocs.yml").settings
        started = time.process_time()
        clients = load_clients(folder / "clients", today=TODAY, located=False)
        read = (time.process_time() - started) / count
        inputs = PageInputs(settings, b"per-page benchmark secret 0123456789", TODAY, (), page_assets(2))
        # the pipeline's chunks of records already read, in this process only: the figure is CPU per page
        run = Run(inputs, templates_fingerprint(inputs.search_path, None), {}, Path(temp) / "site")
        build_chunk(run, list(clients[:WARM_UP]))
        started = time.process_time()
        for start in range(WARM_UP, count, CHUNK):  # in the pipeline's slices
            build_chunk(run, list(clients[start : start + CHUNK]))
        built = (time.process_time() - started) / (count - WARM_UP)
    return read * 1000, built * 1000


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    read, built = per_page(count)
    print(f"CPU per client, {count} synthetic clients in one process: read {read:.2f} ms, page {built:.2f} ms")


if __name__ == "__main__":
    main()
