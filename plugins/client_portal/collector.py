"""When Python's cyclic garbage collector runs in a build: not while many objects that live on are being made.

The collector looks for garbage each time 700 more objects were made than freed, and
now and then over every object of the process. Importing the core, reading a record and
building a chunk of pages each make thousands of objects, most of which live on (modules,
a record's values) or are garbage only as a whole (a page's Jinja contexts): collected as
they come, they are walked again and again. Paused meanwhile, the collector runs once after,
over what was made.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No collection inside: the first object made after sets off one, over what was made meanwhile.

    A collector someone else stopped stays stopped.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
