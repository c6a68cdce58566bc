"""What the simulator builds: parameters, the network plan (where clubs are, when they were
founded, who their members are) and the Binh Duong fixture with its exact published counts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal
from uuid import UUID

from vietnamadminunits.database.main import query  # type: ignore[import-untyped]

from ishc_contracts.membership.events import AdminUnitPeriod
from membership.reference import admin_units

ServiceName = Literal["membership", "finance", "care", "advocacy"]
ALL_SERVICES: tuple[ServiceName, ...] = ("membership", "finance", "care", "advocacy")


@dataclass(frozen=True)
class Params:
    """Defaults reproduce the seeds' scale; tests pass a tiny one."""

    clubs: int = 1_535
    provinces: int = 57
    years: int = 10
    start_year: int = 2016
    members_per_club: float = 80.0
    older_share: float = 0.60
    women_share: float = 0.65
    womens_union_share: float = 0.45  # of all members; Women's Union members are women
    poor_share: float = 0.10
    disability_share: float = 0.05
    borrowers_per_year: float = 0.30  # loans a year per member
    late_loan_share: float = 0.05
    care_per_club: float = 7_000 / 1_535  # seeds: 7,000 recipients over 1,535 clubs
    claims_per_club_year: float = 0.65
    health_check_share: float = 0.70
    seed: int = 1
    services: tuple[ServiceName, ...] = ALL_SERVICES
    as_of: date | None = None  # the simulation's "today"; default: the last year's 31 Dec

    @property
    def end(self) -> date:
        return self.as_of or date(self.start_year + self.years - 1, 12, 31)


@dataclass(frozen=True)
class Profile:
    """One member as planned: independent category flags."""

    sex: Literal["female", "male"]
    birth_date: date
    womens_union: bool = False
    poor: bool = False
    disability: bool = False


@dataclass(frozen=True)
class ClubPlan:
    name: str
    address: str
    units: tuple[AdminUnitPeriod, ...]
    founded_on: date
    profiles: tuple[Profile, ...] = field(default=())


def uid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


@lru_cache(maxsize=1)
def legacy_wards() -> dict[str, list[tuple[str, str, str]]]:
    """Legacy (63-province) wards by province code: (ward, district, province) names."""
    rows = query(
        "SELECT provinceCode, province, district, ward FROM admin_units_legacy"
        " ORDER BY provinceCode, districtCode, wardCode"
    )
    wards: dict[str, list[tuple[str, str, str]]] = {}
    for row in rows:
        wards.setdefault(row["provinceCode"], []).append(
            (row["ward"], row["district"], row["province"])
        )
    return wards


def place(rng: random.Random, province: str) -> tuple[str, tuple[AdminUnitPeriod, ...]]:
    """A ward of a legacy province that resolves in both maps, as membership resolves it."""
    wards = legacy_wards()[province]
    for _ in range(50):
        ward, district, province_name = rng.choice(wards)
        address = f"{ward}, {district}, {province_name}"
        units = admin_units.resolve(None, address)
        if units:
            return address, units
    msg = f"no ward of province {province} resolves"
    raise LookupError(msg)


def birth_date(rng: random.Random, older: bool, on: date) -> date:
    """Someone aged 60-85 (older) or 35-59 on `on`."""
    years = rng.randint(60, 85) if older else rng.randint(35, 58)
    anniversary = date(on.year - years, on.month, min(on.day, 28))
    return anniversary - timedelta(days=rng.randint(0, 360))


def random_profile(rng: random.Random, p: Params) -> Profile:
    female = rng.random() < p.women_share
    wu = female and rng.random() < p.womens_union_share / max(p.women_share, 1e-9)
    return Profile(
        sex="female" if female else "male",
        birth_date=birth_date(rng, rng.random() < p.older_share, p.end),
        womens_union=wu,
        poor=rng.random() < p.poor_share,
        disability=rng.random() < p.disability_share,
    )


def plan_network(p: Params) -> list[ClubPlan]:
    """Clubs spread over `provinces` legacy provinces (round robin, so each gets one),
    founded over the first 70 % of the years, members around `members_per_club`."""
    rng = random.Random(p.seed)  # noqa: S311 - a seeded simulation
    provinces = sorted(rng.sample(sorted(legacy_wards()), min(p.provinces, 63)))
    first = date(p.start_year, 1, 1)
    span = max(1, int((p.end - first).days * 0.7))
    plans = []
    for n in range(p.clubs):
        address, units = place(rng, provinces[n % len(provinces)])
        size = max(10, round(rng.gauss(p.members_per_club, p.members_per_club * 0.15)))
        plans.append(
            ClubPlan(
                name=f"CLB LHTH {n + 1}",
                address=address,
                units=units,
                founded_on=first + timedelta(days=rng.randint(0, span)),
                profiles=tuple(random_profile(rng, p) for _ in range(size)),
            )
        )
    return plans


# Bình Dương, May 2025 (domain reference §c): the published table.
BINH_DUONG_PROVINCE = "74"
BINH_DUONG: dict[str, int] = {
    "clubs": 133,
    "members": 10_486,
    "older": 4_804,
    "womens_union": 4_684,
    "poor_households": 998,
}
BINH_DUONG_AS_OF = date(2025, 5, 31)


def binh_duong_plans(seed: int = 7) -> tuple[Params, list[ClubPlan]]:
    """133 clubs in legacy Bình Dương with exactly the published counts (one household per
    member, so 998 poor households are 998 poor members). Flags are dealt independently."""
    rng = random.Random(seed)  # noqa: S311 - a seeded simulation
    t = BINH_DUONG
    members, clubs = t["members"], t["clubs"]
    older = set(rng.sample(range(members), t["older"]))
    wu = set(rng.sample(range(members), t["womens_union"]))
    poor = set(rng.sample(range(members), t["poor_households"]))
    profiles = [
        Profile(
            sex="female" if i in wu or rng.random() < 0.5 else "male",
            birth_date=birth_date(rng, i in older, BINH_DUONG_AS_OF),
            womens_union=i in wu,
            poor=i in poor,
        )
        for i in range(members)
    ]
    base, extra = divmod(members, clubs)
    plans, start = [], 0
    for n in range(clubs):
        size = base + (1 if n < extra else 0)
        address, units = place(rng, BINH_DUONG_PROVINCE)
        plans.append(
            ClubPlan(
                name=f"CLB LHTH Bình Dương {n + 1}",
                address=address,
                units=units,
                founded_on=date(2021, 1, 1) + timedelta(days=rng.randint(0, 1200)),
                profiles=tuple(profiles[start : start + size]),
            )
        )
        start += size
    params = replace(Params(), clubs=clubs, services=("membership",), as_of=BINH_DUONG_AS_OF)
    return params, plans
