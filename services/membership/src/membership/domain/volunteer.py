"""Volunteer: a person registered to do home-care or community work for a club."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from ishc_contracts import Event
from ishc_contracts.errors import AlreadyExists
from ishc_contracts.membership.commands import RegisterVolunteer
from ishc_contracts.membership.events import VolunteerRegistered
from membership.domain.club import Club, require_club
from membership.domain.errors import InvalidDate


class Volunteer(BaseModel):
    model_config = ConfigDict(frozen=True)

    registered: bool = False


def evolve(state: Volunteer, event: Event) -> Volunteer:
    if isinstance(event, VolunteerRegistered):
        return state.model_copy(update={"registered": True})
    return state


def register_volunteer(
    club: Club, volunteer: Volunteer, cmd: RegisterVolunteer, today: date
) -> list[Event]:
    require_club(club, cmd.club_id)
    if volunteer.registered:
        raise AlreadyExists(f"volunteer {cmd.volunteer_id} is registered", field="volunteer_id")
    if cmd.registered_on > today:
        raise InvalidDate(
            f"registered_on {cmd.registered_on} is in the future", field="registered_on"
        )
    return [VolunteerRegistered(**cmd.model_dump())]
