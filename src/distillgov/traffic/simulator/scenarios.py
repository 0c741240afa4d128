"""Named scenarios: which populations, in what share of rows. Data, not code paths.

Shares are fractions of the requested rows; account counts follow from each population's
per-account volume, so every scenario scales with `--rows`. Campaign-focused scenarios keep a
full benign background because detection is only meaningful against one.
"""

from __future__ import annotations

from dataclasses import dataclass

from distillgov.traffic.simulator.populations import PRESETS

MODELS = ("atlas-4-large", "atlas-4-medium", "atlas-4-small")  # flagship, mid, small
NEW_MODEL = "atlas-4.5-large"  # released mid-window


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    mix: tuple[tuple[str, float], ...]  # population preset -> share of rows
    release_day: float | None = 2.7  # days after the window starts that NEW_MODEL ships
    models: tuple[str, str, str] = MODELS
    new_model: str = NEW_MODEL

    def shares(self) -> dict[str, float]:
        total = sum(share for _, share in self.mix)
        return {name: share / total for name, share in self.mix}


# Shares of rows. Per-account volumes (populations.py) turn them into accounts: at 1M rows about
# 20k people, 400+ app integrations, 400+ eval pipelines, 3k enterprise seats and a few research
# labs and licensed distillers.
_BENIGN = (
    ("interactive", 0.47),
    ("coding-agent", 0.06),
    ("automated-app", 0.17),
    ("app-backend", 0.06),
    ("eval-pipeline", 0.06),
    ("research", 0.015),
    ("enterprise", 0.13),
    ("licensed", 0.01),
)


def _with(campaigns: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
    """The benign background scaled down to make room for the given campaign shares."""
    room = 1.0 - sum(share for _, share in campaigns)
    return tuple((name, share * room) for name, share in _BENIGN) + campaigns


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "default",
            "Everything at once: benign background with all four campaign types (~5% of rows).",
            _with((("swarm", 0.025), ("low-and-slow", 0.01), ("paraphrase", 0.01), ("bot", 0.005))),
        ),
        Scenario("benign-only", "No campaigns at all: for measuring false positives.", _BENIGN),
        Scenario(
            "swarm",
            "A burst-created proxy swarm switching to the new model after release.",
            _with((("swarm", 0.15),)),
        ),
        Scenario(
            "low-and-slow",
            "Many accounts at human rates and rhythm, harvesting reasoning.",
            _with((("low-and-slow", 0.10),)),
        ),
        Scenario(
            "paraphrase",
            "A campaign that rewords every instruction, in eight languages.",
            _with((("paraphrase", 0.10),)),
        ),
        Scenario(
            "bot", "A single machine-scale account looping over a prompt dataset.", _with((("bot", 0.05),))
        ),
        Scenario(
            "mixed-hard",
            "Hard negatives up-weighted (evals, enterprises, apps); small, evasive campaigns (~3% of rows).",
            (
                ("interactive", 0.36),
                ("coding-agent", 0.08),
                ("automated-app", 0.18),
                ("app-backend", 0.08),
                ("eval-pipeline", 0.10),
                ("research", 0.03),
                ("enterprise", 0.13),
                ("licensed", 0.015),
                ("swarm-evasive", 0.012),
                ("low-and-slow", 0.008),
                ("paraphrase", 0.006),
                ("bot", 0.004),
            ),
        ),
    )
}


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}") from None


def _check() -> None:
    for scenario in SCENARIOS.values():
        unknown = {name for name, _ in scenario.mix} - set(PRESETS)
        if unknown:
            raise ValueError(f"scenario {scenario.name} names unknown populations {sorted(unknown)}")


_check()
