"""The operator page's redrive and discard: a confirmation page (a form, no script), the
command through `/v1/ops/parked/...`, the reason a discard needs, in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.dashboard.charts import sparkline
from ishc_contracts import CommandEnvelope, QueryEnvelope
from ishc_contracts.errors import Problem, Reply
from ishc_contracts.operations import LagHistoryAnswer, LagSample

from ..support import FakeBus, dev_settings
from .test_dashboard_vietnamese import csrf_of, english_in, sign_in
from .test_operations import parked_of, resolved_by_service, status_of

pytestmark = pytest.mark.unit

CONFIRM = "/app/operator/parked/sample/7"


@pytest.fixture
def bus() -> FakeBus:
    bus = FakeBus()
    bus.query_replies["ProjectionStatus"] = status_of
    bus.query_replies["ParkedEvents"] = parked_of
    bus.command_replies["RedriveParked"] = resolved_by_service
    bus.command_replies["DiscardParked"] = resolved_by_service
    return bus


@pytest.fixture(params=["vi", "en"])
def client(bus: FakeBus, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as c:
        c.cookies.set("ishc_lang", request.param, path="/app")
        sign_in(c, "operator")
        yield c


def test_each_parked_event_has_a_redrive_and_a_discard_leading_to_a_confirmation(
    client: TestClient,
) -> None:
    page = client.get("/app/operator")
    assert page.status_code == 200
    assert f'href="{CONFIRM}/redrive"' in page.text
    assert f'href="{CONFIRM}/discard"' in page.text
    for action in ("redrive", "discard"):
        confirm = client.get(f"{CONFIRM}/{action}")
        assert confirm.status_code == 200, confirm.text
        assert f'action="{CONFIRM}/{action}"' in confirm.text
        assert 'name="csrf_token"' in confirm.text
        assert ('name="reason"' in confirm.text) is (action == "discard")
        if client.cookies.get("ishc_lang") == "vi":
            assert english_in(page.text) == set()
            assert english_in(confirm.text) == set()
    assert client.get("/app/operator/parked/sample/8/redrive").status_code == 404
    assert client.get("/app/operator/parked/nosuch/7/redrive").status_code == 404


def test_a_confirmed_redrive_is_sent_once_and_the_page_says_it_was_done(
    client: TestClient, bus: FakeBus
) -> None:
    confirm = client.get(f"{CONFIRM}/redrive")
    done = client.post(f"{CONFIRM}/redrive", data={"csrf_token": csrf_of(confirm.text)})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/app/operator?done=redrive&id=7#done"
    [(service, envelope)] = bus.commands
    assert (service, envelope.type, envelope.payload) == (
        "sample",
        "RedriveParked",
        {"parked_id": 7},
    )
    assert envelope.actor.role == "operator"
    shown = client.get(done.headers["location"])
    assert 'id="done"' in shown.text and "#7" in shown.text


def test_a_discard_needs_the_reason_and_records_it(client: TestClient, bus: FakeBus) -> None:
    csrf = csrf_of(client.get(f"{CONFIRM}/discard").text)
    refused = client.post(f"{CONFIRM}/discard", data={"csrf_token": csrf, "reason": " "})
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text
    assert 'id="discard-reason-error"' in refused.text
    assert bus.commands == []
    if client.cookies.get("ishc_lang") == "vi":
        assert english_in(refused.text) == set()

    done = client.post(
        f"{CONFIRM}/discard", data={"csrf_token": csrf, "reason": "dữ liệu thử nghiệm"}
    )
    assert done.status_code == 303, done.text
    [(_, envelope)] = bus.commands
    assert envelope.payload == {"parked_id": 7, "reason": "dữ liệu thử nghiệm"}


def test_without_the_csrf_token_nothing_is_sent(client: TestClient, bus: FakeBus) -> None:
    refused = client.post(f"{CONFIRM}/discard", data={"reason": "forged request"})
    assert refused.status_code == 403
    assert bus.commands == []


def test_a_service_refusal_is_shown_on_the_confirmation_page(
    client: TestClient, bus: FakeBus
) -> None:
    def failed(envelope: CommandEnvelope) -> Reply:
        return Reply.failure(
            Problem(type="redrive-failed", title="x", status=409, detail="RuntimeError: 13")
        )

    bus.command_replies["RedriveParked"] = failed
    csrf = csrf_of(client.get(f"{CONFIRM}/redrive").text)
    shown = client.post(f"{CONFIRM}/redrive", data={"csrf_token": csrf})
    assert shown.status_code == 409
    title = (
        "Sự kiện bị tạm giữ lại lỗi khi gửi lại"
        if client.cookies.get("ishc_lang") == "vi"
        else "The parked event failed again"
    )
    assert title in shown.text
    assert 'role="alert"' in shown.text


def test_other_roles_get_no_confirmation_page(bus: FakeBus) -> None:
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as c:
        sign_in(c, "officer-hanoi")
        assert c.get(f"{CONFIRM}/redrive").status_code == 403
        assert c.post(f"{CONFIRM}/redrive", data={}).status_code == 403
    assert bus.commands == []


def test_each_projection_shows_its_lag_over_the_last_hour(client: TestClient, bus: FakeBus) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    samples = [
        LagSample(
            projection="sample_balances",
            source="sample",
            at=now - timedelta(minutes=m),
            lag=lag,
        )
        for m, lag in ((30, 5), (20, 12), (2, 0), (1, 0), (0, 0))
    ]

    def lag_of(envelope: QueryEnvelope) -> Reply:
        answer = LagHistoryAnswer(service="sample", minutes=60, samples=samples)
        return Reply.success(answer.model_dump(mode="json"))

    bus.query_replies["LagHistory"] = lag_of
    page = client.get("/app/operator")
    assert page.status_code == 200
    row = page.text.split('<td class="spark">', 1)[1].split("</td>", 1)[0]
    assert "<svg" in row and "<polyline" in row
    # The largest and the last lag, as text beside the line.
    said = ("cao nhất 12 · hiện tại 0", "max 12 · now 0")
    assert said[0] in row or said[1] in row
    if client.cookies.get("ishc_lang") == "vi":
        assert english_in(page.text) == set()


def test_a_service_without_lag_samples_says_so(client: TestClient) -> None:
    page = client.get("/app/operator")
    assert page.status_code == 200
    assert "chưa có mẫu" in page.text or "no samples yet" in page.text


def test_the_sparkline_leaves_gaps_and_keeps_a_flat_hour_small() -> None:
    flat = sparkline("lag", [0.0] * 60, "0")
    assert flat.count(",") == 2, "an hour of zeros is drawn with two points"
    gappy = sparkline("lag", [1.0, None, 2.0, 3.0], "3")
    assert "<circle" in gappy and "<polyline" in gappy
