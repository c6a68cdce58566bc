"""Repayment schedules: pure integer arithmetic on VND.

Rounding rule: whole VND. Equal parts (principal; flat interest) are floored and the last
installment absorbs the remainder, so the principal column always sums to the principal and
the flat interest column to its total, rounded half-up once. Declining-balance interest is
rounded half-up month by month.

- Grace months (principal moratorium) come first: interest only, no principal.
- Principal is repaid in equal parts over the remaining months (floor to whole VND; the last
  part takes the remainder).
- flat: interest each month = principal * rate; total = principal * rate * term.
- declining: interest each month = outstanding principal at the start of the month * rate
  (equal-principal declining balance, as VBSP and most club charters do it).
- Due dates: monthly, on the club's repayment day (its meeting day), clamped to the month's
  last day; the first due date is one month after disbursement.
"""

from __future__ import annotations

import calendar
from datetime import date

from ishc_contracts.finance.events import Installment, InterestMethod

BP = 10_000  # basis points in one


def round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def add_months(start: date, months: int, day: int | None = None) -> date:
    """`start` moved `months` calendar months on, on `day` (default: start's), clamped."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day or start.day, last))


def build_schedule(
    principal: int,
    term_months: int,
    method: InterestMethod,
    monthly_interest_bp: int,
    grace_months: int,
    disbursed_on: date,
    repayment_day: int | None = None,
) -> tuple[Installment, ...]:
    if not 0 <= grace_months < term_months:
        msg = f"grace of {grace_months} months leaves no month to repay in {term_months}"
        raise ValueError(msg)
    paying = term_months - grace_months
    part = principal // paying
    principals = [0] * grace_months + [part] * (paying - 1) + [principal - part * (paying - 1)]
    if method == "flat":
        total = round_half_up(principal * monthly_interest_bp * term_months, BP)
        monthly = principal * monthly_interest_bp // BP
        interests = [monthly] * (term_months - 1) + [total - monthly * (term_months - 1)]
    else:
        interests, outstanding = [], principal
        for paid in principals:
            interests.append(round_half_up(outstanding * monthly_interest_bp, BP))
            outstanding -= paid
    return tuple(
        Installment(
            number=n + 1,
            due_on=add_months(disbursed_on, n + 1, repayment_day),
            principal=principals[n],
            interest=interests[n],
        )
        for n in range(term_months)
    )
