"""Admin units from the field's packages, and the policy helpers."""

from __future__ import annotations

from datetime import date

import pytest

from membership.domain.rules import age_on, composition_targets
from membership.reference.admin_units import resolve

pytestmark = pytest.mark.unit


def test_a_legacy_address_gives_the_old_and_the_new_unit_split_at_1_july_2025() -> None:
    units = resolve(None, "Phường Phú Lợi, Thành phố Thủ Dầu Một, Tỉnh Bình Dương")
    assert units is not None
    legacy, current = units
    assert (legacy.scheme, legacy.province_code, legacy.district_name) == (
        "legacy_63",
        "74",
        "Thành phố Thủ Dầu Một",
    )
    assert legacy.valid_to == date(2025, 6, 30)
    assert (current.scheme, current.province_code, current.ward_code) == ("2025_34", "79", "25750")
    assert current.ward_name == "Phường Phú Lợi"
    assert current.province_name == "Thành phố Hồ Chí Minh"
    assert current.valid_from == date(2025, 7, 1)


@pytest.mark.parametrize("code", ["25750", "79:25750"])
def test_a_2025_ward_code_resolves(code: str) -> None:
    units = resolve(code, None)
    assert units is not None and units[-1].ward_code == "25750"


@pytest.mark.parametrize("code", ["99999", "01:25750", "abc", ""])
def test_unknown_or_inconsistent_codes_do_not_resolve(code: str) -> None:
    assert resolve(code, None) is None


def test_an_unparseable_address_does_not_resolve() -> None:
    assert resolve(None, "somewhere over the rainbow") is None


def test_age_is_computed_at_the_reporting_date() -> None:
    born = date(1966, 12, 1)
    assert age_on(born, date(2026, 11, 30)) == 59
    assert age_on(born, date(2026, 12, 1)) == 60


def test_composition_targets_are_looked_up_by_date() -> None:
    targets = composition_targets(date(2026, 1, 1))
    assert (targets.min_members, targets.max_members, targets.older_age) == (50, 70, 60)
