"""The indicator table as files that open well in Vietnamese Excel, labelled in the reader's
language (the API's own `.csv`/`.xlsx` keep machine keys, for programs).

- CSV: UTF-8 with a byte-order mark (Excel on Windows reads UTF-8 only then: without it
  Vietnamese is garbled), a header row of labels; in Vietnamese `;` between fields and a
  decimal comma (Excel in a Vietnamese locale splits on its list separator `;`), in English
  `,` and a decimal point. Money as whole đồng, shares as percentages.
- XLSX: labelled, bold and frozen header, column widths fitted to the labels, money in
  `#,##0 ₫`, shares in `0.0%` (the value is a fraction), and a second sheet saying what the
  file holds and when the figures were computed, in Viet Nam time.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from gateway.dashboard.i18n import Translator
from gateway.dashboard.indicators import GROUPS, MONEY
from ishc_runtime.clock import VN_TZ

BOM = "\ufeff"
MONEY_FORMAT = '#,##0 "₫"'
PERCENT_FORMAT = "0.0%"


def columns() -> list[str]:
    return [name for _, names in GROUPS for name in names]


def _value(name: str, value: Any) -> float | int | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if name.endswith("_pct"):
        return float(value) / 100  # a fraction: Excel's % format shows it as a percentage
    return value


def _cell_text(t: Translator, name: str, value: Any, suppressed: bool) -> str:
    if value is None:
        return t("prov.suppressed") if suppressed else ""
    if name.endswith("_pct"):
        text = f"{float(value):.1f}"
    elif isinstance(value, float) and not value.is_integer():
        text = f"{value:.2f}"
    else:
        text = str(int(value))
    return text.replace(".", ",") if t.lang == "vi" else text


def indicator_csv(t: Translator, units: list[dict[str, Any]]) -> bytes:
    names = columns()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if t.lang == "vi" else ",", lineterminator="\r\n")
    writer.writerow(
        [t("prov.unit"), *(t(f"ind.{n}") + (" (%)" if n.endswith("_pct") else "") for n in names)]
    )
    for unit in units:
        figures = unit.get("indicators") or {}
        hidden = set(unit.get("suppressed") or ())
        writer.writerow(
            [unit.get("name", "")]
            + [_cell_text(t, n, _value_raw(figures, n), n in hidden) for n in names]
        )
    return (BOM + out.getvalue()).encode("utf-8")


def _value_raw(figures: dict[str, Any], name: str) -> Any:
    value = figures.get(name)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def indicator_xlsx(
    t: Translator,
    units: list[dict[str, Any]],
    *,
    period: str,
    level: str,
    computed_at: str | None,
) -> bytes:
    names = columns()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("prov.by_unit")[:31]
    headers = [t("prov.unit"), *(t(f"ind.{n}") for n in names)]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for unit in units:
        figures = unit.get("indicators") or {}
        hidden = set(unit.get("suppressed") or ())
        row: list[Any] = [unit.get("name", "")]
        for n in names:
            value = _value(n, figures.get(n))
            row.append(t("prov.suppressed") if value is None and n in hidden else value)
        sheet.append(row)
    for index, name in enumerate(names, start=2):
        fmt = MONEY_FORMAT if name in MONEY else PERCENT_FORMAT if name.endswith("_pct") else None
        if fmt is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
    for index, header in enumerate(headers, start=1):
        longest = max(
            [min(len(header), 28)]
            + [len(str(r[index - 1])) + 4 for r in sheet.iter_rows(min_row=2, values_only=True)]
        )
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, longest + 2))
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = "B2"

    about = book.create_sheet(t("export.about")[:31])
    now = datetime.now(VN_TZ)
    about.append([t("prov.period"), t.period(period)])
    about.append([t("prov.level"), t(f"level.{level}")])
    about.append([t("prov.computed_at"), t.datetime(computed_at) if computed_at else "—"])
    about.append([t("export.generated_at"), t.datetime(now)])
    about.append([t("export.timezone"), "Asia/Ho_Chi_Minh (UTC+7)"])
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 36
    for (cell,) in about.iter_rows(min_col=1, max_col=1):
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
