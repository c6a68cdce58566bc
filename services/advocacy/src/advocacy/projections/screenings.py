"""advocacy_screenings: the latest screening per person and scheme (pure writer)."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.advocacy.events import EligibilityScreened
from ishc_runtime.projections import Projection
from ishc_runtime.projections.projection import Write

LATEST = "advocacy_latest_screenings"

# A screening about an earlier date never replaces a later one (timers and triggers may
# screen out of date order); on the same date, the later event wins.
_UPSERT = f"""
INSERT INTO {LATEST} (person_id, scheme, club_id, member_id, screening_id, as_of, result,
    expected_monthly_amount, rule_version, parameters_version, reasons)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (person_id, scheme) DO UPDATE SET
    club_id = EXCLUDED.club_id, member_id = EXCLUDED.member_id,
    screening_id = EXCLUDED.screening_id, as_of = EXCLUDED.as_of, result = EXCLUDED.result,
    expected_monthly_amount = EXCLUDED.expected_monthly_amount,
    rule_version = EXCLUDED.rule_version, parameters_version = EXCLUDED.parameters_version,
    reasons = EXCLUDED.reasons
WHERE {LATEST}.as_of <= EXCLUDED.as_of
"""


def screenings_projection(source: str = "advocacy") -> Projection:
    projection = Projection(
        name="advocacy_screenings", sources=[source], policy="park", tables=[LATEST]
    )

    @projection.writes(EligibilityScreened, opens=())
    def screened(env: EventEnvelope, e: EligibilityScreened) -> list[Write]:
        args = (
            e.person_id, e.scheme, e.club_id, e.member_id, e.screening_id, e.as_of, e.result,
            e.expected_monthly_amount, e.rule_version, e.parameters_version, list(e.reasons),
        )  # fmt: skip
        return [Write(_UPSERT, args)]

    return projection
