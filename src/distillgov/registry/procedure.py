"""The registry's own procedural terms: deadlines for reports, payments, cure and disclosures.

These are not the regime's law (window, levy base and rate come from the law engine's dated
parameters); they are how this clearinghouse runs, modelled on the mechanical-licensing analogue
(17 U.S.C. § 115(d)(4): monthly usage reports with payment; a licensee in default is given notice
and a period to cure before the license terminates). Each is a reading, shown on every license.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

READING = "Reading (assumption): registry procedure modelled on 17 U.S.C. § 115(d)(4) and the MLC's practice"


@dataclass(frozen=True)
class Procedure:
    report_due_days: int = 45
    """Days after the end of a monthly period by which its usage report and levy payment are due."""
    cure_days: int = 60
    """Days after a default is noticed within which it may be cured; the license terminates after."""
    disclosure_days: int = 30
    """Days after a safe-harbor claim within which each condition (disclosure, attestations) must be met."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"reference": READING}


DEFAULT_PROCEDURE = Procedure()
