"""The worker processes of a build: started once, reused between rebuilds, and never outliving the build."""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Generic, TypeVar

# How often a worker looks whether the build that started it is still there.
BUILD_CHECK_SECONDS = 0.5
# Below this many records to build, this process is done before worker processes start.
PARALLEL_FROM = 150
# What the workers' server imports before it forks any: what they run (`pipeline.build_chunk`).
PRELOAD = "client_portal.publishing.worker_start"

_In = TypeVar("_In")
_Out = TypeVar("_Out")


class Workers:
    """``count`` processes sharing the work: this one, and ``count - 1`` workers started from a server which
    imported ``preload`` once."""

    def __init__(self, count: int, preload: Sequence[str] = ()) -> None:
        self.count = count
        self.preload = list(preload)
        self._pool: ProcessPoolExecutor | None = None
        self._starting: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker processes, in the background: the server imports ``preload`` for a third of a second."""
        if self.count > 1 and self._pool is None and self._starting is None:
            self._starting = threading.Thread(target=self._start, name="client-portal-workers", daemon=True)
            self._starting.start()

    def _start(self) -> None:
        context = _server_context(self.preload)
        workers = self.count - 1
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_exit_with_build, initargs=(os.getpid(),)
        )
        try:
            with _bare_main():
                for _ in range(workers):  # each call starts one worker, once the server is there
                    pool.submit(int)
        except Exception:  # no workers (the system refused a process): this one does the work
            pool.shutdown(cancel_futures=True)
            return
        self._pool = pool

    def ready(self) -> bool:
        """Wait until the workers have started; whether they did."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        return self._pool is not None

    def _started(self) -> ProcessPoolExecutor | None:
        """The workers, once started; None while they start (or when there are none)."""
        if self._starting is not None and self._starting.is_alive():
            return None
        return self._pool if self.ready() else None

    def map(self, function: Callable[[list[_In]], _Out], items: list[_In], *, largest: int) -> list[_Out]:
        """``function`` over consecutive slices of ``items``, the results in the slices' order (see `hand_out`)."""
        return self.hand_out(function, items, largest=largest).results()

    def hand_out(
        self,
        function: Callable[[list[_In]], _Out],
        items: list[_In],
        *,
        largest: int,
        check: Callable[[list[_In]], _Out] | None = None,
        later: int = 0,
    ) -> Handout[_In, _Out]:
        """``function`` over consecutive slices of ``items``, done here and on the workers.

        The workers take slices from the front, this process from the back. This process
        starts at once, while the workers start; it does all the work with one process, and
        what a worker had when one dies (killed, out of memory). A slice is an equal share
        of what is left, ``largest`` at most: the last ones are small, so no process waits
        long for another's at the end. This process's slices are smaller while the workers
        start, so they get their first as soon as they are there.

        With ``check``, once ``later`` items a worker at most are left, this process hands
        them all to the workers and returns, with ``check`` run here over every slice not
        done yet (a cheaper look at the same items): the workers go on while this process
        does other work, until `Handout.results`.
        """
        self.start()
        front, back = 0, len(items)  # items[front:back] are not handed out yet
        handout: Handout[_In, _Out] = Handout(self, function, items)
        done, running = handout.done, handout.running

        def share() -> int:
            return max(1, min(largest, (back - front) // (4 * self.count)))

        def own_share() -> int:
            # While the workers start, slices a quarter as large: they are handed work
            # between this process's slices, and wait no longer than one for their first.
            starting = self._starting is not None and self._starting.is_alive()
            return max(1, share() // 4) if starting else share()

        try:
            while front < back or running:
                # a slice or two queued for each worker, so none waits for this process to hand it one
                pool = self._started() if front < back else None
                if pool is not None and check is not None and back - front <= later * (self.count - 1):
                    while front < back:  # the rest, in slices a quarter as large as the largest at least
                        size = min(back - front, max(share(), largest // 4))
                        running[pool.submit(function, items[front : front + size])] = (front, front + size)
                        front += size
                    try:
                        for start, end in sorted(running.values()):
                            handout.checked[start, end] = check(items[start:end])
                    except BaseException:
                        handout.cancel()  # nobody will wait for them
                        raise
                    return handout
                while pool is not None and front < back and len(running) < 2 * (self.count - 1):
                    size = share()
                    piece = (front, front + size)
                    front += size
                    running[pool.submit(function, items[piece[0] : piece[1]])] = piece
                if front < back:
                    size = own_share()
                    piece = (back - size, back)
                    back -= size
                    done[piece] = function(items[piece[0] : piece[1]])
                    finished = [future for future in running if future.done()]
                else:
                    finished = list(wait(running, return_when=FIRST_COMPLETED).done)
                for future in finished:
                    done[running.pop(future)] = future.result()
        except BrokenProcessPool:
            handout.take_back((front, back))
        return handout

    def close(self) -> None:
        """Stop the worker processes (they start again when needed)."""
        self.ready()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class Handout(Generic[_In, _Out]):
    """The slices of a `Workers.hand_out`: those done, those the workers still have, and what ``check`` found."""

    def __init__(self, workers: Workers, function: Callable[[list[_In]], _Out], items: list[_In]) -> None:
        self.workers = workers
        self.function = function
        self.items = items
        self.done: dict[tuple[int, int], _Out] = {}
        self.running: dict[Future[_Out], tuple[int, int]] = {}
        self.checked: dict[tuple[int, int], _Out] = {}  # each slice not done when this process left them

    def verdicts(self) -> list[_Out]:
        """For every slice, in order, its result, or what ``check`` found when it was not done yet."""
        found = self.checked | self.done
        return [found[piece] for piece in sorted(found)]

    def results(self) -> list[_Out]:
        """Every slice's result, in order, once all are done: this process does those no worker has begun."""
        running = self.running
        try:
            while running:
                # the last slice still queued, taken back; else wait for a worker to finish one
                taken = next((future for future in reversed(running) if future.cancel()), None)
                if taken is not None:
                    start, end = running.pop(taken)
                    self.done[start, end] = self.function(self.items[start:end])
                    continue
                for future in wait(running, return_when=FIRST_COMPLETED).done:
                    self.done[running.pop(future)] = future.result()
        except BrokenProcessPool:
            self.take_back()
        return [self.done[piece] for piece in sorted(self.done)]

    def take_back(self, *left: tuple[int, int]) -> None:
        """Do here what the workers had (and ``left``), when one of them died: they are stopped."""
        self.workers.close()
        for start, end in [*self.running.values(), *left]:
            if start < end:
                self.done[start, end] = self.function(self.items[start:end])
        self.running.clear()

    def cancel(self) -> None:
        """Give up what the workers have not begun: wait only for the slices they are doing."""
        # Not a cancelled slice: the pool, closed meanwhile, may never mark it done.
        wait([future for future in self.running if not future.cancel()])
        self.running.clear()


def start_server(preload: Sequence[str] = (PRELOAD,)) -> None:
    """Start the server the workers are forked from, before they are needed.

    It imports ``preload`` for a third of a second, on another core, while this process
    goes on (importing the same modules, say); `Workers` with the same ``preload`` use it.
    A system that refuses a process, or has no fork server (Windows), is no error: `Workers`
    find out on their own.
    """
    try:
        _server_context(preload)
        with _bare_main():
            multiprocessing.forkserver.ensure_running()
    except (OSError, ValueError):
        return


def _server_context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    # Forking the build process itself could copy a lock held by one of `mkdocs serve`'s threads.
    context.set_forkserver_preload(list(preload))
    return context


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
