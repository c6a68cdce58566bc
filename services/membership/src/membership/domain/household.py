"""Household: poverty status is a household fact with certificate validity dates, so an
eligibility check reads the status valid on its decision date."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from ishc_contracts import Event
from ishc_contracts.errors import AlreadyExists
from ishc_contracts.membership.commands import RecordPovertyCertificate
from ishc_contracts.membership.events import HouseholdPovertyStatusRecorded
from membership.domain.club import Club, require_club
from membership.domain.errors import InvalidDate


class StatusPeriod(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: str
    valid_from: date
    valid_to: date | None = None
    certificate_no: str | None = None


class Household(BaseModel):
    model_config = ConfigDict(frozen=True)

    history: tuple[StatusPeriod, ...] = ()

    def status_on(self, on: date) -> str | None:
        """The latest recorded status whose period covers `on`."""
        for period in reversed(self.history):
            if period.valid_from <= on and (period.valid_to is None or on <= period.valid_to):
                return period.status
        return None


def evolve(state: Household, event: Event) -> Household:
    if isinstance(event, HouseholdPovertyStatusRecorded):
        period = StatusPeriod(
            status=event.status,
            valid_from=event.valid_from,
            valid_to=event.valid_to,
            certificate_no=event.certificate_no,
        )
        return state.model_copy(update={"history": (*state.history, period)})
    return state


def record_poverty_certificate(
    club: Club, household: Household, cmd: RecordPovertyCertificate
) -> list[Event]:
    require_club(club, cmd.club_id)
    if cmd.valid_to is not None and cmd.valid_to < cmd.valid_from:
        raise InvalidDate(
            f"valid_to {cmd.valid_to} is before valid_from {cmd.valid_from}", field="valid_to"
        )
    if cmd.certificate_no is not None and any(
        p.certificate_no == cmd.certificate_no for p in household.history
    ):
        raise AlreadyExists(f"certificate {cmd.certificate_no} is recorded", field="certificate_no")
    return [HouseholdPovertyStatusRecorded(**cmd.model_dump())]
