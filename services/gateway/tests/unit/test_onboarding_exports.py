"""Onboarding and exports: `/` opens the dashboard, the API docs work without a CDN, the
OpenAPI document has a bearer scheme and a real summary per operation; the dashboard's
CSV (BOM, labelled headers) and XLSX (labels, widths, ₫ and % formats, local time)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from gateway.app import create_app
from gateway.dashboard.exports import indicator_csv, indicator_xlsx
from gateway.dashboard.i18n import Translator
from gateway.dashboard.routes_province import drill_links, last_complete_month

from ..support import FakeBus, dev_settings
from .test_dashboard_vietnamese import sign_in

pytestmark = pytest.mark.unit

UNITS = [
    {
        "unit": "01",
        "name": "Thành phố Hà Nội",
        "indicators": {"members": 120, "women_pct": 61.5, "loans_amount": 45_000_000},
        "suppressed": ["disability_pct"],
    }
]


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(dev_settings(), bus=FakeBus()), follow_redirects=False) as c:
        yield c


def test_the_root_opens_the_dashboard(client: TestClient) -> None:
    answer = client.get("/")

    assert answer.status_code == 307 and answer.headers["location"] == "/app/"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_load_only_local_assets(client: TestClient, path: str) -> None:
    page = client.get(path)

    assert page.status_code == 200
    assert "cdn." not in page.text and "fonts.googleapis" not in page.text
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/redoc.standalone.js"):
        if asset in page.text:
            assert client.get(asset).status_code == 200


def test_the_openapi_document_has_a_bearer_scheme_and_a_real_summary_everywhere(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()

    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    operations = [(path, op) for path, ops in spec["paths"].items() for op in ops.values()]
    summaries = Counter(op["summary"] for _, op in operations)
    assert len(operations) >= 80
    for path, op in operations:
        assert not op["summary"].startswith("An imperative"), path
        assert summaries[op["summary"]] == 1, f"{path}: {op['summary']} twice"
        assert op["security"] == (
            []
            if path in ("/healthz", "/readyz", "/metrics", "/v1/dev/tokens")
            else [{"bearer": []}]
        )


def test_the_csv_opens_in_vietnamese_excel() -> None:
    content = indicator_csv(Translator("vi"), UNITS)

    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.startswith("Đơn vị;") and "Tỷ lệ nữ (%)" in header and "members" not in header
    assert "Thành phố Hà Nội;" in row and "61,5" in row and "45000000" in row
    assert "ẩn (số nhỏ)" in row


def test_the_csv_in_english_has_english_labels_and_commas() -> None:
    text = indicator_csv(Translator("en"), UNITS).decode("utf-8-sig")

    assert text.splitlines()[0].startswith("Unit,Clubs to date") or "Members" in text


def test_the_xlsx_has_labels_widths_money_and_percent_formats_and_local_time() -> None:
    content = indicator_xlsx(
        Translator("vi"),
        UNITS,
        period="2026-11",
        level="province",
        computed_at="2026-12-03T20:00:00+00:00",
    )

    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "Đơn vị" and "Tỷ lệ nữ" in headers and "Số tiền đã cho vay" in headers
    women = sheet.cell(row=2, column=headers.index("Tỷ lệ nữ") + 1)
    assert women.value == pytest.approx(0.615) and women.number_format == "0.0%"
    money = sheet.cell(row=2, column=headers.index("Số tiền đã cho vay") + 1)
    assert money.value == 45_000_000 and "₫" in money.number_format
    assert (sheet.column_dimensions["A"].width or 0) >= 12
    assert sheet.freeze_panes == "B2"
    about = {row[0]: row[1] for row in book.worksheets[1].iter_rows(values_only=True)}
    assert about["Số liệu tính lúc"] == "04/12/2026 03:00"  # Viet Nam time


def test_the_province_page_downloads_labelled_files(client: TestClient) -> None:
    client.cookies.set("ishc_lang", "vi", path="/app")
    sign_in(client, "officer-hanoi")

    csv_file = client.get("/app/province/export.csv?period=2026-11&level=province")
    xlsx_file = client.get("/app/province/export.xlsx?period=2026-11&level=province")

    assert csv_file.status_code == 200 and csv_file.content.startswith(b"\xef\xbb\xbf")
    assert "ishc-chi-so-2026-11-province.csv" in csv_file.headers["content-disposition"]
    assert xlsx_file.status_code == 200 and xlsx_file.content[:2] == b"PK"


def test_an_officer_drills_from_province_to_commune_to_club() -> None:
    rows = [{"unit": "01"}, {"unit": "unknown"}]

    assert drill_links("province", rows, "2026-11") == {
        "01": "/app/province?period=2026-11&level=commune&province=01"
    }
    assert drill_links("commune", [{"unit": "01:00070"}], "2026-11") == {
        "01:00070": "/app/province?period=2026-11&level=club&province=01&commune=01%3A00070"
    }
    club = "0193a000-0000-7000-8000-00000000000a"
    assert drill_links("club", [{"unit": club}], "2026-Q4")[club].endswith(
        f"level=club&unit={club}"
    )


def test_the_commune_level_asks_for_that_communes_clubs_only() -> None:
    bus = FakeBus()
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as client:
        asked_for_a_commune(client, bus)


def asked_for_a_commune(client: TestClient, bus: FakeBus) -> None:
    sign_in(client, "officer-hanoi")
    page = client.get(
        "/app/province",
        params={"period": "2026-11", "level": "club", "province": "01", "commune": "01:00070"},
    )
    assert page.status_code == 200, page.text
    asked = [e.params for s, e in bus.queries if e.type == "Indicators"]
    # The summary is the commune; the table its clubs, within the officer's province.
    assert {"level": "commune", "unit": "01:00070"}.items() <= asked[0].items()
    assert (asked[1]["level"], asked[1]["provinces"], asked[1]["communes"]) == (
        "club",
        ["01"],
        ["01:00070"],
    )
    assert "commune=01:00070" in page.text or "commune=01%3A00070" in page.text
    bad = client.get(
        "/app/province", params={"period": "2026-11", "level": "club", "commune": "x; y"}
    )
    assert bad.status_code == 200
    asked = [e.params for s, e in bus.queries if e.type == "Indicators"]
    assert asked[-1]["communes"] is None, "a malformed commune is ignored, not sent"


def test_the_default_period_is_the_last_complete_month() -> None:
    assert last_complete_month(date(2026, 12, 7)) == "2026-11"
    assert last_complete_month(date(2027, 1, 1)) == "2026-12"


def test_a_bad_period_is_said_not_silently_replaced(client: TestClient) -> None:
    client.cookies.set("ishc_lang", "vi", path="/app")
    sign_in(client, "officer-hanoi")

    page = client.get("/app/province?period=2026-13")

    assert page.status_code == 200
    assert 'id="bad-period"' in page.text and "2026-13" in page.text
