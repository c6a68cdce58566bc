"""Admin units as effective-dated reference data, from `vietnam-provinces` (the 34 provinces
and their wards since 1 Jul 2025, official codes) and `vietnamadminunits` (parses a legacy
63-province address and converts it to the 2025 units).

Lives outside `domain` because it reads package data; the handler resolves a club's units
here and hands the dated history to the pure `establish_club`.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

import vietnam_provinces as vp
import vietnamadminunits as va  # type: ignore[import-untyped]

from ishc_contracts.membership.events import AdminUnitPeriod
from membership.domain.rules import ADMIN_MAP_2025_FROM

LEGACY_TO = ADMIN_MAP_2025_FROM - timedelta(days=1)


def resolve(
    admin_unit: str | None, legacy_address: str | None
) -> tuple[AdminUnitPeriod, ...] | None:
    """The club's unit in each map, oldest first; None when nothing matches.

    A 2025 ward code alone gives one period (a merged ward came from several old ones, so the
    old unit cannot be guessed); a legacy address gives both, split at 1 Jul 2025.
    """
    if legacy_address:
        return _from_legacy(legacy_address)
    if admin_unit:
        current = current_unit(admin_unit)
        return None if current is None else (current,)
    return None


@lru_cache(maxsize=4096)
def current_unit(code: str) -> AdminUnitPeriod | None:
    """`<ward>` or `<province>:<ward>` in the 2025 map. Official codes are zero-padded text
    (province "01", ward "00004"), as the legacy parser gives them."""
    province_part, _, ward_part = code.rpartition(":")
    if not ward_part.isdigit() or (province_part and not province_part.isdigit()):
        return None
    try:
        ward = vp.Ward.from_code(vp.WardCode(int(ward_part)))
    except ValueError:
        return None
    province = vp.Province.from_code(ward.province_code)
    if province_part and int(province_part) != int(ward.province_code):
        return None  # the ward is real but lies in another province: a typo, refuse it
    return AdminUnitPeriod(
        scheme="2025_34",
        province_code=str(int(ward.province_code)).zfill(2),
        province_name=province.name,
        ward_code=str(int(ward.code)).zfill(5),
        ward_name=ward.name,
        valid_from=ADMIN_MAP_2025_FROM,
    )


@lru_cache(maxsize=1024)
def _from_legacy(address: str) -> tuple[AdminUnitPeriod, ...] | None:
    old = va.parse_address(address, mode=va.ParseMode.LEGACY)
    new = va.convert_address(address)
    if not (old.ward_code and old.province_code and new.ward_code and new.province_code):
        return None
    legacy = AdminUnitPeriod(
        scheme="legacy_63",
        province_code=old.province_code,
        province_name=old.province,
        district_code=old.district_code,
        district_name=old.district,
        ward_code=old.ward_code,
        ward_name=old.ward,
        valid_to=LEGACY_TO,
    )
    current = current_unit(f"{new.province_code}:{new.ward_code}")
    if current is None:
        return None
    return (legacy, current)
