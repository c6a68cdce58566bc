"""Person stream: admission, exit, profile, disability, consent, with every refusal."""

from __future__ import annotations

from datetime import date
from functools import partial
from uuid import UUID

import pytest

from ishc_contracts.errors import AlreadyExists, InvalidState, NotFound, NotInScope
from ishc_contracts.membership.commands import (
    AdmitMember,
    RecordConsent,
    RecordDisabilityAssessment,
    RecordMemberExit,
    UpdateMemberProfile,
    WithdrawConsent,
)
from ishc_contracts.membership.events import (
    ClubEstablished,
    ConsentGiven,
    ConsentWithdrawn,
    DisabilityLevelRecorded,
    MemberJoined,
    MemberLeft,
    MemberProfileUpdated,
)
from ishc_runtime.testing.specs import spec
from membership.application.aggregates import CLUB, MEMBER
from membership.domain.club import Club
from membership.domain.errors import DuplicateAdmission, InvalidDate, NotAMember, UnknownClub
from membership.domain.member import (
    admit_member,
    record_consent,
    record_disability,
    record_exit,
    update_profile,
    withdraw_consent,
)

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 23)
CLUB_ID, OTHER_CLUB, PERSON, MEMBER_ID = (UUID(int=n) for n in (1, 2, 3, 4))


def club(club_id: UUID = CLUB_ID) -> Club:
    return spec(CLUB).given(
        ClubEstablished(club_id=club_id, name="CLB", admin_unit="79:25750",
                        founded_on=date(2025, 9, 1))
    ).state  # fmt: skip


ADMIT = AdmitMember(
    member_id=MEMBER_ID, club_id=CLUB_ID, person_id=PERSON, full_name="Nguyễn Thị Lan",
    sex="female", birth_date=date(1950, 5, 2), joined_on=date(2025, 10, 1),
    womens_union_member=True, ethnic_minority=False,
)  # fmt: skip
JOINED = MemberJoined(**ADMIT.model_dump())


def test_admit_a_member() -> None:
    spec(MEMBER).when(lambda s: admit_member(club(), s, ADMIT, TODAY)).then(JOINED).then_state(
        lambda s: s.current.member_id == MEMBER_ID and s.current.active
    )


def test_admission_to_an_unknown_club_is_refused() -> None:
    spec(MEMBER).when(lambda s: admit_member(Club(), s, ADMIT, TODAY)).then_raises(
        UnknownClub, field="club_id"
    )


def test_born_in_the_future_is_refused() -> None:
    unborn = ADMIT.model_copy(update={"birth_date": date(2030, 1, 1)})
    spec(MEMBER).when(lambda s: admit_member(club(), s, unborn, TODAY)).then_raises(
        InvalidDate, field="birth_date"
    )


def test_joining_in_the_future_or_before_founding_is_refused() -> None:
    for joined_on in (date(2027, 1, 1), date(2025, 1, 1)):
        odd = ADMIT.model_copy(update={"joined_on": joined_on})
        spec(MEMBER).when(partial(admit_member, club(), cmd=odd, today=TODAY)).then_raises(
            InvalidDate, field="joined_on"
        )


def test_a_duplicate_admission_to_the_same_club_is_refused() -> None:
    again = ADMIT.model_copy(update={"member_id": UUID(int=9)})
    spec(MEMBER).given(JOINED).when(lambda s: admit_member(club(), s, again, TODAY)).then_raises(
        DuplicateAdmission, field="person_id"
    )


def test_an_active_member_of_another_club_is_refused_one_ishc_per_person() -> None:
    elsewhere = ADMIT.model_copy(update={"member_id": UUID(int=9), "club_id": OTHER_CLUB})
    refused = (
        spec(MEMBER)
        .given(JOINED)
        .when(lambda s: admit_member(club(OTHER_CLUB), s, elsewhere, TODAY))
        .then_raises(DuplicateAdmission, field="club_id", match="another club")
    )
    # The refusal does not say which club holds the person (issue #18).
    assert str(CLUB_ID) not in refused.detail


def test_the_same_membership_id_twice_is_refused() -> None:
    left = MemberLeft(member_id=MEMBER_ID, club_id=CLUB_ID, person_id=PERSON,
                      left_on=date(2026, 1, 1), reason="moved")  # fmt: skip
    spec(MEMBER).given(JOINED, left).when(
        lambda s: admit_member(club(), s, ADMIT, TODAY)
    ).then_raises(AlreadyExists, field="member_id")


def test_a_former_member_may_rejoin_with_a_new_membership() -> None:
    left = MemberLeft(member_id=MEMBER_ID, club_id=CLUB_ID, person_id=PERSON,
                      left_on=date(2026, 1, 1), reason="moved")  # fmt: skip
    again = ADMIT.model_copy(update={"member_id": UUID(int=9), "joined_on": date(2026, 6, 1)})
    spec(MEMBER).given(JOINED, left).when(lambda s: admit_member(club(), s, again, TODAY)).then(
        MemberJoined(**again.model_dump())
    )


EXIT = RecordMemberExit(member_id=MEMBER_ID, person_id=PERSON, left_on=date(2026, 3, 1),
                        reason="died")  # fmt: skip


def test_record_an_exit() -> None:
    spec(MEMBER).given(JOINED).when(lambda s: record_exit(s, EXIT, TODAY)).then(
        MemberLeft(member_id=MEMBER_ID, club_id=CLUB_ID, person_id=PERSON,
                   left_on=date(2026, 3, 1), reason="died")
    ).then_state(lambda s: not s.current.active)  # fmt: skip


def test_leaving_before_joining_is_refused() -> None:
    early = EXIT.model_copy(update={"left_on": date(2025, 1, 1)})
    spec(MEMBER).given(JOINED).when(lambda s: record_exit(s, early, TODAY)).then_raises(
        InvalidDate, field="left_on", match="before joined_on"
    )


def test_leaving_in_the_future_is_refused() -> None:
    late = EXIT.model_copy(update={"left_on": date(2027, 1, 1)})
    spec(MEMBER).given(JOINED).when(lambda s: record_exit(s, late, TODAY)).then_raises(
        InvalidDate, field="left_on"
    )


def test_exit_of_an_unknown_membership_is_refused() -> None:
    spec(MEMBER).when(lambda s: record_exit(s, EXIT, TODAY)).then_raises(
        NotAMember, field="member_id"
    )


def test_leaving_twice_is_refused() -> None:
    spec(MEMBER).given(JOINED, MemberLeft(**EXIT.model_dump(), club_id=CLUB_ID)).when(
        lambda s: record_exit(s, EXIT, TODAY)
    ).then_raises(InvalidState, field="member_id")


def test_update_a_profile() -> None:
    cmd = UpdateMemberProfile(person_id=PERSON, village="Thôn 3", cleared=("phone",))
    spec(MEMBER).given(JOINED).when(lambda s: update_profile(s, cmd, TODAY)).then(
        MemberProfileUpdated(member_id=MEMBER_ID, club_id=CLUB_ID, village="Thôn 3",
                             cleared=("phone",))
    )  # fmt: skip


def test_profile_refusals() -> None:
    cmd = UpdateMemberProfile(person_id=PERSON, village="Thôn 3")
    spec(MEMBER).when(lambda s: update_profile(s, cmd, TODAY)).then_raises(
        NotAMember, field="person_id"
    )
    unborn = UpdateMemberProfile(person_id=PERSON, birth_date=date(2030, 1, 1))
    spec(MEMBER).given(JOINED).when(lambda s: update_profile(s, unborn, TODAY)).then_raises(
        InvalidDate, field="birth_date"
    )
    empty = UpdateMemberProfile(person_id=PERSON)
    spec(MEMBER).given(JOINED).when(lambda s: update_profile(s, empty, TODAY)).then_raises(
        InvalidState, field="person_id"
    )


DISABILITY = RecordDisabilityAssessment(person_id=PERSON, level="severe",
                                        assessed_on=date(2026, 2, 1))  # fmt: skip


def test_record_a_disability_assessment() -> None:
    spec(MEMBER).given(JOINED).when(lambda s: record_disability(s, DISABILITY, TODAY)).then(
        DisabilityLevelRecorded(member_id=MEMBER_ID, club_id=CLUB_ID, person_id=PERSON,
                                level="severe", assessed_on=date(2026, 2, 1))
    )  # fmt: skip


def test_disability_refusals() -> None:
    spec(MEMBER).when(lambda s: record_disability(s, DISABILITY, TODAY)).then_raises(
        NotAMember, field="person_id"
    )
    later = DISABILITY.model_copy(update={"assessed_on": date(2027, 1, 1)})
    spec(MEMBER).given(JOINED).when(lambda s: record_disability(s, later, TODAY)).then_raises(
        InvalidDate, field="assessed_on"
    )


CONSENT = RecordConsent(consent_id=UUID(int=30), person_id=PERSON, club_id=CLUB_ID,
                        purpose="health_data", given_on=date(2026, 1, 5),
                        method="thumbprint")  # fmt: skip
GIVEN = ConsentGiven(**CONSENT.model_dump())


def test_record_a_consent() -> None:
    spec(MEMBER).given(JOINED).when(lambda s: record_consent(s, CONSENT, TODAY)).then(GIVEN)


def test_consent_refusals() -> None:
    spec(MEMBER).when(lambda s: record_consent(s, CONSENT, TODAY)).then_raises(
        NotAMember, field="person_id"
    )
    spec(MEMBER).given(JOINED, GIVEN).when(lambda s: record_consent(s, CONSENT, TODAY)).then_raises(
        AlreadyExists, field="consent_id"
    )
    later = CONSENT.model_copy(update={"given_on": date(2027, 1, 1)})
    spec(MEMBER).given(JOINED).when(lambda s: record_consent(s, later, TODAY)).then_raises(
        InvalidDate, field="given_on"
    )


WITHDRAW = WithdrawConsent(consent_id=UUID(int=30), person_id=PERSON,
                           withdrawn_on=date(2026, 6, 1), method="written")  # fmt: skip


def test_withdraw_a_consent() -> None:
    spec(MEMBER).given(JOINED, GIVEN).when(lambda s: withdraw_consent(s, WITHDRAW, TODAY)).then(
        ConsentWithdrawn(consent_id=UUID(int=30), person_id=PERSON, club_id=CLUB_ID,
                         purpose="health_data", withdrawn_on=date(2026, 6, 1), method="written")
    ).then_state(lambda s: s.consents[UUID(int=30)].withdrawn_on == date(2026, 6, 1))  # fmt: skip


def test_withdrawal_refusals() -> None:
    spec(MEMBER).given(JOINED).when(lambda s: withdraw_consent(s, WITHDRAW, TODAY)).then_raises(
        NotFound, field="consent_id"
    )
    gone = ConsentWithdrawn(**WITHDRAW.model_dump(), club_id=CLUB_ID, purpose="health_data")
    spec(MEMBER).given(JOINED, GIVEN, gone).when(
        lambda s: withdraw_consent(s, WITHDRAW, TODAY)
    ).then_raises(InvalidState, field="consent_id")
    early = WITHDRAW.model_copy(update={"withdrawn_on": date(2025, 1, 1)})
    spec(MEMBER).given(JOINED, GIVEN).when(lambda s: withdraw_consent(s, early, TODAY)).then_raises(
        InvalidDate, field="withdrawn_on"
    )


def test_a_consent_is_withdrawn_only_by_the_club_that_recorded_it() -> None:
    # The same person in two clubs: club 2 answers as for no such consent, club 1 withdraws.
    spec(MEMBER).given(JOINED, GIVEN).when(
        lambda s: withdraw_consent(s, WITHDRAW, TODAY, acting_for=OTHER_CLUB)
    ).then_raises(NotInScope, field="consent_id")
    spec(MEMBER).given(JOINED, GIVEN).when(
        lambda s: withdraw_consent(s, WITHDRAW, TODAY, acting_for=CLUB_ID)
    ).then_state(lambda s: s.consents[UUID(int=30)].withdrawn_on == date(2026, 6, 1))


def test_joining_before_birth_is_refused() -> None:
    odd = ADMIT.model_copy(update={"birth_date": date(2025, 10, 2)})
    spec(MEMBER).when(lambda s: admit_member(club(), s, odd, TODAY)).then_raises(
        InvalidDate, field="joined_on", match="before birth_date"
    )
