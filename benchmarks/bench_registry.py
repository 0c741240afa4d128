"""`python -m benchmarks.bench_registry`: the registry under load on loopback, SQLite and PostgreSQL.

For each backend a real `distillgov registry serve --workers 2` is started on a seeded database and
driven by wrk (Debian's package; a C load generator, so the client takes little of the 2 cores the
server needs): the public look-up by weights digest, the provenance look-up of a student, and
notice filing (a write that runs the law engine and appends two log entries, each with a fresh
Idempotency-Key from a Lua script). In the same run, with the same uvicorn settings, a bare FastAPI
endpoint returning a constant gives the framework's ceiling on this machine, and the look-up's
requests/s are reported as a ratio to it. Every phase is bounded in time (DURATION_S), runs after a
short warm-up, and records the machine's load average: other work on the two cores lowers figures.

wrk is closed-loop: latency percentiles are those of the requests it sent (coordinated omission is
not corrected), which is standard for throughput figures and understates tails under overload.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks.measure import machine_block
from distillgov.registry.cli import WORKER_HEALTHCHECK_TIMEOUT_S

WORKERS = 2
CONNECTIONS = 32
WRK_THREADS = 1
DURATION_S = 20
WARMUP_S = 4
SEED_MODELS = 200
LOOKUP_TARGET_RPS = 1000
LOOKUP_TARGET_P99_MS = 50
RATIO_TARGET = 0.5
RESULTS = Path("benchmarks/results")

REPORT_LUA = """
done = function(summary, latency, requests)
  io.write(string.format('WRK-JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
    .. '"errors_status": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, '
    .. '"errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""

NOTICE_LUA = """
local counter = 0
local nonce = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "bench-" .. nonce .. "-" .. counter
  return wrk.format("POST", "/v1/notices", nil, wrk.body)
end
"""


def bare_app() -> Any:
    """The baseline: the same framework and server, one route returning a constant, no database."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/bare")
    def bare() -> dict[str, str]:
        return {"status": "ok", "body": "constant"}

    return app


@dataclass(frozen=True)
class Target:
    """A server under load: its URL, and the processes whose CPU time is charged to its requests."""

    url: str
    process_group: int
    database_pid: int | None = None


def _proc_stats() -> list[tuple[int, int, int, float]]:
    """(pid, ppid, process group, CPU seconds) of every process, from /proc.

    CPU seconds include those of the process's reaped children, so a worker that exits (and is
    replaced) during a measurement still has its time counted, by its parent.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        found.append(
            (
                int(stat.parent.name),
                int(fields[1]),
                int(fields[2]),
                sum(int(x) for x in fields[11:15]) / ticks,  # utime, stime, cutime, cstime
            )
        )
    return found


def _cpu_seconds(target: Target) -> float:
    """CPU time so far of the server's process group and, for PostgreSQL, the postmaster and its backends.

    CPU per request does not depend on what else runs on the machine, unlike requests per second.
    """
    total = 0.0
    for pid, ppid, group, seconds in _proc_stats():
        if group == target.process_group or target.database_pid in (pid, ppid):
            total += seconds
    return total


def _git_commit() -> str:
    found = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    return found.stdout.strip() or "unknown"


def _wrk(url: str, path: str, work: Path, *, body: str | None = None, token: str | None = None,
         duration: int = DURATION_S) -> dict[str, Any]:  # fmt: skip
    """One wrk run; its figures come from the Lua `done` hook as JSON, not from scraping text."""
    script = work / ("notice.lua" if body else "get.lua")
    lua = REPORT_LUA
    if body is not None:
        lua = "wrk.method = 'POST'\nwrk.body = " + json.dumps(body) + "\n" + NOTICE_LUA + lua
        lua = "wrk.headers['Content-Type'] = 'application/json'\n" + lua
    if token is not None:
        lua = f"wrk.headers['Authorization'] = 'Bearer {token}'\n" + lua
    script.write_text(lua, encoding="utf-8")
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{duration}s",
               "--timeout", "10s", "-s", str(script), url + path]  # fmt: skip
    load_before = os.getloadavg()
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    load_after = os.getloadavg()
    line = next(x for x in finished.stdout.splitlines() if x.startswith("WRK-JSON "))
    raw = json.loads(line.removeprefix("WRK-JSON "))
    errors = sum(raw[k] for k in raw if k.startswith("errors_"))
    seconds = raw["duration_us"] / 1e6
    return {
        "path": path,
        "method": "POST" if body else "GET",
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": errors,
        "errors_by_kind": {k.removeprefix("errors_"): raw[k] for k in raw if k.startswith("errors_")},
        "load_average_1m_before": round(load_before[0], 2),
        "load_average_1m_after": round(load_after[0], 2),
    }


def _measure(target: Target, path: str, work: Path, duration: int, **options: Any) -> dict[str, Any]:
    _wrk(target.url, path, work, duration=min(WARMUP_S, duration), **options)
    cpu_before = _cpu_seconds(target)
    figures = _wrk(target.url, path, work, duration=duration, **options)
    cpu = _cpu_seconds(target) - cpu_before
    return figures | {
        "server_cpu_s": round(cpu, 2),
        "server_cpu_ms_per_request": round(1000 * cpu / max(figures["requests"], 1), 3),
    }


def _seed(database_url: str) -> dict[str, Any]:
    """Users, SEED_MODELS protected models and a notice per tenth model, through the service layer."""
    from tests.registry import scenario, servers

    from distillgov.registry.actors import Actor, authenticate
    from distillgov.registry.db import Database
    from distillgov.registry.migrate import upgrade
    from distillgov.registry.models import Role
    from distillgov.registry.schemas import NoticeIn, ProtectedModelIn
    from distillgov.registry.service import notices, protected_models

    database = Database(database_url)
    upgrade(database)
    database.dispose()
    with servers.operator(database_url) as ctx:
        owner = servers.add_user(ctx, "Frontier Lab", Role.teacher_owner, "owner")
        distiller = servers.add_user(ctx, "CloneCorp", Role.distiller, "distiller")
    with servers.operator(database_url) as ctx:
        owner_actor: Actor = authenticate(ctx.session, owner, ctx.now())
        distiller_actor: Actor = authenticate(ctx.session, distiller, ctx.now())
        digests, students = [], []
        for i in range(SEED_MODELS):
            ctx.actor = owner_actor
            body = scenario.protected_model(f"Bench-{i:04d}", release_date=ctx.today().isoformat())
            model = protected_models.register(ctx, ProtectedModelIn.model_validate(body))
            digests.append(model.weights_digest)
            if i % 10 == 0:
                ctx.actor = distiller_actor
                notice = notices.file(
                    ctx, NoticeIn.model_validate(scenario.research_notice(model.id, f"Student-{i}"))
                )
                students.append(notice.student_digest)
        teacher = model.id
    return {
        "owner": owner,
        "distiller": distiller,
        "digests": digests,
        "students": students,
        "teacher": teacher,
    }


@contextmanager
def _process(command: list[str], url: str, log: Path, database_pid: int | None = None) -> Iterator[Target]:
    from tests.registry import servers

    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = servers.Server(process, url, log)
    try:
        servers.wait_healthy(server)
        yield Target(url, process.pid, database_pid)
    finally:
        server.stop()


def _registry(database_url: str, work: Path, name: str, database_pid: int | None) -> Any:
    from tests.registry import servers

    key, _vkey = servers.key_file(work)
    port = servers.free_port()
    command = [servers.DISTILLGOV, "registry", "serve", "--db", database_url, "--log-key", str(key),
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)]  # fmt: skip
    return _process(command, f"http://127.0.0.1:{port}", work / f"{name}.log", database_pid)


def _bare(work: Path) -> Any:
    from tests.registry import servers

    port = servers.free_port()
    command = [sys.executable, "-m", "uvicorn", "benchmarks.bench_registry:bare_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS),
               "--timeout-worker-healthcheck", str(WORKER_HEALTHCHECK_TIMEOUT_S)]  # fmt: skip  # as `serve`
    return _process(command, f"http://127.0.0.1:{port}", work / "bare.log")


def bench_backend(
    backend: str, database_url: str, work: Path, duration: int, database_pid: int | None = None
) -> dict[str, Any]:
    from tests.registry import scenario

    seeded = _seed(database_url)
    notice = scenario.research_notice(seeded["teacher"], "Bench-Student")
    middle = seeded["digests"][len(seeded["digests"]) // 2]
    with _bare(work) as bare_target:
        bare = _measure(bare_target, "/bare", work, duration)
    with _registry(database_url, work, f"registry-{backend}", database_pid) as target:
        lookup = _measure(target, f"/v1/models?digest={middle}", work, duration)
        lineage = _measure(target, f"/v1/provenance?digest={seeded['students'][0]}", work, duration)
        body = json.dumps(notice)
        filing = _measure(target, "/v1/notices", work, duration, body=body, token=seeded["distiller"])
    ratio = lookup["requests_per_s"] / bare["requests_per_s"]
    cpu_ratio = bare["server_cpu_ms_per_request"] / max(lookup["server_cpu_ms_per_request"], 1e-9)
    return {
        "backend": backend,
        "seeded_models": SEED_MODELS,
        "bare_constant_endpoint": bare,
        "lookup_by_weights_digest": lookup,
        "provenance_lookup_by_student_digest": lineage,
        "notice_filing": filing,
        "lookup_ratio_to_bare": round(ratio, 3),
        "lookup_ratio_to_bare_by_cpu_per_request": round(cpu_ratio, 3),
    }


@contextmanager
def _postgres(work: Path) -> Iterator[tuple[str, int]]:
    """A throw-away PostgreSQL (the tests' server, with fsync on as in production: a commit is durable).

    Its settings are recorded with the figures."""
    import psycopg
    from tests.registry import postgres

    with postgres.server(fsync=True) as executor:
        with psycopg.connect(postgres.url(executor, "postgres"), autocommit=True) as connection:
            settings = {
                name: connection.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                for name in (
                    "server_version",
                    "fsync",
                    "synchronous_commit",
                    "shared_buffers",
                    "max_connections",
                )
            }
        (work / "postgres-settings.json").write_text(json.dumps(settings))
        postmaster = int((Path(executor.datadir) / "postmaster.pid").read_text().split()[0])
        yield postgres.create_database(executor, "registry_bench"), postmaster


def _targets(postgresql: dict[str, Any]) -> dict[str, Any]:
    lookup = postgresql["lookup_by_weights_digest"]
    checks = {
        "lookup_rps_ge_1000_on_postgresql": lookup["requests_per_s"] >= LOOKUP_TARGET_RPS,
        "lookup_p99_lt_50ms_on_postgresql": lookup["p99_ms"] < LOOKUP_TARGET_P99_MS,
        "ratio_to_bare_ge_0_5": postgresql["lookup_ratio_to_bare"] >= RATIO_TARGET,
    }
    return checks


def bench_registry(
    _rows: int = 0, work_root: Path | None = None, duration: int = DURATION_S
) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `apt-get install -y wrk` (Debian's package)")
    work = Path(tempfile.mkdtemp(prefix="bench-registry-", dir=work_root))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    results = {}
    sqlite_work = work / "sqlite"
    sqlite_work.mkdir()
    results["sqlite"] = bench_backend(
        "sqlite", f"sqlite:///{sqlite_work / 'registry.sqlite3'}", sqlite_work, duration
    )
    pg_work = work / "postgresql"
    pg_work.mkdir()
    with _postgres(pg_work) as (pg_url, postmaster):
        results["postgresql"] = bench_backend("postgresql", pg_url, pg_work, duration, postmaster)
    pg_settings = json.loads((pg_work / "postgres-settings.json").read_text())
    all_errors = sum(
        phase["errors"]
        for backend in results.values()
        for phase in backend.values()
        if isinstance(phase, dict)
    )
    targets = _targets(results["postgresql"]) | {"no_errors": all_errors == 0}
    return {
        "parameters": {
            "workers": WORKERS,
            "wrk_connections": CONNECTIONS,
            "wrk_threads": WRK_THREADS,
            "duration_s": duration,
            "warmup_s": WARMUP_S,
            "seeded_models": SEED_MODELS,
            "loopback": True,
        },
        "tools": {
            "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True)
            .stdout.split("\n")[0]
            .strip(),
            **{pkg: version(pkg) for pkg in ("fastapi", "uvicorn", "starlette", "sqlalchemy", "psycopg")},
            "sqlite": __import__("sqlite3").sqlite_version,
            "postgresql": pg_settings,
        },
        "backends": results,
        "targets": {
            "lookup_rps": LOOKUP_TARGET_RPS,
            "lookup_p99_ms": LOOKUP_TARGET_P99_MS,
            "ratio": RATIO_TARGET,
            "met": targets,
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--results", type=Path, default=RESULTS / "registry.json")
    parser.add_argument("--duration", type=int, default=DURATION_S, help="seconds per measured phase")
    args = parser.parse_args(argv)
    figures = bench_registry(duration=args.duration)
    result = {
        "benchmark": "registry",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "machine": machine_block(),
        **figures,
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    summary = {
        name: {
            phase: {
                k: v[k] for k in ("requests_per_s", "p50_ms", "p99_ms", "errors", "server_cpu_ms_per_request")
            }
            for phase, v in backend.items()
            if isinstance(v, dict)
        }
        for name, backend in figures["backends"].items()
    }
    print(json.dumps({"summary": summary, "targets": figures["targets"]}, indent=2))
    print(f"-> {args.results}")


if __name__ == "__main__":
    main()
