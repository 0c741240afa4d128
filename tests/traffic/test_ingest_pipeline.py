"""The threading helpers: bounded look-ahead, and errors that surface instead of vanishing."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from distillgov.traffic.pipeline import Worker, prefetch


def test_prefetch_yields_everything_in_order() -> None:
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))


def test_prefetch_reraises_the_producers_error_where_it_happened() -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("broken input")

    seen = []
    with pytest.raises(ValueError, match="broken input"):
        for item in prefetch(produce()):
            seen.append(item)
    assert seen == [1, 2]


def test_prefetch_stops_its_producer_when_the_consumer_stops() -> None:
    produced = []

    def produce() -> Iterator[int]:
        for i in range(1000):
            produced.append(i)
            yield i

    for item in prefetch(produce(), depth=1):
        if item == 2:
            break
    assert len(produced) < 10


def test_worker_handles_items_in_order_on_its_own_thread() -> None:
    handled: list[tuple[int, str]] = []
    worker: Worker[int] = Worker(
        lambda item: handled.append((item, threading.current_thread().name)), name="w"
    )
    for i in range(5):
        worker.submit(i)
    worker.close()
    assert [i for i, _ in handled] == list(range(5))
    assert {name for _, name in handled} == {"w"}


def test_a_failing_worker_fails_the_caller() -> None:
    def fail(item: int) -> None:
        raise OSError(f"disk full at {item}")

    worker: Worker[int] = Worker(fail)
    worker.submit(1)
    with pytest.raises(OSError, match="disk full at 1"):
        for i in range(2, 100):
            worker.submit(i)
        worker.close()
