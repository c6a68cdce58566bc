"""A realistic example of every finance event: documentation for consumers, and the
payloads the contract tests round-trip through the registry."""

from __future__ import annotations

from typing import Any
from uuid import UUID


def uid(n: int) -> str:
    return str(UUID(int=n))


CLUB, MEMBER, MEETING, LOAN, FUND = uid(1), uid(2), uid(4), uid(6), uid(7)
ON = "2026-03-21"

EXAMPLES: dict[str, dict[str, Any]] = {
    "finance.LoanBecameCurrent": {"loan_id": LOAN, "club_id": CLUB, "as_of": "2026-06-05"},
    "finance.DelinquencyPaused": {
        "loan_id": LOAN,
        "club_id": CLUB,
        "starts_on": "2026-09-01",
        "ends_on": "2026-09-30",
        "reason": "disaster",
        "note": "typhoon Yagi",
    },
    "finance.LoanRepaid": {
        "loan_id": LOAN,
        "club_id": CLUB,
        "member_id": MEMBER,
        "repaid_on": "2026-05-21",
        "principal": 5_000_000,
        "interest": 50_000,
    },
    "finance.DeceasedBorrowerCaseOpened": {
        "loan_id": LOAN,
        "club_id": CLUB,
        "member_id": MEMBER,
        "died_on": "2026-04-02",
        "outstanding_principal": 2_500_000,
        "outstanding_interest": 25_000,
    },
    "finance.LoanRescheduled": {
        "loan_id": LOAN,
        "club_id": CLUB,
        "rescheduled_on": "2026-05-01",
        "reason": "drought",
        "unpaid_principal": 2_500_000,
        "schedule": [
            {"number": 1, "due_on": "2026-04-21", "principal": 2_500_000, "interest": 25_000},
            {"number": 2, "due_on": "2026-06-21", "principal": 2_500_000, "interest": 12_500},
        ],
    },
    "finance.RecoveryReceived": {
        "loan_id": LOAN,
        "club_id": CLUB,
        "fund_id": FUND,
        "recovery_id": uid(34),
        "amount": 500_000,
        "received_on": "2026-09-21",
    },
    "finance.LoanApplicationRejected": {
        "loan_id": LOAN,
        "club_id": CLUB,
        "member_id": MEMBER,
        "rejected_on": ON,
        "reason": "the meeting asked for a smaller amount",
    },
    "finance.LoanProductDefined": {
        "club_id": CLUB,
        "version": 1,
        "effective_from": "2026-01-01",
        "purposes": ["livestock", "crops"],
        "min_principal": 1_000_000,
        "max_principal": 10_000_000,
        "term_months": 12,
        "interest_method": "flat",
        "monthly_interest_bp": 50,
        "grace_months": 3,
    },
    "finance.LoanCashDisbursed": {
        "fund_id": FUND,
        "club_id": CLUB,
        "loan_id": LOAN,
        "member_id": MEMBER,
        "amount": 5_000_000,
        "disbursed_on": ON,
    },
    "finance.LoanPrincipalReturned": {
        "fund_id": FUND,
        "club_id": CLUB,
        "loan_id": LOAN,
        "repayment_id": uid(30),
        "principal": 2_500_000,
        "received_on": "2026-04-21",
    },
    "finance.InterestAllocatedToActivityFund": {
        "fund_id": uid(31),
        "club_id": CLUB,
        "loan_id": LOAN,
        "repayment_id": uid(30),
        "amount": 25_000,
        "received_on": "2026-04-21",
    },
    "finance.RepaymentReallocated": {
        "loan_id": LOAN,
        "club_id": CLUB,
        "fund_id": FUND,
        "repayment_id": uid(30),
        "received_on": "2026-05-21",
        "principal": 2_510_000,
        "interest": 15_000,
        "principal_change": 10_000,
    },
    "finance.RepaymentSplitCorrected": {
        "fund_id": uid(31),
        "club_id": CLUB,
        "fund_type": "activity",
        "loan_id": LOAN,
        "repayment_id": uid(30),
        "amount": -10_000,
        "received_on": "2026-05-21",
    },
    "finance.MonthClosed": {
        "fund_id": FUND,
        "club_id": CLUB,
        "month": "2026-03-01",
        "opening": 30_000_000,
        "inflow": 0,
        "outflow": 5_000_000,
        "closing": 25_000_000,
    },
    "finance.InKindAssetLent": {
        "asset_id": uid(35),
        "club_id": CLUB,
        "member_id": MEMBER,
        "asset_type": "cow",
        "value": 15_000_000,
        "lent_on": ON,
        "pass_on": "offspring",
        "pass_on_due": "2027-09-01",
    },
    "finance.InKindAssetPassedOn": {
        "asset_id": uid(35),
        "club_id": CLUB,
        "member_id": MEMBER,
        "to_member_id": uid(36),
        "next_asset_id": uid(37),
        "passed_on": "2027-08-15",
    },
    "finance.InKindPassOnOverdue": {
        "asset_id": uid(35),
        "club_id": CLUB,
        "member_id": MEMBER,
        "pass_on_due": "2027-09-01",
        "as_of": "2027-09-02",
    },
    "finance.BorrowerLoanOpened": {
        "member_id": MEMBER,
        "club_id": CLUB,
        "loan_id": LOAN,
        "opened_on": ON,
    },
    "finance.BorrowerLoanClosed": {
        "member_id": MEMBER,
        "club_id": CLUB,
        "loan_id": LOAN,
        "closed_on": "2026-05-21",
        "outcome": "repaid",
    },
}
