"""Who may read which categories of another service's personal data (ADR 0052).

A service seals the personal data it owns with its own keys; another service reads a sealed
value only if the owner grants it that category, by handing over the data keys on request
(`ishc.keys.<owner>`, transport-sealed). Everything not listed here reads as erased.
"""

from __future__ import annotations

from collections.abc import Mapping

from ishc_contracts.events import SensitiveCategory

# (owner, reader) -> categories. Why each reader needs them:
GRANTS: Mapping[tuple[str, str], frozenset[SensitiveCategory]] = {
    # Eligibility rules: age from the birth date, disability level, poor-household status.
    ("membership", "advocacy"): frozenset({"identity", "disability", "poverty"}),
    # Care rosters show the name and age of the people cared for.
    ("membership", "care"): frozenset({"identity"}),
    # Programme indicators count older, disabled, poor and ethnic-minority members.
    ("membership", "reporting"): frozenset({"identity", "disability", "poverty", "ethnicity"}),
}


def keys_subject(owner: str) -> str:
    """Where `owner` answers requests for data keys."""
    return f"ishc.keys.{owner}"


def granted(owner: str, reader: str) -> frozenset[SensitiveCategory]:
    return GRANTS.get((owner, reader), frozenset())


def owners_granting(reader: str) -> list[str]:
    return sorted(owner for owner, who in GRANTS if who == reader)
