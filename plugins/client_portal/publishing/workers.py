"""The worker processes of a build: started once, reused between rebuilds, and never outliving the build."""

from __future__ import annotations

import collections
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

# How often a worker looks whether the build that started it is still there.
BUILD_CHECK_SECONDS = 0.5

_In = TypeVar("_In")
_Out = TypeVar("_Out")


class Workers:
    """``count`` processes sharing the work: this one, and ``count - 1`` workers started from a server which
    imported ``preload`` once."""

    def __init__(self, count: int, preload: Sequence[str] = ()) -> None:
        self.count = count
        self.preload = list(preload)
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the worker processes now, so they are ready by the time the work is."""
        if self.count > 1 and self._pool is None:
            context = multiprocessing.get_context("forkserver")
            # Forking the build process itself could copy a lock held by one of `mkdocs serve`'s threads.
            context.set_forkserver_preload(self.preload)
            workers = self.count - 1
            self._pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=context, initializer=_exit_with_build, initargs=(os.getpid(),)
            )
            with _bare_main():
                for _ in range(workers):  # each call starts one worker
                    self._pool.submit(int)

    def map(self, function: Callable[[_In], _Out], items: list[_In]) -> list[_Out]:
        """``function`` over ``items``, in order: the workers take them from the front, this process from the back.

        This process starts at once, while the workers start (a third of a second); it does
        all the work with one process, or when a worker dies (killed, out of memory).
        """
        self.start()
        pool = self._pool
        if pool is None:
            return [function(item) for item in items]
        done: dict[int, _Out] = {}
        waiting = collections.deque(range(len(items)))
        running: dict[Future[_Out], int] = {}
        try:
            while waiting or running:
                # a task or two queued for each worker, so none waits for this process to hand it one
                while waiting and len(running) < 2 * (self.count - 1):
                    index = waiting.popleft()
                    running[pool.submit(function, items[index])] = index
                if waiting:
                    index = waiting.pop()
                    done[index] = function(items[index])
                    finished = [future for future in running if future.done()]
                else:
                    finished = list(wait(running, return_when=FIRST_COMPLETED).done)
                for future in finished:
                    done[running.pop(future)] = future.result()
        except BrokenProcessPool:
            self.close()
            for index in [*waiting, *running.values()]:
                done[index] = function(items[index])
        return [done[index] for index in range(len(items))]

    def close(self) -> None:
        """Stop the worker processes (they start again when needed)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _exit_with_build(build: int) -> None:
    """Make this worker exit once the build process ``build`` is gone.

    A killed build would leave its workers waiting, or writing pages into its private
    folder, for ever: they and the forkserver that started them keep one another
    alive, so watching their own parent would not do.
    """

    def watch() -> None:
        while True:
            try:
                os.kill(build, 0)  # signal 0: only asks whether the process is there
            except ProcessLookupError:
                break
            except PermissionError:
                break  # its number now belongs to another user's process
            time.sleep(BUILD_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="client-portal-build-watch", daemon=True).start()


@contextmanager
def _bare_main() -> Iterator[None]:
    """Keep new worker processes from importing the script that started the build, which they do not need.

    A script that calls MkDocs' build without an ``if __name__ == "__main__"`` guard
    would otherwise start the build again in every worker.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main
