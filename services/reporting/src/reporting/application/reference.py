"""Admin reference data for coverage denominators (N2, N3): communes/wards per province on
each map, from `vietnam-provinces` (2025: 34 provinces, 3,321 wards) and
`vietnamadminunits` (legacy: 63 provinces, 10,035 wards)."""

from __future__ import annotations

from functools import lru_cache

import vietnam_provinces as vp
from vietnamadminunits.database.main import query  # type: ignore[import-untyped]

from reporting.application.indicators import Scheme


@lru_cache(maxsize=2)
def communes_per_province(scheme: Scheme) -> dict[str, int]:
    """Province code (two digits, as clubs carry it) → number of communes/wards."""
    if scheme == "2025_34":
        return {
            str(int(p.code)).zfill(2): sum(1 for _ in vp.Ward.iter_by_province(p.code))
            for p in vp.Province.iter_all()
        }
    rows = query(
        "SELECT provinceCode, count(DISTINCT wardCode) AS n FROM admin_units_legacy"
        " GROUP BY provinceCode"
    )
    return {str(row["provinceCode"]).zfill(2): int(row["n"]) for row in rows}
