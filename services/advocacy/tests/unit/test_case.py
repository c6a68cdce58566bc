"""The claim lifecycle, given/when/then, with typed errors for impossible transitions."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from advocacy.application.aggregates import CASE
from advocacy.domain import case
from advocacy.domain.calendar import WorkingCalendar
from advocacy.domain.errors import CaseExists, CaseNotFound, InvalidDecision, InvalidTransition
from advocacy.domain.policy_table import TABLE
from ishc_contracts.advocacy.commands import (
    CloseEntitlementCase,
    ConfirmPayment,
    FileAppeal,
    MarkDocumentsReady,
    OpenEntitlementCase,
    RecordDecision,
    RecordSubmission,
)
from ishc_contracts.advocacy.events import (
    AppealFiled,
    BenefitPaymentConfirmed,
    DocumentsReady,
    EligibilityScreened,
    EntitlementApproved,
    EntitlementCaseClosed,
    EntitlementCaseOpened,
    EntitlementClaimed,
    EntitlementRejected,
    SubmissionOverdue,
)
from ishc_runtime.testing.specs import spec

pytestmark = pytest.mark.unit

CASE_ID, PERSON, CLUB, SCREENING = (UUID(int=n) for n in (1, 2, 3, 4))
TET = WorkingCalendar(holidays=frozenset(date(2025, 1, d) for d in range(27, 32)))
CAL = WorkingCalendar()

OPENED = EntitlementCaseOpened(
    case_id=CASE_ID, person_id=PERSON, club_id=CLUB, scheme="social_pension",
    opened_on=date(2025, 7, 1), trigger="screening", screening_id=SCREENING,
)  # fmt: skip
READY = DocumentsReady(case_id=CASE_ID, club_id=CLUB, ready_on=date(2025, 7, 2))
SUBMITTED = EntitlementClaimed(
    case_id=CASE_ID, club_id=CLUB, submitted_on=date(2025, 7, 3), office="79:26734",
    decision_due_on=date(2025, 7, 17),
)  # fmt: skip
REJECTED = EntitlementRejected(
    case_id=CASE_ID, club_id=CLUB, decided_on=date(2025, 7, 10), reason="Has a pension"
)
APPROVED = EntitlementApproved(
    case_id=CASE_ID, club_id=CLUB, decided_on=date(2025, 7, 10), monthly_amount=500_000,
    payable_from=date(2025, 7, 1),
)  # fmt: skip


def screened(result: str) -> EligibilityScreened:
    return EligibilityScreened(
        screening_id=SCREENING, person_id=PERSON, club_id=CLUB, scheme="social_pension",
        as_of=date(2025, 7, 1), result=result, rule_version="r1",
    )  # fmt: skip


def open_cmd(**more: object) -> OpenEntitlementCase:
    return OpenEntitlementCase(
        case_id=CASE_ID, person_id=PERSON, club_id=CLUB, scheme="social_pension",
        opened_on=date(2025, 7, 1), trigger="screening", screening_id=SCREENING, **more,
    )  # fmt: skip


APPROVE = RecordDecision(
    case_id=CASE_ID, decided_on=date(2025, 7, 10), outcome="approved", monthly_amount=500_000,
    payable_from=date(2025, 7, 1),
)  # fmt: skip
REJECT = RecordDecision(
    case_id=CASE_ID, decided_on=date(2025, 7, 10), outcome="rejected", reason="Has a pension"
)
SUBMIT = RecordSubmission(case_id=CASE_ID, submitted_on=date(2025, 7, 3), office="79:26734")


def test_a_claim_is_opened_from_an_eligible_screening() -> None:
    spec(CASE).when(lambda s: case.open_case(s, open_cmd(), screened("eligible"))).then(OPENED)


def test_a_claim_for_an_ineligible_person_is_allowed_but_flagged() -> None:
    flagged = OPENED.model_copy(update={"flags": ("screened_not_eligible",)})
    spec(CASE).when(lambda s: case.open_case(s, open_cmd(), screened("not_eligible"))).then(flagged)


def test_a_case_is_opened_once() -> None:
    spec(CASE).given(OPENED).when(lambda s: case.open_case(s, open_cmd(), None)).then_raises(
        CaseExists, field="case_id"
    )


def test_the_happy_path_to_payment_and_closure() -> None:
    ready = MarkDocumentsReady(case_id=CASE_ID, ready_on=date(2025, 7, 2))
    spec(CASE).given(OPENED).when(lambda s: case.mark_documents_ready(s, ready)).then(READY)
    spec(CASE).given(OPENED, READY).when(lambda s: case.submit(s, SUBMIT, TABLE, CAL)).then(
        SUBMITTED
    )
    spec(CASE).given(OPENED, READY, SUBMITTED).when(lambda s: case.decide(s, APPROVE)).then(
        APPROVED
    )
    pay = ConfirmPayment(
        case_id=CASE_ID, payment_id=UUID(int=9), paid_on=date(2025, 8, 5), amount=500_000
    )
    paid = BenefitPaymentConfirmed(
        case_id=CASE_ID, club_id=CLUB, payment_id=UUID(int=9), paid_on=date(2025, 8, 5),
        amount=500_000, first_payment=True,
    )  # fmt: skip
    spec(CASE).given(OPENED, READY, SUBMITTED, APPROVED).when(
        lambda s: case.confirm_payment(s, pay)
    ).then(paid)
    later = paid.model_copy(update={"first_payment": False})
    spec(CASE).given(OPENED, READY, SUBMITTED, APPROVED, paid).when(
        lambda s: case.confirm_payment(s, pay)
    ).then(later)
    close = CloseEntitlementCase(case_id=CASE_ID, closed_on=date(2025, 8, 6), reason="paid")
    spec(CASE).given(OPENED, READY, SUBMITTED, APPROVED, paid).when(
        lambda s: case.close(s, close)
    ).then(
        EntitlementCaseClosed(
            case_id=CASE_ID, club_id=CLUB, closed_on=date(2025, 8, 6), reason="paid"
        )
    )


def test_the_submission_carries_its_decision_date_in_working_days_skipping_tet() -> None:
    friday = SUBMIT.model_copy(update={"submitted_on": date(2025, 1, 24)})
    (
        spec(CASE)
        .given(OPENED, READY)
        .when(lambda s: case.submit(s, friday, TABLE.replaced("t", []), TET))
        .then(
            SUBMITTED.model_copy(
                update={"submitted_on": date(2025, 1, 24), "decision_due_on": None}
            )
        )
    )  # the social pension did not exist in January 2025: no SLA then
    july = spec(CASE).given(OPENED, READY).when(lambda s: case.submit(s, SUBMIT, TABLE, TET))
    july.then(SUBMITTED)


def test_approving_a_rejected_claim_without_appeal_is_refused() -> None:
    spec(CASE).given(OPENED, READY, SUBMITTED, REJECTED).when(
        lambda s: case.decide(s, APPROVE)
    ).then_raises(InvalidTransition, field="case_id", match="rejected")


def test_after_an_appeal_the_office_decides_again() -> None:
    appeal = FileAppeal(case_id=CASE_ID, filed_on=date(2025, 7, 20), grounds="Pension ended")
    filed = AppealFiled(
        case_id=CASE_ID, club_id=CLUB, filed_on=date(2025, 7, 20), grounds="Pension ended"
    )
    spec(CASE).given(OPENED, READY, SUBMITTED, REJECTED).when(
        lambda s: case.appeal(s, appeal)
    ).then(filed)
    spec(CASE).given(OPENED, READY, SUBMITTED, REJECTED, filed).when(
        lambda s: case.decide(s, APPROVE)
    ).then(APPROVED)
    spec(CASE).given(OPENED, READY, SUBMITTED, APPROVED).when(
        lambda s: case.appeal(s, appeal)
    ).then_raises(InvalidTransition)


@pytest.mark.parametrize(
    ("history", "action"),
    [
        ((OPENED,), lambda s: case.submit(s, SUBMIT, TABLE, CAL)),  # documents first
        ((OPENED,), lambda s: case.decide(s, APPROVE)),
        ((OPENED, READY), lambda s: case.decide(s, REJECT)),
        ((OPENED, READY, SUBMITTED), lambda s: case.confirm_payment(
            s, ConfirmPayment(case_id=CASE_ID, payment_id=UUID(int=9), paid_on=date(2025, 8, 5), amount=1)
        )),
        ((OPENED, READY, SUBMITTED, APPROVED), lambda s: case.decide(s, REJECT)),
        ((OPENED, READY, SUBMITTED, APPROVED), lambda s: case.submit(s, SUBMIT, TABLE, CAL)),
    ],
)  # fmt: skip
def test_impossible_transitions_are_typed_errors(history: tuple, action) -> None:  # type: ignore[no-untyped-def, type-arg]
    spec(CASE).given(*history).when(action).then_raises(InvalidTransition, field="case_id")


def test_a_decision_on_an_unknown_case_is_not_found() -> None:
    spec(CASE).when(lambda s: case.decide(s, APPROVE)).then_raises(CaseNotFound)


def test_a_rejection_needs_a_reason_and_a_monthly_amount_a_start() -> None:
    no_reason = REJECT.model_copy(update={"reason": None})
    spec(CASE).given(OPENED, READY, SUBMITTED).when(
        lambda s: case.decide(s, no_reason)
    ).then_raises(InvalidDecision, field="reason")
    no_start = APPROVE.model_copy(update={"payable_from": None})
    spec(CASE).given(OPENED, READY, SUBMITTED).when(lambda s: case.decide(s, no_start)).then_raises(
        InvalidDecision, field="payable_from"
    )


OVERDUE = SubmissionOverdue(
    case_id=CASE_ID, club_id=CLUB, submitted_on=date(2025, 7, 3), decision_due_on=date(2025, 7, 17),
    as_of=date(2025, 7, 18),
)  # fmt: skip


def test_an_undecided_submission_is_overdue_the_day_after_its_period() -> None:
    given = spec(CASE).given(OPENED, READY, SUBMITTED)
    given.when(lambda s: case.check_deadline(s, CASE_ID, date(2025, 7, 17))).then_nothing()
    given.when(lambda s: case.check_deadline(s, CASE_ID, date(2025, 7, 18))).then(OVERDUE)
    spec(CASE).given(OPENED, READY, SUBMITTED, OVERDUE).when(
        lambda s: case.check_deadline(s, CASE_ID, date(2025, 7, 19))
    ).then_nothing()
    spec(CASE).given(OPENED, READY, SUBMITTED, APPROVED).when(
        lambda s: case.check_deadline(s, CASE_ID, date(2025, 7, 18))
    ).then_nothing()
    late = (
        spec(CASE).given(OPENED, READY, SUBMITTED, OVERDUE).when(lambda s: case.decide(s, APPROVE))
    )
    late.then(APPROVED).then_state(lambda s: s.stage == "approved" and not s.overdue)
