"""Decoding through the registry: lookup, versions, validation errors, upcasters."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

import pytest
from pydantic import ValidationError

from ishc_contracts import (
    EventRegistry,
    InvalidEventPayload,
    UnknownEventType,
    UnsupportedSchemaVersion,
)
from ishc_contracts.catalogue import REGISTRY, SERVICE_EVENTS, build_registry
from ishc_contracts.events import Event
from ishc_contracts.finance.events import LoanApplied
from ishc_contracts.membership.events import MemberJoined

pytestmark = pytest.mark.unit

LOAN = "0190a1b2-0000-7000-8000-000000000001"
CLUB = "0190a1b2-0000-7000-8000-000000000002"
FUND = "0190a1b2-0000-7000-8000-000000000003"
MEMBER = "0190a1b2-0000-7000-8000-000000000004"


def loan_applied(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "loan_id": LOAN,
        "club_id": CLUB,
        "fund_id": FUND,
        "member_id": MEMBER,
        "principal": 5_000_000,
        "term_months": 12,
        "purpose": "livestock",
        "applied_on": "2026-03-21",
    }
    data.update(changes)
    return data


def test_a_stored_payload_decodes_into_its_model() -> None:
    event = REGISTRY.decode("finance.LoanApplied", 1, loan_applied())
    assert isinstance(event, LoanApplied)
    assert event.principal == 5_000_000
    assert event.loan_id == UUID(LOAN)


def test_the_catalogue_registers_every_service_event() -> None:
    listed = {model for events in SERVICE_EVENTS.values() for model in events}
    assert set(REGISTRY.models()) == listed
    assert REGISTRY.model("membership.MemberJoined") is MemberJoined
    assert len(build_registry().models()) == len(REGISTRY.models())


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(UnknownEventType, match=r"finance\.LoanForgiven"):
        REGISTRY.decode("finance.LoanForgiven", 1, {})


def test_a_newer_schema_version_than_the_code_is_refused() -> None:
    with pytest.raises(UnsupportedSchemaVersion, match="v3 is newer"):
        REGISTRY.decode("finance.LoanApplied", 3, loan_applied())


def test_an_invalid_payload_names_the_field() -> None:
    with pytest.raises(InvalidEventPayload, match="principal") as caught:
        REGISTRY.decode("finance.LoanApplied", 1, loan_applied(principal=-5))
    assert [error["loc"] for error in caught.value.errors] == [("principal",)]
    assert caught.value.wire_name == "finance.LoanApplied"


def test_a_missing_field_is_named() -> None:
    data = loan_applied()
    del data["member_id"]
    with pytest.raises(InvalidEventPayload, match="member_id"):
        REGISTRY.decode("finance.LoanApplied", 1, data)


def test_money_is_never_a_float() -> None:
    with pytest.raises(InvalidEventPayload, match="principal"):
        REGISTRY.decode("finance.LoanApplied", 1, loan_applied(principal=5_000_000.0))


def test_decoding_ignores_fields_it_does_not_know_yet() -> None:
    # A producer one release ahead may add an optional field (a compatible change).
    event = REGISTRY.decode("finance.LoanApplied", 1, loan_applied(collateral="a buffalo"))
    assert isinstance(event, LoanApplied)


def test_building_an_event_in_code_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="collateral"):
        LoanApplied.model_validate(loan_applied(collateral="a buffalo"))


def _registry_with_renamed_field() -> EventRegistry:
    class PersonNamed(Event):
        """v2 renamed `name` to `full_name` and added `sex` (v1 events predate it)."""

        service: ClassVar[str] = "membership"
        aggregate: ClassVar[str] = "person"
        schema_version: ClassVar[int] = 2

        person_id: UUID
        full_name: str
        sex: str

    registry = EventRegistry()
    registry.register(PersonNamed)

    @registry.upcaster("membership.PersonNamed", from_version=1)
    def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        data["full_name"] = data.pop("name")
        data.setdefault("sex", "unknown")
        return data

    return registry


def test_an_upcaster_lifts_a_v1_payload_to_v2() -> None:
    registry = _registry_with_renamed_field()
    v1 = {"person_id": MEMBER, "name": "Nguyễn Thị Lan"}
    event = registry.decode("membership.PersonNamed", 1, v1)
    assert event.model_dump() == {
        "person_id": UUID(MEMBER),
        "full_name": "Nguyễn Thị Lan",
        "sex": "unknown",
    }
    assert v1 == {"person_id": MEMBER, "name": "Nguyễn Thị Lan"}, "the stored payload is untouched"


def test_a_current_payload_skips_the_upcasters() -> None:
    registry = _registry_with_renamed_field()
    v2 = {"person_id": MEMBER, "full_name": "Trần Văn Minh", "sex": "male"}
    assert registry.decode("membership.PersonNamed", 2, v2).model_dump()["full_name"] == (
        "Trần Văn Minh"
    )


def test_a_version_gap_without_an_upcaster_is_refused() -> None:
    registry = EventRegistry()

    class Bumped(Event):
        service: ClassVar[str] = "care"
        aggregate: ClassVar[str] = "case"
        schema_version: ClassVar[int] = 3

    registry.register(Bumped)
    registry.upcaster("care.Bumped", 2)(lambda data: data)
    assert registry.has_upcaster("care.Bumped", 2)
    assert not registry.has_upcaster("care.Bumped", 1)
    with pytest.raises(UnsupportedSchemaVersion, match=r"no upcaster for care\.Bumped v1"):
        registry.decode("care.Bumped", 1, {})


def test_registering_two_models_under_one_wire_name_fails() -> None:
    registry = EventRegistry()
    registry.register(MemberJoined)
    registry.register(MemberJoined)  # the same class again is harmless

    class MemberJoined2(MemberJoined):
        @classmethod
        def wire_name(cls) -> str:
            return "membership.MemberJoined"

    with pytest.raises(ValueError, match="registered twice"):
        registry.register(MemberJoined2)


def test_two_upcasters_for_one_step_fail() -> None:
    registry = _registry_with_renamed_field()
    with pytest.raises(ValueError, match="two upcasters"):
        registry.upcaster("membership.PersonNamed", 1)(lambda data: data)
