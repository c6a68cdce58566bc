"""`ishc streams`, `projections status`, `events show` and the CLI's exit codes."""

from __future__ import annotations

import asyncio
import getpass
import json
from typing import Any

import pytest
from nats.js.api import StreamConfig
from typer.testing import CliRunner, Result

from ishc_contracts import new_id, subjects
from ishc_ops.cli import app
from ishc_runtime.relay.streams import StreamSpec, check_stream
from ishc_runtime.testing.background import running
from ishc_runtime.testing.waiting import wait_until

from .conftest import POISON, PhoneNoted, World

pytestmark = pytest.mark.integration


async def test_streams_show_the_stream_and_store_against_relayed_position(world: World) -> None:
    await world.open_with(100, 200)
    relay = world.relay()
    async with running(relay.run):
        await wait_until(lambda: _count(world, 3), message="relay published")

    found = await world.ishc_json("streams", "--service", world.name)

    stream = next(s for s in found["streams"] if s["stream"] == subjects.stream_name(world.name))
    assert stream["messages"] == 3
    assert stream["last_seq"] == 3
    assert stream["replicas"] == 1
    assert found["services"] == [
        {
            **found["services"][0],
            "service": world.name,
            "store_max_seq": 3,
            "unsequenced": 0,
            "relayed_seq": 3,
            "relay_lag": 0,
        }
    ]
    table = await world.ishc("streams", "--service", world.name)
    assert table.exit_code == 0
    assert subjects.stream_name(world.name) in table.stdout


async def _count(world: World, n: int) -> bool:
    return await world.stream_messages() >= n


async def test_status_shows_lag_then_parked_and_caught_up(world: World) -> None:
    await world.open_with(100, POISON, 200)
    async with running(world.relay().run):
        await wait_until(lambda: _count(world, 4), message="relay published")

        behind = await world.ishc_json("projections", "status", world.name)
        assert [(r["projection"], r["checkpoint"], r["lag"], r["state"]) for r in behind] == [
            (f"{world.name}_balances", 0, 4, "behind")
        ]

        async with running(world.runner().run):

            async def caught_up() -> bool:
                rows = await world.ishc_json("projections", "status", world.name)
                return bool(rows[0]["lag"] == 0)

            await wait_until(caught_up, timeout=20, interval=0.2, message="projection caught up")

    status = await world.ishc_json("projections", "status", world.name)
    assert status[0]["parked"] == 1
    assert status[0]["blocking"] == 0
    assert status[0]["state"] == "caught up"
    table = await world.ishc("projections", "status", world.name)
    assert table.exit_code == 0
    assert "caught up" in table.stdout
    sampled = await world.ishc_json("projections", "status", world.name, "--sample", "0.2")
    assert sampled[0]["events_per_s"] == 0.0  # nothing new while it watched


async def test_events_show_decodes_masks_and_travels_in_time(world: World) -> None:
    account = await world.open_with(100, 250)
    await world.append(account, PhoneNoted(phone="0912345678", note="call after 5"))
    stream = f"account-{account}"

    shown = await world.ishc_json("events", "show", world.name, stream, nats=False)
    assert [e["type"] for e in shown["events"]] == [
        "sample.AccountOpened",
        "sample.Deposited",
        "sample.Deposited",
        "sample.PhoneNoted",
    ]
    assert shown["events"][3]["data"] == {"phone": "***", "note": "call after 5"}
    assert shown["state"] == {
        "version": 4,
        "value": {"opened": True, "owner": "Lan", "balance": 350, "deposits": 2},
    }

    earlier = await world.ishc_json(
        "events", "show", world.name, stream, "--up-to-version", "2", nats=False
    )
    assert len(earlier["events"]) == 2
    assert earlier["state"]["value"]["balance"] == 100

    before = await world.ishc_json(
        "events", "show", world.name, stream, "--as-of", "2000-01-01", nats=False
    )
    assert before["events"] == []
    assert before["state"]["version"] == 0

    revealed = await world.ishc(
        "events", "show", world.name, stream, "--reveal", "--json", nats=False
    )
    assert revealed.exit_code == 0
    assert "reveal is audited" in revealed.stderr
    assert '"event": "ops.reveal"' in revealed.stderr
    assert json.loads(revealed.stdout)["events"][3]["data"]["phone"] == "0912345678"
    # The reveal is recorded in the store that was read, with who, when and which stream.
    (recorded,) = await world.pool.fetch("SELECT * FROM privacy_reveals")
    assert recorded["operator"] == getpass.getuser()
    assert recorded["stream_id"] == stream
    assert recorded["target"] == stream
    assert recorded["revealed_at"] is not None
    assert f"#{recorded['reveal_id']}" in revealed.stderr

    table = await world.ishc("events", "show", world.name, stream, nats=False)
    assert table.exit_code == 0
    assert "0912345678" not in table.stdout
    assert "Deposited" in table.stdout
    assert await world.pool.fetchval("SELECT count(*) FROM privacy_reveals") == 1  # masked: none


async def test_a_reveal_that_cannot_be_recorded_shows_nothing(world: World) -> None:
    account = await world.open_with(100)
    await world.append(account, PhoneNoted(phone="0912345678", note="call after 5"))
    await world.pool.execute("ALTER TABLE privacy_reveals RENAME TO privacy_reveals_away")
    try:
        refused = await world.ishc(
            "events", "show", world.name, f"account-{account}", "--reveal", "--json", nats=False
        )
    finally:
        await world.pool.execute("ALTER TABLE privacy_reveals_away RENAME TO privacy_reveals")
    assert refused.exit_code != 0
    assert "0912345678" not in refused.stdout
    assert "not shown" in refused.stderr


async def test_exit_codes_name_what_went_wrong(world: World) -> None:
    missing = await world.ishc("events", "show", world.name, "account-nobody", nats=False)
    assert missing.exit_code == 3
    unknown = await world.ishc("projections", "status", "no_such_service")
    assert unknown.exit_code == 3
    unreachable = await invoke(
        ["dlq", "list", world.name, "--database-url", "postgresql://x@127.0.0.1:1/x"]
    )
    assert unreachable.exit_code == 4
    assert "cannot connect" in unreachable.stderr
    no_database = await invoke(["dlq", "list", "nowhere"])
    assert no_database.exit_code == 2
    assert "ISHC_NOWHERE_DATABASE_URL" in no_database.stderr


async def invoke(args: list[str]) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, args)


async def test_events_tail_pages_and_filters_in_store_order(world: World) -> None:
    club = new_id()
    await world.open_with(100, 200, club=club)
    await world.open_with(300)
    await world.sequence()

    everything = await tail(world, "events", "tail", world.name, "--limit", "3")
    assert [e["seq"] for e in everything] == [1, 2, 3]
    following = await tail(world, "events", "tail", world.name, "--after", "3")
    assert [e["seq"] for e in following] == [4, 5]

    deposits = await tail(world, "events", "tail", world.name, "--type", "Deposited")
    assert [e["data"]["amount"] for e in deposits] == [100, 200, 300]
    of_club = await tail(world, "events", "tail", world.name, "--club", str(club))
    assert [e["seq"] for e in of_club] == [1, 2, 3]
    assert {e["club_id"] for e in of_club} == {str(club)}
    latest = await tail(world, "events", "tail", world.name, "--last", "2")
    assert [e["seq"] for e in latest] == [4, 5]
    none_yet = await tail(world, "events", "tail", world.name, "--until", "2000-01-01")
    assert none_yet == []

    followed = await world.ishc(
        "events", "tail", world.name, "--follow", "--idle-exit", "0.5", "--after", "4", nats=False
    )
    assert followed.exit_code == 0
    assert "sample.Deposited" in followed.stdout


async def tail(world: World, *args: str) -> list[dict[str, Any]]:
    result = await world.ishc(*args, "--json", nats=False)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line]


async def test_declare_streams_creates_each_stream_as_relays_check_it_and_repairs_a_rewrite(
    world: World, service_streams: None
) -> None:
    """The operator's step of ADR 0030: the ops user declares; a relay in check mode accepts."""

    async def declare(*services: str) -> Any:
        named = [arg for name in services for arg in ("-s", name)]
        result = await world.ishc_raw(
            "declare-streams", *named, "--nats-url", world.nats_url, "--json"
        )
        assert result.exit_code == 0, (result.output, result.exception)
        return json.loads(result.stdout)

    found = await declare("advocacy", "care")
    assert found["streams"] == [
        {"service": "advocacy", "stream": "ADVOCACY", "outcome": "created"},
        {"service": "care", "stream": "CARE", "outcome": "created"},
    ]
    js = world.nc.jetstream()
    await check_stream(js, StreamSpec("care"))
    # A stream reshaped behind the operator's back (here: capturing commands) is put back.
    wanted = StreamSpec("care").config()
    rewritten = {
        **wanted.as_dict(),
        "subjects": [*(wanted.subjects or []), "ishc.cmd.membership.*"],
    }
    await js.update_stream(StreamConfig.from_response(rewritten))
    again = await declare("care")
    assert again["streams"][0]["outcome"] == "updated"
    await check_stream(js, StreamSpec("care"))
    refused = await world.ishc_raw(
        "declare-streams", "-s", "reporting", "--nats-url", world.nats_url
    )
    assert refused.exit_code == 2  # reporting owns no stream
