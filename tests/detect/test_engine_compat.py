"""Canaries for the library versions under the Ibis code path.

Ibis 12 with sqlglot >= 28 emitted SQL that DuckDB 2.0 rejects on `create_table`
(`ParserException ... DROP VIEW IF EXISTS`), and Ibis's array lambdas use the `->` syntax DuckDB
2.0 refuses. These tests exercise exactly those paths so that the next such break fails here,
with a clear name, rather than deep inside a detection run.
"""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest

from distillgov.detect.engines import Engine


def test_ibis_can_create_and_read_tables_on_duckdb() -> None:
    engine = Engine("duckdb")
    table = engine.backend.create_table("canary", pa.table({"a": [1, 2, 3]}), overwrite=True)
    assert table.a.sum().to_pyarrow().as_py() == 6


def test_detection_uses_no_array_lambdas() -> None:
    engine = Engine("duckdb")
    t = engine.backend.create_table("arrays", pa.table({"v": [[1, 2], [3, 4]]}), overwrite=True)
    joined = ibis.literal(",").join([t.v[0].cast("string"), t.v[1].cast("string")])
    assert t.select(k=joined).to_pyarrow().column("k").to_pylist() == ["1,2", "3,4"]
    with pytest.raises(Exception, match="lambda"):  # if this starts passing, lambdas are usable again
        t.select(k=t.v.map(lambda x: x + 1)).to_pyarrow()
