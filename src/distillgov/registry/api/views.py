"""Records as response bodies: the service's views, typed by `responses`."""

from __future__ import annotations

from distillgov.registry.api.responses import ClaimOut, LicenseOut, ModelOut, NoticeOut
from distillgov.registry.models import License, Notice, ProtectedModel, SafeHarborClaim
from distillgov.registry.service import harbors, licenses, notices, protected_models
from distillgov.registry.service.context import Context


def model_out(model: ProtectedModel) -> ModelOut:
    return ModelOut.model_validate(protected_models.public_view(model) | {"log_index": model.log_index})


def notice_out(ctx: Context, notice: Notice) -> NoticeOut:
    view = (
        notices.detailed_view(notice) if notices.can_see_details(ctx, notice) else notices.public_view(notice)
    )
    return NoticeOut.model_validate(view)


def license_out(lic: License) -> LicenseOut:
    return LicenseOut.model_validate(
        licenses.public_view(lic) | {"terms": lic.terms, "log_index": lic.log_index}
    )


def claim_out(found: SafeHarborClaim) -> ClaimOut:
    return ClaimOut.model_validate(harbors.public_view(found))
