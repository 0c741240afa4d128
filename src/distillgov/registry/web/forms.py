"""The notice form: its fields, their parsing into the API's `NoticeIn`, and errors per field.

The form is a view of `NoticeIn`, not a second definition: whatever the API refuses, the form
refuses with the same messages, shown next to the field the person typed them into.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from distillgov.registry.errors import FieldProblem
from distillgov.registry.schemas import NoticeIn

FIELDS = (
    "teacher_model_id",
    "purpose",
    "commercial",
    "expected_volume",
    "student_name",
    "student_digest",
    "facts",
)
"""The form's inputs, in the order the page shows them."""

_API_TO_FORM = {
    "student.name": "student_name",
    "student.weights_digest": "student_digest",
    "student": "student_name",
}


@dataclass
class NoticeForm:
    """What the person typed, kept as text so a refused form is shown back exactly as submitted."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    def refuse(self, problems: Iterable[FieldProblem]) -> None:
        for problem in problems:
            self.errors.setdefault(form_field(problem.field), []).append(problem.message)

    @property
    def ok(self) -> bool:
        return not (self.errors or self.summary)


def form_field(api_field: str) -> str:
    """The form input an API field path (`body.student.name`, `body.facts.teacher.access`) belongs to."""
    path = api_field.removeprefix("body.").removeprefix("body")
    if path.startswith("facts"):
        return "facts"
    for prefix, name in _API_TO_FORM.items():
        if path == prefix or path.startswith(prefix + "."):
            return name
    return path if path in FIELDS else "form"


def empty_form() -> NoticeForm:
    return NoticeForm({name: "" for name in FIELDS} | {"facts": "{}", "expected_volume": "0"})


def parse(submitted: Mapping[str, str]) -> tuple[NoticeForm, NoticeIn | None]:
    """The submitted form and, when every field is valid, the notice it declares."""
    form = NoticeForm({name: submitted.get(name, "") for name in FIELDS})
    body: dict[str, Any] = {
        "teacher_model_id": form.values["teacher_model_id"] or None,
        "purpose": form.values["purpose"] or None,
        "commercial": form.values["commercial"] == "on",
        "expected_volume": form.values["expected_volume"] or None,
        "student": {"name": form.values["student_name"]},
    }
    if form.values["student_digest"].strip():
        body["student"]["weights_digest"] = form.values["student_digest"].strip()
    facts_text = form.values["facts"].strip() or "{}"
    try:
        body["facts"] = json.loads(facts_text)
    except json.JSONDecodeError as exc:
        form.errors["facts"] = [f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]
    try:
        notice = NoticeIn.model_validate(body)
    except ValidationError as exc:
        form.refuse(_problems(exc))
        return form, None
    return form, (notice if form.ok else None)


def _problems(exc: ValidationError) -> list[FieldProblem]:
    return [
        FieldProblem(".".join(str(part) for part in error["loc"]) or "form", error["msg"])
        for error in exc.errors()
    ]
