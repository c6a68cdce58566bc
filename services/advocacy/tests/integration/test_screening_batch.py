"""A round of screening timers handled together (issue #19) answers each command as the
single handler would: same screening, same refusals, each idempotent by its command_id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, time
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from advocacy.application.routes import routes
from advocacy.application.timers import screening_id
from advocacy.definition import SERVICE, definition
from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, new_id
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.errors import DomainError, NotFound
from ishc_runtime.clock import FakeClock, vn_at
from ishc_runtime.service import ServiceContext
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool

pytestmark = pytest.mark.integration

TODAY = date(2025, 7, 1)
CLUB, HOUSEHOLD = new_id(), new_id()
# 77 and poor; 60; 81 in no household: each screened differently for the monthly schemes.
PEOPLE = {new_id(): date(1948, 3, 2), new_id(): date(1965, 5, 5), new_id(): date(1944, 1, 9)}


@pytest.fixture
async def context(database_dsn: str) -> AsyncIterator[ServiceContext]:
    await migrate(database_dsn, *definition().migrations)
    pool = await create_pool(database_dsn, max_size=6)
    try:
        elder = next(iter(PEOPLE))
        await pool.executemany(
            "INSERT INTO advocacy_people (person_id, member_id, club_id, household_id, birth_date)"
            " VALUES ($1, $2, $3, $4, $5)",
            [(p, new_id(), CLUB, HOUSEHOLD if p == elder else None, born.isoformat())
             for p, born in PEOPLE.items()],
        )  # fmt: skip
        await pool.execute(
            "INSERT INTO advocacy_household_status (household_id, valid_from, status, standard)"
            " VALUES ($1, $2, 'poor', 'test')",
            HOUSEHOLD,
            date(2025, 1, 1),
        )
        clock = FakeClock(vn_at(TODAY, time(9)))
        yield ServiceContext.build(SERVICE, pool, REGISTRY, clock, routes)
    finally:
        await pool.close()


def screen(person: UUID, scheme: str, key: str) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=new_id(), type="ScreenEligibility", actor=SYSTEM_ACTOR,
        payload={"screening_id": str(screening_id(key)), "person_id": str(person),
                 "scheme": scheme, "as_of": TODAY.isoformat(), "trigger": "joined"},
    )  # fmt: skip


async def screenings(pool: asyncpg.Pool, prefix: str) -> list[dict[str, Any]]:
    """What was appended for the commands of `prefix`, without their own ids, by person."""
    rows = await pool.fetch(
        "SELECT data FROM events WHERE type = 'advocacy.EligibilityScreened'"
        " AND data->>'screening_id' = ANY($1::text[])",
        [str(screening_id(f"{prefix}:{p}:{s}")) for p in PEOPLE for s in SCHEMES],
    )
    found = [{k: v for k, v in r["data"].items() if k != "screening_id"} for r in rows]
    return sorted(found, key=lambda d: (d["person_id"], d["scheme"]))


SCHEMES = ("social_pension", "social_allowance_elderly")


async def test_a_round_screens_each_person_as_one_screening_would(
    context: ServiceContext,
) -> None:
    batch = [screen(p, s, f"batch:{p}:{s}") for p in PEOPLE for s in SCHEMES]
    stranger = screen(new_id(), "social_pension", "batch:stranger")
    answers = await routes.run_many(context, [*batch, stranger], concurrency=2)

    for command in batch:
        await routes.run(context, screen(
            UUID(command.payload["person_id"]), command.payload["scheme"],
            f"alone:{command.payload['person_id']}:{command.payload['scheme']}",
        ))  # fmt: skip

    assert all(isinstance(a, dict) and a["duplicate"] is False for a in answers[:-1])
    assert isinstance(answers[-1], NotFound)  # only the stranger is refused
    together, alone = (
        await screenings(context.pool, "batch"),
        await screenings(context.pool, "alone"),
    )
    assert len(together) == len(batch)
    assert together == alone
    assert {d["result"] for d in together} != {"not_eligible"}  # the facts were read


def answered(results: list[dict[str, Any] | BaseException]) -> list[dict[str, Any]]:
    """The results of a round in which every command got through."""
    assert not [r for r in results if isinstance(r, BaseException)], results
    return [r for r in results if not isinstance(r, BaseException)]


async def test_a_round_dispatched_again_appends_nothing_twice(context: ServiceContext) -> None:
    batch = [screen(p, "social_pension", f"again:{p}:social_pension") for p in PEOPLE]
    first = answered(await routes.run_many(context, batch, concurrency=2))
    again = answered(await routes.run_many(context, batch, concurrency=2))

    assert [a["duplicate"] for a in again] == [True] * len(batch)
    assert [a["event_ids"] for a in again] == [a["event_ids"] for a in first]
    assert len(await screenings(context.pool, "again")) == len(batch)


async def test_a_command_refused_in_a_round_leaves_the_others_screened(
    context: ServiceContext,
) -> None:
    person = next(iter(PEOPLE))
    good = screen(person, "social_pension", f"mixed:{person}:social_pension")
    invalid = screen(person, "social_pension", "mixed:invalid")
    invalid = invalid.model_copy(update={"payload": {**invalid.payload, "as_of": "yesterday"}})

    answers = await routes.run_many(context, [invalid, good], concurrency=2)

    assert isinstance(answers[0], DomainError)
    assert isinstance(answers[1], dict) and answers[1]["duplicate"] is False
