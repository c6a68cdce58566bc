"""The club year pages (fake bus): each task's form sends its command with the fields the
contract names, the loan page reads its schedule, the fund statement its months."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.dashboard.club_year import fund_months, schedule
from ishc_contracts import CommandEnvelope
from ishc_contracts.errors import Reply
from ishc_runtime.consent import ConsentRequired

from ..support import FakeBus, dev_settings
from .dashboard_club import AN, CLUB, DECISION, LOAN, LOAN_DONE, MEETING, THU_1952, club_bus, uid
from .test_dashboard_vietnamese import csrf_of, english_in, sign_in, visible

pytestmark = pytest.mark.unit


@pytest.fixture
def bus() -> FakeBus:
    return club_bus()


@pytest.fixture
def client(bus: FakeBus) -> Iterator[TestClient]:
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as c:
        c.cookies.set("ishc_lang", "vi", path="/app")
        sign_in(c, "secretary-a")
        yield c


def post(client: TestClient, page: str, action: str, data: dict[str, object]) -> str:
    csrf = csrf_of(client.get(page).text)
    sent = client.post(f"/app/club/{CLUB}/do/{action}", data={"csrf_token": csrf, **data})
    assert sent.status_code == 303, sent.text
    return str(sent.headers["location"])


def test_a_loan_goes_from_application_to_approval_citing_the_decision_to_disbursement(
    client: TestClient, bus: FakeBus
) -> None:
    where = post(
        client,
        f"/app/club/{CLUB}/loans",
        "apply",
        {
            "member_id": AN,
            "principal": "5.000.000",
            "purpose": "livestock",
            "applied_on": "2026-11-02",
        },
    )
    applied = bus.commands[-1][1]
    assert applied.type == "SubmitLoanApplication"
    assert applied.payload["principal"] == 5_000_000
    assert f"/app/club/{CLUB}/loans/{applied.payload['loan_id']}" in where

    post(
        client,
        f"/app/club/{CLUB}/loans/{LOAN_DONE}",
        "approve",
        {"loan_id": LOAN_DONE, "decision_id": DECISION, "approved_on": "2026-11-20"},
    )
    assert bus.commands[-1][1].type == "ApproveLoan"
    assert bus.commands[-1][1].payload["decision_id"] == DECISION

    post(
        client,
        f"/app/club/{CLUB}/loans/{LOAN_DONE}",
        "disburse",
        {"loan_id": LOAN_DONE, "disbursed_on": "2026-11-21"},
    )
    assert bus.commands[-1][1].type == "DisburseLoan"


def test_the_approval_form_offers_the_meetings_loan_decisions(client: TestClient) -> None:
    page = client.get(f"/app/club/{CLUB}/loans/{LOAN_DONE}").text

    form = page.split('id="form-approve"', 1)[1].split("</form>", 1)[0]
    assert f'value="{DECISION}"' in form and "20/11/2026 · Cho anh Đức vay nuôi lợn" in form


def test_the_loan_page_shows_the_schedule_next_due_date_and_arrears(client: TestClient) -> None:
    page = visible(client.get(f"/app/club/{CLUB}/loans/{LOAN}").text)

    assert "Lịch trả nợ" in page
    assert "Kỳ trả tiếp theo" in page and "05/08/2026" in page  # 1 of 6 paid
    assert "35 ngày quá hạn" in page
    # Arrears are finance's figure (one installment: 1,060,000), and so is the overdue row.
    html = client.get(f"/app/club/{CLUB}/loans/{LOAN}").text
    arrears = html.split('id="arrears"', 1)[1].split("</dd>", 1)[0]
    assert "1.060.000" in arrears and "35" in arrears
    rows = html.split('id="schedule"', 1)[1].split("</table>", 1)[0]
    assert rows.count('class="overdue arrears"') == 1
    # Each repayment by the day it was received.
    history = html.split('id="repayments"', 1)[1].split("</table>", 1)[0]
    assert "04/07/2026" in history and "1.060.000" in history


def test_a_meeting_records_attendance_ticks_and_a_decision(
    client: TestClient, bus: FakeBus
) -> None:
    post(
        client,
        f"/app/club/{CLUB}/meetings",
        "meeting",
        {"held_on": "2026-11-20", "kind": "regular", "present": [AN, THU_1952], "guests": "2"},
    )
    held = bus.commands[-1][1]
    assert held.type == "HoldMeeting"
    assert held.payload["present"] == [AN, THU_1952] and held.payload["guests"] == 2

    post(
        client,
        f"/app/club/{CLUB}/meetings",
        "decision",
        {
            "meeting_id": MEETING,
            "kind": "loan_approval",
            "summary": "Cho anh An vay",
            "member_id": AN,
            "subject_id": LOAN_DONE,
            "amount": "3.000.000",
            "votes_for": "4",
        },
    )
    decided = bus.commands[-1][1]
    assert decided.type == "RecordDecision"
    assert decided.payload["subject_id"] == LOAN_DONE and decided.payload["amount"] == 3_000_000


def test_the_fund_page_states_each_month_and_closes_one(client: TestClient, bus: FakeBus) -> None:
    page = visible(client.get(f"/app/club/{CLUB}/funds").text)
    assert "11/2026" in page and "14.000.000" in page  # October's closing is November's opening

    post(client, f"/app/club/{CLUB}/funds", "close", {"month": "2026-11-01"})
    closed = bus.commands[-1][1]
    assert closed.type == "CloseBooks" and closed.payload["month"] == "2026-11-01"


def test_a_health_check_records_vitals_for_the_member(client: TestClient, bus: FakeBus) -> None:
    person = THU_1952.replace("8000-0000", "8000-1000")
    post(
        client,
        f"/app/club/{CLUB}/health",
        "checkup",
        {
            "person_id": person,
            "checked_on": "2026-11-25",
            "systolic": "140",
            "diastolic": "90",
            "glucose_mmol_l": "6,1",
            "weight_kg": "52",
        },
    )
    check = bus.commands[-1][1]
    assert check.type == "RecordHealthCheck"
    assert check.payload["member_id"] == THU_1952
    assert check.payload["glucose_mmol_l"] == pytest.approx(6.1)


def test_a_refused_year_form_shows_vietnamese_errors_on_its_page(client: TestClient) -> None:
    csrf = csrf_of(client.get(f"/app/club/{CLUB}/loans").text)

    refused = client.post(
        f"/app/club/{CLUB}/do/apply",
        data={"csrf_token": csrf, "member_id": AN, "principal": "0", "purpose": "livestock"},
    )

    assert refused.status_code == 422
    form = refused.text.split('id="form-apply"', 1)[1].split("</form>", 1)[0]
    assert "Phải lớn hơn 0." in form


def test_installments_are_paid_in_order_and_finances_arrears_mark_the_overdue_ones() -> None:
    loan = {
        "principal_paid": 1_500_000,
        "interest_paid": 0,
        "days_overdue": 15,
        "overdue_principal": 500_000,
        "overdue_interest": 0,
        "installments": [
            {"number": n, "due_on": f"2026-0{n}-05", "principal": 1_000_000, "interest": 0}
            for n in (1, 2, 3)
        ],
    }

    found = schedule(loan)

    assert [i.state for i in found.installments] == ["paid", "overdue", "due"]
    assert found.arrears == 500_000
    assert found.next_due is not None and found.next_due.number == 2


def test_a_paused_loan_or_one_within_tolerance_shows_nothing_overdue() -> None:
    # Installment 2 fell due on 5 February, but finance says the loan is not in arrears on
    # 20 February (a pause, or a shortfall within the club's tolerance): so does the page.
    loan = {
        "principal_paid": 1_000_000,
        "interest_paid": 0,
        "days_overdue": 0,
        "overdue_principal": 0,
        "overdue_interest": 0,
        "installments": [
            {"number": n, "due_on": f"2026-0{n}-05", "principal": 1_000_000, "interest": 0}
            for n in (1, 2, 3)
        ],
    }

    found = schedule(loan)

    assert [i.state for i in found.installments] == ["paid", "due", "due"]
    assert found.arrears == 0


def test_the_opening_of_a_month_is_the_closing_before_its_flows() -> None:
    months = fund_months(
        {
            "months": [
                {
                    "fund_id": "f",
                    "fund_type": "activity",
                    "month": "2026-10-01",
                    "inflow": 10,
                    "outflow": 4,
                    "closing": 6,
                },
                {
                    "fund_id": "f",
                    "fund_type": "activity",
                    "month": "2026-11-01",
                    "inflow": 5,
                    "outflow": 1,
                    "closing": 10,
                },
            ],
            "closings": [{"fund_id": "f", "month": "2026-10-01"}],
        }
    )

    assert [(m.month, m.opening, m.closing, m.closed) for m in months] == [
        ("2026-11-01", 6, 10, False),
        ("2026-10-01", 0, 6, True),
    ]


def test_a_volunteer_records_a_health_check_from_their_own_page(bus: FakeBus) -> None:
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as volunteer:
        volunteer.cookies.set("ishc_lang", "vi", path="/app")
        sign_in(volunteer, "volunteer-a")
        home = volunteer.get("/app/volunteer").text
        assert f'href="/app/club/{CLUB}/health"' in home

        page = volunteer.get(f"/app/club/{CLUB}/health")
        assert page.status_code == 200
        assert 'id="form-checkup"' in page.text and 'class="subnav"' not in page.text

        person = THU_1952.replace("8000-0000", "8000-1000")
        post(
            volunteer,
            f"/app/club/{CLUB}/health",
            "checkup",
            {"person_id": person, "checked_on": "2026-11-25"},
        )
        assert bus.commands[-1][1].type == "RecordHealthCheck"


def test_the_care_page_shows_each_case_with_its_volunteer_team_and_their_load(
    client: TestClient,
) -> None:
    html = client.get(f"/app/club/{CLUB}/care").text
    cases = html.split('id="care-cases"', 1)[1].split("</table>", 1)[0]
    assert "Bùi Thị Thu" in cases and "Trần Thị Lan" in cases
    load = html.split('id="volunteer-load"', 1)[1].split("</table>", 1)[0]
    # Lan visits; Đức volunteers with nothing assigned yet, listed too.
    assert "Trần Thị Lan" in load and "Vũ Văn Đức" in load
    assert english_in(html) == set()


def test_a_member_profile_has_categories_household_and_history(client: TestClient) -> None:
    html = client.get(f"/app/club/{CLUB}/members/{THU_1952}").text
    assert "<h1>Bùi Thị Thu</h1>" in html
    household = html.split('id="household"', 1)[1].split("</ul>", 1)[0]
    assert "Nguyễn Văn An" in household and "Vũ Văn Đức" not in household
    assert "hộ cận nghèo" in html
    history = html.split('id="member-history"', 1)[1].split("</ol>", 1)[0]
    assert "21/03/2024" in history and "Được chăm sóc tại nhà" in history
    # From membership's profile: the consent given, and a membership in another club.
    assert "dùng dữ liệu sức khỏe" in history
    assert "Hội viên một câu lạc bộ khác 01/05/2019" in history
    assert english_in(html) == set()
    # The borrower's profile links their loan.
    an = client.get(f"/app/club/{CLUB}/members/{AN}").text
    assert f"/loans/{LOAN}" in an.split('id="member-history"', 1)[1]
    assert client.get(f"/app/club/{CLUB}/members/{uid(99)}").status_code == 404


def test_care_and_member_pages_are_the_secretarys_and_the_boards(bus: FakeBus) -> None:
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as c:
        sign_in(c, "volunteer-a")
        assert c.get(f"/app/club/{CLUB}/care").status_code == 403
        assert c.get(f"/app/club/{CLUB}/members/{AN}").status_code == 403


# -- consents on the member profile -------------------------------------------------------

PROFILE = f"/app/club/{CLUB}/members/{THU_1952}"
THU_PERSON = THU_1952.replace("8000-0000", "8000-1000")


def consent_post(client: TestClient, action: str, data: dict[str, object]) -> httpx.Response:
    csrf = csrf_of(client.get(PROFILE).text)
    sent: httpx.Response = client.post(f"{PROFILE}/{action}", data={"csrf_token": csrf, **data})
    return sent


def test_the_profile_records_a_consent_for_its_own_person(client: TestClient, bus: FakeBus) -> None:
    page = client.get(PROFILE).text
    assert page.index('id="form-consent"') > page.index("<main")
    form = page.split('id="form-consent"', 1)[1].split("</form>", 1)[0]
    # The purposes of the reference list and the contract's methods, in Vietnamese.
    assert 'value="health_data"' in form and "dùng dữ liệu sức khỏe" in form
    assert 'value="share_with_commune"' in form and 'value="thumbprint"' in form
    assert "điểm chỉ" in form
    assert english_in(page) == set()

    sent = consent_post(
        client,
        "consent",
        {
            "purpose": "share_with_commune",
            "given_on": "2026-11-25",
            "method": "thumbprint",
            "document": "GĐY-12/2026",
            # A tampered form cannot choose the person: the profile's is sent.
            "person_id": uid(77),
        },
    )

    assert sent.status_code == 303, sent.text
    service, recorded = bus.commands[-1]
    assert service == "membership" and recorded.type == "RecordConsent"
    assert recorded.payload["person_id"] == THU_PERSON
    assert recorded.payload["club_id"] == CLUB
    assert recorded.payload["purpose"] == "share_with_commune"
    assert recorded.payload["method"] == "thumbprint"
    assert recorded.payload["document"] == "GĐY-12/2026"
    assert recorded.payload["given_on"] == "2026-11-25"
    where = sent.headers["location"]
    assert where.startswith(f"{PROFILE}?saved=saved&form=consent")
    shown = client.get(where).text.split('id="form-consent"', 1)[1].split("</form>", 1)[0]
    assert "Đã lưu" in shown

    # Each attempt is a new consent and a new idempotency key.
    consent_post(
        client, "consent", {"purpose": "photos", "given_on": "2026-11-25", "method": "verbal"}
    )
    again = bus.commands[-1][1]
    assert again.payload["consent_id"] != recorded.payload["consent_id"]
    assert again.command_id != recorded.command_id


def test_a_refused_consent_is_said_in_vietnamese_under_its_field(client: TestClient) -> None:
    refused = consent_post(client, "consent", {"given_on": "2026-11-25", "method": "written"})

    assert refused.status_code == 422
    form = refused.text.split('id="form-consent"', 1)[1].split("</form>", 1)[0]
    assert 'id="consent-purpose-error"' in form and 'aria-invalid="true"' in form
    assert english_in(refused.text) == set()


def test_a_consent_is_withdrawn_after_a_confirmation_step(client: TestClient, bus: FakeBus) -> None:
    page = client.get(PROFILE).text
    assert f"?withdraw={uid(82)}" in page and 'id="form-withdraw"' not in page

    confirm = client.get(f"{PROFILE}?withdraw={uid(82)}").text
    form = confirm.split('id="form-withdraw"', 1)[1].split("</form>", 1)[0]
    assert "dùng dữ liệu sức khỏe" in form and "21/03/2024" in form
    assert english_in(confirm) == set()

    csrf = csrf_of(confirm)
    sent = client.post(
        f"{PROFILE}/withdraw",
        data={
            "csrf_token": csrf,
            "consent_id": uid(82),
            "withdrawn_on": "2026-11-30",
            "method": "written",
        },
    )
    assert sent.status_code == 303, sent.text
    withdrawn = bus.commands[-1][1]
    assert withdrawn.type == "WithdrawConsent"
    assert withdrawn.payload == {
        "consent_id": uid(82),
        "person_id": THU_PERSON,
        "withdrawn_on": "2026-11-30",
        "method": "written",
    }


def test_only_the_secretary_and_the_board_keep_consents(bus: FakeBus) -> None:
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as c:
        sign_in(c, "volunteer-a")
        csrf = csrf_of(c.get(f"/app/club/{CLUB}/health").text)
        refused = c.post(
            f"{PROFILE}/consent",
            data={
                "csrf_token": csrf,
                "purpose": "health_data",
                "given_on": "2026-11-25",
                "method": "written",
            },
        )
        assert refused.status_code == 403
        assert not [e for _, e in bus.commands if e.type == "RecordConsent"]
    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as c:
        sign_in(c, "board-a")
        csrf = csrf_of(c.get(PROFILE).text)
        sent = c.post(
            f"{PROFILE}/consent",
            data={
                "csrf_token": csrf,
                "purpose": "health_data",
                "given_on": "2026-11-25",
                "method": "written",
            },
        )
        assert sent.status_code == 303


def test_a_health_check_without_consent_names_it_and_links_the_profile(
    client: TestClient, bus: FakeBus
) -> None:
    def no_consent(envelope: CommandEnvelope) -> Reply:
        return Reply.failure(
            ConsentRequired(
                f"no consent of person {THU_PERSON} for 'health_data' on 2026-11-25",
                field="person_id",
                purpose="health_data",
                person_id=THU_PERSON,
                on="2026-11-25",
            ).problem()
        )

    bus.command_replies["RecordHealthCheck"] = no_consent
    csrf = csrf_of(client.get(f"/app/club/{CLUB}/health").text)

    refused = client.post(
        f"/app/club/{CLUB}/do/checkup",
        data={"csrf_token": csrf, "person_id": THU_PERSON, "checked_on": "2026-11-25"},
    )

    assert refused.status_code == 409
    form = refused.text.split('id="form-checkup"', 1)[1].split("</form>", 1)[0]
    error = form.split('id="checkup-person_id-error"', 1)[1].split("</p>", 1)[0]
    assert "Chưa có sự đồng ý" in error and "dùng dữ liệu sức khỏe" in error
    assert f'href="{PROFILE}#form-consent"' in form
    assert "Người này chưa đồng ý" in form  # the problem's Vietnamese title
    assert english_in(refused.text) == set()


def test_a_visit_on_the_club_page_without_consent_links_the_persons_profile(
    client: TestClient, bus: FakeBus
) -> None:
    bus.command_replies["RecordVisit"] = lambda _: Reply.failure(
        ConsentRequired(
            "no consent", field="blood_pressure", purpose="health_data", person_id=THU_PERSON
        ).problem()
    )
    csrf = csrf_of(client.get(f"/app/club/{CLUB}").text)

    refused = client.post(
        f"/app/club/{CLUB}/visit",
        data={
            "csrf_token": csrf,
            "case_id": uid(60),
            "visited_on": "2026-11-25",
            "systolic": "140",
            "diastolic": "90",
        },
    )

    assert refused.status_code == 409
    form = refused.text.split('id="form-visit"', 1)[1].split("</form>", 1)[0]
    assert "dùng dữ liệu sức khỏe" in form.split('id="visit-blood_pressure-error"', 1)[1]
    assert f'href="{PROFILE}#form-consent"' in form
    assert english_in(refused.text) == set()
