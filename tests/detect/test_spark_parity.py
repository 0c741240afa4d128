"""One code path, two engines: Spark (local mode) must produce the same findings as DuckDB.

Spark starts in ~10 s and runs each of the ~40 small stages slowly, so this is the only Spark
test and it reads a small week: seed 7302's swarm scenario at 15,000 rows, chosen because it
draws a 4-account swarm harvesting reasoning traces (scenario.json), which detection flags, so
the comparison covers flagged accounts, their evidence and their campaign. At 6,000 rows the
same seed draws a 2-account swarm that nothing flags, and parity on it would cover scores only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import simulate_week

from distillgov.detect.engines import Engine, local_spark_session
from distillgov.detect.findings import build_findings
from distillgov.detect.pipeline import detect

pytest.importorskip("pyspark")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    session = local_spark_session(cores=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _findings(path: Path, engine: Engine) -> dict[str, Any]:
    analysis, inputs = detect([path], engine=engine)
    return build_findings(analysis, [i.as_dict() for i in inputs], {})


def _assert_same(left: Any, right: Any, where: str = "findings") -> None:
    """Whole documents equal, floats to 1e-6 (the engines sum in different orders)."""
    if isinstance(left, dict) and isinstance(right, dict):
        assert left.keys() == right.keys(), where
        for key in left:
            _assert_same(left[key], right[key], f"{where}.{key}")
    elif isinstance(left, list) and isinstance(right, list):
        assert len(left) == len(right), where
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            _assert_same(a, b, f"{where}[{i}]")
    elif isinstance(left, float) or isinstance(right, float):
        assert isinstance(left, int | float) and isinstance(right, int | float), (where, left, right)
        assert np.isclose(left, right, rtol=1e-6, atol=1e-9), (where, left, right)
    else:
        assert left == right, (where, left, right)


@pytest.mark.slow
def test_spark_and_duckdb_give_the_same_findings(
    spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    week = simulate_week(tmp_path_factory.mktemp("parity"), rows=15_000, seed=7302, scenario="swarm")
    traffic = week / "exchanges.parquet"
    on_duckdb = _findings(traffic, Engine("duckdb"))
    on_spark = _findings(traffic, Engine("pyspark", spark_session=spark))
    _assert_same(on_duckdb, on_spark)
    # last: the comparison above must have covered flagged accounts and a campaign
    assert on_duckdb["summary"]["flagged"] > 0 and on_duckdb["campaigns"]
