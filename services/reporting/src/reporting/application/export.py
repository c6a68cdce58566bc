"""CSV and XLSX export of an indicator report: one row per unit, one column per indicator.
Nested indicators (by scheme, by source) become dotted columns; suppressed cells are blank
and listed in the `suppressed` column."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]

from ishc_contracts.reporting.queries import ReportBasis

FIXED = ("unit", "name")


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out[prefix] = value


def table(units: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows; columns are the union of every unit's indicators, in first-seen order."""
    flat = []
    columns: dict[str, None] = {}
    for unit in units:
        values: dict[str, Any] = {}
        _flatten("", unit["indicators"], values)
        flat.append(values)
        columns.update(dict.fromkeys(values))
    header = [*FIXED, *columns, "suppressed"]
    rows = [
        [
            unit["unit"],
            unit["name"],
            *(values.get(c) for c in columns),
            " ".join(unit["suppressed"]),
        ]
        for unit, values in zip(units, flat, strict=True)
    ]
    return header, rows


def to_csv(units: Sequence[Mapping[str, Any]]) -> str:
    header, rows = table(units)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue()


BASIS_COLUMNS = ("projection", "source", "state", "lag", "parked", "blocking", "updated_at")


def to_xlsx(
    units: Sequence[Mapping[str, Any]],
    title: str = "indicators",
    basis: ReportBasis | None = None,
) -> bytes:
    """The report as a workbook; with `basis`, a second sheet says what it was computed from,
    so a file passed on still tells whether its figures were complete."""
    header, rows = table(units)
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "C2"
    if basis is not None:
        about = book.create_sheet("basis")
        about.append(["computed_at", basis.computed_at.isoformat()])
        about.append(["complete", basis.complete])
        about.append([])
        about.append(list(BASIS_COLUMNS))
        for source in basis.sources:
            fields = source.model_dump(mode="json")
            about.append([fields[c] for c in BASIS_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
