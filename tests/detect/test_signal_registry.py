"""Meta-tests: every registered signal is documented and actually computed on real-looking traffic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import Scored

from distillgov.detect.signals import SIGNALS, Family

DOCS = Path(__file__).resolve().parents[2] / "docs" / "detect.md"


def test_every_signal_is_documented_with_its_family() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for signal in SIGNALS:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{signal.name}` |")), None)
        assert row is not None, f"{signal.name} missing from docs/detect.md"
        assert f"| {signal.family.value} |" in row


def test_every_signal_is_exercised(scored: Scored) -> None:
    analysis = scored.analysis
    for signal in SIGNALS:
        values = analysis.features[signal.name]
        assert np.isfinite(values).sum() > 10, signal.name
        assert np.isfinite(analysis.baselines[signal.name].value), signal.name
        if signal.family is not Family.VALIDATION:
            assert signal.name in analysis.scores.strengths


def test_every_signal_declares_why_and_what_it_needs() -> None:
    names = [s.name for s in SIGNALS]
    assert len(names) == len(set(names))
    for signal in SIGNALS:
        assert len(signal.why) > 40 and signal.unit
