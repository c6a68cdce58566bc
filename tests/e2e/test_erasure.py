"""Acceptance for issue #20, erasure: after `EraseSubject` the person's sensitive fields are
unreadable everywhere, a full rebuild of every projection of every service succeeds, a
club's bundle exports and imports, the reports count the person as before, and the
dashboard shows the member as erased.

The person stays a member of the club (their history is the canary history of
`canaries.plant`: 60 or older, an ethnic minority, a disability, a poor household, a care
case with vitals, a loan application), beside a second member who is not erased, so the
club's indicators count both before and after.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio
from typer.testing import CliRunner, Result

from gateway.auth import DEMO_CLUB_A
from ishc_contracts import ERASED_TEXT, new_id
from ishc_ops.cli import app as ishc
from ishc_ops.targets import env_var, with_reactions
from ishc_runtime.testing.databases import DatabaseFactory
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until

from .canaries import NAME, TODAY, plant
from .conftest import running_system
from .harness import System, caught_up, definition_of, fetch

pytestmark = pytest.mark.e2e

PERIOD = TODAY.strftime("%Y-%m")
WITH_EVENTS = ("membership", "finance", "care", "advocacy")


@dataclass
class Erased:
    system: System
    person_id: UUID
    member_id: UUID
    case_id: UUID
    indicators: dict[str, Any]
    events: dict[str, int]
    report: dict[str, Any]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def erased(infrastructure: Infrastructure) -> AsyncIterator[Erased]:
    async with running_system(infrastructure, prefix="erasure") as system:
        person_id, member_id, case_id = await plant(system, leaves=False)
        secretary = await system.token(user="secretary-a")
        await system.command(
            secretary,
            "membership",
            "admit-member",
            {
                "member_id": str(new_id()),
                "person_id": str(new_id()),
                "club_id": str(DEMO_CLUB_A),
                "full_name": "Trần Văn Nam",
                "sex": "male",
                "birth_date": "1972-02-03",
                "joined_on": TODAY.isoformat(),
            },
        )

        async def both_counted() -> bool:
            if not await club_units(system):
                return False  # reporting has not heard of the club yet
            indicators = await club_indicators(system)
            return bool(indicators["members"] == 2 and indicators["older_members"] == 1)

        await wait_until(both_counted, timeout=60, interval=0.3, message="reporting counts them")
        await caught_up(system)
        before = await club_indicators(system)
        events = await event_counts(system)
        admin = await system.token(user="admin")
        answer = await system.http.post(
            f"/v1/ops/subjects/{person_id}/erase",
            json={"reason": "request of the person", "legal_basis": "Law 91/2025/QH15 art. 14"},
            headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": str(new_id())},
        )
        assert answer.status_code == 200, answer.text
        yield Erased(system, person_id, member_id, case_id, before, events, answer.json())


async def club_units(system: System) -> list[dict[str, Any]]:
    """The club's indicator units: none until reporting has heard of the club."""
    secretary = await system.token(user="secretary-a")
    response = await system.http.get(
        "/v1/reports/indicators",
        params={"period": PERIOD, "level": "club"},
        headers={"Authorization": f"Bearer {secretary}"},
    )
    assert response.status_code == 200, response.text
    units: list[dict[str, Any]] = response.json()["data"]["units"]
    return units


async def club_indicators(system: System) -> dict[str, Any]:
    (unit,) = await club_units(system)
    assert unit["suppressed"] == []  # the club's own secretary reads every count
    indicators: dict[str, Any] = unit["indicators"]
    return indicators


async def event_counts(system: System) -> dict[str, int]:
    return {
        name: (await fetch(service.settings.database_url, "SELECT count(*) FROM events"))[0][0]
        for name, service in system.services.items()
    }


async def roster_row(system: System, member_id: UUID) -> dict[str, Any]:
    secretary = await system.token(user="secretary-a")
    roster = await system.query(
        secretary, "membership", "club-roster", club_id=DEMO_CLUB_A, include_former="true"
    )
    assert roster.status_code == 200, roster.text
    assert NAME not in roster.text
    (row,) = [m for m in roster.json()["data"]["members"] if m["member_id"] == str(member_id)]
    return dict(row)


async def ishc_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    """`ishc` as an operator runs it (its own event loop, in a thread)."""
    return await asyncio.to_thread(CliRunner().invoke, ishc, list(args), env=env)


def secret(value: Any) -> str:
    return str(value.get_secret_value())


async def test_the_person_reads_as_erased_everywhere_and_nothing_new_is_taken(
    erased: Erased,
) -> None:
    system = erased.system
    assert erased.report["complete"] is True
    destroyed = {s["service"]: s["keys_destroyed"] for s in erased.report["services"]}
    assert destroyed["membership"] >= 3  # identity, contact, disability, ethnicity, notes
    assert destroyed["care"] >= 2  # the case's and the health check's
    assert destroyed["finance"] >= 1  # the loan application's note, found by member id

    assert (await roster_row(system, erased.member_id))["full_name"] == ERASED_TEXT
    secretary = await system.token(user="secretary-a")
    board = await system.query(secretary, "care", "week-board", club_id=DEMO_CLUB_A)
    assert board.status_code == 200, board.text
    names = {r["case_id"]: r["full_name"] for r in board.json()["data"]["recipients"]}
    assert names[str(erased.case_id)] == ERASED_TEXT
    assert NAME not in board.text
    assert await event_counts(system) == erased.events  # events stay: only keys went

    refused = await system.http.post(
        f"/v1/ops/subjects/{erased.person_id}/erase",
        json={"reason": "request of the person", "legal_basis": "Law 91/2025/QH15 art. 14"},
        headers={"Authorization": f"Bearer {secretary}"},
    )
    assert refused.status_code == 403, refused.text
    admin = await system.token(user="admin")
    again = await system.command(
        admin,
        "membership",
        "update-member-profile",
        {"person_id": str(erased.person_id), "full_name": NAME},
        expect=None,
    )
    assert again.status_code == 410, again.text


async def test_the_reports_count_the_person_as_before(erased: Erased) -> None:
    await caught_up(erased.system)
    after = await club_indicators(erased.system)
    assert after == erased.indicators
    assert after["older_members"] == 1 and after["disability_members"] == 1


async def test_every_projection_of_every_service_rebuilds_and_the_counts_stay(
    erased: Erased, tmp_path: Path
) -> None:
    system = erased.system
    rebuilt: dict[str, bool] = {}
    changed: dict[str, list[str]] = {}
    for name, service in system.services.items():
        settings = service.settings
        keys = tmp_path / f"{name}.master.json"
        keys.write_text(secret(settings.master_keys))
        env = {"ISHC_TRANSPORT_KEY": secret(settings.transport_key)}
        operated = with_reactions(definition_of(name), service.context.pool)
        projections = [p.name for p, kind in operated if kind == "projection"]
        assert projections, name
        for projection in projections:
            result = await ishc_cli(
                "projections", "rebuild", name, projection, "--yes", "--json",
                "--master-keys-file", str(keys), "--database-url", settings.database_url,
                "--nats-url", settings.nats_url, env=env,
            )  # fmt: skip
            assert result.exit_code == 0, (name, projection, result.output, result.exception)
            answer = json.loads(result.stdout)
            rebuilt[f"{name}.{projection}"] = answer["switched"]
            differs = [row["table"] for row in answer["comparison"] if not row["same"]]
            if differs:
                changed[f"{name}.{projection}"] = differs

    assert rebuilt and all(rebuilt.values()), rebuilt
    # A read model folded again without the erased keys equals the live one: nothing it
    # shows or counts still depends on a value the erasure made unreadable.
    assert changed == {}
    await caught_up(system)
    assert await club_indicators(system) == erased.indicators
    assert (await roster_row(system, erased.member_id))["full_name"] == ERASED_TEXT


async def test_reporting_is_not_rebuilt_without_the_keys_it_is_granted(erased: Erased) -> None:
    """Reporting seals nothing of its own, but reads membership's sealed values under its
    grant: without its keys a rebuild would count erased stand-ins, and is refused."""
    settings = erased.system.services["reporting"].settings
    refused = await ishc_cli(
        "projections", "rebuild", "reporting", "reporting_membership", "--yes",
        "--database-url", settings.database_url, "--nats-url", settings.nats_url,
        env={"REPORTING_MASTER_KEYS": "", "ISHC_TRANSPORT_KEY": ""},
    )  # fmt: skip
    assert refused.exit_code == 2, refused.output
    assert "reporting_membership: membership.HouseholdPovertyStatusRecorded" in refused.stderr
    assert "--master-keys-file" in refused.stderr
    assert await club_indicators(erased.system) == erased.indicators


async def test_the_clubs_bundle_exports_and_imports_without_the_erased_data(
    erased: Erased, infrastructure: Infrastructure, tmp_path: Path
) -> None:
    system = erased.system
    sources = {env_var(s): system.services[s].settings.database_url for s in WITH_EVENTS}
    bundle = tmp_path / "club.ishc.gz"
    exported = await ishc_cli(
        "export", str(DEMO_CLUB_A), "-o", str(bundle), "--json", env={**os.environ, **sources}
    )
    assert exported.exit_code == 0, (exported.output, exported.exception)
    in_bundle = json.loads(exported.stdout)["events"]
    assert all(in_bundle[s] > 0 for s in WITH_EVENTS), in_bundle

    databases = DatabaseFactory(infrastructure.postgres_dsn)
    try:
        targets = {env_var(s): await databases.create(f"imported_{s}") for s in WITH_EVENTS}
        env = {**os.environ, **targets}
        first = await ishc_cli("import", str(bundle), "--yes", "--json", env=env)
        again = await ishc_cli("import", str(bundle), "--yes", "--json", env=env)
        assert first.exit_code == 0, (first.output, first.exception)
        assert again.exit_code == 0, (again.output, again.exception)
        assert json.loads(first.stdout)["added"] == in_bundle
        assert set(json.loads(again.stdout)["added"].values()) == {0}
        stream = f"member-{erased.person_id}"  # a person's stream holds their memberships
        query = "SELECT event_id, data FROM events WHERE stream_id = $1 ORDER BY version"
        here = await fetch(system.services["membership"].settings.database_url, query, stream)
        there = await fetch(targets[env_var("membership")], query, stream)
        # The erased person's events travel as they are stored: sealed, no key beside them.
        assert there and [tuple(r) for r in there] == [tuple(r) for r in here]
        assert all(NAME not in row["data"] for row in there)
    finally:
        await databases.drop_all()


async def test_the_dashboard_shows_the_member_as_erased(erased: Erased) -> None:
    for lang, shown in (("vi", "Đã xoá theo yêu cầu"), ("en", "Erased on request")):
        async with erased.system.browser(lang) as browser:
            page = await browser.get("/app/login")
            csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            signed = await browser.post(
                "/app/login", data={"csrf_token": csrf, "user": "secretary-a"}
            )
            assert signed.status_code == 303, signed.text
            club = await browser.get(f"/app/club/{DEMO_CLUB_A}")
            member = await browser.get(f"/app/club/{DEMO_CLUB_A}/members/{erased.member_id}")
        for answer in (club, member):
            assert answer.status_code == 200, answer.text
            assert shown in answer.text
            assert ERASED_TEXT not in answer.text and NAME not in answer.text
        assert f"<h1>{shown}</h1>" in member.text
