"""The daily commands as HTML forms: form fields → the command body the API validates.

Field names are the command's own, so the API's 422 `errors` land next to the right input.
Values are passed as typed, not pre-validated here: the gateway's validation is the one
source of messages. Ids the client must make (UUIDv7) are made here on each attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, get_args
from uuid import UUID

from starlette.datastructures import FormData

from ishc_contracts import new_id
from ishc_contracts.membership.events import ConsentMethod
from ishc_contracts.reference import reference

TASKS = ("bathing", "meals", "housework", "medication", "companionship")
FOLLOW_UPS = ("revisit_soon", "health_station", "inform_family", "inform_board", "entitlement")
DEFAULT_VISIT_MINUTES = 30


def schemes_on(day: date) -> tuple[str, ...]:
    """The scheme picker: the codes of the schemes list (ishc_contracts.reference) in force
    on `day`, the same list the API validates against."""
    return tuple(e.code for e in reference("schemes").entries if e.valid_on(day))


# How a consent was given, in the contract's order: the picker cannot offer a value the
# command would refuse.
CONSENT_METHODS: tuple[str, ...] = get_args(ConsentMethod)


def consent_purposes_on(day: date) -> tuple[str, ...]:
    """The consent purpose picker: the `consent_purposes` reference list in force on `day`,
    the list the API validates `RecordConsent.purpose` against (as `schemes_on` does)."""
    return tuple(e.code for e in reference("consent_purposes").entries if e.valid_on(day))


@dataclass
class FormState:
    """What a form shows again after a refusal: the values sent and the errors by field.
    `link` is where the refusal can be put right (a missing consent: the person's profile)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    link: str | None = None


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def _int_or_text(value: str | None) -> int | str | None:
    """Digits become an int (JSON has no other way to say it); anything else goes as typed so
    the API names the field."""
    if value is None:
        return None
    cleaned = value.replace(".", "").replace(",", "").replace(" ", "")
    return int(cleaned) if cleaned.isdigit() else value


def _required(value: str | None) -> str:
    # An empty required field is sent empty: the API answers with its own message for it.
    return value if value is not None else ""


def _required_number(value: str | None) -> int | str:
    number = _int_or_text(value)
    return "" if number is None else number


LISTS = frozenset({"tasks_done", "follow_up", "present", "excused"})


def values_of(form: FormData) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        items = form.getlist(key)
        shown[key] = items if len(items) > 1 or key in LISTS else items[0]
    return shown


def admit_member(form: FormData, club_id: UUID) -> dict[str, Any]:
    body: dict[str, Any] = {
        "member_id": str(new_id()),
        "person_id": str(new_id()),
        "club_id": str(club_id),
        "full_name": _required(_text(form, "full_name")),
        "sex": _required(_text(form, "sex")),
        "joined_on": _required(_text(form, "joined_on")),
    }
    for optional in ("birth_date", "village"):
        value = _text(form, optional)
        if value is not None:
            body[optional] = value
    return body


def post_repayment(form: FormData) -> dict[str, Any]:
    return {
        "loan_id": _required(_text(form, "loan_id")),
        "repayment_id": str(new_id()),
        "received_on": _required(_text(form, "received_on")),
        "amount": _required_number(_text(form, "amount")),
    }


def record_visit(form: FormData, volunteer_ids: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "visit_id": str(new_id()),
        "case_id": _required(_text(form, "case_id")),
        "volunteer_ids": volunteer_ids,
        "visited_on": _required(_text(form, "visited_on")),
        "tasks_done": [t for t in form.getlist("tasks_done") if isinstance(t, str) and t],
    }
    duration = _int_or_text(_text(form, "duration_minutes"))
    if duration is not None:
        body["duration_minutes"] = duration
    pressure = blood_pressure(form)
    if pressure is not None:
        body["blood_pressure"] = pressure
    observations = _text(form, "observations")
    if observations is not None:
        body["observations"] = observations
    follow_up = [f for f in form.getlist("follow_up") if isinstance(f, str) and f]
    if follow_up:
        body["follow_up"] = follow_up
    return body


def blood_pressure(form: FormData) -> dict[str, int | str] | None:
    """Both numbers or neither: one alone is sent so that the API names the missing one."""
    systolic = _int_or_text(_text(form, "systolic"))
    diastolic = _int_or_text(_text(form, "diastolic"))
    if systolic is None and diastolic is None:
        return None
    pressure: dict[str, int | str] = {}
    if systolic is not None:
        pressure["systolic"] = systolic
    if diastolic is not None:
        pressure["diastolic"] = diastolic
    return pressure


def file_claim(form: FormData, club_id: UUID) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case_id": str(new_id()),
        "person_id": _required(_text(form, "person_id")),
        "club_id": str(club_id),
        "scheme": _required(_text(form, "scheme")),
        "opened_on": _required(_text(form, "opened_on")),
        "trigger": "member_request",
    }
    screening = _text(form, "screening_id")
    if screening is not None:
        body["screening_id"] = screening
        body["trigger"] = "screening"
    return body


# -- the club year: loans, meetings, funds, health ---------------------------------------

PURPOSES = ("livestock", "crops", "small_business", "other")
DECISION_KINDS = ("loan_approval", "mutual_aid_grant", "loan_write_off", "other")
MEETING_KINDS = ("regular", "extraordinary", "general_assembly")
FUND_TYPES = ("income_generation", "activity", "mutual_aid")
CAPITAL_SOURCES = ("project", "state_budget", "commune_fund", "donation", "member_fee", "other")
AID_REASONS = ("illness", "death", "disaster", "other")


def _put(body: dict[str, Any], form: FormData, *names: str, number: bool = False) -> None:
    """Optional fields: sent only when filled."""
    for name in names:
        value = _text(form, name)
        if value is not None:
            body[name] = _int_or_text(value) if number else value


def _ids(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def loan_application(form: FormData, club_id: UUID) -> dict[str, Any]:
    body: dict[str, Any] = {
        "loan_id": str(new_id()),
        "club_id": str(club_id),
        "member_id": _required(_text(form, "member_id")),
        "principal": _required_number(_text(form, "principal")),
        "purpose": _required(_text(form, "purpose")),
        "applied_on": _required(_text(form, "applied_on")),
    }
    _put(body, form, "term_months", number=True)
    _put(body, form, "note")
    return body


def approve_loan(form: FormData) -> dict[str, Any]:
    return {
        "loan_id": _required(_text(form, "loan_id")),
        "decision_id": _required(_text(form, "decision_id")),
        "approved_on": _required(_text(form, "approved_on")),
    }


def disburse_loan(form: FormData) -> dict[str, Any]:
    return {
        "loan_id": _required(_text(form, "loan_id")),
        "disbursed_on": _required(_text(form, "disbursed_on")),
    }


def hold_meeting(form: FormData, club_id: UUID) -> dict[str, Any]:
    body: dict[str, Any] = {
        "meeting_id": str(new_id()),
        "club_id": str(club_id),
        "held_on": _required(_text(form, "held_on")),
        "kind": _text(form, "kind") or "regular",
        "present": _ids(form, "present"),
        "excused": _ids(form, "excused"),
    }
    _put(body, form, "location")
    _put(body, form, "guests", number=True)
    return body


def record_decision(form: FormData) -> dict[str, Any]:
    body: dict[str, Any] = {
        "meeting_id": _required(_text(form, "meeting_id")),
        "decision_id": str(new_id()),
        "kind": _required(_text(form, "kind")),
        "summary": _required(_text(form, "summary")),
    }
    _put(body, form, "member_id", "subject_id")
    _put(body, form, "amount", "votes_for", "votes_against", number=True)
    return body


def capitalise_fund(form: FormData, club_id: UUID) -> dict[str, Any]:
    body: dict[str, Any] = {
        "club_id": str(club_id),
        "fund_type": _required(_text(form, "fund_type")),
        "amount": _required_number(_text(form, "amount")),
        "source": _required(_text(form, "source")),
        "received_on": _required(_text(form, "received_on")),
    }
    _put(body, form, "note")
    return body


def membership_fee(form: FormData, club_id: UUID) -> dict[str, Any]:
    body: dict[str, Any] = {
        "club_id": str(club_id),
        "fee_id": str(new_id()),
        "member_id": _required(_text(form, "member_id")),
        "amount": _required_number(_text(form, "amount")),
        "received_on": _required(_text(form, "received_on")),
    }
    _put(body, form, "period")
    return body


def mutual_aid(form: FormData, club_id: UUID) -> dict[str, Any]:
    return {
        "club_id": str(club_id),
        "grant_id": str(new_id()),
        "member_id": _required(_text(form, "member_id")),
        "amount": _required_number(_text(form, "amount")),
        "reason": _required(_text(form, "reason")),
        "granted_on": _required(_text(form, "granted_on")),
        "decision_id": _required(_text(form, "decision_id")),
    }


def close_books(form: FormData, club_id: UUID) -> dict[str, Any]:
    return {"club_id": str(club_id), "month": _required(_text(form, "month"))}


def health_check(form: FormData, club_id: UUID, member_of: dict[str, str]) -> dict[str, Any]:
    person = _required(_text(form, "person_id"))
    body: dict[str, Any] = {
        "check_id": str(new_id()),
        "club_id": str(club_id),
        "person_id": person,
        "checked_on": _required(_text(form, "checked_on")),
    }
    if person in member_of:
        body["member_id"] = member_of[person]
    pressure = blood_pressure(form)
    if pressure is not None:
        body["blood_pressure"] = pressure
    for name in ("glucose_mmol_l", "weight_kg"):
        value = _text(form, name)
        if value is not None:
            body[name] = _decimal_or_text(value)
    _put(body, form, "provider", "observations", "referred_to")
    return body


def _decimal_or_text(value: str) -> float | str:
    """`5,6` or `5.6` (a Vietnamese keyboard types a comma) as a number; else as typed."""
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return value


def record_consent(form: FormData, club_id: UUID, person_id: str) -> dict[str, Any]:
    """The person is the profile's (from the roster), never a form field: a tampered form
    cannot record a consent for someone else."""
    body: dict[str, Any] = {
        "consent_id": str(new_id()),
        "person_id": person_id,
        "club_id": str(club_id),
        "purpose": _required(_text(form, "purpose")),
        "given_on": _required(_text(form, "given_on")),
        "method": _required(_text(form, "method")),
    }
    _put(body, form, "document")
    return body


def withdraw_consent(form: FormData, person_id: str) -> dict[str, Any]:
    return {
        "consent_id": _required(_text(form, "consent_id")),
        "person_id": person_id,
        "withdrawn_on": _required(_text(form, "withdrawn_on")),
        "method": _required(_text(form, "method")),
    }
