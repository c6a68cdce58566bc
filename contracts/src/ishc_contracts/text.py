"""U+0000 in text: valid JSON and valid Python, but Postgres stores it in neither text nor
jsonb, so a request carrying it would fail at the database. Requests refuse it up front,
naming the field, like any other invalid value."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ValidationInfo, field_validator

NUL = "\x00"
NUL_MESSAGE = "must not contain U+0000"


def nul_fields(value: Any, path: str = "") -> list[str]:
    """The dotted paths of the strings (or mapping keys) in `value` that hold U+0000."""
    if isinstance(value, str):
        return [path or "<body>"] if NUL in value else []
    if isinstance(value, BaseModel):
        value = vars(value)
    if isinstance(value, dict):
        found = [_join(path, k) for k in value if NUL in str(k)]
        for key, item in value.items():
            found += nul_fields(item, _join(path, key))
        return found
    if isinstance(value, list | tuple | set | frozenset):
        return [f for i, item in enumerate(value) for f in nul_fields(item, _join(path, i))]
    return []


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


class RefusesNul(BaseModel):
    """Every field of a request model refuses U+0000 in its text, at any depth.

    `nul_checked_elsewhere` names fields validated by their own model (an envelope's
    payload and actor), so the error names the innermost field instead of the whole payload."""

    nul_checked_elsewhere: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls.nul_checked_elsewhere:
            return value
        found = nul_fields(value)
        if found:
            where = "" if found == ["<body>"] else f" (at {', '.join(found)})"
            raise ValueError(NUL_MESSAGE + where)
        return value
