"""Reference lists as data: codes checked on commands by list and by date, aliases mapped,
nearest codes suggested; events are never checked."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from pydantic import ValidationError

from ishc_contracts.advocacy.commands import (
    OpenEntitlementCase,
    RecordSubmission,
    SubmitPetition,
)
from ishc_contracts.finance.commands import SubmitLoanApplication
from ishc_contracts.membership.commands import RecordPovertyCertificate
from ishc_contracts.reference import lists, reference

pytestmark = pytest.mark.unit

ID = UUID(int=1)


def refusal(error: ValidationError) -> tuple[tuple[str | int, ...], str]:
    (only,) = error.errors()
    return only["loc"], only["msg"]


def test_every_list_loads_with_unique_codes_and_aliases() -> None:
    for ref in lists().values():
        names = [n for e in ref.entries for n in (e.code, *e.aliases)]
        assert len(names) == len(set(names)), ref.name
        assert all(e.valid_to is None or e.valid_from <= e.valid_to for e in ref.entries)


def test_a_misspelt_scheme_names_the_field_and_suggests_the_nearest() -> None:
    with pytest.raises(ValidationError) as caught:
        OpenEntitlementCase(
            case_id=ID,
            person_id=ID,
            club_id=ID,
            scheme="health_insurance_cardd",
            opened_on=date(2026, 3, 2),
        )
    loc, message = refusal(caught.value)
    assert loc == ("scheme",)
    assert "nearest valid: health_insurance_card, health_insurance" in message


def test_an_alias_is_replaced_by_its_code() -> None:
    case = OpenEntitlementCase(
        case_id=ID,
        person_id=ID,
        club_id=ID,
        scheme="health_insurance_card",
        opened_on=date(2026, 3, 2),
    )
    assert case.scheme == "health_insurance"


def test_a_code_must_be_valid_on_the_command_s_date() -> None:
    def certificate(standard: str, valid_from: date) -> RecordPovertyCertificate:
        return RecordPovertyCertificate(
            household_id=ID, club_id=ID, status="poor", standard=standard, valid_from=valid_from
        )

    assert certificate("2022-2025", date(2026, 1, 1)).standard == "2022-2025"
    with pytest.raises(ValidationError) as caught:
        certificate("2022-2025", date(2027, 3, 1))
    # The code and the date disagree: both fields are named.
    errors = {e["loc"]: e["msg"] for e in caught.value.errors()}
    assert set(errors) == {("standard",), ("valid_from",)}
    message = errors[("standard",)]
    assert "valid from 2022-01-01 to 2026-12-31, not on 2027-03-01" in message
    assert "2027-2030" in message


def test_an_office_is_a_listed_one_or_a_commune_by_its_admin_codes() -> None:
    def submit(office: str, on: date) -> RecordSubmission:
        return RecordSubmission(case_id=ID, submitted_on=on, office=office)

    assert submit("79:26734", date(2025, 8, 1)).office == "79:26734"
    assert submit("ubnd-huyen", date(2025, 6, 30)).office == "ubnd-huyen"
    with pytest.raises(ValidationError) as caught:
        submit("ubnd-huyen", date(2025, 7, 1))  # no district level since 1 July 2025
    assert {e["loc"] for e in caught.value.errors()} == {("office",), ("submitted_on",)}
    with pytest.raises(ValidationError) as caught:
        submit("08434", date(2025, 8, 1))  # a ward code without its province
    assert refusal(caught.value)[0] == ("office",)


def test_a_loan_purpose_outside_the_list_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        SubmitLoanApplication(
            loan_id=ID,
            club_id=ID,
            member_id=ID,
            principal=5_000_000,
            purpose="livestok",
            applied_on=date(2026, 3, 2),
        )
    loc, message = refusal(caught.value)
    assert loc == ("purpose",)
    assert "nearest valid: livestock" in message


def test_nothing_close_still_lists_valid_codes() -> None:
    assert reference("disability_levels").nearest("zzz") == [
        "especially_severe",
        "mild",
        "severe",
    ]


def test_a_petition_names_an_authority_from_the_list_valid_on_its_date() -> None:
    def petition(authority: str, on: date) -> SubmitPetition:
        return SubmitPetition(issue_id=ID, petition_id=ID, authority=authority, submitted_on=on)

    assert petition("commune_pc", date(2026, 3, 2)).authority == "ubnd-xa"  # the old wording
    assert petition("79:26734", date(2026, 3, 2)).authority == "79:26734"  # a named ward PC
    assert petition("ubnd-huyen", date(2025, 6, 30)).authority == "ubnd-huyen"
    with pytest.raises(ValidationError) as caught:
        petition("ubnd-huyen", date(2025, 7, 1))  # no district level after 1 July 2025
    named = {e["loc"]: e["msg"] for e in caught.value.errors()}
    assert set(named) == {("authority",), ("submitted_on",)}  # the code and its date
    assert "valid from 2000-01-01 to 2025-06-30, not on 2025-07-01" in named[("authority",)]
    with pytest.raises(ValidationError) as caught:
        petition("tram-yte", date(2026, 3, 2))
    assert "nearest valid: tram-y-te" in refusal(caught.value)[1]
