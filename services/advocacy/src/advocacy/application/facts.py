"""Gathering a person's facts for a screening from advocacy's own read models and streams."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from advocacy.application.aggregates import PERSON
from advocacy.domain.facts import Facts
from advocacy.domain.triggers import MONTHLY
from ishc_contracts import ERASED_TEXT
from ishc_contracts.errors import NotFound
from ishc_runtime.privacy import as_date, reveal
from ishc_runtime.service import ServiceContext

# For many (person, date) pairs at once: a burst of screening timers reads its facts in three
# statements and one key fetch, not three statements and a key fetch per person (issue #19).
_PEOPLE = """
SELECT p.person_id, p.member_id, p.club_id, p.birth_date, p.disability_level,
       coalesce(p.household_id, (SELECT household_id FROM advocacy_household_members m
                                 WHERE m.person_id = p.person_id LIMIT 1)) AS household_id
FROM advocacy_people p WHERE p.person_id = ANY($1::uuid[])
"""
_STATUSES = """
SELECT DISTINCT ON (w.household_id, w.on_date) w.household_id, w.on_date, s.status
FROM unnest($1::uuid[], $2::date[]) AS w(household_id, on_date)
JOIN advocacy_household_status s ON s.household_id = w.household_id
 AND s.valid_from <= w.on_date AND (s.valid_to IS NULL OR s.valid_to >= w.on_date)
ORDER BY w.household_id, w.on_date, s.valid_from DESC
"""
_RECEIVED = """
SELECT w.person_id, w.on_date
FROM unnest($1::uuid[], $2::date[]) AS w(person_id, on_date)
WHERE EXISTS (SELECT 1 FROM advocacy_claims c WHERE c.person_id = w.person_id
              AND c.approved_on IS NOT NULL AND c.approved_on <= w.on_date
              AND c.scheme = ANY($3::text[]))
"""
BENEFIT_SCHEMES = [*MONTHLY, "disability_allowance"]
# People's own streams loaded at once: each load holds a connection of the service's pool.
_LOADS_AT_ONCE = 4


def known_or_none(value: object) -> Any:
    """A revealed code, or None (unknown to the rules) where its key is destroyed."""
    return None if value == ERASED_TEXT else value


@dataclass(frozen=True)
class Person:
    member_id: UUID | None
    club_id: UUID
    facts: Facts


async def gather(ctx: ServiceContext, person_id: UUID, on: date) -> Person:
    (found,) = await gather_many(ctx, [(person_id, on)])
    if isinstance(found, NotFound):
        raise found
    return found


async def gather_many(
    ctx: ServiceContext, wanted: Sequence[tuple[UUID, date]]
) -> list[Person | NotFound]:
    """Each person's facts on their date, in order; NotFound for a person advocacy does not
    know. The read models are read once for all; each person's own stream is loaded apart
    (from the repository's cache when it is warm)."""
    people = list({person for person, _ in wanted})
    found = await ctx.pool.fetch(_PEOPLE, people)
    # Birth dates, disability levels and poverty statuses are kept sealed with membership's
    # keys, granted to advocacy: opened here, every key the rows need in one fetch.
    privacy = ctx.store.privacy
    rows = {
        row["person_id"]: row
        for row in await reveal(privacy, found, "birth_date", "disability_level")
    }
    households = [
        (row["household_id"], on)
        for person, on in wanted
        if (row := rows.get(person)) is not None and row["household_id"] is not None
    ]
    statuses = {
        (r["household_id"], r["on_date"]): known_or_none(r["status"])
        for r in await reveal(privacy, await ctx.pool.fetch(
            _STATUSES, [h for h, _ in households], [on for _, on in households]
        ), "status")
    } if households else {}  # fmt: skip
    known = [(person, on) for person, on in wanted if person in rows]
    received = {
        (r["person_id"], r["on_date"])
        for r in await ctx.pool.fetch(
            _RECEIVED, [p for p, _ in known], [on for _, on in known], BENEFIT_SCHEMES
        )
    } if known else set()  # fmt: skip
    limit = asyncio.Semaphore(_LOADS_AT_ONCE)

    async def own_state(person: UUID) -> Any:
        async with limit:
            return (await ctx.repository.load(PERSON, PERSON.stream_id(person))).state

    known_people = list({person for person, _ in known})
    owns = dict(zip(known_people, await asyncio.gather(*map(own_state, known_people)), strict=True))
    answers: list[Person | NotFound] = []
    for person, on in wanted:
        row = rows.get(person)
        if row is None:
            answers.append(NotFound(f"advocacy knows no person {person}", field="person_id"))
            continue
        own = owns[person]
        facts = Facts(
            birth_date=as_date(row["birth_date"]),
            poverty_status=statuses.get((row["household_id"], on)),
            disability_level=known_or_none(row["disability_level"]),
            monthly_pension=own.monthly_pension,
            has_supporter=own.has_supporter,
            especially_difficult_commune=own.especially_difficult_commune,
            receives_monthly_benefit=(person, on) in received,
        )
        answers.append(Person(row["member_id"], row["club_id"], facts))
    return answers
