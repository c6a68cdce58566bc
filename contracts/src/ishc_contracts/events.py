"""Base classes for event, command and query payloads, and the mark for sensitive fields."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ishc_contracts.reference import ReferenceFields, reference
from ishc_contracts.subjects import command_subject, event_subject, query_subject
from ishc_contracts.text import RefusesNul


class Payload(BaseModel):
    """Frozen, strict about unknown fields: bad input is named, never silently dropped."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Payload):
    """A past-tense fact. Subclasses set `service`, `aggregate` and `schema_version`;
    the class name is the event type."""

    service: ClassVar[str]
    aggregate: ClassVar[str]
    schema_version: ClassVar[int] = 1

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__

    @classmethod
    def wire_name(cls) -> str:
        return f"{cls.service}.{cls.__name__}"

    @classmethod
    def subject(cls) -> str:
        """The JetStream subject this event is published on."""
        return event_subject(cls.service, cls.aggregate, cls.__name__)


class Command(RefusesNul, Payload):
    """An imperative request. The class name is the command type."""

    service: ClassVar[str]
    # Coded fields checked against the reference lists (ishc_contracts.reference): field ->
    # (list, the field whose date the code must be valid on, or None for any date). A code
    # or a list of codes; an alias is replaced by its code.
    reference_fields: ClassVar[ReferenceFields] = {}

    @model_validator(mode="before")
    @classmethod
    def _reference_aliases(cls, data: Any) -> Any:
        if not cls.reference_fields or not isinstance(data, dict):
            return data
        out = dict(data)
        for name, (listed, _) in cls.reference_fields.items():
            value, ref = out.get(name), reference(listed)
            if isinstance(value, str):
                out[name] = ref.canonical(value)
            elif isinstance(value, list | tuple):
                out[name] = [ref.canonical(v) if isinstance(v, str) else v for v in value]
        return out

    @model_validator(mode="after")
    def _reference_codes(self) -> Self:
        problems: list[InitErrorDetails] = []
        for name, (listed, dated_by) in self.reference_fields.items():
            value, ref = getattr(self, name), reference(listed)
            day = getattr(self, dated_by) if dated_by else None
            on = day if isinstance(day, date) else None
            coded: list[tuple[tuple[str | int, ...], str]] = []
            if isinstance(value, str):
                coded = [((name,), value)]
            if isinstance(value, tuple | list):
                coded = [((name, n), v) for n, v in enumerate(value) if isinstance(v, str)]
            for loc, code in coded:
                if ref.accepts(code, on):
                    continue
                detail = {"detail": ref.refusal(code, on)}
                if dated_by and ref.accepts(code):
                    # A code of another time: the two fields disagree, so both are named
                    # (a rule across fields, pydantic's `value_error`).
                    error = PydanticCustomError("value_error", "{detail}", detail)
                    problems.append(InitErrorDetails(type=error, loc=(dated_by,), input=day))
                else:
                    error = PydanticCustomError("reference_code", "{detail}", detail)
                problems.append(InitErrorDetails(type=error, loc=loc, input=code))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    @classmethod
    def wire_name(cls) -> str:
        return f"{cls.service}.{cls.__name__}"

    @classmethod
    def subject(cls) -> str:
        return command_subject(cls.service, cls.__name__)


class Query(RefusesNul, Payload):
    """A question to a read model. The class name is the query type."""

    service: ClassVar[str]

    @classmethod
    def wire_name(cls) -> str:
        return f"{cls.service}.{cls.__name__}"

    @classmethod
    def subject(cls) -> str:
        return query_subject(cls.service, cls.__name__)


SENSITIVE_KEY = "x-sensitive"
CATEGORY_KEY = "x-sensitive-category"

# What kind of personal data a sensitive field holds. The category decides the retention and
# the grants (which other service may read it), and names the field in the data inventory
# (docs/privacy.md). Health, disability and ethnicity are "sensitive personal data" under Law
# 91/2025/QH15 art. 2 and Decree 356/2025/ND-CP; the others are basic personal data.
SensitiveCategory = Literal[
    "identity",  # name, birth date, ID number
    "contact",  # phone
    "health",  # vitals, health checks, care needs and referrals
    "disability",  # disability level and certificate
    "poverty",  # poor / near-poor household status and certificate
    "ethnicity",  # ethnic minority membership
    "benefits",  # pension and support facts used for entitlements
    "notes",  # free text written about a person
]
CATEGORIES: tuple[SensitiveCategory, ...] = get_args(SensitiveCategory)


def Sensitive(category: SensitiveCategory, **kwargs: Any) -> Any:  # noqa: N802 - reads like a type
    """A field holding personal data of `category` (see `SensitiveCategory`).

    The mark lands in the JSON Schema (`x-sensitive: true`, `x-sensitive-category`); log
    redaction reads it, and the runtime encrypts the field with the data subject's key
    (`ishc_runtime.privacy`) in the event store, on the bus and in commands and replies.
    Declare such fields nullable with a `None` default where you can: once a person's key is
    destroyed (crypto-shredding, DESIGN §8) the value reads back as `None`. A field that must
    stay required declares `erased=`, the stand-in value read back instead.
    """
    if category not in CATEGORIES:
        msg = f"unknown sensitive category {category!r}; one of {', '.join(CATEGORIES)}"
        raise ValueError(msg)
    extra = kwargs.pop("json_schema_extra", None) or {}
    erased = kwargs.pop("erased", None)
    marks: dict[str, Any] = {SENSITIVE_KEY: True, CATEGORY_KEY: category}
    if erased is not None:
        marks[ERASED_KEY] = erased
    return Field(json_schema_extra={**extra, **marks}, **kwargs)


ERASED_KEY = "x-erased-as"
# The stand-in a required text field reads back as once its key is destroyed.
ERASED_TEXT = "[erased]"


def _marks(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get(SENSITIVE_KEY):
            found[name] = extra
    return found


def sensitive_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of the fields of `model` marked with `Sensitive()`."""
    return frozenset(_marks(model))


def sensitive_categories(model: type[BaseModel]) -> dict[str, SensitiveCategory]:
    """Each sensitive field of `model` with its category."""
    return {name: extra[CATEGORY_KEY] for name, extra in _marks(model).items()}


def erased_value(model: type[BaseModel], name: str) -> Any:
    """What a sensitive field of `model` reads back as once its key is destroyed."""
    extra = _marks(model).get(name, {})
    return extra.get(ERASED_KEY)
