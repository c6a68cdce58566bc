"""The simulator is deterministic and drives the services' own decide/evolve functions."""

import random
from dataclasses import replace

from ishc_contracts.finance.events import LoanIssued
from ishc_contracts.membership.events import ClubEstablished, MemberJoined
from ishc_simulator.club import simulate_club
from ishc_simulator.load import component_groups
from ishc_simulator.world import BINH_DUONG, Params, binh_duong_plans, plan_network

TINY = replace(
    Params(), clubs=2, provinces=2, years=2, start_year=2024, members_per_club=15,
    care_per_club=1.0, seed=3,
)  # fmt: skip


def events(seed: int) -> list[tuple[str, str, dict[str, object]]]:
    params = replace(TINY, seed=seed)
    rng = random.Random(seed)
    out = []
    for plan in plan_network(params):
        for service, book in simulate_club(plan, params, rng).items():
            for write in book.drain():
                out += [(service, write.stream_id, e.model_dump()) for e in write.events]
    return out


def test_the_same_seed_gives_the_same_events() -> None:
    first = events(3)
    assert first == events(3)
    assert first != events(4)


def test_streams_start_at_version_zero_and_hold_each_services_events() -> None:
    params = TINY
    books = simulate_club(plan_network(params)[0], params, random.Random(1))
    writes = {s: b.drain() for s, b in books.items()}
    assert all(w.expected_version == 0 for ws in writes.values() for w in ws)
    membership = [e for w in writes["membership"] for e in w.events]
    assert isinstance(membership[0], ClubEstablished)
    assert sum(isinstance(e, MemberJoined) for e in membership) == len(
        plan_network(params)[0].profiles
    )
    assert any(isinstance(e, LoanIssued) for w in writes["finance"] for e in w.events)
    assert writes["care"] and writes["advocacy"]


def test_the_binh_duong_plan_has_the_published_counts() -> None:
    _, plans = binh_duong_plans()
    profiles = [p for plan in plans for p in plan.profiles]
    assert len(plans) == BINH_DUONG["clubs"]
    assert len(profiles) == BINH_DUONG["members"]
    assert sum(p.womens_union for p in profiles) == BINH_DUONG["womens_union"]
    assert sum(p.poor for p in profiles) == BINH_DUONG["poor_households"]
    assert {plan.units[0].province_code for plan in plans} == {"74"}


SERVICES = ("membership", "finance", "care", "advocacy")
RELAYS = [f"relay:{s}" for s in SERVICES]
# Heaviest first, as catch_up orders them (by their sources' events).
PROJECTIONS = ["care", "finance", "membership", "advocacy"]
RUNNERS = [f"projection:{p}" for p in PROJECTIONS]


def test_one_catch_up_worker_runs_every_relay_and_projection_together() -> None:
    assert component_groups(SERVICES, PROJECTIONS, 1) == [[*RELAYS, *RUNNERS]]


def test_two_workers_put_the_projections_apart_from_the_relays() -> None:
    assert component_groups(SERVICES, PROJECTIONS, 2) == [RELAYS, RUNNERS]


def test_three_workers_give_the_heaviest_projection_a_process_of_its_own() -> None:
    assert component_groups(SERVICES, PROJECTIONS, 3) == [RELAYS, [RUNNERS[0]], RUNNERS[1:]]


def test_more_workers_than_projections_leave_no_process_empty() -> None:
    groups = component_groups(SERVICES, PROJECTIONS, 9)

    assert groups == [RELAYS, *([r] for r in RUNNERS)]
