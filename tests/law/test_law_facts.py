"""Facts validation: refuse with the field's path and what is allowed; never repair."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from distillgov.law.facts import UNKNOWN, FactsError, load_facts, schema, validate


def problems(data: object) -> list[str]:
    with pytest.raises(FactsError) as caught:
        validate(data)
    return caught.value.problems


def test_an_unknown_field_names_its_path_and_the_allowed_fields() -> None:
    [problem] = problems({"teacher": {"acces": "api"}})
    assert problem.startswith("teacher.acces: unknown field; allowed: owner, access, weights_protected")


def test_a_wrong_type_names_the_field_and_the_allowed_values() -> None:
    [problem] = problems({"teacher": {"weights_protected": "maybe"}})
    assert problem == "teacher.weights_protected: 'maybe' is not true or false; allowed: true, false, unknown"


def test_an_enum_value_outside_the_vocabulary_is_refused() -> None:
    [problem] = problems({"conduct": {"method": "api"}})
    assert "allowed: api_queries, weights_copied, weights_finetuned, unknown" in problem


@pytest.mark.parametrize(
    ("data", "start"),
    [
        ({"conduct": {"queries": -1}}, "conduct.queries: -1 is impossible"),
        (
            {"conduct": {"human_capability_multiple": float("nan")}},
            "conduct.human_capability_multiple: nan is impossible",
        ),
        ({"conduct": {"accounts": 2.5}}, "conduct.accounts: 2.5 is not a whole number"),
        ({"conduct": {"accounts": 3, "fraudulent_accounts": 4}}, "conduct.fraudulent_accounts: 4 exceeds"),
        (
            {"distiller": {"relationship": "self", "authorization": "none"}},
            "distiller.authorization: 'none' is impossible",
        ),
        (
            {"distiller": {"relationship": "customer", "authorization": "owner_self"}},
            "distiller.authorization: 'owner_self'",
        ),
        ({"teacher": {"secrecy_measures": ["nda", "moat"]}}, "teacher.secrecy_measures: 'moat' not allowed"),
        ({"as_of": "last tuesday"}, "as_of: 'last tuesday' is not a date"),
        ({"teacher": "api"}, "teacher: must be a group of fields"),
        (["not", "a", "mapping"], "(top level)"),
    ],
)
def test_impossible_values_are_refused(data: object, start: str) -> None:
    assert any(p.startswith(start) for p in problems(data)), problems(data)


def test_every_problem_is_reported_at_once_one_per_line() -> None:
    found = problems({"conduct": {"method": "x", "queries": -2}, "teacher": {"colour": "red"}})
    assert len(found) == 3
    assert all("\n" not in p for p in found)


def test_absent_null_and_unknown_all_mean_unknown() -> None:
    facts = validate({"conduct": {"method": "unknown", "misrepresentation": None}, "downstream": None})
    assert facts.get("conduct.method") is UNKNOWN
    assert facts.get("conduct.misrepresentation") is UNKNOWN
    assert facts.get("conduct.queries") is UNKNOWN


def test_values_are_read_as_the_engine_needs_them() -> None:
    facts = validate({"as_of": "2026-01-02", "teacher": {"secrecy_measures": ["nda", "nda"]}})
    assert facts.get("as_of") == date(2026, 1, 2)
    assert facts.get("teacher.secrecy_measures") == ("nda",)


def test_a_library_clause_fills_what_the_terms_prohibit() -> None:
    facts = validate({"teacher": {"terms_of_service": {"clause": "openai_terms_of_use_2024_competing"}}})
    assert facts.get("teacher.terms_of_service.prohibits_competing_models") is True
    assert facts.get("teacher.terms_of_service.prohibits_distillation") is False
    assert facts.get("teacher.terms_of_service.assent") == "clickwrap"


def test_facts_contradicting_their_clause_are_refused() -> None:
    terms = {"clause": "openai_terms_of_use_2024_competing", "prohibits_competing_models": False}
    [problem] = problems({"teacher": {"terms_of_service": terms}})
    assert problem.startswith("teacher.terms_of_service.prohibits_competing_models: False contradicts clause")


def test_yaml_yes_and_no_are_booleans_in_facts_files(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text("conduct:\n  misrepresentation: yes\n", encoding="utf-8")
    assert load_facts(path).get("conduct.misrepresentation") is True


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text("conduct: [unclosed\n", encoding="utf-8")
    with pytest.raises(FactsError, match="not valid YAML"):
        load_facts(path)


def test_interview_answers_are_read_as_the_field_type() -> None:
    fields = schema().fields
    assert fields["conduct.misrepresentation"].parse_text("yes") is True
    assert fields["conduct.fraudulent_accounts"].parse_text("24000") == 24000
    assert fields["conduct.fraudulent_accounts"].parse_text("no") is False
    assert fields["teacher.secrecy_measures"].parse_text("nda, monitoring") == ("nda", "monitoring")
    assert fields["conduct.method"].parse_text("") is UNKNOWN
    with pytest.raises(ValueError, match="not allowed"):
        fields["conduct.method"].parse_text("telepathy")


def test_the_contract_fields_of_the_vocabulary_exist() -> None:
    """The names other stages rely on (the brief's list); adding fields is fine, renaming is not."""
    contract = (
        "as_of",
        "teacher.owner",
        "teacher.access",
        "teacher.weights_protected",
        "teacher.secrecy_measures",
        "teacher.investment_documented",
        "teacher.terms_of_service.prohibits_distillation",
        "teacher.terms_of_service.prohibits_competing_models",
        "teacher.terms_of_service.assent",
        "distiller.name",
        "distiller.relationship",
        "distiller.agreed_to_tos",
        "distiller.authorization",
        "conduct.method",
        "conduct.accounts",
        "conduct.fraudulent_accounts",
        "conduct.circumvented_access_controls",
        "conduct.misrepresentation",
        "conduct.queries",
        "conduct.duration_days",
        "conduct.human_capability_multiple",
        "conduct.outputs_used_for",
        "conduct.purpose",
        "conduct.student_competes_with_teacher",
        "conduct.direct_clone_of_weights",
        "conduct.used_former_employer_methodology",
        "obligations.transparency_disclosure",
        "obligations.privacy_safeguards",
        "obligations.safety_evaluation",
        "downstream.is_downstream_user",
        "downstream.knew_of_illicit_origin",
        "downstream.red_flags",
        "downstream.diligence_performed",
    )
    assert not set(contract) - set(schema().fields)
    enums = {
        "teacher.access": {"api", "open_weights", "internal"},
        "teacher.terms_of_service.assent": {"clickwrap", "browsewrap", "signed", "none"},
        "distiller.relationship": {"self", "licensee", "customer", "former_employee_hire", "unrelated"},
        "distiller.authorization": {"none", "license", "tos_permitted", "owner_self"},
        "conduct.method": {"api_queries", "weights_copied", "weights_finetuned"},
        "conduct.outputs_used_for": {"training", "validation", "both", "unknown"},
        "conduct.purpose": {
            "commercial",
            "non_commercial_research",
            "accountability_audit",
            "transformative",
            "internal",
        },
        "obligations.transparency_disclosure": {"filed", "not_filed", "not_applicable"},
    }
    for path, values in enums.items():
        assert set(schema().fields[path].values) == values, path
