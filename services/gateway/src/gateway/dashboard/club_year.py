"""The club year as the secretary reads it: a loan's schedule against what was paid, the
monthly fund statement, the decisions a command may cite. Pure functions over query answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Installment:
    number: int
    due_on: str
    amount: int  # principal + interest
    paid: int  # of this installment, paying installments in order
    state: str  # paid | partly | overdue | due

    @property
    def owing(self) -> int:
        return self.amount - self.paid


@dataclass(frozen=True)
class Schedule:
    installments: list[Installment]
    next_due: Installment | None
    arrears: int  # owed on installments already due

    @property
    def overdue_count(self) -> int:
        return sum(1 for i in self.installments if i.state == "overdue")


def schedule(loan: dict[str, Any]) -> Schedule:
    """The loan's installments with what is paid of each. What the borrower paid so far
    (principal and interest) covers the installments in order: the book keeps totals, and
    paying the oldest installment first is the club's rule for reading a card.

    Which installments are overdue, and by how much, is finance's as-of figure (pauses and
    the arrears tolerance applied there), never a due date compared with today here: the
    amount finance says is overdue is laid on the unpaid installments from the oldest."""
    left = int(loan.get("principal_paid") or 0) + int(loan.get("interest_paid") or 0)
    overdue_left = arrears = (
        int(loan.get("overdue_principal") or 0) + int(loan.get("overdue_interest") or 0)
        if int(loan.get("days_overdue") or 0) > 0
        else 0
    )
    rows: list[Installment] = []
    for raw in loan.get("installments") or []:
        amount = int(raw["principal"]) + int(raw["interest"])
        paid = min(amount, left)
        left -= paid
        late = min(amount - paid, overdue_left)
        overdue_left -= late
        if paid >= amount:
            state = "paid"
        elif late > 0:
            state = "overdue"
        elif paid > 0:
            state = "partly"
        else:
            state = "due"
        rows.append(Installment(int(raw["number"]), str(raw["due_on"]), amount, paid, state))
    pending = [i for i in rows if i.state != "paid"]
    return Schedule(rows, pending[0] if pending else None, arrears)


@dataclass(frozen=True)
class FundMonth:
    fund_type: str
    month: str
    opening: int
    inflow: int
    outflow: int
    closing: int
    closed: bool


def fund_months(statement: dict[str, Any]) -> list[FundMonth]:
    """Opening, money in, money out and closing per fund and month, newest month first.
    The statement gives each month's flows and the running closing; the opening is the
    closing before the month's flows. A month the club closed (`CloseBooks`) is marked."""
    closed = {(c["fund_id"], str(c["month"])[:7]) for c in statement.get("closings") or []}
    rows = [
        FundMonth(
            fund_type=str(m["fund_type"]),
            month=str(m["month"]),
            opening=int(m["closing"]) - int(m["inflow"]) + int(m["outflow"]),
            inflow=int(m["inflow"]),
            outflow=int(m["outflow"]),
            closing=int(m["closing"]),
            closed=(m["fund_id"], str(m["month"])[:7]) in closed,
        )
        for m in statement.get("months") or []
    ]
    return sorted(rows, key=lambda r: (r.month, r.fund_type), reverse=True)


def decisions_of(attendance: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The decisions of one kind, with the date of the meeting that took them."""
    held = {m["meeting_id"]: m.get("held_on") for m in attendance.get("meetings") or []}
    return [
        {**d, "held_on": held.get(d["meeting_id"])}
        for d in attendance.get("decisions") or []
        if d.get("kind") == kind
    ]
