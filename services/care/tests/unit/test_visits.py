"""Visit specs: counted once, offline duplicates merged, bad input refused with nothing appended."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from care.application.aggregates import CASE
from care.domain import visits
from care.domain.errors import (
    BeforePlanStart,
    CaseClosed,
    CaseNotFound,
    InTheFuture,
    OutOfRange,
    WrongCaseStatus,
)
from ishc_contracts.care.commands import RecordMissedVisit, RecordVisit
from ishc_contracts.care.events import (
    BloodPressure,
    CareCaseClosed,
    VisitCompleted,
    VisitMerged,
    VisitMissed,
)
from ishc_runtime.testing.specs import spec

from .builders import ACTIVE, CASE_ID, CLUB, HUNG, LAN, MAI, NOW, PERSON, REFERRED, uid, visit

pytestmark = pytest.mark.unit

MONDAY = date(2026, 12, 21)


def record(n: int, on: date = MONDAY, *volunteers: object, **extra: object) -> RecordVisit:
    return RecordVisit.model_validate(
        {
            "visit_id": uid(100 + n),
            "case_id": CASE_ID,
            "volunteer_ids": volunteers or (LAN,),
            "visited_on": on,
            **extra,
        }
    )


def test_a_visit_is_recorded_with_its_vitals_and_observations() -> None:
    cmd = record(1, blood_pressure={"systolic": 150, "diastolic": 95}, observations="Tired")
    spec(CASE).given(*ACTIVE).when(lambda s: visits.record_visit(s, cmd, NOW)).then(
        VisitCompleted(
            visit_id=uid(101), case_id=CASE_ID, club_id=CLUB, volunteer_ids=(LAN,),
            visited_on=MONDAY, blood_pressure=BloodPressure(systolic=150, diastolic=95),
            observations="Tired",
        )
    )  # fmt: skip


def test_the_same_visit_id_uploaded_again_appends_nothing() -> None:
    spec(CASE).given(*ACTIVE, visit(1, MONDAY)).when(
        lambda s: visits.record_visit(s, record(1), NOW)
    ).then_nothing()


def test_an_offline_duplicate_same_volunteer_same_day_is_merged_not_counted() -> None:
    spec(CASE).given(*ACTIVE, visit(1, MONDAY, LAN, HUNG)).when(
        lambda s: visits.record_visit(s, record(2, MONDAY, HUNG), NOW)
    ).then(
        VisitMerged(
            visit_id=uid(102), merged_into=uid(101), case_id=CASE_ID, club_id=CLUB,
            visited_on=MONDAY,
        )
    ).then_state(lambda s: s.done_in_week(MONDAY) == 1)  # fmt: skip


def test_a_merged_duplicate_uploaded_again_appends_nothing() -> None:
    merged = VisitMerged(
        visit_id=uid(102), merged_into=uid(101), case_id=CASE_ID, club_id=CLUB, visited_on=MONDAY
    )
    spec(CASE).given(*ACTIVE, visit(1, MONDAY), merged).when(
        lambda s: visits.record_visit(s, record(2, MONDAY), NOW)
    ).then_nothing()


def test_another_volunteer_or_another_day_is_another_visit() -> None:
    spec(CASE).given(*ACTIVE, visit(1, MONDAY, LAN)).when(
        lambda s: visits.record_visit(s, record(2, MONDAY, MAI), NOW)
    ).then_state(lambda s: s.done_in_week(MONDAY) == 2)
    spec(CASE).given(*ACTIVE, visit(1, MONDAY, LAN)).when(
        lambda s: visits.record_visit(s, record(2, date(2026, 12, 22), LAN), NOW)
    ).then_state(lambda s: s.done_in_week(MONDAY) == 2)


def test_a_visit_for_a_closed_or_unknown_case_is_refused() -> None:
    closed = CareCaseClosed(
        case_id=CASE_ID, club_id=CLUB, person_id=PERSON, closed_on=MONDAY, reason="moved"
    )
    spec(CASE).given(*ACTIVE, closed).when(
        lambda s: visits.record_visit(s, record(1), NOW)
    ).then_raises(CaseClosed, field="case_id")
    spec(CASE).when(lambda s: visits.record_visit(s, record(1), NOW)).then_raises(
        CaseNotFound, field="case_id"
    )
    # The upload of a visit recorded before the case closed, repeated: still nothing, no error.
    spec(CASE).given(*ACTIVE, visit(1, MONDAY), closed).when(
        lambda s: visits.record_visit(s, record(1), NOW)
    ).then_nothing()
    spec(CASE).given(REFERRED).when(lambda s: visits.record_visit(s, record(1), NOW)).then_raises(
        WrongCaseStatus, field="case_id"
    )


def test_a_visit_in_the_future_is_refused_in_viet_nam_time() -> None:
    # 17:30 UTC on the 23rd is already the 24th in Ha Noi: the 24th is today, the 25th is not.
    late_evening = datetime(2026, 12, 23, 17, 30, tzinfo=UTC)
    spec(CASE).given(*ACTIVE).when(
        lambda s: visits.record_visit(s, record(1, date(2026, 12, 24)), late_evening)
    ).then_state(lambda s: len(s.visits) == 1)
    spec(CASE).given(*ACTIVE).when(
        lambda s: visits.record_visit(s, record(1, date(2026, 12, 25)), late_evening)
    ).then_raises(InTheFuture, field="visited_on")
    started = record(1, started_at="2026-12-23T13:00:00+07:00")  # NOW is 12:00 in Ha Noi
    spec(CASE).given(*ACTIVE).when(lambda s: visits.record_visit(s, started, NOW)).then_raises(
        InTheFuture, field="started_at"
    )


def test_a_visit_before_the_plan_started_is_refused() -> None:
    spec(CASE).given(*ACTIVE).when(
        lambda s: visits.record_visit(s, record(1, date(2026, 12, 20)), NOW)
    ).then_raises(BeforePlanStart, field="visited_on")


@pytest.mark.parametrize(
    ("systolic", "diastolic", "field"),
    [
        (59, 40, "blood_pressure.systolic"),
        (261, 100, "blood_pressure.systolic"),
        (120, 29, "blood_pressure.diastolic"),
        (200, 161, "blood_pressure.diastolic"),
        (90, 95, "blood_pressure.diastolic"),
    ],
)
def test_vitals_out_of_physiological_range_are_refused(
    systolic: int, diastolic: int, field: str
) -> None:
    cmd = record(1, blood_pressure={"systolic": systolic, "diastolic": diastolic})
    spec(CASE).given(*ACTIVE).when(lambda s: visits.record_visit(s, cmd, NOW)).then_raises(
        OutOfRange, field=field
    )


@pytest.mark.parametrize(("systolic", "diastolic"), [(60, 30), (260, 160)])
def test_range_edges_are_accepted(systolic: int, diastolic: int) -> None:
    cmd = record(1, blood_pressure={"systolic": systolic, "diastolic": diastolic})
    spec(CASE).given(*ACTIVE).when(lambda s: visits.record_visit(s, cmd, NOW)).then(
        VisitCompleted(club_id=CLUB, **cmd.model_dump())
    )


def test_a_missed_visit_is_recorded_once_and_not_in_the_future() -> None:
    cmd = RecordMissedVisit(
        visit_id=uid(200), case_id=CASE_ID, due_on=MONDAY, reason="recipient_away"
    )
    missed = VisitMissed(
        visit_id=uid(200), case_id=CASE_ID, club_id=CLUB, due_on=MONDAY, reason="recipient_away"
    )
    spec(CASE).given(*ACTIVE).when(lambda s: visits.record_missed_visit(s, cmd, NOW)).then(missed)
    spec(CASE).given(*ACTIVE, missed).when(
        lambda s: visits.record_missed_visit(s, cmd, NOW)
    ).then_nothing()
    future = cmd.model_copy(update={"due_on": date(2026, 12, 30)})
    spec(CASE).given(*ACTIVE).when(
        lambda s: visits.record_missed_visit(s, future, NOW)
    ).then_raises(InTheFuture, field="due_on")


def test_the_case_state_survives_a_snapshot_round_trip() -> None:
    merged = VisitMerged(
        visit_id=uid(102), merged_into=uid(101), case_id=CASE_ID, club_id=CLUB, visited_on=MONDAY
    )
    missed = VisitMissed(
        visit_id=uid(200), case_id=CASE_ID, club_id=CLUB, due_on=MONDAY, reason="other"
    )
    state = spec(CASE).given(*ACTIVE, visit(1, MONDAY), merged, missed).state
    assert type(state).model_validate(state.model_dump(mode="json")) == state
