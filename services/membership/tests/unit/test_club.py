"""Club, charter and board: given/when/then for every club command and each refusal."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from ishc_contracts.errors import AlreadyExists, InvalidState
from ishc_contracts.membership.commands import AdoptCharter, ElectBoard, EstablishClub
from ishc_contracts.membership.events import (
    AdminUnitPeriod,
    BoardElected,
    BoardSeat,
    CharterAdopted,
    ClubEstablished,
)
from ishc_runtime.testing.specs import spec
from membership.application.aggregates import CLUB
from membership.domain.club import adopt_charter, elect_board, establish_club
from membership.domain.errors import (
    BoardRuleBroken,
    InvalidDate,
    UnknownActivityArea,
    UnknownAdminUnit,
    UnknownClub,
)

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 23)
CLUB_ID = UUID(int=1)
M = [UUID(int=100 + n) for n in range(8)]
UNIT = AdminUnitPeriod(
    scheme="2025_34", province_code="79", province_name="Thành phố Hồ Chí Minh",
    ward_code="25750", ward_name="Phường Phú Lợi", valid_from=date(2025, 7, 1),
)  # fmt: skip
ESTABLISH = EstablishClub(
    club_id=CLUB_ID, name="CLB Phú Lợi", admin_unit="79:25750", founded_on=date(2025, 9, 1),
    activity_areas=("livelihoods", "home_care"), meeting_day_of_month=21,
)  # fmt: skip
ESTABLISHED = ClubEstablished(
    club_id=CLUB_ID, name="CLB Phú Lợi", admin_unit="79:25750", admin_unit_history=(UNIT,),
    founded_on=date(2025, 9, 1), activity_areas=("livelihoods", "home_care"),
    meeting_day_of_month=21,
)  # fmt: skip


def seats(**roles: UUID) -> tuple[BoardSeat, ...]:
    return tuple(BoardSeat(member_id=who, role=role) for role, who in roles.items())


def test_establish_a_club_with_its_admin_unit_history() -> None:
    spec(CLUB).when(lambda s: establish_club(s, ESTABLISH, (UNIT,), TODAY)).then(
        ESTABLISHED
    ).then_state(lambda s: s.status == "forming")


def test_establish_names_the_current_unit_from_a_legacy_history() -> None:
    legacy = AdminUnitPeriod(
        scheme="legacy_63", province_code="74", province_name="Tỉnh Bình Dương",
        district_code="718", district_name="Thành phố Thủ Dầu Một", ward_code="25744",
        ward_name="Phường Phú Lợi", valid_to=date(2025, 6, 30),
    )  # fmt: skip
    outcome = spec(CLUB).when(lambda s: establish_club(s, ESTABLISH, (legacy, UNIT), TODAY))
    (event,) = outcome.events
    assert isinstance(event, ClubEstablished)
    assert event.admin_unit == "79:25750"
    assert [p.scheme for p in event.admin_unit_history] == ["legacy_63", "2025_34"]


def test_establish_twice_is_refused() -> None:
    spec(CLUB).given(ESTABLISHED).when(
        lambda s: establish_club(s, ESTABLISH, (UNIT,), TODAY)
    ).then_raises(AlreadyExists, field="club_id")


def test_an_unknown_admin_unit_is_refused() -> None:
    spec(CLUB).when(lambda s: establish_club(s, ESTABLISH, None, TODAY)).then_raises(
        UnknownAdminUnit, field="admin_unit"
    )


def test_a_club_founded_in_the_future_is_refused() -> None:
    later = ESTABLISH.model_copy(update={"founded_on": date(2027, 1, 1)})
    spec(CLUB).when(lambda s: establish_club(s, later, (UNIT,), TODAY)).then_raises(
        InvalidDate, field="founded_on"
    )


def test_an_activity_area_outside_the_reference_list_is_refused() -> None:
    odd = ESTABLISH.model_copy(update={"activity_areas": ("karaoke",)})
    spec(CLUB).when(lambda s: establish_club(s, odd, (UNIT,), TODAY)).then_raises(
        UnknownActivityArea, field="activity_areas"
    )


CHARTER = AdoptCharter(club_id=CLUB_ID, charter_version=1, adopted_on=date(2025, 9, 1))


def test_adopting_the_charter_makes_the_club_active() -> None:
    spec(CLUB).given(ESTABLISHED).when(lambda s: adopt_charter(s, CHARTER, TODAY)).then(
        CharterAdopted(club_id=CLUB_ID, charter_version=1, adopted_on=date(2025, 9, 1))
    ).then_state(lambda s: s.status == "active" and s.charter_version == 1)


def test_a_charter_for_an_unknown_club_is_refused() -> None:
    spec(CLUB).when(lambda s: adopt_charter(s, CHARTER, TODAY)).then_raises(
        UnknownClub, field="club_id"
    )


def test_a_charter_version_must_move_forward() -> None:
    spec(CLUB).given(ESTABLISHED, CharterAdopted(**CHARTER.model_dump())).when(
        lambda s: adopt_charter(s, CHARTER, TODAY)
    ).then_raises(InvalidState, field="charter_version")


def test_a_charter_before_founding_is_refused() -> None:
    early = CHARTER.model_copy(update={"adopted_on": date(2025, 1, 1)})
    spec(CLUB).given(ESTABLISHED).when(lambda s: adopt_charter(s, early, TODAY)).then_raises(
        InvalidDate, field="adopted_on"
    )


BOARD = ElectBoard(
    club_id=CLUB_ID, board_term_id=UUID(int=50), term_starts_on=date(2025, 9, 1),
    term_ends_on=date(2028, 8, 31),
    seats=seats(chair=M[0], vice_chair=M[1], bookkeeper=M[2], treasurer=M[3], subgroup_leader=M[4]),
)  # fmt: skip


def test_elect_a_board_of_five() -> None:
    spec(CLUB).given(ESTABLISHED).when(lambda s: elect_board(s, BOARD, TODAY)).then(
        BoardElected(**BOARD.model_dump())
    ).then_state(lambda s: len(s.board) == 5)


def test_a_board_for_an_unknown_club_is_refused() -> None:
    spec(CLUB).when(lambda s: elect_board(s, BOARD, TODAY)).then_raises(
        UnknownClub, field="club_id"
    )


def test_bookkeeper_and_treasurer_must_be_different_people() -> None:
    same = BOARD.model_copy(update={"seats": seats(chair=M[0], bookkeeper=M[2], treasurer=M[2])})
    spec(CLUB).given(ESTABLISHED).when(lambda s: elect_board(s, same, TODAY)).then_raises(
        BoardRuleBroken, field="seats", match="bookkeeper cannot also be the treasurer"
    )


def test_a_board_needs_a_chair() -> None:
    headless = BOARD.model_copy(update={"seats": seats(bookkeeper=M[2], treasurer=M[3])})
    spec(CLUB).given(ESTABLISHED).when(lambda s: elect_board(s, headless, TODAY)).then_raises(
        BoardRuleBroken, field="seats", match="chair"
    )


def test_only_one_chair() -> None:
    two = BOARD.model_copy(
        update={
            "seats": (
                BoardSeat(member_id=M[0], role="chair"),
                BoardSeat(member_id=M[1], role="chair"),
            )
        }
    )
    spec(CLUB).given(ESTABLISHED).when(lambda s: elect_board(s, two, TODAY)).then_raises(
        BoardRuleBroken, field="seats", match="only one chair"
    )


def test_a_term_must_end_after_it_starts() -> None:
    backwards = BOARD.model_copy(update={"term_ends_on": date(2025, 8, 1)})
    spec(CLUB).given(ESTABLISHED).when(lambda s: elect_board(s, backwards, TODAY)).then_raises(
        InvalidDate, field="term_ends_on"
    )


def test_a_board_term_is_elected_once() -> None:
    spec(CLUB).given(ESTABLISHED, BoardElected(**BOARD.model_dump())).when(
        lambda s: elect_board(s, BOARD, TODAY)
    ).then_raises(AlreadyExists, field="board_term_id")


def test_a_board_of_three_is_allowed_the_size_is_a_soft_target() -> None:
    small = BOARD.model_copy(update={"seats": seats(chair=M[0], bookkeeper=M[1], treasurer=M[2])})
    spec(CLUB).given(ESTABLISHED).when(lambda s: elect_board(s, small, TODAY)).then(
        BoardElected(**small.model_dump())
    )


def test_a_charter_or_board_dated_in_the_future_is_refused() -> None:
    later = CHARTER.model_copy(update={"adopted_on": date(2027, 1, 1)})
    spec(CLUB).given(ESTABLISHED).when(lambda s: adopt_charter(s, later, TODAY)).then_raises(
        InvalidDate, field="adopted_on"
    )
    early = BOARD.model_copy(update={"term_starts_on": date(2025, 1, 1)})
    spec(CLUB).given(ESTABLISHED).when(lambda s: elect_board(s, early, TODAY)).then_raises(
        InvalidDate, field="term_starts_on"
    )
