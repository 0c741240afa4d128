"""`make bench`: the data layer's speed and memory figures, written as JSON under benchmarks/results/.

Figures are measured on the real CLI at the requested size, each against a bare library baseline
taken in the same run on the same file, so ratios stay meaningful on any machine.

    python -m benchmarks.run --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.bench_detect import bench_detect, bench_detect_latency, bench_detect_quality
from benchmarks.bench_registry import bench_registry
from benchmarks.measure import Measurement, machine_block, python_snippet, run_measured

DISTILLGOV = [str(Path(sys.executable).with_name("distillgov"))]
SEED = 20261123  # fixed so that anyone can regenerate the exact benchmark traffic
INGEST_SPEED_TARGET = 1 / 3  # store written at >= a third of bare-read speed
INGEST_MEMORY_TARGET_MIB = 2048

BARE_READS = {
    "parquet": "import pyarrow.parquet as pq, sys; t = pq.read_table(sys.argv[1]); print(t.num_rows)",
    # Streaming, like ingest: a whole-file read_json of 10M rows needs ~15 GB and is no fair baseline.
    "jsonl.gz": (
        "import pyarrow.json as pj, sys; "
        "r = pj.open_json(sys.argv[1], read_options=pj.ReadOptions(block_size=64 << 20)); "
        "print(sum(b.num_rows for b in r))"
    ),
}


def _git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or "unknown"


def _simulate(rows: int, out: Path, fmt: str = "parquet") -> tuple[Measurement, Path]:
    """Generate the benchmark traffic as one file of `fmt`; the seed makes every format hold the same rows."""
    if out.exists():
        shutil.rmtree(out)
    measurement = run_measured(
        [*DISTILLGOV, "simulate", "--rows", str(rows), "--seed", str(SEED), "--scenario", "default",
         "--format", fmt, "--out", str(out), "--quiet"]
    )  # fmt: skip
    traffic = out / f"exchanges.{fmt}"
    if not traffic.is_file():
        raise RuntimeError(f"the simulator wrote no {traffic}")
    (out / ".bench-rows").write_text(f"{rows}:{SEED}")
    return measurement, traffic


def _traffic(rows: int, work: Path, fmt: str) -> Path:
    """The benchmark traffic in `fmt`, reusing what an earlier benchmark of this run already wrote."""
    out = work / f"sim-{fmt}"
    marker = out / ".bench-rows"
    if marker.exists() and marker.read_text() == f"{rows}:{SEED}":
        return out / f"exchanges.{fmt}"
    return _simulate(rows, out, fmt)[1]


def _count_rows(parquet: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(parquet).metadata.num_rows)


def bench_simulate(rows: int, work: Path) -> dict[str, Any]:
    measurement, traffic = _simulate(rows, work / "sim-parquet")
    produced = _count_rows(traffic)
    return {
        "rows_requested": rows,
        "rows_written": produced,
        "rows_per_s": round(produced / measurement.wall_s),
        "seed": SEED,
        "run": measurement.as_dict(),
    }


def _bench_ingest_one(source: Path, fmt: str, rows: int, work: Path) -> dict[str, Any]:
    bare = run_measured([*python_snippet(BARE_READS[fmt]), str(source)])
    store = work / f"store-{fmt}"
    if store.exists():
        shutil.rmtree(store)
    ingest = run_measured([*DISTILLGOV, "ingest", str(source), "--out", str(store), "--quiet"])
    speed_ratio = bare.wall_s / ingest.wall_s
    return {
        "format": fmt,
        "rows": rows,
        "file_mib": round(source.stat().st_size / 2**20, 1),
        "bare_read": bare.as_dict(),
        "ingest": ingest.as_dict(),
        "ingest_rows_per_s": round(rows / ingest.wall_s),
        "bare_rows_per_s": round(rows / bare.wall_s),
        "speed_ratio_vs_bare_read": round(speed_ratio, 3),
        "speed_target": round(INGEST_SPEED_TARGET, 3),
        "speed_target_met": speed_ratio >= INGEST_SPEED_TARGET,
        "peak_rss_target_mib": INGEST_MEMORY_TARGET_MIB,
        "peak_rss_target_met": ingest.peak_rss_mib < INGEST_MEMORY_TARGET_MIB,
    }


def bench_ingest(rows: int, work: Path) -> dict[str, Any]:
    parquet = _traffic(rows, work, "parquet")
    jsonl_gz = _traffic(rows, work, "jsonl.gz")
    written = _count_rows(parquet)
    return {
        "seed": SEED,
        "sources": [
            _bench_ingest_one(parquet, "parquet", written, work),
            _bench_ingest_one(jsonl_gz, "jsonl.gz", written, work),
        ],
    }


BENCHMARKS = {
    "simulate": bench_simulate,
    "ingest": bench_ingest,
    "detect": bench_detect,
    "detect-quality": bench_detect_quality,
    "detect-latency": bench_detect_latency,
    "registry": bench_registry,  # loopback load with wrk (Debian's package); ignores --rows
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append")
    parser.add_argument("--work", type=Path, default=Path("bench-data"))
    parser.add_argument("--results-dir", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    for name in args.only or list(BENCHMARKS):
        print(f"== {name} at {args.rows:,} rows", flush=True)
        figures = BENCHMARKS[name](args.rows, args.work)
        result = {
            "benchmark": name,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": _git_commit(),
            "machine": machine_block(),
            **figures,
        }
        path = args.results_dir / f"{name}.json"
        path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(json.dumps({k: v for k, v in result.items() if k not in ("machine",)}, indent=2)[:3000])
        print(f"-> {path}", flush=True)


if __name__ == "__main__":
    main()
