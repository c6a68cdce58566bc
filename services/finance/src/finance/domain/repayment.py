"""A repayment across the streams it moves: the loan, the loan's revolving fund, the club's
activity fund and the borrower. One pure decision that the service appends atomically and
the simulator applies as it is, so the two cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from finance.domain import borrower, fund, servicing
from finance.domain.borrower import Borrower
from finance.domain.fund import Fund
from finance.domain.loan import Loan
from ishc_contracts import Event
from ishc_contracts.finance.commands import PostRepayment
from ishc_contracts.finance.events import LoanRepaid, RepaymentReallocated, RepaymentReceived


@dataclass(frozen=True)
class Repayment:
    """What each stream gets (an empty list: nothing for that stream)."""

    loan: list[Event]
    revolving_fund: list[Event]
    activity_fund: list[Event]
    borrower: list[Event]


def repay(
    loan: Loan,
    revolving_fund: Fund,
    activity_fund: Fund,
    borrower_state: Borrower,
    cmd: PostRepayment,
    today: date,
) -> Repayment:
    """The loan's repayment (split in received order), the principal and penalty back to the
    revolving fund and the interest to the activity fund (with what a late-keyed receipt
    re-splits), and the borrower's loan closed when this repays it."""
    events = servicing.repay(loan, cmd, today)
    paid = next((e for e in events if isinstance(e, RepaymentReceived)), None)
    if paid is None:  # this repayment was recorded already (another upload of it)
        return Repayment(events, [], [], [])
    closed = next((e for e in events if isinstance(e, LoanRepaid)), None)
    closing: list[Event] = []
    if closed is not None:
        club_id, _, member_id = loan.ids()
        closing = borrower.close_loan(
            borrower_state, member_id, club_id, cmd.loan_id, closed.repaid_on, "repaid"
        )
    into_revolving: list[fund.LoanReturn] = []
    into_activity: list[fund.LoanReturn] = []
    returned, interest = servicing.repayment_postings(paid)
    if returned is not None:
        into_revolving.append(returned)
    if interest is not None:
        into_activity.append(interest)
    for moved in (e for e in events if isinstance(e, RepaymentReallocated)):
        to_revolving, to_activity = servicing.reallocation_postings(moved)
        into_revolving.append(to_revolving)
        into_activity.append(to_activity)
    return Repayment(
        loan=events,
        revolving_fund=fund.receive_all(revolving_fund, into_revolving) if into_revolving else [],
        activity_fund=fund.receive_all(activity_fund, into_activity) if into_activity else [],
        borrower=closing,
    )
