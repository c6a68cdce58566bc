"""Vietnamese throughout: every page a role sees, rendered in Vietnamese, shows no English
word (validation errors included); dates as dd/mm/yyyy and weeks as date ranges; names in
Vietnamese order; members of the same name told apart in pickers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.dashboard.i18n import MESSAGES
from gateway.dashboard.vietnamese import sort_key, validation_message

from ..support import FakeBus, dev_settings
from .dashboard_club import CLUB, LOAN, LOAN_DONE, THU_1952, club_bus

pytestmark = pytest.mark.unit

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
SHOWN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


class VisibleText(HTMLParser):
    """Text a reader sees or hears: body text and the labelling attributes, without scripts,
    and without what the page marks as not to be translated (ids, codes, the English link)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        hidden = (
            tag in ("script", "style", "template", "code")
            or found.get("translate") == "no"
            or found.get("lang") == "en"
            or (self.stack and self.stack[-1])
        )
        if not hidden:
            self.parts.extend(str(found[a]) for a in SHOWN_ATTRIBUTES if found.get(a))
            if tag == "input" and found.get("type") in ("submit", "button"):
                self.parts.append(str(found.get("value") or ""))
        if tag not in VOID:
            self.stack.append(bool(hidden))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}


VIETNAMESE_WORDS = set().union(*(_words(vi) for vi, _ in MESSAGES.values()))
# English words a page could leak: the English catalogue, and pydantic's and the services'.
ENGLISH = (
    (
        set().union(*(_words(en) for _, en in MESSAGES.values()))
        | _words("Field required should have least character valid integer input date Input")
        | _words("Invalid request String must before after future Value error Saved Sign out")
    )
    - VIETNAMESE_WORDS
    - {"ishc", "xlsx"}
)


def english_in(html: str) -> set[str]:
    return _words(visible(html)) & ENGLISH


@pytest.fixture
def bus() -> FakeBus:
    return club_bus()


@pytest.fixture
def client(bus: FakeBus) -> Iterator[TestClient]:
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as c:
        c.cookies.set("ishc_lang", "vi", path="/app")
        yield c


def sign_in(client: TestClient, user: str) -> str:
    page = client.get("/app/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/app/login", data={"csrf_token": csrf, "user": user}).status_code == 303
    return str(page.text)


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_the_login_page_in_vietnamese_has_no_english(client: TestClient) -> None:
    assert english_in(client.get("/app/login").text) == set()


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("secretary-a", f"/app/club/{CLUB}"),
        ("secretary-a", "/app/volunteer"),
        ("secretary-a", f"/app/club/{CLUB}/loans"),
        ("secretary-a", f"/app/club/{CLUB}/loans/{LOAN}"),
        ("secretary-a", f"/app/club/{CLUB}/loans/{LOAN_DONE}"),
        ("secretary-a", f"/app/club/{CLUB}/meetings"),
        ("secretary-a", f"/app/club/{CLUB}/funds"),
        ("secretary-a", f"/app/club/{CLUB}/health"),
        ("secretary-a", f"/app/club/{CLUB}/care"),
        ("secretary-a", f"/app/club/{CLUB}/members/{THU_1952}"),
        ("volunteer-a", "/app/volunteer"),
        ("officer-hanoi", "/app/province?period=2026-11"),
        ("operator", "/app/operator"),
    ],
)
def test_every_page_in_vietnamese_has_no_english(client: TestClient, user: str, path: str) -> None:
    sign_in(client, user)

    page = client.get(path)

    assert page.status_code == 200, page.text
    assert english_in(page.text) == set()


def test_a_refused_form_says_pydantics_errors_in_vietnamese(client: TestClient) -> None:
    sign_in(client, "secretary-a")
    page = client.get(f"/app/club/{CLUB}")

    refused = client.post(
        f"/app/club/{CLUB}/admit",
        data={"csrf_token": csrf_of(page.text), "full_name": "", "sex": "", "joined_on": "x"},
    )

    assert refused.status_code == 422
    assert english_in(refused.text) == set()
    assert "Vui lòng điền mục này." in refused.text
    assert "Vui lòng nhập ngày hợp lệ" in refused.text


def test_the_same_refusal_in_english_keeps_the_apis_words(client: TestClient) -> None:
    client.cookies.set("ishc_lang", "en", path="/app")
    sign_in(client, "secretary-a")
    page = client.get(f"/app/club/{CLUB}")

    refused = client.post(
        f"/app/club/{CLUB}/admit",
        data={"csrf_token": csrf_of(page.text), "full_name": "", "sex": "female"},
    )

    assert refused.status_code == 422
    assert "String should have at least 1 character" in refused.text


def test_dates_are_dd_mm_yyyy_and_the_week_is_a_date_range(client: TestClient) -> None:
    sign_in(client, "secretary-a")

    page = visible(client.get(f"/app/club/{CLUB}").text)

    assert "21/03/2024" in page
    assert "30/11/2026 \u2013 06/12/2026" in page
    assert "2026-W49" not in page and "thg" not in page


def test_members_of_the_same_name_are_told_apart_by_birth_year_and_hamlet(
    client: TestClient,
) -> None:
    sign_in(client, "secretary-a")

    page = client.get(f"/app/club/{CLUB}").text

    for label in (
        "Bùi Thị Thu · 1952 · Thôn/xóm Đông",
        "Bùi Thị Thu · 1960 · Thôn/xóm Đông",
        "Bùi Thị Thu · 1971 · Thôn/xóm Tây",
    ):
        assert f">{label}</option>" in page
    assert ">Nguyễn Văn An</option>" in page  # a name nobody shares stays plain


def test_names_sort_in_vietnamese_order_given_name_first() -> None:
    names = ["Vũ Văn Đức", "Đỗ Thị Vân", "Nguyễn Văn An", "Lê Văn Dũng", "Phạm Thị Ảnh", "Trần Á"]

    assert sorted(names, key=sort_key) == [
        "Trần Á",
        "Nguyễn Văn An",
        "Phạm Thị Ảnh",
        "Lê Văn Dũng",
        "Vũ Văn Đức",
        "Đỗ Thị Vân",
    ]


@pytest.mark.parametrize(
    ("english", "vietnamese"),
    [
        ("Field required", "Vui lòng điền mục này."),
        ("String should have at least 1 character", "Vui lòng điền mục này."),
        ("String should have at most 120 characters", "Tối đa 120 ký tự."),
        ("Input should be greater than 0", "Phải lớn hơn 0."),
        ("Input should be greater than or equal to 1", "Phải từ 1 trở lên."),
        ("Input should be less than or equal to 1440", "Không được quá 1440."),
        ("must be on or before 2026-12-08", "Không được sau ngày 08/12/2026."),
        (
            "Input should be 'female', 'male' or 'other'",
            "Vui lòng chọn một giá trị trong danh sách.",
        ),
        ("Something the templates never heard of", "Giá trị không hợp lệ."),
    ],
)
def test_pydantic_messages_are_said_in_vietnamese(english: str, vietnamese: str) -> None:
    assert validation_message(english, "vi") == vietnamese
    assert validation_message(english, "en") == english


def test_both_languages_have_every_message_and_none_is_empty() -> None:
    folder = resources.files("gateway.dashboard") / "messages"
    catalogues = {
        lang: json.loads((folder / f"{lang}.json").read_text("utf-8")) for lang in ("vi", "en")
    }
    assert catalogues["vi"].keys() == catalogues["en"].keys()
    for lang, messages in catalogues.items():
        empty = [key for key, text in messages.items() if not str(text).strip()]
        assert empty == [], f"{lang}: {empty}"
    assert {k: (v, catalogues["en"][k]) for k, v in catalogues["vi"].items()} == MESSAGES
