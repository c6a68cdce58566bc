"""Membership queries: read models the gateway and reports ask for over request/reply.

`as_of` is the reporting date: ages, "older" and poverty status are computed for that day,
never stored. Omitted, it is today in Viet Nam.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from ishc_contracts.bounds import PlannedDay
from ishc_contracts.events import Query


class _Membership(Query):
    service: ClassVar[str] = "membership"


class ClubRoster(_Membership):
    club_id: UUID
    as_of: PlannedDay | None = None
    include_former: bool = False


class PersonProfile(_Membership):
    person_id: UUID


class ClubComposition(_Membership):
    club_id: UUID
    as_of: PlannedDay | None = None


class MeetingAttendance(_Membership):
    club_id: UUID


QUERIES: tuple[type[Query], ...] = (ClubRoster, PersonProfile, ClubComposition, MeetingAttendance)
