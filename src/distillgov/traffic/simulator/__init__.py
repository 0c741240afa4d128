"""The traffic simulator: labelled synthetic API traffic with distillation campaigns hidden in it.

`simulate(SimulationConfig(...))` writes the exchanges (canonical schema), `labels.parquet`
and `scenario.json`; `SCENARIOS` names the population mixes. See docs/simulator.md.
"""

from distillgov.traffic.simulator.engine import SimulationConfig, SimulationResult, simulate
from distillgov.traffic.simulator.scenarios import SCENARIOS, Scenario

__all__ = ["SCENARIOS", "Scenario", "SimulationConfig", "SimulationResult", "simulate"]
