"""Policy parameters (domain A1 and section 0). Effective-dated data, not literals in code:
a rule is looked up for the date it is about, so history stays evaluable after a change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The 2025 reform (63 → 34 provinces, districts abolished) took effect on this day.
ADMIN_MAP_2025_FROM = date(2025, 7, 1)


@dataclass(frozen=True)
class CompositionTargets:
    """Soft targets of Decision 1336/QĐ-TTg: reported against, never enforced."""

    valid_from: date
    min_members: int
    max_members: int
    min_women_share: float
    max_women_share: float
    min_older_share: float
    max_older_share: float
    older_age: int  # Law on the Elderly: 60


COMPOSITION_TARGETS: tuple[CompositionTargets, ...] = (
    CompositionTargets(date(2020, 8, 31), 50, 70, 0.60, 0.70, 0.60, 0.70, 60),
)


def composition_targets(on: date) -> CompositionTargets:
    """The targets in force on `on` (the earliest set for dates before any of them)."""
    in_force = [t for t in COMPOSITION_TARGETS if t.valid_from <= on]
    return max(in_force, key=lambda t: t.valid_from) if in_force else COMPOSITION_TARGETS[0]


# The official list of eight activity areas (section 0.3). Clubs reporting six components
# map onto these codes; it is a tuple of data, read by decide, not an enum.
ACTIVITY_AREAS: frozenset[str] = frozenset(
    {
        "livelihoods",
        "health_care",
        "home_care",
        "self_help",
        "rights_entitlements",
        "lifelong_learning",
        "culture_arts",
        "resource_mobilisation",
    }
)

# Domain default (D): a person belongs to one ISHC at a time, not only one membership per club.
ONE_CLUB_PER_PERSON = True

# Board seats that must be held by one person each; bookkeeper and treasurer never the same
# person (segregation of duties, VSLA three-key practice).
SINGLE_HOLDER_SEATS: frozenset[str] = frozenset({"chair", "bookkeeper", "treasurer"})
REQUIRED_SEATS: frozenset[str] = frozenset({"chair"})
SEPARATED_SEATS: tuple[tuple[str, str], ...] = (("bookkeeper", "treasurer"),)
# 5 to 7 seats is what clubs are seen with: a soft range the roster reports, never enforced.
TYPICAL_BOARD_SIZE = (5, 7)

# Decisions finance acts on need an amount (VND) to project a loan, write-off or grant.
DECISIONS_WITH_AMOUNT: frozenset[str] = frozenset(
    {"loan_approval", "loan_write_off", "mutual_aid_grant"}
)


def age_on(birth_date: date, on: date) -> int:
    """Completed years on `on`: computed at the reporting date, never stored."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
