"""Every projection handler of an event carrying personal data says which sensitive fields it
reads in clear (`opens=`, ADR 0071). Left to the default, the runner opens every sealed field
of the event: keys fetched and AES-GCM run for values the handler never reads, and a read
model that copies one of them depends on keys an erasure destroys, silently.

The last case registers a handler without `opens` to show the check finds it.
"""

from __future__ import annotations

import importlib
from typing import Any, cast

import pytest

from ishc_contracts import EventRegistry, sensitive_fields
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.membership.events import MemberLeft
from ishc_runtime.clock import SystemClock
from ishc_runtime.projections import Projection
from ishc_runtime.service import ServiceContext

pytestmark = pytest.mark.unit

SERVICES = ("membership", "finance", "care", "advocacy", "reporting")


def undeclared(projection: Projection, registry: EventRegistry) -> list[str]:
    handled = {*projection.handlers, *projection.writers}
    return sorted(
        f"{projection.name}: {wire}"
        for wire in handled
        if registry.knows(wire)
        and sensitive_fields(registry.model(wire))
        and wire not in projection.opens
    )


def projections_of(service: str) -> list[Projection]:
    """Its projections, ownership directory and reactions (built as the service builds them;
    building one touches no database)."""
    definition = importlib.import_module(f"{service}.definition").definition()
    found = list(definition.projections)
    if definition.ownership is not None:
        found.append(definition.ownership.projection())
    context = ServiceContext.build(
        definition.name, cast("Any", None), definition.registry, SystemClock(), definition.routes
    )
    found += [make(context) for make in definition.reactions]
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_handler_of_personal_data_declares_what_it_opens(service: str) -> None:
    missing = [m for p in projections_of(service) for m in undeclared(p, REGISTRY)]
    assert missing == []


def test_a_handler_without_opens_is_found() -> None:
    projection = Projection(name="sample", sources=["membership"])
    projection.row(MemberLeft, "SELECT $1", lambda e: (e.member_id,))
    assert undeclared(projection, REGISTRY) == ["sample: membership.MemberLeft"]
    projection.row(MemberLeft, "SELECT $1", lambda e: (e.member_id,), opens=())
    assert undeclared(projection, REGISTRY) == []
