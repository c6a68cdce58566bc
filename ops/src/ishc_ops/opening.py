"""How `ishc` opens a service's events outside the service: with its master keys (and the
keys other services grant it, over the bus with the transport key), or not at all.

Without keys every sealed value reads as its erased stand-in, valid for its type, so events
still decode: enough to fold a state to show it masked, or to rebuild a read model that keeps
the events' ciphertext without opening it (`ishc_runtime.privacy.keep`). A read model that
reads personal data in clear cannot be rebuilt that way: it would keep stand-ins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from ishc_contracts import EventRegistry, sensitive_fields
from ishc_contracts.privacy import owners_granting
from ishc_contracts.subjects import stream_name
from ishc_ops.targets import USAGE, OpsError
from ishc_runtime.privacy import (
    KeySource,
    MasterKeys,
    Privacy,
    SubjectKeys,
    TransportKey,
    is_sealed,
)
from ishc_runtime.privacy.grants import GrantedKeys
from ishc_runtime.projections import Projection


def opened_with(
    pool: asyncpg.Pool,
    nc: NatsClient,
    service: str,
    registry: EventRegistry,
    master: MasterKeys,
    transport: TransportKey | None,
) -> Privacy:
    """The service's own keys, and other owners' under its grants when the transport key is
    at hand (as the service itself opens its events)."""
    sources: dict[str, KeySource] = (
        {o: GrantedKeys(nc, o, service, transport) for o in owners_granting(service)}
        if transport is not None
        else {}
    )
    return Privacy(service, SubjectKeys(pool, master), registry, granted=sources)


def reads_in_clear(projection: Projection, registry: EventRegistry) -> list[str]:
    """The event types whose personal data `projection` reads in clear (its handlers open
    some sensitive field): those it cannot be rebuilt from without the keys."""
    handled = {*projection.handlers, *projection.writers}
    return sorted(
        wire
        for wire in handled
        if registry.knows(wire)
        and sensitive_fields(registry.model(wire))
        and projection.opens.get(wire) != frozenset()
    )


async def for_folding(
    pool: asyncpg.Pool,
    nc: NatsClient,
    service: str,
    registry: EventRegistry,
    projections: Iterable[Projection],
    master: MasterKeys | None,
    transport: TransportKey | None,
) -> Privacy | None:
    """How a rebuild or a verification opens the events it folds `projections` from (None:
    not at all, the service seals nothing of its own and is granted nothing). Without the
    master keys, a service that seals its data (its key table holds keys) or is granted
    others' refuses to fold a read model that reads personal data in clear: it would keep
    erased stand-ins."""
    if master is not None:
        return opened_with(pool, nc, service, registry, master, transport)
    sealed = await pool.fetchval("SELECT EXISTS (SELECT 1 FROM privacy_keys)")
    if not sealed and owners_granting(service):
        # A service other owners grant keys to (reporting) folds their sealed values even
        # when it seals nothing of its own: without keys those read as erased stand-ins too.
        sealed = await sealed_upstream(nc, projections, registry)
    if not sealed:
        return None  # nothing sealed of its own or upstream: folded as it is stored
    clear = {p.name: wires for p in projections if (wires := reads_in_clear(p, registry))}
    if clear:
        named = "; ".join(f"{name}: {', '.join(wires)}" for name, wires in clear.items())
        msg = (
            f"these read models of {service} read sealed personal data in clear ({named}):"
            f" give {service}'s master keys (--master-keys-file, or {service.upper()}"
            "_MASTER_KEYS; ISHC_TRANSPORT_KEY for data other services grant it)"
        )
        raise OpsError(msg, USAGE)
    return Privacy.without_keys(pool, service, registry)


async def sealed_upstream(
    nc: NatsClient, projections: Iterable[Projection], registry: EventRegistry
) -> bool:
    """Whether the latest event of a type these projections read in clear travelled sealed
    (its owner seals personal data): what a granted reader cannot fold without keys."""
    js = nc.jetstream()
    for projection in projections:
        for wire in reads_in_clear(projection, registry):
            model = registry.model(wire)
            try:
                stored = await js.get_last_msg(stream_name(model.service), model.subject())
            except NotFoundError:
                continue  # none yet (or no stream): nothing to fold
            data = json.loads(stored.data or b"{}").get("data") or {}
            if any(is_sealed(data.get(name)) for name in sensitive_fields(model)):
                return True
    return False
