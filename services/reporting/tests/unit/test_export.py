import csv
import io

from openpyxl import load_workbook  # type: ignore[import-untyped]

from reporting.application.export import table, to_csv, to_xlsx

UNITS = [
    {
        "unit": "74",
        "name": "Bình Dương",
        "indicators": {"members": 10_486, "poor_members": None, "resources": {"project": 5}},
        "suppressed": ["poor_members"],
    },
    {
        "unit": "75",
        "name": "Đồng Nai",
        "indicators": {"members": 30, "poor_members": 6, "resources": {"donation": 2}},
        "suppressed": [],
    },
]


def test_nested_indicators_become_dotted_columns() -> None:
    header, rows = table(UNITS)
    assert header == [
        "unit", "name", "members", "poor_members", "resources.project", "resources.donation",
        "suppressed",
    ]  # fmt: skip
    assert rows[0] == ["74", "Bình Dương", 10_486, None, 5, None, "poor_members"]


def test_csv_leaves_suppressed_cells_blank() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(UNITS))))
    assert rows[1] == ["74", "Bình Dương", "10486", "", "5", "", "poor_members"]
    assert rows[2][3] == "6"


def test_xlsx_has_one_row_per_unit() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(UNITS, title="2025-05")))
    sheet = book["2025-05"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["unit", "name", "members"]
    assert values[1][:4] == ["74", "Bình Dương", 10_486, None]
    assert len(values) == 3
