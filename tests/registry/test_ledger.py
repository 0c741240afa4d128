"""The levy ledger over time: assessment, payment, default on a missed report, cure, and termination."""

from __future__ import annotations

from datetime import date

from distillgov.registry.service.ledger import levy_for

from .harness import Harness
from .licensed import licensed


def test_levy_is_exact_decimal_arithmetic() -> None:
    assert levy_for(1_234_567, "0.05") == 61_728  # 61,728.35
    assert levy_for(10, "0.05") == 0  # 0.5 rounds half to even
    assert levy_for(30, "0.05") == 2  # 1.5 rounds half to even
    assert levy_for(10**15, "0.05") == 5 * 10**13  # no float rounding at large amounts


def test_default_cure_and_termination(registry: Harness) -> None:
    world = licensed(registry)
    h, lic = registry, world.license_id

    def status() -> str:
        return str(h.ok(h.get(f"/v1/licenses/{lic}"))["status"])

    def sweep(day: date) -> dict[str, list[int]]:
        h.clock.set_date(day)
        return dict(h.ok(h.post("/v1/admin/sweep", world.admin))["result"])

    # January's report is due 45 days after 31 January (17 March); nothing is late on 17 March.
    assert sweep(date(2026, 3, 17))["default"] == []
    assert sweep(date(2026, 3, 18))["default"] == [lic]
    assert status() == "in_default"
    assert "2026-01" in h.ok(h.get(f"/v1/licenses/{lic}"))["default_reason"]
    # Filing the report cures the missing report but leaves the levy overdue: still in default.
    h.ok(
        h.post(
            f"/v1/licenses/{lic}/reports",
            world.licensee,
            {"period": "2026-01", "base_amount_minor": 200_000, "currency": "USD"},
        ),
        201,
    )
    assert status() == "in_default"
    h.ok(
        h.post(
            f"/v1/licenses/{lic}/payments",
            world.licensee,
            {"amount_minor": 10_000, "currency": "USD", "reference": "late"},
        ),
        201,
    )
    assert status() == "active"  # cured by the payment, and the cure is logged
    events = [e["body"].get("event") for e in h.ok(h.get(f"/v1/licenses/{lic}/history"))]
    assert events[-1] == "cured" and "default" in events
    # February's report is never filed: default on 15 April (due 14 April), termination after 60 days.
    assert sweep(date(2026, 4, 15))["default"] == [lic]
    assert sweep(date(2026, 6, 14))["terminated"] == []
    assert sweep(date(2026, 6, 15))["terminated"] == [lic]
    assert status() == "terminated"
    assert sweep(date(2026, 6, 16)) == {
        "on": "2026-06-16",
        "default": [],
        "cured": [],
        "terminated": [],
        "expired": [],
        "lapsed": [],
    }
    ledger = h.ok(h.get(f"/v1/licenses/{lic}/ledger", world.owner))
    assert ledger["balance_minor"] == 0
    assert all(sum(line["amount_minor"] for line in t["entries"]) == 0 for t in ledger["transactions"])


def test_a_settled_license_expires_with_its_window(registry: Harness) -> None:
    world = licensed(registry)
    h, lic = registry, world.license_id
    h.clock.set_date(date(2026, 6, 2))
    for period in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05"):
        h.ok(
            h.post(
                f"/v1/licenses/{lic}/reports",
                world.licensee,
                {"period": period, "base_amount_minor": 1000, "currency": "USD"},
            ),
            201,
        )
    h.ok(
        h.post(
            f"/v1/licenses/{lic}/payments",
            world.licensee,
            {"amount_minor": 250, "currency": "USD", "reference": "all"},
        ),
        201,
    )
    assert h.ok(h.post("/v1/admin/sweep", world.admin))["result"]["expired"] == [lic]
    closed = h.post(
        f"/v1/licenses/{lic}/reports",
        world.licensee,
        {"period": "2026-05", "base_amount_minor": 1, "currency": "USD"},
    )
    assert closed.status_code == 409
