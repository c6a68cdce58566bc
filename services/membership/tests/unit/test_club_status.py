"""A club's life after founding: dormant, active again, dissolved (final)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from ishc_contracts.errors import InvalidState
from ishc_contracts.membership.commands import ChangeClubStatus
from ishc_contracts.membership.events import (
    AdminUnitPeriod,
    CharterAdopted,
    ClubEstablished,
    ClubStatusChanged,
)
from ishc_runtime.testing.specs import spec
from membership.application.aggregates import CLUB
from membership.domain.club import change_status, require_club
from membership.domain.errors import InvalidDate

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 23)
CLUB_ID = UUID(int=1)
ESTABLISHED = ClubEstablished(
    club_id=CLUB_ID, name="CLB Phú Lợi", admin_unit="79:25750",
    admin_unit_history=(
        AdminUnitPeriod(
            scheme="2025_34", province_code="79", province_name="Thành phố Hồ Chí Minh",
            ward_code="25750", ward_name="Phường Phú Lợi", valid_from=date(2025, 7, 1),
        ),
    ),
    founded_on=date(2025, 9, 1),
)  # fmt: skip
CHARTER = CharterAdopted(club_id=CLUB_ID, charter_version=1, adopted_on=date(2025, 9, 21))
ACTIVE = spec(CLUB).given(ESTABLISHED, CHARTER)


def to(status: str, on: date = date(2026, 6, 1)) -> ChangeClubStatus:
    return ChangeClubStatus(club_id=CLUB_ID, status=status, changed_on=on)


def test_an_active_club_goes_dormant_and_comes_back() -> None:
    dormant = ClubStatusChanged(club_id=CLUB_ID, status="dormant", changed_on=date(2026, 6, 1))
    ACTIVE.when(lambda s: change_status(s, to("dormant"), TODAY)).then(dormant).then_state(
        lambda s: s.status == "dormant"
    )
    back = ClubStatusChanged(club_id=CLUB_ID, status="active", changed_on=date(2026, 9, 1))
    ACTIVE.given(dormant).when(
        lambda s: change_status(s, to("active", date(2026, 9, 1)), TODAY)
    ).then(back)


def test_dissolution_is_final_and_closes_the_club_to_new_business() -> None:
    dissolved = ClubStatusChanged(club_id=CLUB_ID, status="dissolved", changed_on=date(2026, 6, 1))
    gone = ACTIVE.given(dissolved)

    gone.when(lambda s: change_status(s, to("active"), TODAY)).then_raises(
        InvalidState, field="club_id", match="dissolved"
    )
    with pytest.raises(InvalidState, match="dissolved"):
        require_club(gone.state, CLUB_ID)


def test_a_forming_club_becomes_active_only_by_its_charter() -> None:
    spec(CLUB).given(ESTABLISHED).when(lambda s: change_status(s, to("active"), TODAY)).then_raises(
        InvalidState, field="status", match="charter"
    )


def test_the_same_status_again_is_refused() -> None:
    ACTIVE.when(lambda s: change_status(s, to("active"), TODAY)).then_raises(
        InvalidState, field="status"
    )


def test_a_change_before_founding_or_in_the_future_is_refused() -> None:
    ACTIVE.when(lambda s: change_status(s, to("dormant", date(2025, 1, 1)), TODAY)).then_raises(
        InvalidDate, field="changed_on"
    )
    ACTIVE.when(lambda s: change_status(s, to("dormant", date(2027, 1, 1)), TODAY)).then_raises(
        InvalidDate, field="changed_on"
    )
