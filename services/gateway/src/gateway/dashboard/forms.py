"""The daily commands as HTML forms: form fields → the command body the API validates.

Field names are the command's own, so the API's 422 `errors` land next to the right input.
Values are passed as typed, not pre-validated here: the gateway's validation is the one
source of messages. Ids the client must make (UUIDv7) are made here on each attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from starlette.datastructures import FormData

from ishc_contracts import new_id
from ishc_contracts.reference import reference

TASKS = ("bathing", "meals", "housework", "medication", "companionship")


def schemes_on(day: date) -> tuple[str, ...]:
    """The scheme picker: the codes of the schemes list (ishc_contracts.reference) in force
    on `day`, the same list the API validates against."""
    return tuple(e.code for e in reference("schemes").entries if e.valid_on(day))


@dataclass
class FormState:
    """What a form shows again after a refusal: the values sent and the errors by field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""


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


def values_of(form: FormData) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        items = form.getlist(key)
        shown[key] = items if len(items) > 1 or key == "tasks_done" else items[0]
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
    return body


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
