"""Field-level encryption in the event store: sealed at rest, opened by readers, erasable."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

import asyncpg
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel

from ishc_contracts import ERASED_TEXT, SYSTEM_ACTOR, Event, EventMetadata, new_id
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.membership.events import MemberJoined
from ishc_contracts.membership.events import (
    MemberProfileUpdated as ProfileUpdated,
)
from ishc_runtime.aggregates import Aggregate, Repository
from ishc_runtime.privacy import (
    ERASED,
    KeyRef,
    LocalMasterKeys,
    Privacy,
    SubjectErased,
    SubjectKeys,
    UnknownMasterKey,
    WrongMasterKey,
    new_key,
)
from ishc_runtime.privacy.destructions import follow_destructions
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

CANARY_NAME = "Canary Nguyễn Thị Lan"
CANARY_PHONE = "0912 777 111"


class Seen(BaseModel):
    names: tuple[str, ...] = ()
    birth_dates: tuple[date | None, ...] = ()


def evolve(state: Seen, event: Event) -> Seen:
    if isinstance(event, MemberJoined):
        return Seen(names=(*state.names, event.full_name), birth_dates=(event.birth_date,))
    return state


MEMBER = Aggregate("member", Seen(), evolve, snapshot_every=None)


def metadata() -> EventMetadata:
    return EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))


def joined(**changes: object) -> MemberJoined:
    fields: dict[str, object] = {
        "member_id": new_id(),
        "club_id": new_id(),
        "person_id": new_id(),
        "full_name": CANARY_NAME,
        "sex": "female",
        "birth_date": date(1941, 3, 2),
        "joined_on": date(2026, 1, 5),
        "phone": CANARY_PHONE,
        "id_number": "001141099999",
    }
    return MemberJoined.model_validate({**fields, **changes})


def privacy_for(
    pool: asyncpg.Pool, master: LocalMasterKeys, service: str = "membership"
) -> Privacy:
    return Privacy(service, SubjectKeys(pool, master), REGISTRY)


@pytest.fixture
def master() -> LocalMasterKeys:
    # A key id of this test's own: the key table is shared by the tests of a worker.
    key_id = f"k-{new_id()}"
    return LocalMasterKeys(key_id, {key_id: new_key()})


async def append(store: EventStore, event: MemberJoined) -> str:
    stream = f"member-{event.member_id}"
    await store.append([StreamWrite(stream, "member", 0, [event])], metadata())
    return stream


async def stored_data(pool: asyncpg.Pool, stream: str) -> dict[str, object]:
    data: dict[str, object] = await pool.fetchval(
        "SELECT data FROM events WHERE stream_id = $1 AND version = 1", stream
    )
    return data


async def test_sensitive_fields_are_sealed_at_rest_and_opened_on_load(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    store = EventStore(pool, privacy=privacy_for(pool, master))
    event = joined()

    stream = await append(store, event)

    at_rest = await stored_data(pool, stream)
    text = json.dumps(at_rest, ensure_ascii=False)
    assert CANARY_NAME not in text
    assert CANARY_PHONE not in text
    assert "1941-03-02" not in text
    assert at_rest["member_id"] == str(event.member_id)  # routing data stays readable
    assert str(at_rest["full_name"]).startswith("ishc:s1:")

    # A fresh reader (cold cache) opens them with the service's keys.
    reader = Repository(EventStore(pool, privacy=privacy_for(pool, master)), REGISTRY)
    loaded = await reader.load(MEMBER, stream)
    assert loaded.state.names == (CANARY_NAME,)
    assert loaded.state.birth_dates == (date(1941, 3, 2),)


async def test_the_person_is_recorded_with_the_keys_of_their_stream(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    store = EventStore(pool, privacy=privacy_for(pool, master))
    event = joined()

    stream = await append(store, event)

    rows = await pool.fetch(
        "SELECT category, person_id FROM privacy_keys WHERE subject = $1 ORDER BY category",
        stream,
    )
    assert [(r["category"], r["person_id"]) for r in rows] == [
        ("contact", event.person_id),
        ("identity", event.person_id),
    ]


async def test_after_erasure_a_replay_reads_stand_ins_and_never_fails(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    privacy = privacy_for(pool, master)
    store = EventStore(pool, privacy=privacy)
    event = joined()
    stream = await append(store, event)

    destroyed = await privacy.keys.destroy(event.person_id)

    assert destroyed == 2
    for reader_privacy in (privacy, privacy_for(pool, master)):  # warm and cold caches
        loaded = await Repository(EventStore(pool, privacy=reader_privacy), REGISTRY).load(
            MEMBER, stream
        )
        assert loaded.state.names == (ERASED_TEXT,)
        assert loaded.state.birth_dates == (None,)
    history = await Repository(store, REGISTRY).load(MEMBER, stream, up_to_version=1)
    assert history.state.names == (ERASED_TEXT,)


async def test_personal_data_of_an_erased_person_is_refused_and_nothing_is_written(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    privacy = privacy_for(pool, master)
    store = EventStore(pool, privacy=privacy)
    event = joined()
    stream = await append(store, event)
    await privacy.keys.destroy(event.person_id)

    update = ProfileUpdated(member_id=event.member_id, club_id=event.club_id, full_name="Mai")
    for writer in (store, EventStore(pool, privacy=privacy_for(pool, master))):
        with pytest.raises(SubjectErased, match=stream):
            await writer.append([StreamWrite(stream, "member", 1, [update])], metadata())
    assert await store.stream_version(stream) == 1


async def test_rotating_the_master_key_rewraps_data_keys_and_leaves_events_alone(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    store = EventStore(pool, privacy=privacy_for(pool, master))
    stream = await append(store, joined())
    before = await stored_data(pool, stream)

    rotated = master.with_new_current(f"k-{new_id()}")
    keys = SubjectKeys(pool, rotated)
    assert await keys.rotate() >= 2
    assert await stored_data(pool, stream) == before
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM privacy_keys WHERE subject = $1 AND master_key_id = $2",
            stream,
            rotated.current_id,
        )
        == 2
    )

    # The old master key can go: the new one alone opens the events.
    only_new = LocalMasterKeys(
        rotated.current_id, {rotated.current_id: rotated.keys[rotated.current_id]}
    )
    loaded = await Repository(EventStore(pool, privacy=privacy_for(pool, only_new)), REGISTRY).load(
        MEMBER, stream
    )
    assert loaded.state.names == (CANARY_NAME,)


async def test_a_wrong_or_missing_master_key_is_a_clear_error_and_writes_nothing(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    store = EventStore(pool, privacy=privacy_for(pool, master))
    stream = await append(store, joined())

    impostor = LocalMasterKeys(master.current_id, {master.current_id: new_key()})
    with pytest.raises(WrongMasterKey, match="does not open the data keys"):
        await Repository(EventStore(pool, privacy=privacy_for(pool, impostor)), REGISTRY).load(
            MEMBER, stream
        )
    stranger = LocalMasterKeys("other", {"other": new_key()})
    with pytest.raises(UnknownMasterKey, match="does not hold"):
        await SubjectKeys(pool, stranger).load([KeyRef(stream, "identity")])


async def test_two_writers_creating_the_same_key_agree_on_one(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    ref = KeyRef(f"member-{new_id()}", "identity")
    first, second = SubjectKeys(pool, master), SubjectKeys(pool, master)

    await asyncio.gather(first.ensure({ref: None}), second.ensure({ref: None}))

    assert await first.raw([ref]) == await second.raw([ref])
    assert (
        await pool.fetchval("SELECT count(*) FROM privacy_keys WHERE subject = $1", ref.subject)
        == 1
    )


async def test_grants_answered_at_once_record_their_hand_overs_without_a_deadlock(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    """Readers asking for overlapping keys in opposite orders at the same moment (a care and
    an advocacy projection catching up on the same members): every hand-over is counted."""
    keys = SubjectKeys(pool, master)
    # A key table of some size, as in a running service: the planner then reads the keys
    # asked for by index, in the order they were asked for.
    everyone = [KeyRef(f"member-{new_id()}", "identity") for _ in range(3000)]
    await keys.ensure(dict.fromkeys(everyone))
    await pool.execute("ANALYZE privacy_keys")
    refs = everyone[:40]
    rounds = 12

    for _ in range(rounds):
        await asyncio.gather(
            keys.record_served("care", refs),
            keys.record_served("care", list(reversed(refs))),
            keys.record_served("care", refs[20:] + refs[:20]),
        )

    times = await pool.fetch(
        "SELECT times FROM privacy_grants_served WHERE reader = 'care' AND subject = ANY($1)",
        [ref.subject for ref in refs],
    )
    assert sorted(row["times"] for row in times) == [3 * rounds] * len(refs)


class Grant:
    """The owner's side of a grant, in process (over NATS in the services)."""

    def __init__(self, owner: Privacy, categories: set[str]) -> None:
        self.owner = owner
        self.categories = categories
        self.asked: list[KeyRef] = []

    async def fetch(self, refs: Sequence[KeyRef]) -> Mapping[KeyRef, bytes | None]:
        self.asked += refs
        allowed = [ref for ref in refs if ref.category in self.categories]
        return await self.owner.keys.raw(allowed)


async def test_another_service_reads_only_the_categories_it_is_granted(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    owner = privacy_for(pool, master)
    stream = await append(EventStore(pool, privacy=owner), joined())
    sealed = await stored_data(pool, stream)

    reporting = Privacy(
        "reporting", SubjectKeys(pool, LocalMasterKeys("r", {"r": new_key()})), REGISTRY
    )
    opened = await reporting.open_all("membership.MemberJoined", stream, dict(sealed))
    assert opened["full_name"] == ERASED_TEXT  # no grant at all
    assert opened["phone"] is None

    advocacy = Privacy(
        "advocacy",
        SubjectKeys(pool, LocalMasterKeys("a", {"a": new_key()})),
        REGISTRY,
        granted={"membership": Grant(owner, {"identity"})},
    )
    opened = await advocacy.open_all("membership.MemberJoined", stream, dict(sealed))
    assert opened["birth_date"] == "1941-03-02"
    assert opened["full_name"] == CANARY_NAME
    assert opened["phone"] is None  # contact is not granted


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_an_erasure_by_one_instance_reaches_the_others_within_the_key_age(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    # Two instances of the service, each with its own cache of keys; the first erases.
    clock = Ticking()
    instances = [
        Privacy("membership", SubjectKeys(pool, master, max_age=30, monotonic=clock), REGISTRY)
        for _ in range(2)
    ]
    stores = [EventStore(pool, privacy=p) for p in instances]
    event = joined()
    stream = await append(stores[0], event)
    other = Repository(stores[1], REGISTRY)
    assert (await other.load(MEMBER, stream)).state.names == (CANARY_NAME,)  # cached there

    await instances[0].keys.destroy(event.person_id)
    update = ProfileUpdated(member_id=event.member_id, club_id=event.club_id, full_name="Mai")
    clock.now += 31  # past the age a key is trusted without reading it again

    with pytest.raises(SubjectErased, match=stream):
        await stores[1].append([StreamWrite(stream, "member", 1, [update])], metadata())
    assert (await Repository(stores[1], REGISTRY).load(MEMBER, stream)).state.names == (
        ERASED_TEXT,
    )
    assert await stores[0].stream_version(stream) == 1


async def test_a_key_read_moments_ago_is_not_read_again(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    clock = Ticking()
    keys = SubjectKeys(pool, master, max_age=30, monotonic=clock)
    ref = KeyRef(f"member-{new_id()}", "identity")
    await keys.ensure({ref: None})
    assert not keys.stale(ref)
    clock.now += 29
    assert not keys.stale(ref)
    clock.now += 2
    assert keys.stale(ref)
    assert keys.cached(ref) is not None  # still usable by the work that loaded it


async def test_an_erasure_by_one_instance_reaches_the_others_at_once(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    # Keys trusted for an hour: only the announcement can make the other instance forget.
    instances = [
        Privacy("membership", SubjectKeys(pool, master, max_age=3600), REGISTRY) for _ in range(2)
    ]
    stores = [EventStore(pool, privacy=p) for p in instances]
    event = joined()
    stream = await append(stores[0], event)
    listener = instances[1].keys
    assert (await Repository(stores[1], REGISTRY).load(MEMBER, stream)).state.names == (
        CANARY_NAME,
    )
    ref = KeyRef(stream, "identity")
    stopping = asyncio.Event()
    following = asyncio.create_task(follow_destructions(listener, stopping))
    try:
        # Listening: what it had cached before is read again before its next use.
        await wait_until(lambda: listener.stale(ref), timeout=10, message="not listening")
        await Repository(stores[1], REGISTRY).load(MEMBER, stream)
        assert not listener.stale(ref)

        await instances[0].keys.destroy(event.person_id)

        await wait_until(
            lambda: listener.cached(ref) is ERASED, timeout=10, message="the erasure went unheard"
        )
        update = ProfileUpdated(member_id=event.member_id, club_id=event.club_id, full_name="Mai")
        with pytest.raises(SubjectErased, match=stream):
            await stores[1].append([StreamWrite(stream, "member", 1, [update])], metadata())
    finally:
        stopping.set()
        await following


async def test_a_destruction_rolled_back_is_never_announced(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    keys, listener = SubjectKeys(pool, master), SubjectKeys(pool, master, max_age=3600)
    ref = KeyRef(f"member-{new_id()}", "care_notes")
    await keys.ensure({ref: None})
    await listener.load([ref])
    stopping = asyncio.Event()
    following = asyncio.create_task(follow_destructions(listener, stopping))
    try:
        await wait_until(lambda: listener.stale(ref), timeout=10, message="not listening")
        await listener.load([ref])
        async with pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            assert await keys.destroy_key(ref.subject, ref.category, conn) == 1
            await transaction.rollback()
        # A second, committed destruction of another key shows the channel is heard.
        other = KeyRef(ref.subject, "identity")
        await keys.ensure({other: None})
        await listener.load([other])
        await keys.destroy_key(other.subject, other.category)
        await wait_until(lambda: listener.cached(other) is ERASED, timeout=10, message="unheard")

        assert isinstance(listener.cached(ref), AESGCM)
    finally:
        stopping.set()
        await following
