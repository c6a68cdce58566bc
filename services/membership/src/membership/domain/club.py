"""Club: establishment, charter, board terms. BoardTerm lives in the club stream because its
rules (chair required, bookkeeper ≠ treasurer) need nothing but the club."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from ishc_contracts import Event
from ishc_contracts.errors import AlreadyExists, InvalidState
from ishc_contracts.membership.commands import (
    AdoptCharter,
    ChangeClubStatus,
    ElectBoard,
    EstablishClub,
)
from ishc_contracts.membership.events import (
    AdminUnitPeriod,
    BoardElected,
    BoardSeat,
    CharterAdopted,
    ClubEstablished,
    ClubStatusChanged,
)
from membership.domain import rules
from membership.domain.errors import (
    BoardRuleBroken,
    InvalidDate,
    UnknownActivityArea,
    UnknownAdminUnit,
    UnknownClub,
)

ClubStatus = Literal["none", "forming", "active", "dormant", "dissolved"]


class Club(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: ClubStatus = "none"
    club_id: UUID | None = None
    name: str = ""
    founded_on: date | None = None
    admin_unit: str = ""
    admin_unit_history: tuple[AdminUnitPeriod, ...] = ()
    charter_version: int = 0
    meeting_day_of_month: int | None = None
    board_term_ids: tuple[UUID, ...] = ()
    board: tuple[BoardSeat, ...] = ()

    @property
    def exists(self) -> bool:
        return self.status != "none"


def evolve(state: Club, event: Event) -> Club:
    match event:
        case ClubEstablished():
            return state.model_copy(
                update={
                    "status": "forming",
                    "club_id": event.club_id,
                    "name": event.name,
                    "founded_on": event.founded_on,
                    "admin_unit": event.admin_unit,
                    "admin_unit_history": event.admin_unit_history,
                    "meeting_day_of_month": event.meeting_day_of_month,
                }
            )
        case CharterAdopted():
            # Adopting the charter is what turns a forming club into an active one.
            return state.model_copy(
                update={
                    "status": "active",
                    "charter_version": event.charter_version,
                    "meeting_day_of_month": event.meeting_day_of_month
                    or state.meeting_day_of_month,
                }
            )
        case ClubStatusChanged():
            return state.model_copy(update={"status": event.status})
        case BoardElected():
            return state.model_copy(
                update={
                    "board_term_ids": (*state.board_term_ids, event.board_term_id),
                    "board": event.seats,
                }
            )
    return state


def require_club(state: Club, club_id: UUID) -> Club:
    """Cross-stream check: handlers load the club stream, so this is the store's truth.
    A dissolved club takes no new members, meetings, households, volunteers or boards."""
    if not state.exists:
        raise UnknownClub(f"no club {club_id}", field="club_id")
    if state.status == "dissolved":
        raise InvalidState(f"club {club_id} is dissolved", field="club_id")
    return state


def change_status(state: Club, cmd: ChangeClubStatus, today: date) -> list[Event]:
    """Active ⇄ dormant; either may be dissolved, which is final. A forming club becomes
    active by adopting its charter, not by this command."""
    require_club(state, cmd.club_id)
    if cmd.status == state.status:
        raise InvalidState(f"the club is {state.status} already", field="status")
    if state.status == "forming" and cmd.status == "active":
        raise InvalidState("a forming club becomes active by adopting its charter", field="status")
    _not_before_founding(state, cmd.changed_on, "changed_on", today)
    return [ClubStatusChanged(**cmd.model_dump())]


def establish_club(
    state: Club,
    cmd: EstablishClub,
    units: tuple[AdminUnitPeriod, ...] | None,
    today: date,
) -> list[Event]:
    """`units` is the club's admin-unit history resolved from reference data by the handler
    (None: the code or address matched no unit)."""
    if state.exists:
        raise AlreadyExists(f"club {cmd.club_id} is established already", field="club_id")
    if not units:
        # The legacy address wins when both are given (admin_units.resolve): name what was read.
        field, given = (
            ("legacy_address", cmd.legacy_address)
            if cmd.legacy_address
            else ("admin_unit", cmd.admin_unit)
        )
        raise UnknownAdminUnit(f"{given!r} is not a known ward", field=field)
    if cmd.founded_on > today:
        raise InvalidDate(f"founded_on {cmd.founded_on} is in the future", field="founded_on")
    unknown = sorted(set(cmd.activity_areas) - rules.ACTIVITY_AREAS)
    if unknown:
        raise UnknownActivityArea(f"unknown activity areas {unknown}", field="activity_areas")
    current = units[-1]
    return [
        ClubEstablished(
            club_id=cmd.club_id,
            name=cmd.name,
            admin_unit=f"{current.province_code}:{current.ward_code}",
            admin_unit_history=units,
            village=cmd.village,
            founded_on=cmd.founded_on,
            founding_project=cmd.founding_project,
            activity_areas=cmd.activity_areas,
            meeting_day_of_month=cmd.meeting_day_of_month,
        )
    ]


def adopt_charter(state: Club, cmd: AdoptCharter, today: date) -> list[Event]:
    require_club(state, cmd.club_id)
    if cmd.charter_version <= state.charter_version:
        raise InvalidState(
            f"charter version {state.charter_version} is in force; adopt a later one",
            field="charter_version",
        )
    _not_before_founding(state, cmd.adopted_on, "adopted_on", today)
    return [CharterAdopted(**cmd.model_dump())]


def elect_board(state: Club, cmd: ElectBoard, today: date) -> list[Event]:
    require_club(state, cmd.club_id)
    if cmd.board_term_id in state.board_term_ids:
        raise AlreadyExists(f"board term {cmd.board_term_id} exists", field="board_term_id")
    _not_before_founding(state, cmd.term_starts_on, "term_starts_on", today)
    if cmd.term_ends_on is not None and cmd.term_ends_on <= cmd.term_starts_on:
        raise InvalidDate("the term must end after it starts", field="term_ends_on")
    _check_seats(cmd.seats)
    return [BoardElected(**cmd.model_dump())]


def _check_seats(seats: tuple[BoardSeat, ...]) -> None:
    roles = Counter(seat.role for seat in seats)
    for role in sorted(rules.REQUIRED_SEATS - set(roles)):
        raise BoardRuleBroken(f"a board needs a {role}", field="seats")
    for role in sorted(rules.SINGLE_HOLDER_SEATS):
        if roles[role] > 1:
            raise BoardRuleBroken(f"only one {role} per board", field="seats")
    holders = {seat.role: seat.member_id for seat in seats}
    for first, second in rules.SEPARATED_SEATS:
        if first in holders and holders[first] == holders.get(second):
            raise BoardRuleBroken(
                f"the {first} cannot also be the {second} (segregation of duties)",
                field="seats",
            )


def _not_before_founding(state: Club, on: date, field: str, today: date) -> None:
    if on > today:
        raise InvalidDate(f"{field} {on} is in the future", field=field)
    if state.founded_on is not None and on < state.founded_on:
        raise InvalidDate(f"{field} {on} is before the club was founded", field=field)
