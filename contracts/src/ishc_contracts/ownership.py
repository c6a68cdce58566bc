"""Who owns what: every command declares, once, the objects its payload names (issue #18).

A club acts only on its own people and things. The gateway scopes a caller to their clubs, but
a payload names objects by id (a person, a household, a member, a case, a loan, attendees…),
and an id is only a number anyone can type. So every command type declares here, for each
payload field holding an object id, what kind of object it names and how the runtime checks it
(`ishc_runtime.ownership`) before any rule runs:

- `streams`: an object whose stream the command loads or writes; it must exist in the acting
  club.
- `refs`: an object the command only names; it must exist in the acting club.
- `refs_or_new`: an id the command introduces (a create); if it exists already, it must be the
  acting club's.
- `within`: the club itself; it must be the club the request acts for.
- `unchecked`: not an object another club could own, with the reason written down.

What is outside the acting club and what does not exist get the same answer (a 404 that names
nothing). A command type without a declaration fails the contract tests, so a new command
cannot skip the check. Which club an object belongs to comes from data: `GRANTS` say, per
event, which objects that event places in which club; each service keeps a directory of them.
The declarations and rules of all services are gathered in `ishc_contracts.catalogue`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from ishc_contracts.events import Command, Event


class Check(StrEnum):
    STREAMS = "streams"
    REFS = "refs"
    REFS_OR_NEW = "refs_or_new"
    WITHIN = "within"
    UNCHECKED = "unchecked"


# Kinds of objects. A kind is what a directory row says an id is; names are unique across
# services (care's cases and advocacy's claims are both `case_id` in payloads).
CLUB = "club"
PERSON = "person"
MEMBER = "member"
HOUSEHOLD = "household"
MEETING = "meeting"
DECISION = "decision"
VOLUNTEER = "volunteer"
CONSENT = "consent"
LOAN = "loan"
ASSET = "asset"
CARE_CASE = "care_case"
HEALTH_CHECK = "health_check"
CLAIM = "claim"
SCREENING = "screening"
ISSUE = "issue"
AWARENESS_SESSION = "awareness_session"


@dataclass(frozen=True)
class Ref:
    """How one payload field is checked. `kind` is None for `within` and `unchecked`."""

    check: Check
    kind: str | None = None
    reason: str | None = None


def streams(kind: str) -> Ref:
    return Ref(Check.STREAMS, kind)


def refs(kind: str) -> Ref:
    return Ref(Check.REFS, kind)


def refs_or_new(kind: str) -> Ref:
    return Ref(Check.REFS_OR_NEW, kind)


def within() -> Ref:
    return Ref(Check.WITHIN)


def unchecked(reason: str) -> Ref:
    if not reason.strip():
        raise ValueError("an unchecked id needs its reason")
    return Ref(Check.UNCHECKED, reason=reason)


NEW_INSIDE_STREAM = "an id the command makes for an entry inside a stream it loads (checked above)"


@dataclass(frozen=True)
class Owned:
    """The ownership declaration of one command type: payload path -> check.

    Paths are field names; `a[]` is every item of the list `a`, `a[].b` the field `b` of each.
    """

    command: type[Command]
    fields: Mapping[str, Ref] = field(default_factory=dict)

    def values(self, payload: Command) -> Iterator[tuple[str, Ref, Any]]:
        """(path, check, value) for every non-empty value the payload holds at a declared path."""
        for path, ref in self.fields.items():
            for value in _at(payload, path.split(".")):
                if value is not None:
                    yield path, ref, value


def _at(node: Any, parts: list[str]) -> Iterator[Any]:
    if not parts:
        yield node
        return
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    value = getattr(node, head.removesuffix("[]"), None)
    if value is None:
        return
    for item in value if many else (value,):
        yield from _at(item, rest)


@dataclass(frozen=True)
class Grant:
    """An event places (`active`) or no longer places an object in a club."""

    kind: str
    object_id: UUID
    club_id: UUID
    active: bool = True


GrantRule = Callable[[Any], list[Grant]]


def ids_of(values: Any) -> list[UUID]:
    return [v for v in (values or ()) if v is not None]


def grants_of(event: Event, rules: Mapping[str, GrantRule]) -> list[Grant]:
    """What `event` places in (or takes out of) a club, by `rules` (per event wire name)."""
    rule = rules.get(event.wire_name())
    return rule(event) if rule else []


__all__ = ["Check", "Grant", "GrantRule", "Owned", "Ref", "grants_of", "ids_of"]
