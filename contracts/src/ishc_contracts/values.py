"""Value types shared by every service's events and commands.

Money is integer VND: floats cannot represent every amount exactly and sums drift.
Reference data (activity areas, schemes, loan purposes, admin units) is a loosely validated
code, never an enum: it is data that changes by decree or by club charter, not by release.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

# strict: a float (even 5.0) or a numeric string is refused, so a rounding error upstream
# surfaces as a named validation error instead of a silently truncated amount.
Vnd = Annotated[int, Field(ge=0, strict=True, description="Amount in VND (integer, never float)")]
PositiveVnd = Annotated[
    int, Field(gt=0, strict=True, description="Amount in VND (integer, never float), > 0")
]

Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$",
        description="Reference-data code (validated loosely: the list is data, not code)",
    ),
]
Codes = tuple[Code, ...]

PersonName = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(max_length=4000)]
DocumentRef = Annotated[
    str, Field(min_length=1, max_length=200, description="Paper or file reference")
]
Phone = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[0-9+() .-]+$")]
IdNumber = Annotated[str, Field(min_length=6, max_length=20, pattern=r"^[A-Za-z0-9]+$")]

Sex = Literal["female", "male", "other"]
MonthDay = Annotated[int, Field(ge=1, le=31, description="Day of the month (fixed meeting day)")]
Count = Annotated[int, Field(ge=0, strict=True)]
