"""Turn sorted narrow rows into canonical exchange rows (see `distillgov.traffic.schema`).

The output columns are derived from `EXCHANGE_SCHEMA` itself; this module only knows how to
produce each named column, and refuses to run if the contract names a column it cannot fill.
Per-account strings (ids, creation times) are formatted once and gathered with `take`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillgov.traffic.schema import EXCHANGE_FIELDS, EXCHANGE_SCHEMA, FieldKind
from distillgov.traffic.simulator.arrowops import Array, join, prefix, to_numpy, where
from distillgov.traffic.simulator.encoding import format_ids, format_ipv4, format_iso_utc, id_keys
from distillgov.traffic.simulator.generate import STATUS
from distillgov.traffic.simulator.plan import Plan
from distillgov.traffic.simulator.templates import COMPLETION_PARTS, PROMPT_PARTS, Corpus

ID_PREFIXES = {
    "request_id": "req_",
    "account_id": "acct_",
    "organization_id": "org_",
    "api_key_id": "key_",
    "payment_fingerprint": "fp_",
    "conversation_id": "conv_",
    "campaign_id": "camp_",
}
Producer = Callable[[pa.RecordBatch, npt.NDArray[np.int64]], Array]


def output_schema(text: bool, relaxed: bool) -> pa.Schema:
    """The contract as written: timestamps become ISO-8601 strings in text formats, and every
    column becomes nullable when faults are injected on purpose (a missing account id)."""
    fields: list[pa.Field[Any]] = []
    for spec, contract in zip(EXCHANGE_FIELDS, EXCHANGE_SCHEMA, strict=True):
        written = contract.with_type(pa.string()) if text and spec.kind is FieldKind.TIMESTAMP else contract
        fields.append(written.with_nullable(True) if relaxed else written)
    return pa.schema(fields)


def ids(plan: Plan, column: str, numbers: npt.ArrayLike, valid: npt.NDArray[np.bool_] | None = None) -> Array:
    """Ids of one family: the same encoding for every population, keyed by the run seed."""
    return format_ids(numbers, id_keys(plan.seed, column), ID_PREFIXES[column], valid)


def _column(batch: pa.RecordBatch, name: str) -> npt.NDArray[Any]:
    return to_numpy(batch.column(name))


@dataclass
class Renderer:
    plan: Plan
    corpus: Corpus
    completion_chars: int
    text: bool
    relaxed: bool = False
    producers: dict[str, Producer] = field(init=False)

    def __post_init__(self) -> None:
        plan, accounts = self.plan, self.plan.accounts
        self.schema = output_schema(self.text, self.relaxed)
        per_account = {
            "account_id": ids(plan, "account_id", np.arange(len(accounts))),
            "organization_id": ids(plan, "organization_id", accounts.org),
            "payment_fingerprint": ids(
                plan, "payment_fingerprint", np.maximum(accounts.payment, 0), accounts.payment >= 0
            ),
            "account_created_at": self._timestamps(accounts.created_us),
        }
        keys = ids(plan, "api_key_id", np.arange(int((accounts.key_offset + accounts.key_count).max())))
        lookups = {
            "user_agent": ("ua", pa.array(plan.user_agents, pa.string())),
            "model": ("model", pa.array(plan.model_names, pa.string())),
            "status": ("status", pa.array(STATUS, pa.string())),
            "api_key_id": ("key", keys),
        }
        self.prompt_texts = self.corpus.pool.texts
        self.completion_texts = prefix(self.corpus.pool.texts, max(self.completion_chars, 1))

        def by_account(values: Array) -> Producer:
            return lambda b, _: values.take(b.column("account"))

        def lookup(column: str, values: Array) -> Producer:
            return lambda b, _: values.take(b.column(column))

        producers: dict[str, Producer] = {name: by_account(v) for name, v in per_account.items()}
        producers |= {name: lookup(column, values) for name, (column, values) in lookups.items()}
        producers |= {
            "request_id": lambda b, positions: ids(plan, "request_id", positions),
            "timestamp": lambda b, _: self._timestamps(_column(b, "ts")),
            "client_ip": lambda b, _: format_ipv4(_column(b, "ip")),
            "prompt": lambda b, _: self._joined(self.prompt_texts, b, "p", PROMPT_PARTS),
            "completion": lambda b, _: self._completion(b),
            "input_tokens": lambda b, _: b.column("input_tokens"),
            "output_tokens": lambda b, _: b.column("output_tokens"),
            "max_tokens": lambda b, _: self._optional_count(_column(b, "max_tokens")),
            "conversation_id": lambda b, _: ids(plan, "conversation_id", _column(b, "conversation")),
            "turn_index": lambda b, _: b.column("turn").cast(pa.int64()),
        }
        missing = set(self.schema.names) - set(producers)
        if missing:
            raise RuntimeError(f"the simulator cannot produce contract columns {sorted(missing)}")
        self.producers = producers

    def _timestamps(self, micros: npt.NDArray[np.int64]) -> Array:
        if self.text:
            return format_iso_utc(micros)
        return pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC"))

    @staticmethod
    def _optional_count(numbers: npt.NDArray[Any]) -> Array:
        return pa.array(numbers.astype(np.int64), pa.int64(), mask=numbers <= 0)

    @staticmethod
    def _joined(texts: Array, batch: pa.RecordBatch, column: str, parts: int) -> Array:
        pieces = [texts.take(batch.column(f"{column}{i}")) for i in range(parts)]
        return join(pieces).cast(pa.string())

    def _completion(self, batch: pa.RecordBatch) -> Array:
        if self.completion_chars <= 0:
            return pa.nulls(batch.num_rows, pa.string())
        text = prefix(
            self._joined(self.completion_texts, batch, "c", COMPLETION_PARTS), self.completion_chars
        )
        return where(_column(batch, "status") != 0, pa.scalar(None, pa.string()), text)

    def render(self, batch: pa.RecordBatch, first_position: int) -> pa.RecordBatch:
        """Canonical columns for a batch whose first row is row `first_position` of the sorted run."""
        positions = np.arange(first_position, first_position + batch.num_rows, dtype=np.int64)
        columns = [self.producers[name](batch, positions) for name in self.schema.names]
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)
