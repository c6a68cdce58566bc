"""The policy-parameter table shipped with this release (domain reference §2).

Data, not code: rules read these rows by (scheme, key, date). Change a value or add a period
by adding rows and bumping VERSION; past screenings keep the version they were made with.
"""

from __future__ import annotations

from datetime import date

from advocacy.domain.parameters import Parameter, ParameterTable

VERSION = "vn-2025-07-01.1"

D20 = "Decree 20/2021/ND-CP"
D76 = "Decree 76/2024/ND-CP"
SP = "Law on Social Insurance 2024 Art. 21; Decree 176/2025/ND-CP"
HI = "Law on Health Insurance; Decree 146/2018/ND-CP, then Decree 188/2025/ND-CP"
D07 = "Decree 07/2021/ND-CP (extended through 2026)"
P27 = "Poverty standard 2027-2030 (decree number to confirm)"

JUL_2021, JUL_2024, JUL_2025 = date(2021, 7, 1), date(2024, 7, 1), date(2025, 7, 1)


def _p(scheme: str, key: str, value: int, start: date, end: date | None, basis: str) -> Parameter:
    return Parameter(scheme, key, value, start, end, basis)


ROWS: tuple[Parameter, ...] = (
    _p("base", "assistance_level_vnd", 360_000, JUL_2021, date(2024, 6, 30), D20 + " Art. 4"),
    _p("base", "assistance_level_vnd", 500_000, JUL_2024, None, D76),
    # Social pension (from 1 Jul 2025; replaces the 80+ without-pension allowance).
    _p("social_pension", "min_age", 75, JUL_2025, None, SP),
    _p("social_pension", "min_age_poor_household", 70, JUL_2025, None, SP),
    _p("social_pension", "pension_ceiling_vnd", 500_000, JUL_2025, None, SP),
    _p("social_pension", "monthly_amount_vnd", 500_000, JUL_2025, None, SP),
    _p("social_pension", "decision_working_days", 10, JUL_2025, None, SP),
    # Monthly social allowance for older people (Decree 20/2021 Art. 5-6).
    _p("social_allowance_elderly", "poor_alone_min_age", 60, JUL_2021, None, D20 + " Art. 5"),
    _p("social_allowance_elderly", "poor_alone_coef_pct", 150, JUL_2021, None, D20 + " Art. 6"),
    _p("social_allowance_elderly", "oldest_age", 80, JUL_2021, None, D20 + " Art. 5"),
    _p("social_allowance_elderly", "poor_alone_80_coef_pct", 200, JUL_2021, None, D20 + " Art. 6"),
    _p("social_allowance_elderly", "difficult_commune_min_age", 75, JUL_2021, None, D20),
    _p("social_allowance_elderly", "difficult_commune_coef_pct", 100, JUL_2021, None, D20),
    _p(
        "social_allowance_elderly",
        "no_pension_80_coef_pct",
        100,
        JUL_2021,
        date(2025, 6, 30),
        D20 + " Art. 5 (replaced by the social pension on 1 Jul 2025)",
    ),
    # Disability allowance (Decree 20/2021 Art. 6).
    _p("disability_allowance", "severe_coef_pct", 150, JUL_2021, None, D20 + " Art. 6"),
    _p("disability_allowance", "especially_severe_coef_pct", 200, JUL_2021, None, D20),
    _p("disability_allowance", "vulnerable_severe_coef_pct", 200, JUL_2021, None, D20),
    _p("disability_allowance", "vulnerable_especially_severe_coef_pct", 250, JUL_2021, None, D20),
    _p("disability_allowance", "child_below_age", 16, JUL_2021, None, D20),
    _p("disability_allowance", "older_min_age", 60, JUL_2021, None, D20),
    # Health-insurance card support (state share of the premium).
    _p("health_insurance", "poor_share_pct", 100, JUL_2021, None, HI),
    _p("health_insurance", "near_poor_share_pct", 70, JUL_2021, None, HI),
    _p("health_insurance", "social_pension_share_pct", 100, JUL_2025, None, SP),
    # Funeral support: 20 x base level for allowance and social-pension recipients.
    _p("funeral_support", "coef_pct", 2_000, JUL_2021, None, D20 + " Art. 11"),
    # Poverty certification: decision and certificate within 15 days of the request.
    _p(
        "poverty_certification",
        "decision_calendar_days",
        15,
        JUL_2021,
        None,
        "Decision 24/2021/QD-TTg",
    ),
    # Poverty lines, VND per person per month (income criterion only).
    _p("poverty_line", "rural_income_vnd", 1_500_000, date(2022, 1, 1), date(2026, 12, 31), D07),
    _p("poverty_line", "urban_income_vnd", 2_000_000, date(2022, 1, 1), date(2026, 12, 31), D07),
    _p("poverty_line", "rural_income_vnd", 2_200_000, date(2027, 1, 1), date(2030, 12, 31), P27),
    _p("poverty_line", "urban_income_vnd", 2_800_000, date(2027, 1, 1), date(2030, 12, 31), P27),
    _p("poverty_line", "min_deprivations_poor", 3, date(2022, 1, 1), date(2030, 12, 31), D07),
)

TABLE = ParameterTable(VERSION, ROWS)
