"""The hot public look-ups, answered outside any transaction, cached per process, as ready JSON bytes.

Every decision appends to the log in the same transaction as the decision, so the log's tree size
names a state of the registry: a public answer computed after reading size N is valid for every
request that reads size N, and the first request after a new decision reads a larger size, misses,
and sees the decision. The size is read before the data, so an answer stored under N is never older
than state N (at worst newer, if a decision committed in between, which is still a correct answer).
Answers are validated once, against the same response models the OpenAPI document declares, and
serialised once; the route returns the bytes, so FastAPI does not validate them a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager
from threading import Lock

import sqlalchemy as sa
from pydantic import TypeAdapter

from distillgov.registry import translog
from distillgov.registry.actors import Actor
from distillgov.registry.api.responses import LineageOut, ModelOut
from distillgov.registry.db import Database
from distillgov.registry.service import protected_models, provenance
from distillgov.registry.service.context import Context

MODEL_LIST = TypeAdapter(list[ModelOut])
LINEAGE_LIST = TypeAdapter(list[LineageOut])
MAX_CACHED_ANSWERS = 4096


class AnswersAtSize:
    """Answers valid at one tree size; a larger size observed drops them all (they may be stale)."""

    def __init__(self, max_entries: int = MAX_CACHED_ANSWERS) -> None:
        self._max_entries = max_entries
        self._size = -1
        self._answers: dict[Hashable, bytes] = {}
        self._lock = Lock()

    def get(self, size: int, key: Hashable) -> bytes | None:
        with self._lock:
            return self._answers.get(key) if size == self._size else None

    def put(self, size: int, key: Hashable, answer: bytes) -> None:
        with self._lock:
            if size > self._size:
                self._size, self._answers = size, {}
            if size == self._size:
                if len(self._answers) >= self._max_entries:
                    self._answers.clear()  # bounded memory; a miss only costs one query
                self._answers[key] = answer


class PublicReads:
    """The public's answers: the same for every caller, so a token (if any) does not enter the key."""

    def __init__(
        self, db: Database, reading: Callable[[Actor | None], AbstractContextManager[Context]]
    ) -> None:
        self._db = db
        self._reading = reading
        self._answers = AnswersAtSize()

    def models(self, *, name: str | None, digest: str | None, limit: int) -> bytes:
        """`GET /v1/models`: the public views of the models matching name and/or digest, as JSON."""

        def compute(connection: sa.Connection) -> bytes:
            found = protected_models.lookup(connection, name=name, digest=digest, limit=limit)
            return MODEL_LIST.dump_json(MODEL_LIST.validate_python(found))

        return self._cached(("models", name, digest, limit), lambda: self._db.outside_transaction(compute))

    def lineages(self, *, digest: str | None, name: str | None, limit: int) -> bytes:
        """`GET /v1/provenance`: student models' lineage (several statements: one read snapshot)."""

        def compute() -> bytes:
            with self._reading(None) as ctx:
                found = provenance.lookup(ctx, digest=digest, name=name, limit=limit)
            return LINEAGE_LIST.dump_json(LINEAGE_LIST.validate_python(found))

        return self._cached(("lineages", digest, name, limit), compute)

    def _cached(self, key: Hashable, compute: Callable[[], bytes]) -> bytes:
        size = self._db.outside_transaction(translog.tree_size)
        answer = self._answers.get(size, key)
        if answer is None:
            answer = compute()
            self._answers.put(size, key, answer)
        return answer
