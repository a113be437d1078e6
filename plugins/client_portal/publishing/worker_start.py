"""What the workers' server imports once, before it forks any worker: the pipeline, ready to be forked.

The import runs with the collector paused, and what it made is frozen before the
collector runs again, as Python advises for a process that forks (`gc.freeze`): no
collection walks the new modules, during the import or after it (paused only, the
import took as long, as the one collection after it walked them all), and no collection
in a worker writes to a page of memory the worker shares with the server.
"""

from __future__ import annotations

import gc

from client_portal import collector

with collector.paused():
    from client_portal.publishing import pipeline  # noqa: F401 - what the workers run

    gc.freeze()
