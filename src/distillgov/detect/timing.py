"""Per-stage wall and CPU time of a detection run, for `--timings` and the speed benchmark.

The benchmark's total says whether a target is met; these say where the time goes. CPU time is
the whole process's (DuckDB's worker threads included), so a stage whose CPU time is close to
its wall time on a shared machine was waiting for cores rather than working.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from typing import Any


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class StageTimer:
    """Marks the start of each stage; a stage ends where the next one starts."""

    stages: list[dict[str, Any]] = field(default_factory=list)
    _stage: str | None = None
    _wall: float = field(default_factory=time.perf_counter)
    _cpu: float = field(default_factory=_cpu_seconds)

    def mark(self, stage: str | None) -> None:
        """Close the running stage (if any) and start `stage` (None: just close)."""
        wall, cpu = time.perf_counter(), _cpu_seconds()
        if self._stage is not None:
            self.stages.append(
                {
                    "stage": self._stage,
                    "wall_s": round(wall - self._wall, 3),
                    "cpu_s": round(cpu - self._cpu, 3),
                }
            )
        self._stage, self._wall, self._cpu = stage, wall, cpu

    def as_dict(self) -> dict[str, Any]:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
        return {"stages": self.stages, "peak_rss_mib": round(peak, 1)}
