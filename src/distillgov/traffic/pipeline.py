"""Small threading helpers that let decompression, parsing, validation and writing overlap.

Each stage spends its time in C code that releases the GIL (zlib, Arrow, DuckDB, Parquet
encoders), so plain threads joined by short bounded queues use several cores while keeping
at most a few batches in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_POLL_SECONDS = 0.1


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Iterate `items` in a background thread, at most `depth` items ahead.

    An exception in the producer is raised in the consumer at the point it was reached; a
    consumer that stops early stops the producer too.
    """
    channel: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                channel.put(entry, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((False, None))
        except BaseException as error:  # handed to the consumer, which re-raises it
            put((False, error))

    worker = threading.Thread(target=produce, name="distillgov-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            ok, item = channel.get()
            if not ok:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        worker.join()


class Worker(Generic[T]):
    """A thread that applies `handle` to submitted items in order; errors surface on `submit`
    or `close`, so a failing writer stops the run instead of losing rows silently."""

    def __init__(self, handle: Callable[[T], None], depth: int = 2, name: str = "distillgov-worker") -> None:
        self._handle = handle
        self._channel: queue.Queue[tuple[bool, T | None]] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            more, item = self._channel.get()
            if not more:
                return
            if self._error is None:
                try:
                    self._handle(item)  # type: ignore[arg-type]
                except BaseException as error:  # re-raised by submit() or close()
                    self._error = error

    @property
    def backlog(self) -> int:
        return self._channel.qsize()

    def submit(self, item: T) -> None:
        if self._error is not None:
            raise self._error
        self._channel.put((True, item))

    def close(self) -> None:
        self._channel.put((False, None))
        self._thread.join()
        if self._error is not None:
            raise self._error
