"""Effective-dated policy parameters: the mechanism. The values are data (`policy_table.py`).

A parameter is (scheme, key, value, valid_from, valid_to, legal_basis). Values are integers:
money in VND, ages in years, coefficients in hundredths (150 = x1.5), shares in percent.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from advocacy.domain.errors import ParameterTableInvalid


@dataclass(frozen=True)
class Parameter:
    scheme: str
    key: str
    value: int
    valid_from: date
    valid_to: date | None  # inclusive; None = still in force
    legal_basis: str

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class ParameterTable:
    version: str
    rows: tuple[Parameter, ...]

    def __post_init__(self) -> None:
        ordered = sorted(self.rows, key=lambda p: (p.scheme, p.key, p.valid_from))
        for before, after in itertools.pairwise(ordered):
            same = (before.scheme, before.key) == (after.scheme, after.key)
            if same and (before.valid_to is None or before.valid_to >= after.valid_from):
                msg = f"{before.scheme}.{before.key}: periods overlap at {after.valid_from}"
                raise ParameterTableInvalid(msg, field="rows")

    def find(self, scheme: str, key: str, on: date) -> Parameter | None:
        for row in self.rows:
            if row.scheme == scheme and row.key == key and row.in_force(on):
                return row
        return None

    def get(self, scheme: str, key: str, on: date) -> int | None:
        row = self.find(scheme, key, on)
        return None if row is None else row.value

    def in_force(self, scheme: str, on: date) -> bool:
        """Whether any parameter of `scheme` is in force on `on` (the scheme exists then)."""
        return any(row.scheme == scheme and row.in_force(on) for row in self.rows)

    def replaced(self, version: str, rows: Iterable[Parameter]) -> ParameterTable:
        """A new table version: `rows` replace same (scheme, key, valid_from) rows."""
        new = {(r.scheme, r.key, r.valid_from): r for r in self.rows}
        new.update({(r.scheme, r.key, r.valid_from): r for r in rows})
        return ParameterTable(version, tuple(new.values()))


def coefficient_amount(base: int, coefficient_pct: int) -> int:
    """base x coefficient, in whole VND (coefficients are hundredths)."""
    return base * coefficient_pct // 100
