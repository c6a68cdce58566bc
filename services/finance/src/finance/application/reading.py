"""The loan book on any date, computed when read from business dates (DESIGN §7, issue #19).

A loan's status, principal repaid, outstanding principal and arrears on a day D follow from
its schedule, the repayments *received* on or before D, its pause windows and the dates it was
disbursed and closed: never from when a repayment was keyed in or when the arrears timer
fired. So a repayment typed in weeks late counts from the day it was received, a date in the
past reads the book as it stood then, and days overdue go on counting past 90.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from finance.domain.arrears import Arrears, Receipt, allocate, arrears_on, paid_by
from finance.domain.rules import PAR_DAYS
from ishc_contracts.finance.events import Installment

_LOANS = (
    "SELECT loan_id, club_id, member_id, status, principal, disbursed_on, closed_on,"
    " case_open, written_off, recovered, arrears_tolerance, version FROM finance_loans"
)


# Each loan's schedule in force on $2: the disbursement's, or the latest rescheduling's on or
# before it (a loan disbursed after $2 has none, and is not active then anyway).
_SCHEDULES_ON = """
SELECT i.loan_id, i.number, i.due_on, i.principal, i.interest FROM finance_installments i
JOIN (SELECT loan_id, max(valid_from) AS valid_from FROM finance_installments
      WHERE loan_id = ANY($1::uuid[]) AND valid_from <= $2 GROUP BY loan_id) f
  ON f.loan_id = i.loan_id AND f.valid_from = i.valid_from
ORDER BY i.loan_id, i.number
"""


@dataclass(frozen=True)
class LoanOn:
    """One loan as it stood at the end of `day`."""

    row: dict[str, Any]
    day: date
    status: str
    principal_paid: int
    interest_paid: int
    fallen_due: int  # principal + interest due on or before `day`
    paid: int  # principal + interest received on or before `day`
    arrears: Arrears | None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def outstanding_principal(self) -> int:
        return self.row["principal"] - self.principal_paid if self.active else 0

    @property
    def at_risk(self) -> bool:
        """More than PAR_DAYS days overdue (the PAR30 numerator)."""
        return self.arrears is not None and self.arrears.days_overdue > PAR_DAYS

    def as_json(self) -> dict[str, Any]:
        row = self.row
        return {
            "loan_id": str(row["loan_id"]),
            "club_id": str(row["club_id"]),
            "member_id": str(row["member_id"]),
            "status": self.status,
            "principal": row["principal"],
            "principal_paid": self.principal_paid,
            "interest_paid": self.interest_paid,
            "outstanding_principal": self.outstanding_principal,
            "disbursed_on": _iso(row["disbursed_on"]),
            "closed_on": _iso(row["closed_on"]) if self.status != "active" else None,
            "days_overdue": self.arrears.days_overdue if self.arrears else 0,
            "bucket": self.arrears.bucket if self.arrears else None,
            "oldest_unpaid_installment": self.arrears.installment if self.arrears else None,
            "overdue_principal": self.arrears.overdue_principal if self.arrears else 0,
            "overdue_interest": self.arrears.overdue_interest if self.arrears else 0,
            "case_open": row["case_open"],
            "written_off": row["written_off"] if self.status == "written_off" else 0,
            "recovered": row["recovered"],
            "version": row["version"],
            "as_of": self.day.isoformat(),
        }


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def status_on(row: dict[str, Any], day: date) -> str:
    """The loan's status at the end of `day`, from its disbursement and closing dates."""
    disbursed, closed, status = row["disbursed_on"], row["closed_on"], row["status"]
    if disbursed is None:
        return str(status)  # applied, approved or rejected: no business date moves it back
    if disbursed > day:
        return "approved"
    if status in ("repaid", "written_off") and closed is not None and closed <= day:
        return str(status)
    return "active"


def loan_on(
    row: dict[str, Any],
    schedule: tuple[Installment, ...],
    receipts: list[Receipt],
    pauses: tuple[tuple[date, date], ...],
    day: date,
) -> LoanOn:
    status = status_on(row, day)
    paid = paid_by(receipts, day)
    covered = allocate(schedule, paid)
    late = None
    if status == "active":
        late = arrears_on(schedule, receipts, pauses, row["arrears_tolerance"], day)
    return LoanOn(
        row=row,
        day=day,
        status=status,
        principal_paid=covered.principal,
        interest_paid=covered.interest,
        fallen_due=sum(i.principal + i.interest for i in schedule if i.due_on <= day),
        paid=paid,
        arrears=late,
    )


async def schedule_on(pool: asyncpg.Pool, loan_id: UUID, day: date) -> list[dict[str, Any]]:
    """The loan's installments as they stood on `day` (a rescheduling replaces them from its
    own date on)."""
    rows = await pool.fetch(_SCHEDULES_ON, [loan_id], day)
    return [
        {"number": r["number"], "due_on": r["due_on"], "principal": r["principal"],
         "interest": r["interest"]}
        for r in rows
    ]  # fmt: skip


async def loans_on(
    pool: asyncpg.Pool, day: date, *, club_id: UUID | None = None, loan_id: UUID | None = None
) -> list[LoanOn]:
    """The loans of a club (or one loan) at the end of `day`, in loan_id order."""
    where, key = ("club_id", club_id) if club_id is not None else ("loan_id", loan_id)
    rows = await pool.fetch(f"{_LOANS} WHERE {where} = $1 ORDER BY loan_id", key)
    if not rows:
        return []
    ids = [r["loan_id"] for r in rows]
    schedules: dict[UUID, list[Installment]] = defaultdict(list)
    for i in await pool.fetch(_SCHEDULES_ON, ids, day):
        schedules[i["loan_id"]].append(
            Installment(
                number=i["number"],
                due_on=i["due_on"],
                principal=i["principal"],
                interest=i["interest"],
            )
        )
    receipts: dict[UUID, list[Receipt]] = defaultdict(list)
    for r in await pool.fetch(
        "SELECT loan_id, received_on, amount FROM finance_repayments"
        " WHERE loan_id = ANY($1::uuid[])",
        ids,
    ):
        receipts[r["loan_id"]].append((r["received_on"], r["amount"]))
    pauses: dict[UUID, list[tuple[date, date]]] = defaultdict(list)
    for p in await pool.fetch(
        "SELECT loan_id, starts_on, ends_on FROM finance_loan_pauses"
        " WHERE loan_id = ANY($1::uuid[])",
        ids,
    ):
        pauses[p["loan_id"]].append((p["starts_on"], p["ends_on"]))
    return [
        loan_on(
            dict(r),
            tuple(schedules[r["loan_id"]]),
            receipts[r["loan_id"]],
            tuple(pauses[r["loan_id"]]),
            day,
        )
        for r in rows
    ]
