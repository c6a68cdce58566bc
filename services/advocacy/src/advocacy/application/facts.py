"""Gathering a person's facts for a screening from advocacy's own read models and streams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from advocacy.application.aggregates import PERSON
from advocacy.domain.facts import Facts
from advocacy.domain.triggers import MONTHLY
from ishc_contracts.errors import NotFound
from ishc_runtime.service import ServiceContext

_PERSON = """
SELECT p.member_id, p.club_id, p.birth_date, p.disability_level,
       coalesce(p.household_id, (SELECT household_id FROM advocacy_household_members m
                                 WHERE m.person_id = p.person_id LIMIT 1)) AS household_id
FROM advocacy_people p WHERE p.person_id = $1
"""
_STATUS = """
SELECT status FROM advocacy_household_status
WHERE household_id = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to >= $2)
ORDER BY valid_from DESC LIMIT 1
"""
_RECEIVED = """
SELECT EXISTS (SELECT 1 FROM advocacy_claims WHERE person_id = $1 AND approved_on IS NOT NULL
               AND approved_on <= $2 AND scheme = ANY($3::text[]))
"""
BENEFIT_SCHEMES = [*MONTHLY, "disability_allowance"]


@dataclass(frozen=True)
class Person:
    member_id: UUID | None
    club_id: UUID
    facts: Facts


async def gather(ctx: ServiceContext, person_id: UUID, on: date) -> Person:
    row = await ctx.pool.fetchrow(_PERSON, person_id)
    if row is None:
        raise NotFound(f"advocacy knows no person {person_id}", field="person_id")
    status = None
    if row["household_id"] is not None:
        status = await ctx.pool.fetchval(_STATUS, row["household_id"], on)
    received = await ctx.pool.fetchval(_RECEIVED, person_id, on, BENEFIT_SCHEMES)
    own = (await ctx.repository.load(PERSON, PERSON.stream_id(person_id))).state
    facts = Facts(
        birth_date=row["birth_date"],
        poverty_status=status,
        disability_level=row["disability_level"],
        monthly_pension=own.monthly_pension,
        has_supporter=own.has_supporter,
        especially_difficult_commune=own.especially_difficult_commune,
        receives_monthly_benefit=received,
    )
    return Person(row["member_id"], row["club_id"], facts)
