"""The registry's daily run: defaults, cures, terminations and expiries of licenses, and lapses of
safe harbors, all decided against the injected clock and logged.

Run by an administrator (`POST /v1/admin/sweep`, or `distillgov registry admin sweep` from a timer);
running it twice on the same day decides nothing new.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from distillgov.registry.models import License, LicenseStatus, Role
from distillgov.registry.procedure import DEFAULT_PROCEDURE
from distillgov.registry.service import harbors, ledger, licenses
from distillgov.registry.service.context import Context


def sweep(ctx: Context) -> dict[str, Any]:
    ctx.require(Role.administrator)
    decided: dict[str, list[int]] = {
        "default": [],
        "cured": [],
        "terminated": [],
        "expired": [],
        "lapsed": [],
    }
    open_licenses = ctx.session.scalars(
        sa.select(License).where(License.status.in_(licenses.OPEN_STATUSES)).order_by(License.id)
    )
    for lic in list(open_licenses):
        event = _license_step(ctx, lic)
        if event is not None:
            decided[event].append(lic.id)
            ctx.record("license", licenses.subject(lic), {"event": event, **licenses.public_view(lic)})
    decided["lapsed"] = [found.id for found in harbors.lapse_overdue(ctx)]
    return {"on": ctx.today().isoformat(), **decided}


def _license_step(ctx: Context, lic: License) -> str | None:
    """The one status change due today, if any (the caller logs it)."""
    today = ctx.today()
    owed = ledger.obligations(ctx, lic, today)
    if lic.status == LicenseStatus.active.value:
        if owed.in_breach:
            lic.status = LicenseStatus.in_default.value
            lic.default_since = today
            lic.cure_by = today + timedelta(days=DEFAULT_PROCEDURE.cure_days)
            lic.default_reason = owed.describe()
            return "default"
        if today >= lic.expires_on and ledger.settled_for_term(ctx, lic):
            lic.status = LicenseStatus.expired.value
            lic.closed_on = today
            return "expired"
        return None
    if not owed.in_breach:
        lic.status = LicenseStatus.active.value
        lic.default_since = lic.cure_by = lic.default_reason = None
        return "cured"
    if lic.cure_by is not None and today > lic.cure_by:
        lic.status = LicenseStatus.terminated.value
        lic.closed_on = today
        lic.default_reason = owed.describe()
        return "terminated"
    return None
