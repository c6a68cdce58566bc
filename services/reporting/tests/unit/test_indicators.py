"""Indicators from per-club facts, with answers worked out by hand."""

from datetime import date
from typing import Any
from uuid import UUID

from reporting.application.indicators import (
    financially_independent,
    independence_due,
    roll_up,
    share,
)
from reporting.application.periods import parse_period

PERIOD = parse_period("2025")


def club(n: int, **facts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "club_id": UUID(int=n),
        "name": f"club {n}",
        "founded_on": date(2020, 1, 1),
        "legacy_province": "74",
        "legacy_province_name": "Bình Dương",
        "legacy_ward": f"2574{n}",
        "legacy_ward_name": f"ward {n}",
        "new_province": "79",
        "new_province_name": "Hồ Chí Minh",
        "new_ward": "25750",
        "new_ward_name": "Phú Lợi",
    }
    return {**base, **facts}


CLUBS = [
    club(
        1,
        members=50, new_members=10, women=35, older=30, younger=20, womens_union=20,
        disability=3, poor_members=6, poor_households=6, borrowers=25, older_checked=21,
        health_record=40, activity_areas=8, meetings_12m=12, has_ig_fund=True,
        has_activity_fund=True, ig_capital=30_000_000, loans_issued=10,
        loans_amount=50_000_000, outstanding=20_000_000, par30_outstanding=1_000_000,
        principal_due=40_000_000, principal_repaid_on_due=39_600_000, write_offs=1,
        write_off_amount=500_000, poor_supported=4, care_recipients=4, volunteers=6,
        weeks_evaluated=100, weeks_met=90, week_visits=190, visits=190, health_checks=21,
        own_income_12m=8_000_000, running_costs_12m=3_000_000,
        resources={"project": 30_000_000, "member_fee": 3_000_000},
        entitlements={"social_pension": {"opened": 3, "approved": 2, "people_helped": 2}},
        # both people approved live in one household
        households_helped={"social_pension": {UUID(int=901)}},
    ),
    club(
        2,
        founded_on=date(2025, 2, 1), legacy_province="75", legacy_province_name="Đồng Nai",
        members=30, new_members=30, women=15, older=12, younger=18, womens_union=10,
        disability=1, poor_members=0, poor_households=0, borrowers=5, activity_areas=6,
        meetings_12m=7, has_ig_fund=True, ig_capital=20_000_000, loans_issued=5,
        loans_amount=20_000_000, outstanding=15_000_000, principal_due=5_000_000,
        principal_repaid_on_due=5_000_000, volunteers=3, own_income_12m=1_000_000,
        running_costs_12m=2_000_000, resources={"member_fee": 1_000_000},
        entitlements={"social_pension": {"opened": 1, "approved": 1, "people_helped": 1}},
        households_helped={"social_pension": {UUID(int=902)}},
    ),
]  # fmt: skip


def test_share_is_a_rounded_percentage_and_none_without_a_whole() -> None:
    assert share(4_804, 10_486) == 45.8
    assert share(1, 0) is None


def test_financial_independence_from_month_24() -> None:
    assert financially_independent(5, 5)
    assert not financially_independent(4, 5)
    assert not financially_independent(0, 0)
    assert independence_due(date(2023, 1, 31), date(2025, 1, 31))
    assert not independence_due(date(2023, 2, 1), date(2025, 1, 31))


def test_every_indicator_at_club_level_and_nation() -> None:
    nation = roll_up(CLUBS, PERIOD, "nation", "legacy_63")[0].indicators
    assert nation["clubs_cumulative"] == 2
    assert nation["clubs_new"] == 1  # N1: club 2, founded in 2025
    assert nation["members"] == 80
    assert nation["older_members"] == 42
    assert nation["avg_members_per_club"] == 40.0
    assert nation["women_pct"] == 62.5  # 50/80
    assert nation["older_pct"] == 52.5  # 42/80
    assert nation["younger_pct"] == 47.5  # 38/80
    assert nation["womens_union_pct"] == 37.5
    # categories overlap: the shares do not add up to 100
    assert nation["women_pct"] + nation["older_pct"] + nation["womens_union_pct"] > 100
    assert nation["provinces_with_club"] == 2
    assert nation["provinces_with_club_pct"] == 3.2  # 2/63
    assert nation["communes_with_club"] == 2
    assert nation["clubs_well_managed"] == 1  # N6
    assert nation["borrowers_pct"] == 37.5  # N7: 30/80
    assert nation["clubs_with_both_funds_pct"] == 50.0  # N8
    assert nation["ig_capital_total"] == 50_000_000  # N9
    assert nation["ig_capital_avg"] == 25_000_000
    assert nation["clubs_ig_fund_ge_20m_pct"] == 100.0
    assert nation["clubs_ig_fund_ge_30m_pct"] == 50.0
    assert nation["loans_issued"] == 15  # N10
    assert nation["outstanding"] == 35_000_000
    assert nation["repayment_rate_pct"] == 99.1  # 44.6m / 45m
    assert nation["par30_pct"] == 2.9  # 1m / 35m
    assert nation["write_off_amount"] == 500_000
    assert nation["clubs_with_health_activity_pct"] == 50.0  # N11
    assert nation["older_checked_pct"] == 50.0  # 21/42
    assert nation["health_record_pct"] == 50.0  # 40/80
    assert nation["clubs_with_5_volunteers_pct"] == 50.0  # N12
    assert nation["weeks_target_met_pct"] == 90.0
    assert nation["visits_per_recipient_week"] == 1.9
    assert nation["entitlements"] == {
        "social_pension": {"opened": 4, "approved": 3, "people_helped": 3, "households_helped": 2}
    }  # N13: club 1's two people are one household
    assert nation["households_helped"] == 2
    # N15: club 2 is not yet 24 months old; club 1 covers its costs
    assert nation["clubs_evaluated_independence"] == 1
    assert nation["clubs_independent_pct"] == 100.0
    assert nation["resources"] == {"member_fee": 4_000_000, "project": 30_000_000}  # N16
    assert nation["resources_total"] == 34_000_000


def test_n13_counts_households_not_people() -> None:
    one_household, other = UUID(int=901), UUID(int=902)
    clubs = [
        club(1, households_helped={"social_pension": {one_household}}),  # two people, one home
        club(2, households_helped={"funeral_support": {one_household, other}}),
    ]
    for c in clubs:
        c["entitlements"] = {s: {"opened": 0, "approved": 0} for s in c["households_helped"]}
    first = roll_up(clubs, PERIOD, "club", "legacy_63")[0].indicators
    assert first["households_helped"] == 1
    assert first["entitlements"]["social_pension"]["households_helped"] == 1
    nation = roll_up(clubs, PERIOD, "nation", "legacy_63")[0].indicators
    # the household helped in both clubs and both schemes is one household of two
    assert nation["households_helped"] == 2
    assert nation["entitlements"]["social_pension"]["households_helped"] == 1
    assert nation["entitlements"]["funeral_support"]["households_helped"] == 2


def test_small_sensitive_cells_are_suppressed_outside_a_club() -> None:
    nation = roll_up(CLUBS, PERIOD, "nation", "legacy_63")[0]
    # disability 4 < 5, care recipients 4 < 5, poor households supported 4 < 5
    assert nation.indicators["disability_members"] is None
    assert nation.indicators["disability_pct"] is None
    assert nation.indicators["care_recipients"] is None
    assert nation.indicators["poor_households_supported"] is None
    assert nation.indicators["poor_members"] == 6  # not below 5
    assert set(nation.suppressed) >= {"disability_members", "care_recipients"}
    # inside a club nothing is suppressed
    first = roll_up(CLUBS, PERIOD, "club", "legacy_63")[0]
    assert first.indicators["disability_members"] == 3
    assert first.suppressed == []
    # a lower threshold lets the cell through
    low = roll_up(CLUBS, PERIOD, "nation", "legacy_63", threshold=2)[0]
    assert low.indicators["disability_members"] == 4


def test_both_maps_give_the_same_totals() -> None:
    old = roll_up(CLUBS, PERIOD, "province", "legacy_63")
    new = roll_up(CLUBS, PERIOD, "province", "2025_34")
    assert [r.unit for r in old] == ["74", "75"]
    assert [r.unit for r in new] == ["79"]  # both provinces merged into HCMC's unit here
    for name in ("members", "older_members", "loans_amount", "clubs_cumulative"):
        assert sum(r.indicators[name] for r in old) == new[0].indicators[name]


def test_a_club_without_a_unit_on_a_map_is_reported_as_unknown() -> None:
    orphan = club(3, members=5, legacy_province=None, legacy_ward=None)
    units = roll_up([*CLUBS, orphan], PERIOD, "province", "legacy_63")
    assert [r.unit for r in units] == ["74", "75", "unknown"]


def test_commune_coverage_against_the_map() -> None:
    communes = {"74": 91, "75": 170}
    provinces = roll_up(CLUBS, PERIOD, "province", "legacy_63", communes=communes)
    assert provinces[0].indicators["communes_total"] == 91
    assert provinces[0].indicators["communes_with_club_pct"] == 1.1  # 1 of 91
    nation = roll_up(CLUBS, PERIOD, "nation", "legacy_63", communes=communes)[0]
    assert nation.indicators["communes_total"] == 261
    assert nation.indicators["communes_with_club_pct"] == 0.8  # 2 of 261
    assert roll_up(CLUBS, PERIOD, "nation", "legacy_63")[0].indicators["communes_total"] is None


def test_reference_communes_per_province_on_both_maps() -> None:
    from reporting.application.reference import communes_per_province  # noqa: PLC0415

    new = communes_per_province("2025_34")
    old = communes_per_province("legacy_63")
    assert len(new) == 34 and sum(new.values()) == 3_321
    assert len(old) == 63 and old["74"] == 91
