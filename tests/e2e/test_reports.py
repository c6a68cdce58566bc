"""Reports through the gateway, against the real services and the reporting projections.

A secretary admits members to a club founded in legacy Bình Dương (74), which has been part of
Hồ Chí Minh City (79) since 1 Jul 2025; the indicators are waited for (the projections catch
up over JetStream) and read by the roles the gateway scopes: the officer of that province on
either map and as JSON, CSV and XLSX with the same numbers; an officer of another province,
a volunteer, and the club's own secretary.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from openpyxl import load_workbook  # type: ignore[import-untyped]

from ishc_contracts import new_id
from ishc_runtime.clock import VN_TZ
from ishc_runtime.testing.waiting import wait_until

from .harness import System

pytestmark = pytest.mark.e2e

TODAY = datetime.now(VN_TZ).date()
PERIOD = TODAY.strftime("%Y-%m")
PROPAGATION_SECONDS = 30.0
JSON, CSV, XLSX = (
    "/v1/reports/indicators",
    "/v1/reports/indicators.csv",
    "/v1/reports/indicators.xlsx",
)
BINH_DUONG_CLUB = UUID("0193a000-0000-7000-8000-0000000000c1")
HANOI_CLUB = UUID("0193a000-0000-7000-8000-0000000000c2")
MEMBERS = (("Nguyễn Thị Lan", "female", 1950), ("Trần Văn Nam", "male", 1972))
HANOI_MEMBERS = (("Lê Thị Hoa", "female", 1948),)


@dataclass
class Tokens:
    secretary: str
    volunteer: str
    officer_hcmc: str  # 79: a code on the 2025 map
    officer_binh_duong: str  # 74: a legacy code the 2025 map retired
    officer_hanoi: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def admit(system: System, secretary: str, club: UUID, people: Any) -> None:
    for full_name, sex, year in people:
        body = {
            "member_id": str(new_id()),
            "person_id": str(new_id()),
            "club_id": str(club),
            "full_name": full_name,
            "sex": sex,
            "birth_date": f"{year}-03-01",
            "joined_on": (TODAY - timedelta(days=20)).isoformat(),
        }
        await system.command(secretary, "membership", "admit-member", body)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def tokens(system: System) -> Tokens:
    admin = await system.token(user="admin")
    for club, name, unit in (
        (
            BINH_DUONG_CLUB,
            "CLB Liên thế hệ tự giúp nhau Phú Lợi",
            {"legacy_address": "Phường Phú Lợi, Thành phố Thủ Dầu Một, Tỉnh Bình Dương"},
        ),
        (HANOI_CLUB, "CLB Liên thế hệ tự giúp nhau Hoàn Kiếm", {"admin_unit": "01:00070"}),
    ):
        await system.command(
            admin,
            "membership",
            "establish-club",
            {"club_id": str(club), "name": name, "founded_on": "2024-03-21", **unit},
        )
    secretary = await system.token(
        sub="secretary-phu-loi", role="club_secretary", club_ids=[str(BINH_DUONG_CLUB)]
    )
    await admit(system, secretary, BINH_DUONG_CLUB, MEMBERS)
    hanoi_secretary = await system.token(
        sub="secretary-hoan-kiem", role="club_secretary", club_ids=[str(HANOI_CLUB)]
    )
    await admit(system, hanoi_secretary, HANOI_CLUB, HANOI_MEMBERS)

    def officer(code: str) -> dict[str, Any]:
        return {"sub": f"officer-{code}", "role": "provincial_officer", "province_codes": [code]}

    return Tokens(
        secretary=secretary,
        volunteer=await system.token(
            sub="volunteer-phu-loi", role="volunteer", club_ids=[str(BINH_DUONG_CLUB)]
        ),
        officer_hcmc=await system.token(**officer("79")),
        officer_binh_duong=await system.token(**officer("74")),
        officer_hanoi=await system.token(**officer("01")),
    )


async def report(system: System, token: str, route: str = JSON, **params: Any) -> httpx.Response:
    return await system.http.get(route, params={"period": PERIOD, **params}, headers=bearer(token))


async def members_by_unit(system: System, token: str, **params: Any) -> dict[str, int]:
    response = await report(system, token, **params)
    assert response.status_code == 200, response.text
    return {u["unit"]: u["indicators"]["members"] for u in response.json()["data"]["units"]}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def counted(system: System, tokens: Tokens) -> None:
    """Wait until reporting's projections count every member admitted."""

    async def caught_up() -> bool:
        hcmc = await members_by_unit(system, tokens.officer_hcmc, level="province")
        hanoi = await members_by_unit(system, tokens.officer_hanoi, level="province")
        return hcmc == {"79": len(MEMBERS)} and hanoi == {"01": len(HANOI_MEMBERS)}

    await wait_until(
        caught_up, timeout=PROPAGATION_SECONDS, interval=0.2, message="reporting counts them"
    )


@pytest.mark.usefixtures("counted")
async def test_the_provincial_officer_sees_their_province_on_both_maps(
    system: System, tokens: Tokens
) -> None:
    (unit,) = (await report(system, tokens.officer_hcmc, level="province")).json()["data"]["units"]
    assert unit["unit"] == "79"
    assert unit["indicators"]["older_members"] == 1  # born 1950; the other in 1972
    assert unit["indicators"]["clubs_cumulative"] == 1
    # Small cells are suppressed at province level (2 women < 5 is not sensitive; poverty is).
    assert "poor_members" in unit["suppressed"]

    legacy = await members_by_unit(
        system, tokens.officer_hcmc, level="province", scheme="legacy_63"
    )
    assert legacy == {"74": len(MEMBERS)}
    # An officer named by the retired legacy code has the same club on either map.
    assert await members_by_unit(
        system, tokens.officer_binh_duong, level="province", scheme="legacy_63"
    ) == {"74": len(MEMBERS)}
    assert await members_by_unit(system, tokens.officer_binh_duong, level="club") == {
        str(BINH_DUONG_CLUB): len(MEMBERS)
    }


@pytest.mark.usefixtures("counted")
async def test_csv_and_xlsx_carry_the_same_numbers(system: System, tokens: Tokens) -> None:
    answer = await report(system, tokens.officer_hcmc, level="province")
    (unit,) = answer.json()["data"]["units"]

    as_csv = await report(system, tokens.officer_hcmc, CSV, level="province")
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = as_csv.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith('.csv"')
    (row,) = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert row["unit"] == "79"
    assert int(row["members"]) == unit["indicators"]["members"] == len(MEMBERS)
    assert int(row["older_members"]) == unit["indicators"]["older_members"]

    as_xlsx = await report(system, tokens.officer_hcmc, XLSX, level="province")
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert as_xlsx.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    (cells,) = rows
    by_column = dict(zip(header, cells, strict=True))
    assert by_column["unit"] == "79"
    assert by_column["members"] == unit["indicators"]["members"]
    assert by_column["older_members"] == unit["indicators"]["older_members"]


@pytest.mark.usefixtures("counted")
async def test_other_scopes_are_refused_without_revealing_anything(
    system: System, tokens: Tokens
) -> None:
    # Another province's officer: its unit and its province are absent from their scope.
    for params in (
        {"level": "province", "unit": "79"},
        {"level": "province", "province": "79"},
        {"level": "club", "unit": str(BINH_DUONG_CLUB)},
    ):
        for route in (JSON, CSV, XLSX):
            refused = await report(system, tokens.officer_hanoi, route, **params)
            assert refused.status_code == 404, (route, params, refused.text)
    assert await members_by_unit(system, tokens.officer_hanoi, level="club") == {
        str(HANOI_CLUB): len(HANOI_MEMBERS)
    }
    # Officers do not read the nation; volunteers read no report.
    assert (await report(system, tokens.officer_hcmc, level="nation")).status_code == 403
    for route in (JSON, CSV, XLSX):
        assert (await report(system, tokens.volunteer, route, level="club")).status_code == 403


@pytest.mark.usefixtures("counted")
async def test_the_secretary_reads_their_own_club_unsuppressed(
    system: System, tokens: Tokens
) -> None:
    own = await report(system, tokens.secretary, level="club")
    assert own.status_code == 200, own.text
    (unit,) = own.json()["data"]["units"]
    assert unit["unit"] == str(BINH_DUONG_CLUB)
    assert unit["indicators"]["members"] == len(MEMBERS)
    assert unit["suppressed"] == []
    other = await report(system, tokens.secretary, level="club", unit=str(HANOI_CLUB))
    assert other.status_code == 404
    assert (await report(system, tokens.secretary, level="province")).status_code == 403
