"""One code path, two engines: Spark (local mode) must produce the same findings as DuckDB.

Spark starts in ~10 s and runs each of the ~40 small stages slowly, so this is the only Spark
test and it reads a tiny week (seed 7302, never used in development).
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


@pytest.mark.slow
def test_spark_and_duckdb_give_the_same_findings(
    spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    week = simulate_week(tmp_path_factory.mktemp("parity"), rows=6_000, seed=7302, scenario="swarm")
    traffic = week / "exchanges.parquet"
    on_duckdb = _findings(traffic, Engine("duckdb"))
    on_spark = _findings(traffic, Engine("pyspark", spark_session=spark))
    assert on_spark["summary"] == on_duckdb["summary"]
    for left, right in zip(on_duckdb["accounts"], on_spark["accounts"], strict=True):
        assert left["account_id"] == right["account_id"]
        assert left["flagged"] == right["flagged"]
        assert left["campaign_id"] == right["campaign_id"]
        assert np.isclose(left["score"], right["score"], atol=1e-6)
        assert [s["name"] for s in left["signals"]] == [s["name"] for s in right["signals"]]
        for a, b in zip(left["signals"], right["signals"], strict=True):
            assert (a["value"] is None) == (b["value"] is None)
            if a["value"] is not None:
                assert np.isclose(a["value"], b["value"], rtol=1e-6), a["name"]
    assert [c["accounts"] for c in on_duckdb["campaigns"]] == [c["accounts"] for c in on_spark["campaigns"]]
    assert on_duckdb["parameters"]["baselines"] == on_spark["parameters"]["baselines"]
    assert on_spark["summary"]["flagged"] > 0  # last: the comparison above must cover flagged accounts too
