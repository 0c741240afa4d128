"""Time a command as a child process and read its peak resident memory from the kernel.

Each benchmark runs the real CLI in its own process, so figures include start-up and imports
exactly as a user pays them, and peak RSS is that process's own high-water mark (`wait4`), not
an estimate sampled from outside.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Measurement:
    """One run of one command."""

    command: list[str]
    wall_s: float
    peak_rss_mib: float
    returncode: int
    stdout_tail: str
    load_average_before: float  # 1-minute load: other work on the machine slows every figure
    load_average_after: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_measured(
    command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Measurement:
    """Run `command` to completion; fail loudly if it fails, since a benchmark of a crash is no figure."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        output = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    measurement = Measurement(
        command=command,
        wall_s=round(wall, 3),
        peak_rss_mib=round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        returncode=proc.returncode,
        stdout_tail=output[-2000:],
        load_average_before=round(load_before, 2),
        load_average_after=round(os.getloadavg()[0], 2),
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"benchmark command failed ({proc.returncode}): {' '.join(command)}\n{output[-4000:]}"
        )
    return measurement


def python_snippet(code: str) -> list[str]:
    """A command that runs `code` in this interpreter (so baselines see the same libraries)."""
    return [sys.executable, "-c", code]


def machine_block() -> dict[str, Any]:
    """What the figures were measured on; numbers without their machine are not comparable."""
    import duckdb
    import pyarrow

    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "pyarrow": pyarrow.__version__,
        "duckdb": duckdb.__version__,
    }
