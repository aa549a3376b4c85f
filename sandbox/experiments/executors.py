"""Where experiment runs execute: one ``concurrent.futures`` code path for every backend.

* ``workers=1``: :class:`SerialExecutor`, in this process (easy to debug, no start-up cost);
* ``workers=N`` or ``None`` (one per core): loky's reusable process pool;
* ``scheduler="local"``: a Dask ``LocalCluster`` started (and closed) for the call;
* ``scheduler="tcp://host:8786"``: an existing Dask cluster;
* ``scheduler=<Executor or distributed.Client>``: one the caller owns (left open).

Runs are sent in chunks of several runs, because a Dask task or a process
round trip costs milliseconds while a small run takes tens of them. At most a
few chunks per worker are in flight, so finished runs come back (and are
written) while later ones are still queued.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# Chunks in flight per worker: enough to keep each worker busy while the
# parent writes results, few enough that results stream back early.
IN_FLIGHT_PER_WORKER = 2
# Chunks per worker the work is cut into (load balance at the end) and the
# largest chunk (how much work a kill can lose, how long a worker may idle at the
# end). A Dask task costs ~3 ms and a small run ~30 ms, so 8 runs amortise it.
CHUNKS_PER_WORKER = 8
MAX_CHUNK = 8
# Seconds between a worker's checks that its parent is alive (see die_with_parent).
PARENT_POLL = 0.5


class SerialExecutor(Executor):
    """Runs each call when it is submitted, in this process.

    The future returned is already finished, so the caller's loop handles it at
    once: with one worker every run is written as soon as it ends.
    """

    def submit[R](self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        """Call ``fn(*args, **kwargs)`` now and return its finished future."""
        future: Future[R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - delivered through the future like any executor
            future.set_exception(exc)
        return future


@dataclass
class Backend:
    """An executor and how many runs it executes at once.

    Attributes:
        executor: where chunks are submitted.
        workers: how many chunks run at once (sizes the chunks and the window).
        name: what it is, for messages (``"serial"``, ``"loky(2)"``, ``"dask(local, 2)"``).
    """

    executor: Executor
    workers: int
    name: str


def die_with_parent(parent: int, poll: float = PARENT_POLL) -> None:
    """Worker initializer: end this process as soon as ``parent`` (the process that started it) is gone.

    Loky workers notice a dead parent only between tasks, so a worker in a
    long run outlives a killed parent by minutes. A daemon thread polls the
    parent's id instead. Why not Linux's ``prctl(PR_SET_PDEATHSIG)``: it fires
    when the *thread* that started the worker ends (loky starts workers from
    its manager thread as well as the caller's), which would kill healthy
    workers, and it exists on Linux only; polling ``os.getppid()`` works on
    every POSIX system and costs one wake-up per ``poll`` seconds.
    """
    if os.getppid() != parent:  # the parent died before this worker got here
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(poll)
            if os.getppid() != parent:  # re-parented: the parent is gone
                # _exit, not exit: end the run in progress now, skipping cleanup meant for the parent.
                os._exit(1)

    threading.Thread(target=watch, name="sandbox-die-with-parent", daemon=True).start()


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not on Linux
        return max(os.cpu_count() or 1, 1)


@contextmanager
def open_backend(workers: int | None = None, scheduler: str | Executor | Any | None = None) -> Iterator[Backend]:
    """Open the executor that ``workers`` and ``scheduler`` name, and close what was opened.

    Args:
        workers: processes to use (``None``: one per core; ``1``: serial, in
            this process). With ``scheduler="local"``, the cluster's workers.
        scheduler: ``None`` (local: serial or loky), ``"local"`` (a Dask
            ``LocalCluster``), a Dask scheduler address (``"tcp://host:8786"``),
            or an executor or ``distributed.Client`` the caller owns.

    Raises:
        ValueError: ``workers`` below 1 or an unrecognised ``scheduler``.
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers: found {workers}; allowed: 1 or more")
    if scheduler is None:
        n = workers or default_workers()
        if n == 1:
            yield Backend(SerialExecutor(), 1, "serial")
            return
        from loky import get_reusable_executor

        # Reusable: the worker processes (and their imports) survive between calls.
        executor = get_reusable_executor(max_workers=n, initializer=die_with_parent, initargs=(os.getpid(),))
        yield Backend(executor, n, f"loky({n})")
        return
    if isinstance(scheduler, Executor):
        yield Backend(scheduler, workers or default_workers(), type(scheduler).__name__)
        return
    if hasattr(scheduler, "get_executor"):  # a distributed.Client the caller owns
        yield Backend(scheduler.get_executor(pure=False), workers or _dask_threads(scheduler), "dask")
        return
    if not isinstance(scheduler, str) or not (scheduler == "local" or "://" in scheduler):
        raise ValueError(f"scheduler: found {scheduler!r}; allowed: 'local' or an address like tcp://host:8786")
    from distributed import Client, LocalCluster

    if scheduler == "local":
        n = workers or default_workers()
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
        try:
            yield Backend(client.get_executor(pure=False), n, f"dask(local, {n})")
        finally:
            client.close()
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as err:
        raise ValueError(f"scheduler: cannot connect to {scheduler}: {err}") from None
    try:
        yield Backend(client.get_executor(pure=False), workers or _dask_threads(client), f"dask({scheduler})")
    finally:
        client.close()


def _dask_threads(client: Any) -> int:
    return max(sum(client.nthreads().values()), 1)


def chunk[T](items: Sequence[T], workers: int, size: int | None = None) -> list[list[T]]:
    """Cut ``items`` into chunks: about ``CHUNKS_PER_WORKER`` per worker, at most ``MAX_CHUNK`` long.

    With one worker every chunk is one item (nothing to amortise, and each run
    is written as soon as it ends).
    """
    if size is None:
        size = 1 if workers == 1 else min(MAX_CHUNK, math.ceil(len(items) / (workers * CHUNKS_PER_WORKER)))
    size = max(size, 1)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def run_chunks[T, R](
    backend: Backend,
    fn: Callable[[list[T]], list[R]],
    chunks: Sequence[list[T]],
    on_result: Callable[[list[R]], None],
    on_error: Callable[[list[T], BaseException], None],
) -> None:
    """Submit ``fn(chunk)`` for every chunk and hand each chunk's results to ``on_result`` as it ends.

    ``fn`` is expected to catch its own per-item errors; a chunk that raises
    anyway (a worker killed, a result that cannot be sent back) is handed to
    ``on_error`` and the other chunks go on.
    """
    window = max(backend.workers * IN_FLIGHT_PER_WORKER, 1)
    pending: dict[Future[list[R]], list[T]] = {}

    def handle(done: set[Future[list[R]]]) -> None:
        for future in done:
            items = pending.pop(future)
            try:
                results = future.result()
            except Exception as exc:  # noqa: BLE001 - reported per run by the caller
                on_error(items, exc)
            else:
                on_result(results)

    try:
        for items in chunks:
            while len(pending) >= window:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                handle(done)
            pending[backend.executor.submit(fn, items)] = items
            # A serial executor has already finished it: write it before the next one.
            handle({f for f in pending if f.done()})
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            handle(done)
    except BaseException:
        # Interrupted (Ctrl-C) or the caller failed: don't leave queued chunks running for nobody.
        for future in pending:
            future.cancel()
        raise
