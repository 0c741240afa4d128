"""The README walk-through, scripted: register, notice, classification, license, report, levy payment,
a safe harbor lapsing on a missed disclosure, the student's ML-BOM, and every one of those log entries
verified offline with the log's public key only. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from distillgov.cli import app as cli_app
from distillgov.registry.models import Role
from distillgov.registry.tlog import verify
from distillgov.registry.tlog.source import HttpSource

from . import scenario
from .harness import Harness


@pytest.fixture
def walk(any_url: str) -> Iterator[Harness]:
    harness = Harness(any_url)
    harness.clock.set_date(date(2026, 1, 15))
    yield harness
    harness.close()


def test_walkthrough(walk: Harness, tmp_path: Path) -> None:
    h = walk
    admin = h.user("Registry Office", Role.administrator)
    owner = h.user("Frontier Lab", Role.teacher_owner)
    cloner = h.user("CloneCorp", Role.distiller)
    lab = h.user("University Lab", Role.distiller)
    logged: list[dict[str, Any]] = []

    def write(path: str, token: str, body: Any = None, status: int = 201) -> Any:
        answer = h.ok(h.post(path, token, body), status)
        logged.extend(answer["log_entries"])
        return answer["result"]

    first_checkpoint = h.get("/log/checkpoint").text

    # 1. The teacher's owner registers its protected model.
    model = write("/v1/models", owner, scenario.protected_model())
    assert h.ok(h.get("/v1/models", digest=model["weights_digest"]))[0]["id"] == model["id"]

    # 2. A distiller files a notice; the registry classifies it with the law engine.
    notice = write("/v1/notices", cloner, scenario.clone_notice(model["id"]))
    assert notice["classification"] == "independent"
    assert notice["compulsory_license"] == {
        "applies": "applies",
        "window_open": "yes",
        "window_ends": "2026-06-01",
    }
    assert notice["details"]["facts"]["teacher"]["owner"] == "Frontier Lab"  # filled in from the registry
    assert h.ok(h.get(f"/v1/notices/{notice['id']}"))["details"] is None  # the public sees the outline only

    # 3. It obtains the compulsory license: requested, then issued by an administrator.
    lic = write("/v1/licenses", cloner, {"notice_id": notice["id"]})
    assert lic["status"] == "requested"
    assert h.post(f"/v1/licenses/{lic['id']}/approve", cloner, {}).status_code == 403
    lic = write(f"/v1/licenses/{lic['id']}/approve", admin, {}, status=200)
    assert lic["status"] == "active" and lic["expires_on"] == "2026-06-01"
    assert set(lic["unsourced_parameters"]) == {
        "proposed.compulsory_license.window_months",
        "proposed.levy.base",
        "proposed.levy.rate",
    }
    assert lic["terms"]["levy_rate"]["reference"].startswith("UNSOURCED")

    # 4. After January ends it reports usage and pays the levy assessed on it.
    h.clock.set_date(date(2026, 2, 3))
    report = write(
        f"/v1/licenses/{lic['id']}/reports",
        cloner,
        {"period": "2026-01", "base_amount_minor": 1_234_567, "currency": "USD"},
    )
    assert report["levy_minor"] == 61_728  # 5% of 12,345.67 = 617.2835, rounded half-even to the cent
    write(
        f"/v1/licenses/{lic['id']}/payments",
        cloner,
        {"amount_minor": 61_728, "currency": "USD", "reference": "wire 1"},
    )
    ledger = h.ok(h.get(f"/v1/licenses/{lic['id']}/ledger", cloner))
    assert ledger["balance_minor"] == 0 and ledger["overdue_minor"] == 0
    assert all(sum(e["amount_minor"] for e in t["entries"]) == 0 for t in ledger["transactions"])

    # 5. A research lab claims a safe harbor, attests privacy and safety, but misses its disclosure.
    study = write("/v1/notices", lab, scenario.research_notice(model["id"]))
    assert study["safe_harbors"] == ["reverse_engineering", "non_commercial_research"]
    claim = write("/v1/claims", lab, {"notice_id": study["id"], "harbor": "non_commercial_research"})
    for kind in ("privacy", "safety"):
        write(
            f"/v1/claims/{claim['id']}/conditions/{kind}", lab, {"statement": f"{kind} attested"}, status=200
        )
    h.clock.set_date(date(2026, 3, 10))  # the disclosure was due 30 days after the claim (2026-03-05)
    swept = write("/v1/admin/sweep", admin, None, status=200)
    assert swept["lapsed"] == [claim["id"]]
    lapsed = h.ok(h.get(f"/v1/claims/{claim['id']}"))
    assert lapsed["status"] == "lapsed"
    assert lapsed["lapse"]["immunity_before"] == "applies"
    assert lapsed["lapse"]["immunity_after"] == "does_not_apply"
    assert lapsed["lapse"]["unmet_conditions"] == ["transparency"]
    assert [e["kind"] for e in h.ok(h.get(f"/v1/claims/{claim['id']}/history"))] == [
        "claim",
        "condition",
        "condition",
        "lapse",
    ]

    # 6. A downstream company looks the student up by its digest and exports its ML-BOM.
    lineage = h.ok(h.get("/v1/provenance", digest=scenario.digest("Clone-1")))
    assert lineage[0]["license"]["status"] == "active"
    bom = h.ok(h.get(f"/v1/provenance/{notice['id']}/mlbom"))
    student = bom["metadata"]["component"]
    assert bom["bomFormat"] == "CycloneDX" and student["name"] == "Clone-1"
    assert student["pedigree"]["ancestors"][0]["name"] == "Frontier-1"
    assert student["pedigree"]["ancestors"][0]["hashes"][0]["content"] == model[
        "weights_digest"
    ].removeprefix("sha256:")

    # 7. Every entry those steps logged verifies offline, from a saved copy, with the public key only.
    folder = tmp_path / "log"
    verify.save_log(HttpSource("http://testserver/log", h.client), folder, h.vkey)
    kinds = {e["kind"] for e in logged}
    assert {
        "registration",
        "notice",
        "classification",
        "license",
        "report",
        "assessment",
        "payment",
        "lapse",
    } <= kinds
    for ref in logged:
        served = h.ok(h.get(f"/v1/log/entries/{ref['index']}"))
        result = verify.verify_inclusion(folder, h.vkey, ref["index"], served["entry"].encode())
        assert result.details["entry"]["kind"] == ref["kind"]
    verify.verify_consistency(folder, h.vkey, first_checkpoint)

    # ...and through the CLI, as a user would.
    last = logged[-1]["index"]
    cli = CliRunner().invoke(
        cli_app,
        ["registry", "verify", "inclusion", str(folder), "--vkey", h.vkey, "--index", str(last), "--json"],
    )
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["ok"] is True


def test_private_amounts_are_committed_not_published(registry: Harness) -> None:
    """The log is public: a usage report's amount appears only as a salted commitment, opened by its salt."""
    from distillgov.registry.translog import commitment

    h = registry
    h.clock.set_date(date(2026, 1, 15))
    admin = h.user("Registry Office", Role.administrator)
    owner = h.user("Frontier Lab", Role.teacher_owner)
    cloner = h.user("CloneCorp", Role.distiller)
    model = h.ok(h.post("/v1/models", owner, scenario.protected_model()), 201)["result"]
    notice = h.ok(h.post("/v1/notices", cloner, scenario.clone_notice(model["id"])), 201)["result"]
    lic = h.ok(h.post("/v1/licenses", cloner, {"notice_id": notice["id"]}), 201)["result"]
    h.ok(h.post(f"/v1/licenses/{lic['id']}/approve", admin, {}))
    h.clock.set_date(date(2026, 2, 2))
    body = {"period": "2026-01", "base_amount_minor": 987_654_321, "currency": "USD"}
    report = h.ok(h.post(f"/v1/licenses/{lic['id']}/reports", cloner, body), 201)["result"]
    entry = h.ok(h.get(f"/v1/log/entries/{report['log_index']}"))["entry"]
    assert "987654321" not in entry
    record = {"id": report["id"], "period": "2026-01", "base_amount_minor": 987_654_321}
    assert json.loads(entry)["body"]["commitment"] == commitment(record, report["salt"])
