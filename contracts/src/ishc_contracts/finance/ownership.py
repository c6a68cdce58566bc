"""Finance's ownership declarations (see `ishc_contracts.ownership`)."""

from __future__ import annotations

from typing import Any

from ishc_contracts.finance import commands as c
from ishc_contracts.finance import events as e
from ishc_contracts.finance import funds as f
from ishc_contracts.ownership import (
    ASSET,
    DECISION,
    LOAN,
    MEMBER,
    NEW_INSIDE_STREAM,
    Grant,
    GrantRule,
    Owned,
    refs,
    refs_or_new,
    streams,
    unchecked,
    within,
)

_LOAN = {"loan_id": streams(LOAN)}

OWNED = (
    Owned(c.CapitaliseFund, {"club_id": within()}),
    Owned(
        c.RecordMembershipFee,
        {
            "club_id": within(),
            "fee_id": unchecked("a fee's id, kept inside the club's own fund stream"),
            "member_id": refs(MEMBER),
        },
    ),
    Owned(c.DefineLoanProduct, {"club_id": within()}),
    Owned(
        c.SubmitLoanApplication,
        {"loan_id": refs_or_new(LOAN), "club_id": within(), "member_id": refs(MEMBER)},
    ),
    Owned(c.ApproveLoan, {**_LOAN, "decision_id": refs(DECISION)}),
    Owned(c.RejectLoanApplication, _LOAN),
    Owned(c.DisburseLoan, _LOAN),
    Owned(c.PostRepayment, {**_LOAN, "repayment_id": unchecked(NEW_INSIDE_STREAM)}),
    Owned(c.AssessArrears, _LOAN),
    Owned(c.PauseDelinquency, _LOAN),
    Owned(c.WriteOffLoan, {**_LOAN, "decision_id": refs(DECISION)}),
    Owned(c.OpenDeceasedBorrowerCase, {**_LOAN, "member_id": refs(MEMBER)}),
    Owned(
        c.GrantMutualAid,
        {
            "club_id": within(),
            "grant_id": unchecked("a grant's id, kept inside the club's own fund stream"),
            "member_id": refs(MEMBER),
            "decision_id": refs(DECISION),
        },
    ),
    Owned(c.RescheduleLoan, {**_LOAN, "decision_id": refs(DECISION)}),
    Owned(c.PostRecovery, {**_LOAN, "recovery_id": unchecked(NEW_INSIDE_STREAM)}),
    Owned(
        c.LendInKindAsset,
        {"asset_id": refs_or_new(ASSET), "club_id": within(), "member_id": refs(MEMBER)},
    ),
    Owned(
        c.PassOnAsset,
        {
            "asset_id": streams(ASSET),
            "to_member_id": refs(MEMBER),
            "next_asset_id": refs_or_new(ASSET),
        },
    ),
    Owned(c.CheckPassOn, {"asset_id": streams(ASSET)}),
    Owned(c.CloseBooks, {"club_id": within()}),
)

GRANTS: dict[type[Any], GrantRule] = {
    e.LoanApplied: lambda ev: [Grant(LOAN, ev.loan_id, ev.club_id)],
    f.InKindAssetLent: lambda ev: [Grant(ASSET, ev.asset_id, ev.club_id)],
    f.InKindAssetPassedOn: lambda ev: [Grant(ASSET, ev.next_asset_id, ev.club_id)],
}
