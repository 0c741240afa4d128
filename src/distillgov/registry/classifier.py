"""The classification step: facts in, the proposed regime's answer out, behind a replaceable protocol.

The registry does not reason about law itself; it calls the law engine's library interface with the
shared facts vocabulary. A different engine (a newer rulebook, a remote service) only has to
implement `Classifier`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from distillgov.law.assess import report, run
from distillgov.law.facts import FactsError, validate
from distillgov.law.params import ParameterSet, load_parameters
from distillgov.registry.errors import FieldProblem, InvalidRequestError


@dataclass(frozen=True)
class Classification:
    """The proposed regime's answers for one notice, with everything they rest on."""

    classification: str | None
    safe_harbors: tuple[str, ...]
    safe_harbors_uncertain: tuple[str, ...]
    immunity: str | None
    compulsory_license: str | None
    uncertainties: tuple[dict[str, Any], ...]
    facts: dict[str, Any]
    facts_sha256: str
    assessment: dict[str, Any]
    rulebooks: tuple[dict[str, Any], ...]
    parameters: dict[str, Any]

    @property
    def assessment_sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.assessment, sort_keys=True).encode()).hexdigest()


class Classifier(Protocol):
    parameters: ParameterSet

    def classify(self, facts: Mapping[str, Any], on: date) -> Classification:
        """Assess `facts` (the law vocabulary, nested) as of `on`; raises InvalidRequestError on bad facts."""
        ...


class LawEngineClassifier:
    """The project's own law engine (`distillgov.law`), proposed regime only."""

    def __init__(self, parameters: ParameterSet | None = None) -> None:
        self.parameters = parameters or load_parameters()

    def classify(self, facts: Mapping[str, Any], on: date) -> Classification:
        try:
            validated = validate(dict(facts))
        except FactsError as exc:
            raise InvalidRequestError(
                "the facts are not valid in the law engine's vocabulary",
                [_field_problem(problem) for problem in exc.problems],
            ) from exc
        full = report(run(validated, as_of=on, regimes=("proposed",), parameters=self.parameters))
        proposed = full["proposed"]
        return Classification(
            classification=proposed["classification"],
            safe_harbors=tuple(proposed["safe_harbors"]),
            safe_harbors_uncertain=tuple(proposed["safe_harbors_uncertain"]),
            immunity=proposed["immunity"]["granted"],
            compulsory_license=proposed["compulsory_license"]["applies"],
            uncertainties=tuple(proposed["uncertainties"]),
            facts=full["facts"],
            facts_sha256=full["facts_sha256"],
            assessment=proposed,
            rulebooks=tuple(full["rulebooks"]),
            parameters=full["parameters"],
        )


def _field_problem(problem: str) -> FieldProblem:
    """The law engine's problems start with the fact's path: keep it as the field."""
    path, _, message = problem.partition(": ")
    return FieldProblem(f"body.facts.{path}", message or problem)
