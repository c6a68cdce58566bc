"""Consent per purpose, from data (docs/privacy.md, "Consent and purpose").

Some processing needs the person's consent for its purpose (the `consent_purposes` reference
list): care's health follow-up (`health_data`), advocacy's sharing with commune offices
(`share_with_commune`). Membership records consents (`ConsentGiven`, `ConsentWithdrawn`); a
service that needs one projects those facts into its own `consents` table (runtime migration
0012) with `consent_projection`, and checks it with `require_consent` on the business date of
what it is about to record. A command's payload never says whether consent was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

import asyncpg

from ishc_contracts import EventEnvelope
from ishc_contracts.errors import DomainError
from ishc_contracts.membership.events import ConsentGiven, ConsentWithdrawn
from ishc_contracts.reference import reference
from ishc_runtime.projections import Projection, Write
from ishc_runtime.store.pool import Connection

# Where to look: a pool, or a connection (inside a transaction of the caller's).
Reader = asyncpg.Pool | Connection

HEALTH_DATA = "health_data"
SHARE_WITH_COMMUNE = "share_with_commune"
CONSENTS = "consents"


class ConsentRequired(DomainError):
    """The person has not consented to this purpose on that day (never, not yet, or
    withdrawn): the processing is refused and nothing is recorded."""

    type = "consent-required"
    title = "The person's consent for this purpose is missing"
    status = 409


def _canonical(purpose: str) -> str:
    # Events keep the code they were recorded with; an alias of old counts as its code.
    return reference("consent_purposes").canonical(purpose)


def consent_projection(service: str, source: str = "membership") -> Projection:
    """`consents` from membership's events; `service` is the bus name (it prefixes the
    projection's name, as the runtime requires)."""
    projection = Projection(
        name=f"{service}_consents", sources=[source], policy="stop", tables=[CONSENTS]
    )

    @projection.writes(ConsentGiven)
    def given(env: EventEnvelope, e: ConsentGiven) -> Sequence[Write]:
        return [
            Write(
                "INSERT INTO consents (consent_id, person_id, club_id, purpose, given_on)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (consent_id) DO UPDATE SET"
                " person_id = $2, club_id = $3, purpose = $4, given_on = $5",
                (e.consent_id, e.person_id, e.club_id, _canonical(e.purpose), e.given_on),
            )
        ]

    @projection.writes(ConsentWithdrawn)
    def withdrawn(env: EventEnvelope, e: ConsentWithdrawn) -> Sequence[Write]:
        return [
            Write(
                "UPDATE consents SET withdrawn_on = $2 WHERE consent_id = $1",
                (e.consent_id, e.withdrawn_on),
            )
        ]

    return projection


async def consents_on(conn: Reader, person_id: UUID, purpose: str, on: date) -> bool:
    """Whether a consent of `person_id` for `purpose` holds on `on` (given by then, not
    withdrawn by then)."""
    held: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM consents WHERE person_id = $1 AND purpose = $2"
        " AND given_on <= $3 AND (withdrawn_on IS NULL OR withdrawn_on > $3))",
        person_id,
        _canonical(purpose),
        on,
    )
    return held


async def require_consent(
    conn: Reader, person_id: UUID, purpose: str, on: date, *, field: str | None = None
) -> None:
    """Raise `ConsentRequired` (409, naming the purpose) unless the consent holds on `on`."""
    if not await consents_on(conn, person_id, purpose, on):
        label = next(
            (e.label for e in reference("consent_purposes").entries if e.code == purpose), purpose
        )
        raise ConsentRequired(
            f"no consent of person {person_id} for {purpose!r} ({label}) on {on}: record it"
            " with RecordConsent first (or it was withdrawn)",
            field=field,
            purpose=purpose,
            person_id=str(person_id),
            on=on.isoformat(),
        )
