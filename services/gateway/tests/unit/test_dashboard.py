"""The dashboard's own rules without a browser: language choice, redirects, escaping, the
session cookie, CSRF and the login page with and without dev mode (fake bus)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.auth import DEMO_CLUB_A
from gateway.dashboard.calls import Answer
from gateway.dashboard.charts import bars
from gateway.dashboard.i18n import Lang, Translator, from_accept_language
from gateway.dashboard.indicators import GROUPS, matching
from gateway.dashboard.routes_province import clubs_over_time
from gateway.dashboard.session import csrf_for, csrf_ok, masked, unmasked
from gateway.dashboard.web import safe_next
from gateway.settings import GatewaySettings
from ishc_contracts import QueryEnvelope
from ishc_contracts.errors import Reply

from ..support import FakeBus, dev_settings, fake_report, report_basis

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("", "vi"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5, vi;q=0.8", "vi"),
        ("vi-VN;q=0.1, en;q=0.2", "en"),
        ("de, fr", "vi"),
        ("en;q=abc, vi", "vi"),
    ],
)
def test_the_language_follows_accept_language_else_vietnamese(header: str, lang: str) -> None:
    assert from_accept_language(header) == lang


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_indicator_the_province_page_lists_has_a_label_in_each_language(lang: Lang) -> None:
    t = Translator(lang)
    names = [name for _, names in GROUPS for name in names]

    unlabelled = [name for name in names if not t.has(f"ind.{name}")]

    assert unlabelled == []
    assert len({t(f"ind.{name}") for name in names}) == len(names), "two indicators, one label"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_indicator_has_a_definition_naming_its_n_number(lang: Lang) -> None:
    t = Translator(lang)
    for group, names in GROUPS:
        for name in names:
            assert t.has(f"def.{name}"), name
            assert t(f"def.{name}").startswith(f"{group}. "), name


def test_an_indicator_is_found_by_its_name_its_definition_or_its_code_without_accents() -> None:
    vi = Translator("vi")

    def found(query: str) -> list[str]:
        return [name for _, names in matching(vi, query) for name in names]

    assert found("du no") == ["outstanding", "par30_pct"]  # "Dư nợ", accents aside
    assert "par30_pct" in found("PAR30") and "outstanding" in found("N10")
    assert found("tình nguyện viên") == ["volunteers", "clubs_with_5_volunteers_pct"]
    assert found("  ") == [name for _, names in GROUPS for name in names]
    assert found("không có chỉ số này") == []


def test_the_province_page_shows_definitions_and_finds_an_indicator(dev: TestClient) -> None:
    sign_in(dev, "admin")
    page = dev.get("/app/province", params={"period": "2025-05", "q": "dư nợ"})
    assert page.status_code == 200
    table = page.text.split('id="indicators"', 1)[1]
    assert table.count("<details>") == 2  # outstanding and PAR30, each with its definition
    assert "N10. Dư nợ gốc vào ngày cuối kỳ" in table
    assert 'id="no-indicator"' not in page.text
    nothing = dev.get("/app/province", params={"period": "2025-05", "q": "zzz"})
    assert 'id="no-indicator"' in nothing.text


def test_money_and_dates_follow_the_locale() -> None:
    vi, en = Translator("vi"), Translator("en")
    assert vi.vnd(1_500_000).replace("\xa0", " ") == "1.500.000 ₫"
    assert en.vnd(1_500_000) == "₫1,500,000"
    assert vi.date("2026-12-03") == en.date("2026-12-03") == "03/12/2026"
    assert vi.week("2026-W49") == "30/11/2026 \u2013 06/12/2026"
    assert vi.period("2026-11") == "Tháng 11/2026" and en.period("2026-Q4") == "Quarter 4/2026"
    # Shown in Viet Nam: 20:00 UTC is 03:00 the next day there.
    assert "04/12/2026" in en.datetime("2026-12-03T20:00:00+00:00")


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/app/", "/app/\\\\evil", "/v1/x", None]
)
def test_redirects_after_login_stay_on_the_dashboard(target: str | None) -> None:
    assert safe_next(target) is None


def test_chart_labels_are_escaped() -> None:
    svg = str(bars("<b>t</b>", [("<script>alert(1)</script>", 3.0)], str))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
def dev(bus: FakeBus) -> Iterator[TestClient]:
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, user: str) -> None:
    page = client.get("/app/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = client.post("/app/login", data={"csrf_token": csrf, "user": user})
    assert signed.status_code == 303, signed.text
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/app" in cookie


def test_a_demo_user_signs_in_and_lands_on_their_home(dev: TestClient) -> None:
    assert dev.get("/app/").headers["location"] == "/app/login"
    sign_in(dev, "secretary-a")
    assert dev.get("/app/").headers["location"] == f"/app/club/{DEMO_CLUB_A}"


def test_a_form_without_the_csrf_token_sends_nothing(dev: TestClient, bus: FakeBus) -> None:
    sign_in(dev, "secretary-a")
    refused = dev.post(
        f"/app/club/{DEMO_CLUB_A}/admit",
        data={"full_name": "X", "sex": "male", "joined_on": "2026-01-01"},
    )
    assert refused.status_code == 403
    assert bus.commands == []


def test_login_needs_its_csrf_cookie(dev: TestClient) -> None:
    refused = dev.post("/app/login", data={"csrf_token": "forged", "user": "admin"})
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers


def test_pages_carry_a_strict_policy_and_assets_are_cacheable(dev: TestClient) -> None:
    page = dev.get("/app/login")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<html lang="vi">' in page.text
    css = dev.get("/app/static/app.css")
    assert css.status_code == 200 and "max-age" in css.headers["cache-control"]
    assert dev.get("/app/static/../app.py").status_code == 404


def test_without_dev_mode_the_login_page_asks_for_the_identity_providers_token(
    bus: FakeBus,
) -> None:
    settings = GatewaySettings(
        jwks_url="http://127.0.0.1:9/jwks", club_directory=False, services=("sample",)
    )
    with TestClient(create_app(settings, bus=bus), follow_redirects=False) as client:
        page = client.get("/app/login", headers={"Accept-Language": "en"})
        assert 'name="token"' in page.text and 'name="user"' not in page.text
        assert "identity provider" in page.text
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        refused = client.post("/app/login", data={"csrf_token": csrf, "token": "not-a-jwt"})
        assert refused.status_code == 401
        assert "set-cookie" not in refused.headers or "ishc_session" not in refused.headers.get(
            "set-cookie", ""
        )


def replica(bus: FakeBus, csrf_secret: str | None) -> TestClient:
    settings = GatewaySettings(**{**dev_settings().model_dump(), "csrf_secret": csrf_secret})
    return TestClient(create_app(settings, bus=bus), follow_redirects=False)


@pytest.mark.parametrize(("shared_secret", "accepted"), [("k" * 32, True), (None, False)])
def test_a_form_served_by_one_replica_is_accepted_by_another_when_they_share_the_csrf_secret(
    bus: FakeBus, shared_secret: str | None, accepted: bool
) -> None:
    with replica(bus, shared_secret) as first, replica(bus, shared_secret) as second:
        sign_in(first, "secretary-a")
        page = first.get(f"/app/club/{DEMO_CLUB_A}")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        second.cookies.update(first.cookies)

        sent = second.post(
            f"/app/club/{DEMO_CLUB_A}/admit",
            data={
                "csrf_token": csrf,
                "full_name": "Nguyễn Thị Lan",
                "sex": "female",
                "joined_on": "2026-01-01",
            },
        )

    assert sent.status_code == (303 if accepted else 403), sent.text
    assert (len(bus.commands) == 1) is accepted


def test_the_province_page_says_when_its_figures_miss_events(dev: TestClient, bus: FakeBus) -> None:
    basis = {"value": report_basis(behind=120, parked=2)}

    def answered(envelope: QueryEnvelope) -> Reply:
        return Reply.success({**(fake_report(envelope).result or {}), "basis": basis["value"]})

    bus.query_replies["Indicators"] = answered
    sign_in(dev, "admin")

    def page() -> str:
        english = {"Accept-Language": "en"}
        response = dev.get("/app/province", params={"period": "2025-05"}, headers=english)
        return str(response.text)

    def between(text: str, start: str, end: str) -> str:
        return text.split(start, 1)[1].split(end, 1)[0]

    shown = page()
    notice = between(shown, 'id="incomplete"', "</div>")
    assert "Figures incomplete" in notice
    assert "care: catching up · 2 events parked" in notice
    assert "membership" not in notice  # caught up, nothing missing there
    assert "120 new events still being counted" in between(shown, 'id="computed-at"', "</p>")

    # Behind only, as on any busy day: said, not warned about.
    basis["value"] = report_basis(behind=7)
    shown = page()
    assert 'id="incomplete"' not in shown
    assert "7 new events still being counted" in between(shown, 'id="computed-at"', "</p>")

    basis["value"] = report_basis()
    shown = page()
    assert 'id="incomplete"' not in shown
    assert "being counted" not in between(shown, 'id="computed-at"', "</p>")


def test_the_province_page_asks_two_reports_and_one_trend_query(
    dev: TestClient, bus: FakeBus
) -> None:
    sign_in(dev, "admin")
    bus.queries.clear()

    page = dev.get("/app/province", params={"period": "2025-05"})

    assert page.status_code == 200
    asked = [(service, envelope.type) for service, envelope in bus.queries]
    assert asked == [
        ("reporting", "Indicators"),
        ("reporting", "Indicators"),
        ("reporting", "ClubsOverTime"),
    ]
    months = bus.queries[-1][1].params["months"]
    assert months == ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]


def test_a_month_the_trend_lacks_is_a_gap_not_a_zero() -> None:
    answer = Answer(status=200, data={"months": [{"month": "2025-05", "clubs_cumulative": 7}]})
    assert clubs_over_time(["2025-04", "2025-05"], answer) == [("25-04", None), ("25-05", 7)]
    failed = Answer(status=503, problem={"title": "unavailable"})
    assert clubs_over_time(["2025-05"], failed) == [("25-05", None)]


def test_pages_are_compressed_and_their_csrf_token_never_repeats(dev: TestClient) -> None:
    sign_in(dev, "secretary-a")
    first = dev.get(f"/app/club/{DEMO_CLUB_A}/health", headers={"Accept-Encoding": "gzip"})
    second = dev.get(f"/app/club/{DEMO_CLUB_A}/health", headers={"Accept-Encoding": "gzip"})
    assert first.headers.get("content-encoding") == "gzip"
    token = first.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    again = second.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    # Masked afresh per response: compressed sizes cannot reveal it (BREACH).
    assert token != again
    # Outside the dashboard (the API, called in-process by the pages) nothing is compressed.
    api = dev.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert len(api.content) > 10_000
    assert api.headers.get("content-encoding") is None


def test_a_masked_token_opens_to_the_sessions_and_a_forged_one_does_not() -> None:
    key, session = b"k" * 32, "session-token"
    real = csrf_for(key, session)
    assert csrf_ok(key, session, masked(real))
    assert csrf_ok(key, session, real), "a plain token (an older page, an offline queue)"
    forged = masked(real)
    forged = forged[:-2] + ("00" if forged[-2:] != "00" else "11")
    assert not csrf_ok(key, session, forged)
    assert not csrf_ok(key, session, "zz")
    assert not csrf_ok(key, session, "")
    assert unmasked("abc") is None
