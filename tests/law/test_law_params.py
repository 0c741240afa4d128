"""Parameters: dated values with references, read at a date, overridable by file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from distillgov.law.params import (
    UNSOURCED,
    ParameterError,
    ParameterNotInForceError,
    add_months,
    levy_terms,
    license_window,
    load_parameters,
    parameter_at,
)

WINDOW = "proposed.compulsory_license.window_months"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_regimes_numbers_ship_flagged_unsourced() -> None:
    for name in (WINDOW, "proposed.levy.rate", "proposed.levy.base", "current_us.machine_scale_multiple"):
        resolved = parameter_at(name, date(2026, 1, 1))
        assert resolved.unsourced, name
        assert resolved.reference.startswith(UNSOURCED)
        assert UNSOURCED in resolved.show()


def test_a_parameter_read_before_its_first_value_is_not_in_force() -> None:
    with pytest.raises(ParameterNotInForceError, match="no value before 2025-01-01"):
        parameter_at(WINDOW, date(2024, 12, 31))


def test_an_override_adds_a_dated_value_and_keeps_the_earlier_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "proposed:\n  compulsory_license:\n    window_months:\n      values:\n"
        "        2026-07-01: {value: 18, reference: 'Hypothetical Act s. 4(2)'}\n",
    )
    parameters = load_parameters(path)
    assert parameters.at(WINDOW, date(2026, 6, 30)).value == 12
    later = parameters.at(WINDOW, date(2026, 7, 1))
    assert (later.value, later.unsourced, later.source) == (18, False, str(path))
    assert parameters.sources[-1]["path"] == str(path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "proposed:\n  levy:\n    rat:\n      values: {2026-01-01: {value: 1, reference: x}}\n",
            "proposed.levy.rat: unknown parameter",
        ),
        (
            "proposed:\n  levy:\n    rate:\n      values: {2026-01-01: {value: 0.1}}\n",
            "every value needs a reference",
        ),
        (
            "proposed:\n  levy:\n    rate:\n      values: {2026-01-01: {value: lots, reference: x}}\n",
            "a number is required",
        ),
        (
            "proposed:\n  levy:\n    rate:\n      values: {soon: {value: 0.1, reference: x}}\n",
            "the key must be a date",
        ),
        (
            "proposed:\n  levy:\n    rate:\n      values: {2026-01-01: {value: true, reference: x}}\n",
            "is not a number or text",
        ),
        ("- just a list\n", "a parameters file must be a mapping"),
    ],
)
def test_a_bad_override_file_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ParameterError) as caught:
        load_parameters(write(tmp_path, text))
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_months_are_added_calendar_wise() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 6, 1), 12) == date(2026, 6, 1)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)


def test_the_registry_can_resolve_a_window_and_a_levy_at_a_notice_date() -> None:
    parameters = load_parameters()
    window = license_window(date(2025, 6, 1), date(2026, 1, 15), parameters)
    assert window.ends == date(2026, 6, 1)
    assert window.open_on(date(2026, 5, 31)) and not window.open_on(date(2026, 6, 1))
    assert window.months.unsourced
    terms = levy_terms(date(2026, 1, 15), parameters)
    assert terms.rate.value == 0.05 and terms.rate.unsourced
