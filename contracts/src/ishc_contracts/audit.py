"""Access audit: who read which person's personal data, which fields, when and why.

The gateway is where people read personal data (every front end goes through it), so it
records each read of a sensitive value as an `AccessRecorded` fact on its own JetStream stream
(`GATEWAY`, subject `ishc.gateway.access.AccessRecorded`), with `Nats-Msg-Id` = `access_id`,
and answers only once the stream has acknowledged it. Membership, which owns persons, projects
the facts into its `access_audit` table; national admins ask it with `AccessReport` (ADR 0053).

A record holds ids, field names and categories: never a value it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from ishc_contracts.events import Event, Query, SensitiveCategory
from ishc_contracts.values import ShortText

ACCESS_PURPOSES = "access_purposes"  # the reference list (ishc_contracts.reference)
PURPOSE_HEADER = "ISHC-Purpose"
# What a route reads for when the caller names no purpose: the route's ordinary use.
DEFAULT_PURPOSE = "club_administration"
DEFAULT_PURPOSES: Mapping[str, str] = {
    "care": "home_care",
    "finance": "revolving_fund",
    "advocacy": "entitlement_support",
    "reporting": "programme_oversight",
}
# How many persons one record names at most: a roster of a large club is split over records.
MAX_SUBJECTS = 500


def default_purpose(service: str) -> str:
    return DEFAULT_PURPOSES.get(service, DEFAULT_PURPOSE)


class AccessRecorded(Event):
    """Someone was shown personal data of these persons through the gateway."""

    service: ClassVar[str] = "gateway"
    aggregate: ClassVar[str] = "access"

    access_id: UUID = Field(description="Also the message id: a repeat is stored once")
    read_at: AwareDatetime
    principal_id: ShortText = Field(description="The caller's user id (`sub` of the token)")
    role: ShortText
    route: ShortText = Field(description="What was read, e.g. `membership.ClubRoster`")
    purpose: ShortText = Field(description="A code of the `access_purposes` list")
    subject_ids: tuple[UUID, ...] = Field(
        max_length=MAX_SUBJECTS, description="Person and member ids shown"
    )
    field_names: tuple[ShortText, ...] = Field(description="Names of the sensitive fields shown")
    categories: tuple[SensitiveCategory, ...]
    correlation_id: UUID | None = None
    part: int = Field(default=1, ge=1, description="Of a read naming many persons")


EVENTS: tuple[type[Event], ...] = (AccessRecorded,)


class AccessReport(Query):
    """Reads of a person's personal data (access audit), newest first: a national admin's
    query, and the data subject's access report. Answered by membership (it owns persons);
    not exposed as a generic query route."""

    service: ClassVar[str] = "membership"

    person_id: UUID
    since: date | None = None
    until: date | None = None
    limit: int = Field(default=1000, ge=1, le=10_000)


# Queries a service answers for the audit beside its own `QUERIES`; the gateway exposes them
# on operator routes only (`/v1/ops/subjects/{id}/access`), never as generic query routes.
QUERIES: Mapping[str, tuple[type[Query], ...]] = {"membership": (AccessReport,)}


EXAMPLES: dict[str, dict[str, object]] = {
    "gateway.AccessRecorded": {
        "access_id": "0193a000-0000-7000-8000-00000000a001",
        "read_at": "2026-03-01T02:00:00Z",
        "principal_id": "secretary-7",
        "role": "club_secretary",
        "route": "membership.ClubRoster",
        "purpose": "club_administration",
        "subject_ids": ["0193a000-0000-7000-8000-0000000000a1"],
        "field_names": ["age", "full_name"],
        "categories": ["identity"],
        "correlation_id": None,
        "part": 1,
    }
}
