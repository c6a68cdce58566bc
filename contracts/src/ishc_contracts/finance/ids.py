"""Deterministic ids: one fund of each type per club, so a loan knows its funds without a lookup."""

from __future__ import annotations

import uuid
from uuid import UUID

from ishc_contracts.finance.events import FundType

# Fixed forever: changing it would give every club new (empty) funds.
_FUND_NAMESPACE = UUID("0b7c1f5e-2d4a-5c8e-9f3b-6a1d2e4f8c09")


def fund_id_for(club_id: UUID, fund_type: FundType) -> UUID:
    """The id of the club's fund of `fund_type` (income_generation, activity, mutual_aid)."""
    return uuid.uuid5(_FUND_NAMESPACE, f"{club_id}:{fund_type}")
