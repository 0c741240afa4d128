"""Golden memos: the full reasoning for a few scenarios, reviewed by reading them.

Regenerate after a deliberate change to a rule, a template or the memo layout with

    DISTILLGOV_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/law/test_law_golden.py

then read the diff of tests/law/golden/ as a lawyer would before committing it: a golden is only
worth keeping if its reasoning is legally sensible.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from distillgov.law.memo import render

from .scenarios import load

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = (
    "hypo1_departing_employee",
    "hypo2b_validation_unproven",
    "swarm_fraudulent_accounts",
    "commercial_clone_inside_window",
)


@pytest.mark.parametrize("name", SCENARIOS)
def test_memo_matches_its_golden(name: str) -> None:
    memo = render(load(name).report(), "md")
    path = GOLDEN / f"{name}.md"
    if os.environ.get("DISTILLGOV_UPDATE_GOLDEN"):
        path.write_text(memo, encoding="utf-8")
    assert memo == path.read_text(encoding="utf-8"), f"{path} is stale: see this module's docstring"
