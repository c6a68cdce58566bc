"""N1-N16 for display: which names belong to which indicator, and how each is formatted."""

from __future__ import annotations

import unicodedata
from typing import Any

from gateway.dashboard.i18n import Translator

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("N1", ("clubs_new", "clubs_cumulative", "clubs_active")),
    ("N2", ("provinces_with_club", "provinces_with_club_pct")),
    ("N3", ("communes_with_club", "communes_total", "communes_with_club_pct")),
    ("N4", ("members", "new_members", "older_members", "avg_members_per_club")),
    (
        "N5",
        (
            "women_pct",
            "older_pct",
            "younger_pct",
            "womens_union_pct",
            "ethnic_minority_pct",
            "poor_pct",
            "poor_members",
            "poor_households",
            "disability_pct",
        ),
    ),
    ("N6", ("clubs_well_managed", "clubs_well_managed_pct")),
    ("N7", ("borrowers", "borrowers_pct")),
    ("N8", ("clubs_with_both_funds", "clubs_with_both_funds_pct")),
    (
        "N9",
        (
            "ig_capital_total",
            "ig_capital_avg",
            "clubs_ig_fund_ge_20m_pct",
            "clubs_ig_fund_ge_30m_pct",
        ),
    ),
    (
        "N10",
        (
            "loans_issued",
            "loans_amount",
            "outstanding",
            "repayment_rate_pct",
            "par30_pct",
            "write_offs",
            "write_off_amount",
        ),
    ),
    (
        "N11",
        (
            "health_checks",
            "clubs_with_health_activity_pct",
            "older_checked_pct",
            "health_record_pct",
        ),
    ),
    (
        "N12",
        (
            "care_recipients",
            "volunteers",
            "clubs_with_5_volunteers_pct",
            "visits",
            "visits_per_recipient_week",
            "weeks_target_met_pct",
        ),
    ),
    ("N13", ("entitlement_cases_opened", "entitlement_cases_approved", "households_helped")),
    ("N14", ("poor_households_supported",)),
    ("N15", ("clubs_evaluated_independence", "clubs_independent", "clubs_independent_pct")),
    ("N16", ("resources_total",)),
)

MONEY = frozenset(
    {
        "ig_capital_total",
        "ig_capital_avg",
        "loans_amount",
        "outstanding",
        "write_off_amount",
        "resources_total",
    }
)

# Shares of members by category (independent flags), with their labels.
CATEGORIES = {
    "women_pct": "cat.woman",
    "older_pct": "cat.older",
    "younger_pct": "cat.younger",
    "womens_union_pct": "cat.womens_union_member",
    "ethnic_minority_pct": "cat.ethnic_minority",
    "poor_pct": "cat.poor_or_near_poor",
    "disability_pct": "cat.disability",
}


def shown(t: Translator, name: str, value: Any, suppressed: list[str]) -> str:
    if value is None and name in suppressed:
        return t("prov.suppressed")
    if value is None:
        return "—"
    if name in MONEY:
        return t.vnd(int(value))
    if name.endswith("_pct"):
        return t.pct(float(value))
    if isinstance(value, int | float):
        return t.number(value)
    return str(value)


def number(indicators: dict[str, Any], name: str) -> float | None:
    value = indicators.get(name)
    return float(value) if isinstance(value, int | float) else None


def people_helped(indicators: dict[str, Any]) -> int:
    schemes = indicators.get("entitlements") or {}
    return sum(int(v.get("people_helped") or 0) for v in schemes.values() if isinstance(v, dict))


def _folded(text: str) -> str:
    """Lower case without accents (đ as d): "Dư nợ" is found by "du no"."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matching(t: Translator, query: str | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The indicator groups, keeping the indicators whose name, definition or code holds
    `query` (accents and case aside); every group when there is no query."""
    if not query or not query.strip():
        return GROUPS
    wanted = _folded(query.strip())
    kept = []
    for group, names in GROUPS:
        found = tuple(
            name
            for name in names
            if any(wanted in _folded(text) for text in (name, t(f"ind.{name}"), t(f"def.{name}")))
        )
        if found:
            kept.append((group, found))
    return tuple(kept)
