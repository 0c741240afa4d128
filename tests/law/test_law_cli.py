"""The command line: the JSON contract, the memo, refusal of bad input, rules browsing, interview."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.law.rulebook import shipped_library
from distillgov.provenance import sha256_file

from .scenarios import load

runner = CliRunner()
TRI = {"likely", "unlikely", "uncertain"}
DEFENSE = {"applies", "does_not_apply", "uncertain"}
NODE_KEYS = {"rule", "citation", "conclusion", "facts_used", "exceptions_considered", "children"}


def facts_file(tmp_path: Path, scenario: str) -> Path:
    found = load(scenario)
    path = tmp_path / f"{scenario}.yaml"
    path.write_text(yaml.safe_dump({**found.facts, "as_of": found.as_of.isoformat()}), encoding="utf-8")
    return path


def assess(*args: str, stdin: str | None = None) -> Any:
    result = runner.invoke(app, ["assess", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def walk(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for node in nodes for n in (node, *walk(node["children"]))]


def test_the_json_report_keeps_its_contract(tmp_path: Path) -> None:
    path = facts_file(tmp_path, "commercial_clone_inside_window")
    report = assess(str(path))
    assert report["facts_sha256"] == sha256_file(path)
    assert report["as_of"] == "2026-01-15"
    assert report["tool"]["name"] == "distillgov"
    us, proposed = report["current_us"], report["proposed"]
    for key in ("protectable", "improper_means", "misappropriation"):
        assert us["trade_secret"][key] in TRI
    assert us["trade_secret"]["reverse_engineering_defense"] in DEFENSE
    assert {us["contract"]["enforceable"], us["contract"]["breach"], us["copyright"]["infringement"]} <= TRI
    assert proposed["classification"] in {"authorized", "independent", "illicit", "uncertain"}
    assert set(proposed["safe_harbors"]) <= {
        "reverse_engineering",
        "non_commercial_research",
        "accountability_audit",
        "transformative_fair_use",
    }
    assert set(proposed["compulsory_license"]) >= {"applies", "window_open", "window_ends"}
    assert set(proposed["levy"]) >= {"due", "base", "rate"}
    assert set(proposed["immunity"]) >= {"granted", "unmet_conditions"}
    for regime in (us, proposed):
        for node in walk(regime["justification"]):
            assert set(node) >= NODE_KEYS, node.get("rule")
    assert {r["name"] for r in report["rulebooks"]} == {"definitions", "current_us", "proposed"}
    assert all(len(r["sha256"]) == 64 and r["version"] for r in report["rulebooks"])
    used = {p["name"]: p for p in report["parameters"]["used"]}
    assert used["proposed.levy.rate"]["unsourced"] is True
    assert used["proposed.compulsory_license.window_months"]["unsourced"] is True


def test_every_justification_that_uses_an_unsourced_parameter_says_so(tmp_path: Path) -> None:
    report = assess(str(facts_file(tmp_path, "commercial_clone_inside_window")))
    nodes = [n for r in ("current_us", "proposed") for n in walk(report[r]["justification"])]
    using = [n for n in nodes if n["parameters_used"]]
    assert using
    for node in using:
        assert all(p["unsourced"] for p in node["parameters_used"])
        assert "UNSOURCED — assumption" in node["sentence"], node["rule"]


def test_one_regime_only(tmp_path: Path) -> None:
    report = assess(str(facts_file(tmp_path, "licensee")), "--regime", "current-us")
    assert "current_us" in report and "proposed" not in report
    assert [r["name"] for r in report["rulebooks"]] == ["definitions", "current_us"]


def test_as_of_on_the_command_line_wins(tmp_path: Path) -> None:
    report = assess(str(facts_file(tmp_path, "commercial_clone_inside_window")), "--as-of", "2026-09-01")
    assert (report["as_of"], report["as_of_source"]) == ("2026-09-01", "option")
    assert report["proposed"]["levy"]["due"] == "no"


def test_a_parameters_file_overrides_the_assumption_and_is_cited(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(
        "proposed:\n  compulsory_license:\n    window_months:\n      values:\n"
        "        2025-01-01: {value: 6, reference: 'Model Distillation Act s. 12 (hypothetical)'}\n",
        encoding="utf-8",
    )
    report = assess(str(facts_file(tmp_path, "commercial_clone_inside_window")), "--params", str(params))
    assert report["proposed"]["compulsory_license"]["window_ends"] == "2025-12-01"
    assert report["proposed"]["levy"]["due"] == "no"
    window = next(p for p in report["parameters"]["used"] if p["name"].endswith("window_months"))
    assert (window["value"], window["unsourced"], window["source"]) == (6, False, str(params))
    assert report["parameters"]["sources"][-1]["sha256"] == sha256_file(params)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_memo(tmp_path: Path, fmt: str) -> None:
    result = runner.invoke(
        app, ["assess", str(facts_file(tmp_path, "swarm_fraudulent_accounts")), "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    for heading in ("Question", "Short answer", "Reasoning", "Assumptions", "Uncertainties", "Provenance"):
        assert heading in text
    if fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and "<table>" in text and "&#x27;" not in text
        assert "<strong>illicit</strong>" in text


def test_the_memo_can_be_written_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "memo.html"
    result = runner.invoke(
        app, ["assess", str(facts_file(tmp_path, "licensee")), "--format", "html", "-o", str(out)]
    )
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_bad_facts_exit_2_with_one_line_per_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("teacher: {acces: api}\nconduct: {method: api, queries: -5}\n", encoding="utf-8")
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["teacher.acces", "conduct.method", "conduct.queries"]
    assert all("allowed:" in line for line in lines)
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "a facts file is required"),
        (["missing.yaml"], "cannot read"),
        (["{facts}", "--params", "{params}"], "unknown parameter"),
        (["{facts}", "--as-of", "someday"], "is not a date"),
    ],
)
def test_other_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    params = tmp_path / "p.yaml"
    params.write_text(
        "proposed: {levy: {rat: {values: {2026-01-01: {value: 1, reference: x}}}}}\n", encoding="utf-8"
    )
    facts = facts_file(tmp_path, "licensee")
    argv = [a.format(facts=facts, params=params) for a in args]
    result = runner.invoke(app, ["assess", *argv])
    assert result.exit_code == 2
    assert message in result.output


def test_rules_list_names_every_rule_with_its_citation() -> None:
    result = runner.invoke(app, ["rules", "list"])
    assert result.exit_code == 0
    listed = {line.split("\t")[0] for line in result.stdout.splitlines()}
    assert listed == set(shipped_library().rules)
    proposed = runner.invoke(app, ["rules", "list", "--rulebook", "proposed"]).stdout
    assert "p.class.illicit" in proposed and "ts.mis.direct" not in proposed
    assert runner.invoke(app, ["rules", "list", "--rulebook", "nope"]).exit_code == 2


def test_rules_show_gives_the_rule_in_full() -> None:
    result = runner.invoke(app, ["rules", "show", "ts.im.machine_scale"])
    assert result.exit_code == 0
    for part in (
        "conclusion:    uncertain",
        "Compulife",
        "verified:",
        "exception to:  ts.im.lawful_channel",
        "Reading (assumption)",
    ):
        assert part in result.stdout
    missing = runner.invoke(app, ["rules", "show", "ts.nothing"])
    assert missing.exit_code == 2 and "unknown rule" in missing.stderr


def test_the_interview_asks_only_what_the_rules_still_need(tmp_path: Path) -> None:
    """Hypothetical Two with the use of the outputs unknown: that is the one question that matters."""
    out = tmp_path / "report.json"
    path = facts_file(tmp_path, "hypo2b_validation_unproven")
    result = runner.invoke(app, ["assess", str(path), "--interview", "-o", str(out)], input="validation\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("?") == 1 and "Were the outputs used for training" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["facts"]["conduct"]["outputs_used_for"] == "validation"
    assert report["current_us"]["trade_secret"]["protectable"] == "unlikely"
    assert report["facts_hashed"] == "canonical_json"


def test_the_interview_from_nothing_starts_with_how_the_teacher_was_used(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    answers = "api_queries\napi\n5000\ntraining\n" + "unknown\n" * 60
    result = runner.invoke(app, ["assess", "--interview", "-o", str(out)], input=answers)
    assert result.exit_code == 0, result.output
    questions = [line for line in result.output.splitlines() if "?" in line]
    assert questions[0].startswith("How was the teacher used?")
    assert len(questions) == len(set(questions)), "a question was asked twice"
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["current_us"]["trade_secret"]["protectable"] == "uncertain"


def test_the_interview_refuses_an_impossible_answer_and_asks_again(tmp_path: Path) -> None:
    found = load("academic_research")
    facts = {**found.facts, "as_of": found.as_of.isoformat()}
    facts["conduct"] = {k: v for k, v in facts["conduct"].items() if k != "fraudulent_accounts"}
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump(facts), encoding="utf-8")
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["assess", str(path), "--interview", "-o", str(out)], input="7\n0\n")
    assert result.exit_code == 0, result.output
    assert "conduct.fraudulent_accounts: 7 exceeds conduct.accounts (3)" in result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["facts"]["conduct"]["fraudulent_accounts"] == 0
    assert report["proposed"]["classification"] == "independent"
