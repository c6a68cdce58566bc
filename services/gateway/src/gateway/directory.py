"""Club → province, the only state the gateway keeps: in memory, rebuilt at every start by
an ordered JetStream consumer on membership's `ClubEstablished` events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from uuid import UUID

import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from ishc_contracts import subjects

log = structlog.get_logger(__name__)

CLUB_EVENTS = ("ClubEstablished",)


def province_from(data: dict[str, Any]) -> str | None:
    """The club's current province code, read defensively: the newest admin-unit period,
    else the `<province>:<ward>` prefix of `admin_unit`."""
    history = data.get("admin_unit_history") or []
    current = [
        period
        for period in history
        if isinstance(period, dict) and period.get("province_code") and not period.get("valid_to")
    ]
    if current:
        return str(current[-1]["province_code"])
    unit = data.get("admin_unit")
    if isinstance(unit, str) and unit:
        return unit.split(":", 1)[0] or None
    return None


def provinces_from(data: dict[str, Any]) -> frozenset[str]:
    """Every province code the club has had on either admin map. Provinces merged whole on
    1 Jul 2025, so a club is in a province named by its 2025 code (kept from one of the
    merged provinces) and in the legacy province whose code the 2025 map retired."""
    history = data.get("admin_unit_history") or []
    codes = {
        str(period["province_code"])
        for period in history
        if isinstance(period, dict) and period.get("province_code")
    }
    current = province_from(data)
    return frozenset(codes | ({current} if current else set()))


class ClubDirectory:
    def __init__(self) -> None:
        self._provinces: dict[UUID, str] = {}
        self._all_provinces: dict[UUID, frozenset[str]] = {}
        self.ready = asyncio.Event()

    def province_of(self, club_id: UUID) -> str | None:
        """The club's current (2025 map) province."""
        return self._provinces.get(club_id)

    def provinces_of(self, club_id: UUID) -> frozenset[str]:
        """The club's province on each map (one code when both maps agree)."""
        return self._all_provinces.get(club_id, frozenset())

    def record(self, club_id: UUID, province: str, *others: str) -> None:
        """`province`: the current one; `others`: the club's legacy province, if it differs."""
        self._provinces[club_id] = province
        self._all_provinces[club_id] = frozenset({province, *others})

    def __len__(self) -> int:
        return len(self._provinces)

    def apply(self, body: bytes) -> None:
        try:
            envelope = json.loads(body)
            data = envelope["data"]
            club = UUID(str(data["club_id"]))
        except (ValueError, KeyError, TypeError):
            log.warning("directory.undecodable_event")
            return
        province = province_from(data)
        if province is not None:
            self.record(club, province, *provinces_from(data))

    async def follow(
        self, nc: NatsClient, stream: str, stopping: asyncio.Event, *, retry: float = 5.0
    ) -> None:
        """Replay and follow the club events; retried until the stream exists."""
        service = stream.lower()
        while not stopping.is_set():
            try:
                js = nc.jetstream()
                subs = []
                for event in CLUB_EVENTS:

                    async def on_message(msg: Msg) -> None:
                        self.apply(msg.data)

                    subs.append(
                        await js.subscribe(
                            subjects.event_subject(service, "club", event),
                            stream=stream,
                            ordered_consumer=True,
                            deliver_policy=DeliverPolicy.ALL,
                            cb=on_message,
                        )
                    )
                self.ready.set()
                log.info("directory.following", stream=stream)
                await stopping.wait()
                for sub in subs:
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()
                return
            except Exception as error:  # the stream may not exist yet
                log.warning("directory.unavailable", stream=stream, error=str(error))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=retry)
