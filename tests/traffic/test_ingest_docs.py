"""docs/ingest.md states the contract; it must not drift from the code."""

from pathlib import Path

from distillgov.traffic.mapping import shipped_mappings
from distillgov.traffic.quarantine import Reason
from distillgov.traffic.schema import schema_markdown

DOC = (Path(__file__).parents[2] / "docs" / "ingest.md").read_text(encoding="utf-8")


def test_the_schema_table_is_the_current_contract() -> None:
    assert schema_markdown() in DOC


def test_every_quarantine_reason_and_shipped_mapping_is_documented() -> None:
    for reason in Reason:
        assert f"| `{reason.value}` |" in DOC
    for name in shipped_mappings():
        assert f"`{name}`" in DOC
