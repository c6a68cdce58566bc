"""The province filter and club-level suppression of `roll_up`, answers worked out by hand.

Four clubs: A in legacy Bình Dương (74), now Hồ Chí Minh (79); B in legacy Hồ Chí Minh (79),
still 79; C in Hà Nội (01 on both maps); D known on the 2025 map only (48, Đà Nẵng).
"""

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from reporting.application.indicators import in_provinces, roll_up
from reporting.application.periods import parse_period

pytestmark = pytest.mark.unit

PERIOD = parse_period("2025")


def club(n: int, legacy: str | None, new: str, members: int, disability: int) -> dict[str, Any]:
    return {
        "club_id": UUID(int=n),
        "name": f"club {n}",
        "founded_on": date(2024, 1, 1),
        "legacy_province": legacy,
        "legacy_province_name": legacy,
        "legacy_ward": None if legacy is None else f"{legacy}00{n}",
        "new_province": new,
        "new_province_name": new,
        "new_ward": f"{new}99{n}",
        "members": members,
        "disability": disability,
    }


A = club(1, "74", "79", members=10, disability=2)
B = club(2, "79", "79", members=20, disability=3)
C = club(3, "01", "01", members=30, disability=9)
D = club(4, None, "48", members=7, disability=0)
CLUBS = [A, B, C, D]


def members_by_unit(**kwargs: Any) -> dict[str, int]:
    reports = roll_up(CLUBS, PERIOD, **kwargs)
    return {r.unit: r.indicators["members"] for r in reports}


def test_a_kept_code_names_the_merged_province_on_the_2025_map() -> None:
    assert members_by_unit(level="province", scheme="2025_34", provinces=["79"]) == {"79": 30}


def test_the_same_officer_on_the_legacy_map_gets_both_old_provinces() -> None:
    got = members_by_unit(level="province", scheme="legacy_63", provinces=["79"])
    assert got == {"74": 10, "79": 20}


def test_a_retired_legacy_code_names_only_the_old_province() -> None:
    # 74 is not on the 2025 map: only club A, shown under its 2025 province.
    assert members_by_unit(level="province", scheme="2025_34", provinces=["74"]) == {"79": 10}
    assert members_by_unit(level="province", scheme="legacy_63", provinces=["74"]) == {"74": 10}


def test_nation_level_inside_the_provinces_counts_only_their_clubs() -> None:
    (nation,) = roll_up(CLUBS, PERIOD, "nation", "2025_34", provinces=["01", "48"])
    assert nation.indicators["members"] == 37
    assert nation.indicators["clubs_cumulative"] == 2
    assert nation.indicators["provinces_with_club"] == 2


def test_a_club_with_no_legacy_unit_stays_reported_as_unknown_on_the_legacy_map() -> None:
    assert members_by_unit(level="province", scheme="legacy_63", provinces=["48"]) == {"unknown": 7}


def test_no_province_listed_means_no_club_and_no_filter_means_all() -> None:
    assert members_by_unit(level="province", scheme="2025_34", provinces=[]) == {}
    assert members_by_unit(level="province", scheme="2025_34") == {"01": 30, "48": 7, "79": 30}


def test_suppression_still_applies_after_filtering() -> None:
    # Legacy 74 and 79 have 2 and 3 members with a disability: below 5, both suppressed;
    # merged 79 has 5: shown.
    legacy = roll_up(CLUBS, PERIOD, "province", "legacy_63", provinces=["79"])
    assert [r.indicators["disability_members"] for r in legacy] == [None, None]
    assert all("disability_members" in r.suppressed for r in legacy)
    (merged,) = roll_up(CLUBS, PERIOD, "province", "2025_34", provinces=["79"])
    assert merged.indicators["disability_members"] == 5
    assert merged.indicators["disability_pct"] == 16.7  # 5 of 30


def test_club_level_cells_are_suppressed_only_when_asked() -> None:
    (own,) = roll_up(CLUBS, PERIOD, "club", "2025_34", unit=str(A["club_id"]))
    assert own.indicators["disability_members"] == 2
    assert own.suppressed == []
    (outside,) = roll_up(
        CLUBS, PERIOD, "club", "2025_34", unit=str(A["club_id"]), suppress_clubs=True
    )
    assert outside.indicators["disability_members"] is None
    assert outside.indicators["disability_pct"] is None
    assert "disability_members" in outside.suppressed


def test_in_provinces_matches_either_map() -> None:
    assert in_provinces(A, ["74"]) and in_provinces(A, ["79"])
    assert not in_provinces(A, ["01"])
    assert not in_provinces(D, ["74"])


def test_a_commune_filter_keeps_only_that_communes_clubs_on_the_chosen_map() -> None:
    # A and B share province 79 but not a commune: the drill-down from a commune gets one.
    got = members_by_unit(
        level="club", scheme="2025_34", provinces=["79"], within_communes=["79:79991"]
    )
    assert got == {str(A["club_id"]): 10}
    # The same commune key means nothing on the other map.
    none = members_by_unit(
        level="club", scheme="legacy_63", provinces=["79"], within_communes=["79:79991"]
    )
    assert none == {}
    legacy = members_by_unit(level="club", scheme="legacy_63", within_communes=["74:74001"])
    assert legacy == {str(A["club_id"]): 10}


def test_a_commune_outside_the_provinces_reports_nothing() -> None:
    # An officer of 01 naming a commune of 79: the province scope still holds.
    assert (
        members_by_unit(
            level="club", scheme="2025_34", provinces=["01"], within_communes=["79:79991"]
        )
        == {}
    )
