"""What the workers' server imports once, before it forks any worker: the pipeline, ready to be forked.

It is imported with the collector paused: looking for garbage among the modules as they
were made took a sixth of the import. What the import made is then frozen, as Python
advises for a process that forks (`gc.freeze`): a worker's collections skip the modules,
and none writes to a page of memory the worker shares with the server.
"""

from __future__ import annotations

import gc

from client_portal import collector

with collector.paused():
    from client_portal.publishing import pipeline  # noqa: F401 - what the workers run

gc.freeze()
