"""Every indicator through the real projections, on a hand-built scenario (scenario.py).

Reporting date 2025-12-31 (period "2025"). Club A (legacy Bình Dương 74 → new HCMC 79) has
members M1-M5, M4 left in June: 4 members. Club B (Hà Nội, 2025 map only) has M6."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from nats.aio.client import Client

from ishc_contracts import SYSTEM_ACTOR, QueryEnvelope
from ishc_runtime.clock import vn_date
from ishc_runtime.service import Service, ask

from . import scenario
from .helpers import ask_reporting, indicators, units

pytestmark = pytest.mark.integration

A = str(scenario.A)
B = str(scenario.B)


async def club_a(nc: Client, **params: Any) -> dict[str, Any]:
    result = await indicators(nc, period="2025", level="club", unit=A, **params)
    assert [u["unit"] for u in result["units"]] == [A]
    indicators_: dict[str, Any] = result["units"][0]["indicators"]
    return indicators_


async def test_every_indicator_of_a_club(loaded: Service, nats_client: Client) -> None:
    a = await club_a(nats_client)
    expected = {
        # N1
        "clubs_cumulative": 1, "clubs_new": 0, "clubs_active": 1,
        # N4: M4 left in June; M2 joined in 2025
        "members": 4, "new_members": 1, "older_members": 3,
        # N5: women M1 M2 M5; older M1, M3 (60 on the day), M5; younger M2
        "women_pct": 75.0, "older_pct": 75.0, "younger_pct": 25.0,
        "womens_union_members": 2, "womens_union_pct": 50.0,
        "poor_members": 1, "poor_households": 1, "poor_pct": 25.0,  # M5 escaped poverty
        "disability_members": 1, "disability_pct": 25.0,
        # N6: all eight areas and ten meetings in the last 12 months
        "clubs_well_managed": 1,
        # N7: M1, M3, M5 borrowed
        "borrowers": 3, "borrowers_pct": 75.0,
        # N8, N9
        "clubs_with_both_funds": 1, "ig_capital_total": 30_000_000,
        "clubs_ig_fund_ge_20m_pct": 100.0, "clubs_ig_fund_ge_30m_pct": 100.0,
        # N10: L1 6m and L3 3m issued in 2025; L1 has 2m left, late > 30 days; L3 written off;
        # due to date 13m, repaid against it 8m
        "loans_issued": 2, "loans_amount": 9_000_000, "outstanding": 2_000_000,
        "repayment_rate_pct": 61.5, "par30_pct": 100.0,
        "write_offs": 1, "write_off_amount": 3_000_000,
        # N11: M1 checked in 2025 (M3 in 2024): 1 of 3 older; records for M1 and M3
        "health_checks": 1, "clubs_with_health_activity_pct": 100.0,
        "older_checked_pct": 33.3, "health_record_pct": 50.0,
        # N12: one recipient, 5 volunteers, 4 visits, two weeks both met (one late)
        "care_recipients": 1, "volunteers": 5, "clubs_with_5_volunteers_pct": 100.0,
        "visits": 4, "weeks_target_met_pct": 100.0, "visits_per_recipient_week": 2.0,
        # N13: P1 and P5 got a pension; M4 (of M1's household) a funeral grant. Three
        # people, two households: H1 counts once across its two people and schemes.
        "entitlements": {
            "funeral_support": {
                "opened": 1, "approved": 1, "people_helped": 1, "households_helped": 1,
            },
            "health_insurance": {
                "opened": 1, "approved": 0, "people_helped": 0, "households_helped": 0,
            },
            "social_pension": {
                "opened": 1, "approved": 2, "people_helped": 2, "households_helped": 2,
            },
        },
        "entitlement_cases_opened": 3, "entitlement_cases_approved": 3,
        "households_helped": 2,
        # N14: M1's household (poor when it got L1 and the cow); M5 was no longer poor
        "poor_households_supported": 1,
        # N15: 24 months old; own income 180k fees + 150k interest + 500k donation >= 600k aid
        "clubs_evaluated_independence": 1, "clubs_independent": 1,
        # N16: 2025 only (the 2023 seed capital is outside the period)
        "resources": {"donation": 500_000, "member_fee": 180_000}, "resources_total": 680_000,
    }  # fmt: skip
    assert {k: a[k] for k in expected} == expected


async def test_the_nation_on_both_maps(loaded: Service, nats_client: Client) -> None:
    old = units(await indicators(nats_client, period="2025", level="province", scheme="legacy_63"))
    new = units(await indicators(nats_client, period="2025", level="province", scheme="2025_34"))
    assert sorted(old) == ["74", "unknown"]  # club B has no legacy unit
    assert sorted(new) == ["01", "79"]
    for name in ("members", "older_members", "loans_amount", "clubs_cumulative", "visits"):
        assert sum(u["indicators"][name] for u in old.values()) == sum(
            u["indicators"][name] for u in new.values()
        )
    old_nation = (await indicators(nats_client, period="2025", scheme="legacy_63"))["units"][0]
    new_nation = (await indicators(nats_client, period="2025", scheme="2025_34"))["units"][0]
    assert old_nation["indicators"]["members"] == new_nation["indicators"]["members"] == 5
    assert old_nation["indicators"]["clubs_new"] == 1  # club B
    assert old_nation["indicators"]["clubs_active"] == 1  # club B is dormant since October
    june = (await indicators(nats_client, period="2025-06"))["units"][0]["indicators"]
    assert june["clubs_active"] == 2
    assert old_nation["indicators"]["provinces_with_club"] == 1
    assert new_nation["indicators"]["provinces_with_club"] == 2
    assert new_nation["indicators"]["provinces_with_club_pct"] == 5.9  # 2 of 34
    assert old_nation["indicators"]["clubs_with_both_funds_pct"] == 50.0


async def test_small_sensitive_cells_are_suppressed_above_a_club(
    loaded: Service, nats_client: Client
) -> None:
    nation = (await indicators(nats_client, period="2025"))["units"][0]
    for name in ("disability_members", "poor_members", "care_recipients", "poor_pct"):
        assert nation["indicators"][name] is None
        assert name in nation["suppressed"]
    assert nation["indicators"]["members"] == 5  # not sensitive
    assert (await club_a(nats_client))["disability_members"] == 1  # a club sees its own


async def test_a_month_and_a_quarter(loaded: Service, nats_client: Client) -> None:
    may = (await indicators(nats_client, period="2025-05", level="club", unit=A))["units"][0]
    assert may["indicators"]["members"] == 5  # M4 is still a member
    june = (await indicators(nats_client, period="2025-06", level="club", unit=A))["units"][0]
    assert june["indicators"]["members"] == 4  # M4 left on 30 June
    assert june["indicators"]["loans_issued"] == 0
    q1 = (await indicators(nats_client, period="2025-Q1", level="club", unit=A))["units"][0]
    assert q1["indicators"]["loans_issued"] == 2
    assert q1["indicators"]["visits"] == 4


async def test_a_member_counts_in_the_household_of_the_reporting_date(
    loaded: Service, nats_client: Client
) -> None:
    # 2025 (test_every_indicator_of_a_club): M5 in H5, out of poverty; one poor member. This
    # month M5 has moved into M1's poor household H1: two poor members, still one household.
    this_month = vn_date(datetime.now(UTC)).strftime("%Y-%m")
    now = (await indicators(nats_client, period=this_month, level="club", unit=A))["units"][0]
    assert (now["indicators"]["poor_members"], now["indicators"]["poor_households"]) == (2, 1)


async def test_a_bad_period_is_a_validation_problem(loaded: Service, nats_client: Client) -> None:

    reply = await ask(
        nats_client,
        "reporting",
        QueryEnvelope(type="Indicators", actor=SYSTEM_ACTOR, params={"period": "2022-2024"}),
    )
    assert not reply.ok and reply.problem is not None
    assert reply.problem.type == "validation"


async def test_export_as_csv_and_xlsx_over_nats(loaded: Service, nats_client: Client) -> None:
    for fmt in ("csv", "xlsx"):
        export = await ask_reporting(
            nats_client, "ExportIndicators", period="2025", level="province", format=fmt
        )
        assert export["filename"] == f"ishc-indicators-2025-province-2025_34.{fmt}"
        content = base64.b64decode(export["content_base64"])
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(content.decode())))
            assert [r["unit"] for r in rows] == ["01", "79"]
            assert rows[1]["members"] == "4"
            assert rows[1]["disability_members"] == ""  # suppressed
        else:
            assert content[:2] == b"PK"  # a zip: the xlsx container


async def test_clubs_over_time_agree_with_each_months_report(
    loaded: Service, nats_client: Client
) -> None:
    months = ["2022-12", "2023-01", "2025-02", "2025-03"]
    over_time = await ask_reporting(nats_client, "ClubsOverTime", months=months)
    counts = [m["clubs_cumulative"] for m in over_time["months"]]
    # A founded 10 Jan 2023, B 1 Mar 2025.
    assert counts == [0, 1, 1, 2]
    for month, count in zip(months, counts, strict=True):
        report = (await indicators(nats_client, period=month))["units"]
        assert sum(u["indicators"]["clubs_cumulative"] for u in report) == count
    assert over_time["basis"]["complete"] is True

    # Provinces on either map: 01 (Ha Noi) holds B; 74 (legacy Binh Duong) holds A.
    for provinces, expected in ((["01"], 1), (["74"], 1), (["01", "79"], 2), (["02"], 0)):
        scoped = await ask_reporting(
            nats_client, "ClubsOverTime", months=["2025-03"], provinces=provinces
        )
        assert scoped["months"] == [{"month": "2025-03", "clubs_cumulative": expected}]
