"""Work is never lost: sign-out keeps queued visits when the user says so, the visit form
carries vitals, observations and follow-up (never a 0-minute visit), and a save is confirmed
inside the form that was saved (in view on a phone)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app

from ..support import FakeBus, dev_settings
from .dashboard_club import CASE, CLUB, club_bus
from .test_dashboard_vietnamese import csrf_of, sign_in

pytestmark = pytest.mark.unit


@pytest.fixture
def bus() -> FakeBus:
    return club_bus()


@pytest.fixture
def client(bus: FakeBus) -> Iterator[TestClient]:
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as c:
        c.cookies.set("ishc_lang", "vi", path="/app")
        yield c


@pytest.mark.parametrize(("keep", "cleared"), [("1", '"cache"'), ("0", '"cache", "storage"')])
def test_sign_out_keeps_the_phones_queue_only_when_the_user_chose_to(
    client: TestClient, keep: str, cleared: str
) -> None:
    sign_in(client, "volunteer-a")
    page = client.get("/app/volunteer")

    out = client.post("/app/logout", data={"csrf_token": csrf_of(page.text), "keep_queue": keep})

    assert out.status_code == 303
    assert out.headers["clear-site-data"] == cleared


def test_every_page_warns_before_sign_out_and_the_volunteer_page_can_send_now(
    client: TestClient,
) -> None:
    sign_in(client, "volunteer-a")

    page = client.get("/app/volunteer").text

    assert 'id="logout-warning"' in page and "Vẫn đăng xuất, giữ lại trên máy" in page
    assert 'id="send-now"' in page and "Gửi ngay" in page
    assert 'id="last-sync"' in page and "Lần gửi gần nhất" in page
    assert 'name="duration_minutes" type="number" value="30"' in page
    assert 'name="systolic"' in page and 'name="observations"' in page
    assert 'name="follow_up" value="health_station"' in page


def test_a_visit_from_the_club_page_carries_vitals_observations_and_follow_up(
    client: TestClient, bus: FakeBus
) -> None:
    sign_in(client, "secretary-a")
    page = client.get(f"/app/club/{CLUB}")

    sent = client.post(
        f"/app/club/{CLUB}/visit",
        data={
            "csrf_token": csrf_of(page.text),
            "case_id": CASE,
            "visited_on": "2026-12-03",
            "duration_minutes": "45",
            "tasks_done": ["meals", "medication"],
            "systolic": "150",
            "diastolic": "95",
            "observations": "Huyết áp cao, chóng mặt",
            "follow_up": ["health_station", "inform_family"],
        },
    )

    assert sent.status_code == 303, sent.text
    payload = bus.commands[-1][1].payload
    assert payload["duration_minutes"] == 45
    assert payload["blood_pressure"] == {"systolic": 150, "diastolic": 95}
    assert payload["observations"] == "Huyết áp cao, chóng mặt"
    assert payload["follow_up"] == ["health_station", "inform_family"]
    assert sent.headers["location"].endswith("&form=visit#form-visit")


def test_a_save_is_confirmed_inside_the_form_that_was_saved(client: TestClient) -> None:
    sign_in(client, "secretary-a")

    page = client.get(f"/app/club/{CLUB}?saved=saved&form=visit").text

    form = page.split('id="form-visit"', 1)[1].split("</form>", 1)[0]
    assert 'id="saved"' in form and "Đã lưu." in form
    assert page.count('id="saved"') == 1


def test_a_zero_minute_visit_is_refused_in_vietnamese_next_to_the_field(
    client: TestClient,
) -> None:
    sign_in(client, "secretary-a")
    page = client.get(f"/app/club/{CLUB}")

    refused = client.post(
        f"/app/club/{CLUB}/visit",
        data={
            "csrf_token": csrf_of(page.text),
            "case_id": CASE,
            "visited_on": "2026-12-03",
            "duration_minutes": "0",
        },
    )

    assert refused.status_code == 422
    assert "Phải từ 1 trở lên." in refused.text.split('id="form-visit"', 1)[1]
