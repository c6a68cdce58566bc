"""A club as the services would answer for it (fake bus): the dashboard's pages can be
rendered whole, in both languages, without the services."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from gateway.auth import DEMO_CLUB_A
from ishc_contracts import QueryEnvelope
from ishc_contracts.errors import Reply

from ..support import FakeBus

CLUB = str(DEMO_CLUB_A)


def uid(n: int) -> str:
    return str(UUID(int=0x0193A000_0000_7000_8000_000000000000 + n))


THU_1952, THU_1960, THU_1971, AN, DUC = (uid(n) for n in (1, 2, 3, 4, 5))
LOAN, LOAN_DONE, MEETING, DECISION, CASE, FUND = (uid(n) for n in (20, 21, 30, 31, 40, 50))


def member(member_id: str, name: str, born: int | None, village: str | None) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "person_id": member_id.replace("8000-0000", "8000-1000"),
        "full_name": name,
        "sex": "female",
        "age": None if born is None else 2026 - born,
        "birth_year": born,
        "village": village,
        "joined_on": "2024-03-21",
        "left_on": None,
        "active": True,
        "roles": ["member"],
        "categories": {"older": born is not None and born < 1966, "woman": True},
    }


MEMBERS = [
    member(THU_1952, "Bùi Thị Thu", 1952, "Đông"),
    member(DUC, "Vũ Văn Đức", 1980, "Tây"),
    member(THU_1971, "Bùi Thị Thu", 1971, "Tây"),
    member(AN, "Nguyễn Văn An", 1958, "Đông"),
    member(THU_1960, "Bùi Thị Thu", 1960, "Đông"),
]


HOUSEHOLD = uid(70)
# Thu (1952) and An share a household; Lan volunteers and is not a member.
for _m in MEMBERS:
    _m["household_id"] = HOUSEHOLD if _m["member_id"] in (THU_1952, AN) else None
    _m["poverty_status"] = "near_poor" if _m["member_id"] in (THU_1952, AN) else None
VOLUNTEERS = [
    {"volunteer_id": uid(60), "person_id": uid(61), "member_id": None, "full_name": "Trần Thị Lan"},
    {"volunteer_id": uid(62), "person_id": uid(63), "member_id": DUC, "full_name": "Vũ Văn Đức"},
]


def _roster(_: QueryEnvelope) -> Reply:
    return Reply.success(
        {
            "club": {"club_id": CLUB, "name": "CLB Hoàn Kiếm"},
            "members": MEMBERS,
            "volunteers": VOLUNTEERS,
        }
    )


def _profile(envelope: QueryEnvelope) -> Reply:
    return Reply.success(
        {
            "person_id": envelope.params["person_id"],
            "memberships": [
                {
                    "member_id": uid(80),
                    "club_id": uid(81),
                    "joined_on": "2019-05-01",
                    "left_on": "2023-12-31",
                    "leave_reason": "moved",
                },
            ],
            "consents": [
                {
                    "consent_id": uid(82),
                    "club_id": CLUB,
                    "purpose": "health_data",
                    "given_on": "2024-03-21",
                    "withdrawn_on": None,
                },
            ],
        }
    )


def _workload(_: QueryEnvelope) -> Reply:
    return Reply.success(
        {
            "iso_week": "2026-W49",
            "volunteers": [
                {
                    "volunteer_id": uid(60),
                    "cases": 1,
                    "visits_this_week": 1,
                    "visits_last_4_weeks": 6,
                }
            ],
        }
    )


def _loans(_: QueryEnvelope) -> Reply:
    return Reply.success(
        {
            "loans": [
                {
                    "loan_id": LOAN,
                    "club_id": CLUB,
                    "member_id": AN,
                    "status": "active",
                    "principal": 6_000_000,
                    "principal_paid": 1_000_000,
                    "interest_paid": 60_000,
                    "outstanding_principal": 5_000_000,
                    "disbursed_on": "2026-06-05",
                    "closed_on": None,
                    "days_overdue": 35,
                    "bucket": "31-60",
                    "overdue_principal": 1_000_000,
                    "overdue_interest": 60_000,
                    "version": 5,
                },
                {
                    "loan_id": LOAN_DONE,
                    "club_id": CLUB,
                    "member_id": DUC,
                    "status": "applied",
                    "principal": 3_000_000,
                    "principal_paid": 0,
                    "interest_paid": 0,
                    "outstanding_principal": 3_000_000,
                    "disbursed_on": None,
                    "closed_on": None,
                    "days_overdue": 0,
                    "bucket": None,
                    "version": 1,
                },
            ],
            "ageing": [{"bucket": "31-60", "loans": 1, "outstanding_principal": 5_000_000}],
        }
    )


def _get_loan(envelope: QueryEnvelope) -> Reply:
    loans = _loans(envelope).result or {}
    found = next(
        (loan for loan in loans["loans"] if loan["loan_id"] == envelope.params["loan_id"]), None
    )
    if found is None:
        return Reply.success({"club_id": CLUB, "missing": True})
    installments = [
        {"number": n, "due_on": f"2026-{6 + n:02d}-05", "principal": 1_000_000, "interest": 60_000}
        for n in range(1, 7)
    ]
    # Finance's history: the one repayment received, which paid installment 1.
    repayments = (
        [{"repayment_id": str(uid(90)), "received_on": "2026-07-04", "amount": 1_060_000}]
        if found["status"] == "active"
        else []
    )
    return Reply.success(
        {**found, "installments": installments, "repayments": repayments, "stale": False}
    )


def _funds(_: QueryEnvelope) -> Reply:
    months = [
        {"fund_id": FUND, "fund_type": "income_generation", "month": m, "inflow": i, "outflow": o}
        for m, i, o in (
            ("2026-10-01", 20_000_000, 6_000_000),
            ("2026-11-01", 1_060_000, 0),
        )
    ]
    closing = 0
    for row in months:
        closing += int(str(row["inflow"])) - int(str(row["outflow"]))
        row["closing"] = closing
    return Reply.success({"months": months, "closings": []})


def _meetings(_: QueryEnvelope) -> Reply:
    return Reply.success(
        {
            "club_id": CLUB,
            "meetings": [
                {
                    "meeting_id": MEETING,
                    "held_on": "2026-11-20",
                    "kind": "regular",
                    "present": 4,
                    "expected": 5,
                    "rate": 0.8,
                }
            ],
            "members": [],
            "decisions": [
                {
                    "decision_id": DECISION,
                    "meeting_id": MEETING,
                    "kind": "loan_approval",
                    "summary": "Cho anh Đức vay nuôi lợn",
                    "member_id": DUC,
                    "subject_id": LOAN_DONE,
                    "amount": 5_000_000,
                }
            ],
        }
    )


def _board(_: QueryEnvelope) -> Reply:
    return Reply.success(
        {
            "iso_week": "2026-W49",
            "recipients": [
                {
                    "case_id": CASE,
                    "person_id": MEMBERS[0]["person_id"],
                    "full_name": "Bùi Thị Thu",
                    "volunteer_ids": [uid(60)],
                    "status": "active",
                    "visits_per_week": 2,
                    "reassignment_needed": False,
                    "slots": ["done", "due"],
                }
            ],
        }
    )


def _case(_: QueryEnvelope) -> Reply:
    return Reply.success({"club_id": CLUB, "volunteer_ids": [uid(60)]})


def _empty(key: str) -> Any:
    return lambda _: Reply.success({key: []})


def club_bus() -> FakeBus:
    bus = FakeBus()
    bus.query_replies.update(
        {
            "ClubRoster": _roster,
            "LoanBook": _loans,
            "GetLoan": _get_loan,
            "FundStatement": _funds,
            "MeetingAttendance": _meetings,
            "WeekBoard": _board,
            "VolunteerWorkload": _workload,
            "PersonProfile": _profile,
            "CaseDetail": _case,
            "OpenClaims": _empty("claims"),
            "UnclaimedWorklist": _empty("people"),
        }
    )
    return bus
