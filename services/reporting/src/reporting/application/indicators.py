"""Indicators N1-N16 from per-club facts: pure functions, no I/O.

`roll_up` groups clubs into units of a level (club, commune, province, nation) on one admin map
(legacy_63 or 2025_34), sums their facts and derives the indicators. Categories are
independent flags, each a share of members (they never add up to 100 %). Outside a club,
counts of sensitive categories below the threshold are suppressed (None) and listed in
`suppressed`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ishc_contracts.reporting.queries import SUPPRESSION_THRESHOLD, Level, Scheme
from reporting.application.periods import Period, add_months

__all__ = ["SUPPRESSION_THRESHOLD", "Level", "Scheme"]
LEVELS: tuple[Level, ...] = ("club", "commune", "province", "nation")
SCHEMES: tuple[Scheme, ...] = ("legacy_63", "2025_34")
PROVINCES_ON_MAP: Mapping[Scheme, int] = {"legacy_63": 63, "2025_34": 34}
UNKNOWN = "unknown"

# Parameters (seeds and Decision 1336 targets), kept as data.
INDEPENDENCE_FROM_MONTH = 24
WELL_MANAGED_MEETINGS_12M = 10
ALL_ACTIVITY_AREAS = 8
MIN_VOLUNTEERS = 5
IG_FUND_FLOORS = (20_000_000, 30_000_000)

# Counts that identify sensitive categories (disability, health, poor households); each
# share listed with it is suppressed with it.
SENSITIVE: Mapping[str, tuple[str, ...]] = {
    "disability_members": ("disability_pct",),
    "poor_members": ("poor_pct",),
    "poor_households": (),
    "poor_households_supported": (),
    "care_recipients": (),
}

_SUMMED = (
    "members",
    "new_members",
    "women",
    "older",
    "younger",
    "womens_union",
    "ethnic_minority",
    "disability",
    "poor_members",
    "poor_households",
    "borrowers",
    "older_checked",
    "health_record",
    "loans_issued",
    "loans_amount",
    "outstanding",
    "par30_outstanding",
    "principal_due",
    "principal_repaid_on_due",
    "write_offs",
    "write_off_amount",
    "poor_supported",
    "care_recipients",
    "weeks_evaluated",
    "weeks_met",
    "week_visits",
    "visits",
    "health_checks",
    "volunteers",
    "ig_capital",
)


@dataclass
class UnitReport:
    unit: str
    name: str
    indicators: dict[str, Any] = field(default_factory=dict)
    suppressed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "name": self.name,
            "indicators": self.indicators,
            "suppressed": self.suppressed,
        }


def share(part: int | None, whole: int | None, digits: int = 1) -> float | None:
    """`part` as a percentage of `whole`, rounded; None when there is no whole."""
    if part is None or not whole:
        return None
    return round(100 * part / whole, digits)


def financially_independent(own_income_12m: int, running_costs_12m: int) -> bool:
    """Own income (interest, fees, local fundraising) over the trailing 12 months covers the
    running costs of those months. A club with no own income is not independent."""
    return own_income_12m > 0 and own_income_12m >= running_costs_12m


def independence_due(founded_on: date, on: date) -> bool:
    """Evaluated from month 24 after founding."""
    return add_months(founded_on, INDEPENDENCE_FROM_MONTH) <= on


def households_helped(clubs: Iterable[Mapping[str, Any]]) -> dict[str, set[Any]]:
    """N13: per scheme, the distinct households helped to an approved entitlement, from each
    club's household keys (`households_helped`: {scheme: keys}); a household counts once
    however many of its people, clubs or cases."""
    found: dict[str, set[Any]] = defaultdict(set)
    for club in clubs:
        for scheme_code, keys in (club.get("households_helped") or {}).items():
            found[scheme_code].update(keys)
    return dict(found)


def unit_of(club: Mapping[str, Any], level: Level, scheme: Scheme) -> tuple[str, str]:
    """The unit key and name a club falls in. A club with no unit on the chosen map is
    reported under "unknown", so totals agree across maps."""
    if level == "club":
        return str(club["club_id"]), str(club["name"])
    if level == "nation":
        return "VN", "Việt Nam"
    prefix = "legacy" if scheme == "legacy_63" else "new"
    province = club.get(f"{prefix}_province")
    if province is None:
        return UNKNOWN, UNKNOWN
    if level == "province":
        return str(province), str(club.get(f"{prefix}_province_name") or province)
    ward = club.get(f"{prefix}_ward")
    return f"{province}:{ward}", str(club.get(f"{prefix}_ward_name") or ward)


def in_provinces(club: Mapping[str, Any], provinces: Iterable[str]) -> bool:
    """Whether the club lies in one of `provinces`, each code on either map: provinces merged
    whole in 2025, so a code kept on the 2025 map names the merged province (which holds the
    legacy one of that code) and a code retired in 2025 can only name the legacy province."""
    wanted = set(provinces)
    return club.get("new_province") in wanted or club.get("legacy_province") in wanted


def clubs_to_date(
    clubs: Iterable[Mapping[str, Any]], on: date, provinces: Iterable[str] | None = None
) -> int:
    """N1 `clubs_cumulative` on `on` without the rest of a report: clubs founded by then,
    inside `provinces` (`in_provinces`) when given."""
    wanted = None if provinces is None else frozenset(provinces)
    return sum(
        1
        for club in clubs
        if club["founded_on"] <= on and (wanted is None or in_provinces(club, wanted))
    )


def suppress(report: UnitReport, threshold: int) -> None:
    for count, shares in SENSITIVE.items():
        value = report.indicators.get(count)
        if value is not None and value < threshold:
            for name in (count, *shares):
                report.indicators[name] = None
                report.suppressed.append(name)


def roll_up(
    clubs: Iterable[Mapping[str, Any]],
    period: Period,
    level: Level,
    scheme: Scheme,
    *,
    unit: str | None = None,
    threshold: int = SUPPRESSION_THRESHOLD,
    communes: Mapping[str, int] | None = None,
    provinces: Iterable[str] | None = None,
    within_communes: Iterable[str] | None = None,
    suppress_clubs: bool = False,
) -> list[UnitReport]:
    """Indicator reports, one per unit of `level` (only `unit` when given), sorted by key.
    `communes`: communes per province on the map, the N3 denominator (None: no share).
    `provinces`: only clubs inside these (`in_provinces`). `within_communes`: only clubs in
    these communes (<province>:<ward> on `scheme`, the commune level's keys): a province's
    drill-down to one commune's clubs. `suppress_clubs`: suppress small cells at club level
    too, for readers outside the club."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    names: dict[str, str] = {}
    wanted = None if provinces is None else frozenset(provinces)
    communes_wanted = None if within_communes is None else frozenset(within_communes)
    for club in clubs:
        if wanted is not None and not in_provinces(club, wanted):
            continue
        if (
            communes_wanted is not None
            and unit_of(club, "commune", scheme)[0] not in communes_wanted
        ):
            continue
        key, name = unit_of(club, level, scheme)
        if unit is not None and key != unit:
            continue
        groups[key].append(club)
        names[key] = name
    reports = []
    for key in sorted(groups):
        report = UnitReport(key, names[key], _indicators(groups[key], period, scheme, level))
        _coverage(report, key, level, communes)
        if level != "club" or suppress_clubs:
            suppress(report, threshold)
        reports.append(report)
    return reports


def _coverage(
    report: UnitReport, key: str, level: Level, communes: Mapping[str, int] | None
) -> None:
    """N3: communes with a club as a share of the communes of the province (or nation)."""
    total: int | None = None
    if communes is not None and level == "province":
        total = communes.get(key)
    elif communes is not None and level == "nation":
        total = sum(communes.values())
    report.indicators["communes_total"] = total
    report.indicators["communes_with_club_pct"] = share(
        report.indicators["communes_with_club"], total
    )


def _indicators(  # noqa: PLR0915 - one line per indicator, grouped by N-number
    clubs: list[Mapping[str, Any]], period: Period, scheme: Scheme, level: Level
) -> dict[str, Any]:
    t = {name: sum(int(c.get(name) or 0) for c in clubs) for name in _SUMMED}
    members = t["members"]
    n = len(clubs)
    out: dict[str, Any] = {}
    # N1 clubs
    out["clubs_new"] = sum(1 for c in clubs if c["founded_on"] >= period.start)
    out["clubs_cumulative"] = n
    out["clubs_active"] = sum(
        1 for c in clubs if (c.get("members") or 0) > 0 and c.get("status", "active") == "active"
    )
    # N2, N3 coverage
    provinces = {unit_of(c, "province", scheme)[0] for c in clubs} - {UNKNOWN}
    communes = {unit_of(c, "commune", scheme)[0] for c in clubs} - {UNKNOWN}
    out["provinces_with_club"] = len(provinces)
    if level == "nation":
        out["provinces_with_club_pct"] = share(len(provinces), PROVINCES_ON_MAP[scheme])
    out["communes_with_club"] = len(communes)
    # N4 members
    out["members"] = members
    out["new_members"] = t["new_members"]
    out["older_members"] = t["older"]
    out["avg_members_per_club"] = round(members / n, 1) if n else None
    # N5 composition: independent flags, each a share of members
    out["women_pct"] = share(t["women"], members)
    out["older_pct"] = share(t["older"], members)
    out["younger_pct"] = share(t["younger"], members)
    out["womens_union_members"] = t["womens_union"]
    out["womens_union_pct"] = share(t["womens_union"], members)
    out["ethnic_minority_pct"] = share(t["ethnic_minority"], members)
    out["poor_members"] = t["poor_members"]
    out["poor_households"] = t["poor_households"]
    out["poor_pct"] = share(t["poor_members"], members)
    out["disability_members"] = t["disability"]
    out["disability_pct"] = share(t["disability"], members)
    # N6 all activities and well managed
    good = sum(
        1
        for c in clubs
        if (c.get("activity_areas") or 0) >= ALL_ACTIVITY_AREAS
        and (c.get("meetings_12m") or 0) >= WELL_MANAGED_MEETINGS_12M
    )
    out["clubs_well_managed"] = good
    out["clubs_well_managed_pct"] = share(good, n)
    # N7 borrowers
    out["borrowers"] = t["borrowers"]
    out["borrowers_pct"] = share(t["borrowers"], members)
    # N8 both funds
    both = sum(1 for c in clubs if c.get("has_ig_fund") and c.get("has_activity_fund"))
    out["clubs_with_both_funds"] = both
    out["clubs_with_both_funds_pct"] = share(both, n)
    # N9 income-generation fund
    out["ig_capital_total"] = t["ig_capital"]
    out["ig_capital_avg"] = round(t["ig_capital"] / n) if n else None
    for floor in IG_FUND_FLOORS:
        above = sum(1 for c in clubs if (c.get("ig_capital") or 0) >= floor)
        out[f"clubs_ig_fund_ge_{floor // 1_000_000}m_pct"] = share(above, n)
    # N10 loans
    out["loans_issued"] = t["loans_issued"]
    out["loans_amount"] = t["loans_amount"]
    out["outstanding"] = t["outstanding"]
    out["repayment_rate_pct"] = share(t["principal_repaid_on_due"], t["principal_due"])
    out["par30_pct"] = share(t["par30_outstanding"], t["outstanding"])
    out["write_offs"] = t["write_offs"]
    out["write_off_amount"] = t["write_off_amount"]
    # N11 health
    with_checks = sum(1 for c in clubs if (c.get("health_checks") or 0) > 0)
    out["health_checks"] = t["health_checks"]
    out["clubs_with_health_activity_pct"] = share(with_checks, n)
    out["older_checked_pct"] = share(t["older_checked"], t["older"])
    out["health_record_pct"] = share(t["health_record"], members)
    # N12 home care
    out["care_recipients"] = t["care_recipients"]
    out["volunteers"] = t["volunteers"]
    enough = sum(1 for c in clubs if (c.get("volunteers") or 0) >= MIN_VOLUNTEERS)
    out["clubs_with_5_volunteers_pct"] = share(enough, n)
    out["visits"] = t["visits"]
    out["visits_per_recipient_week"] = (
        round(t["week_visits"] / t["weeks_evaluated"], 2) if t["weeks_evaluated"] else None
    )
    out["weeks_target_met_pct"] = share(t["weeks_met"], t["weeks_evaluated"])
    # N13 entitlements by scheme
    schemes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in clubs:
        for scheme_code, counts in (c.get("entitlements") or {}).items():
            for k, v in counts.items():
                schemes[scheme_code][k] += int(v)
    households = households_helped(clubs)
    for scheme_code, counts in schemes.items():
        counts["households_helped"] = len(households.get(scheme_code, ()))
    out["entitlements"] = {k: dict(v) for k, v in sorted(schemes.items())}
    out["entitlement_cases_opened"] = sum(v["opened"] for v in schemes.values())
    out["entitlement_cases_approved"] = sum(v["approved"] for v in schemes.values())
    out["households_helped"] = len(set().union(*households.values()))
    # N14 poor families supported
    out["poor_households_supported"] = t["poor_supported"]
    # N15 financial independence (trailing 12 months, from month 24)
    due = [c for c in clubs if independence_due(c["founded_on"], period.end)]
    independent = sum(
        1
        for c in due
        if financially_independent(
            int(c.get("own_income_12m") or 0), int(c.get("running_costs_12m") or 0)
        )
    )
    out["clubs_evaluated_independence"] = len(due)
    out["clubs_independent"] = independent
    out["clubs_independent_pct"] = share(independent, len(due))
    # N16 resources mobilised by source
    sources: dict[str, int] = defaultdict(int)
    for c in clubs:
        for source, amount in (c.get("resources") or {}).items():
            sources[source] += int(amount)
    out["resources"] = dict(sorted(sources.items()))
    out["resources_total"] = sum(sources.values())
    return out
