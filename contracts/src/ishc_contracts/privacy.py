"""Who may read which categories of another service's personal data (ADR 0052).

A service seals the personal data it owns with its own keys; another service reads a sealed
value only if the owner grants it that category, by handing over the data keys on request
(`ishc.keys.<owner>`, transport-sealed). Everything not listed here reads as erased.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ishc_contracts.events import Command, Payload, SensitiveCategory
from ishc_contracts.values import ShortText

# (owner, reader) -> categories. Why each reader needs them:
GRANTS: Mapping[tuple[str, str], frozenset[SensitiveCategory]] = {
    # Eligibility rules: age from the birth date, disability level, poor-household status.
    ("membership", "advocacy"): frozenset({"identity", "disability", "poverty"}),
    # Care rosters show the name and age of the people cared for.
    ("membership", "care"): frozenset({"identity"}),
    # Programme indicators count older, poor and ethnic-minority members (people with a
    # disability from the assessment's date, which is not sealed: no key needed).
    ("membership", "reporting"): frozenset({"identity", "poverty", "ethnicity"}),
}


def keys_subject(owner: str) -> str:
    """Where `owner` answers requests for data keys."""
    return f"ishc.keys.{owner}"


def granted(owner: str, reader: str) -> frozenset[SensitiveCategory]:
    return GRANTS.get((owner, reader), frozenset())


def owners_granting(reader: str) -> list[str]:
    return sorted(owner for owner, who in GRANTS if who == reader)


ERASE_SUBJECT = "EraseSubject"


class EraseSubject(Command):
    """Erase a person's personal data (right to deletion, Law 91/2025/QH15): every service
    destroys the data keys of the person's streams. Events stay, with ids, dates and amounts;
    their sealed fields can no longer be opened anywhere, so read models show "[erased]".
    A national admin's act, with the reason and the legal basis recorded. Every service
    answers it on `ishc.cmd.<service>.EraseSubject` (built in, like the operator queries)."""

    service: ClassVar[str] = "every"

    person_id: UUID
    other_ids: tuple[UUID, ...] = Field(
        default=(),
        max_length=50,
        description="The person's member ids: some streams (loans) know the member only",
    )
    reason: ShortText
    legal_basis: ShortText = Field(description="e.g. 'Law 91/2025/QH15 art. 14, request of …'")


class SubjectErased(Payload):
    """One service's answer to EraseSubject."""

    service: str
    person_id: UUID
    keys_destroyed: int
    sealing: bool = Field(description="False: this service seals nothing (no master key)")
