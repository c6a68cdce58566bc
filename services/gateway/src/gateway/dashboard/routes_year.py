"""The club year for the secretary and the board, a page per task: loans (application →
approval citing the meeting decision → disbursement → repayments, with the schedule), meetings
(attendance ticks, decisions), funds (capital, fees, mutual aid, the monthly statement and
closing the month) and health check-ups. Every read and write is a `/v1` route (see `calls`).

A form posts to `/app/club/{club}/do/{action}`; on success the browser is sent back to the
page with the consistency token of the stream written (the page's read waits on it where the
read model can), on a refusal the page is shown again with the errors under their fields.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from gateway.auth import Role
from gateway.dashboard import forms
from gateway.dashboard.calls import Answer, Api
from gateway.dashboard.club_year import decisions_of, fund_months, schedule
from gateway.dashboard.forms import FormState
from gateway.dashboard.vietnamese import by_name, pick_labels
from gateway.dashboard.web import (
    BASE,
    Session,
    checked,
    csrf_refused,
    error_page,
    form_text,
    refused_form,
    render,
    session_of,
    to_login,
)
from ishc_runtime.clock import VN_TZ

PAGES = ("loans", "meetings", "funds", "health", "care")
# The member profile's forms: record a consent, withdraw one.
CONSENT_FORMS = ("consent", "withdraw")


@dataclass(frozen=True)
class Action:
    service: str
    command: str
    page: str  # the page it is on: "loans", "loan" (one loan), "meetings", "funds", "health"
    body: Callable[[FormData, UUID, dict[str, Any]], dict[str, Any]]
    stream: str  # the prefix of the stream whose version the page waits for


ACTIONS: dict[str, Action] = {
    "apply": Action(
        "finance",
        "submit-loan-application",
        "loans",
        lambda f, c, _: forms.loan_application(f, c),
        "loan-",
    ),
    "approve": Action(
        "finance", "approve-loan", "loan", lambda f, c, _: forms.approve_loan(f), "loan-"
    ),
    "disburse": Action(
        "finance", "disburse-loan", "loan", lambda f, c, _: forms.disburse_loan(f), "loan-"
    ),
    "repay": Action(
        "finance", "post-repayment", "loan", lambda f, c, _: forms.post_repayment(f), "loan-"
    ),
    "meeting": Action(
        "membership",
        "hold-meeting",
        "meetings",
        lambda f, c, _: forms.hold_meeting(f, c),
        "meeting-",
    ),
    "decision": Action(
        "membership",
        "record-decision",
        "meetings",
        lambda f, c, _: forms.record_decision(f),
        "meeting-",
    ),
    "capital": Action(
        "finance", "capitalise-fund", "funds", lambda f, c, _: forms.capitalise_fund(f, c), "fund"
    ),
    "fee": Action(
        "finance",
        "record-membership-fee",
        "funds",
        lambda f, c, _: forms.membership_fee(f, c),
        "fund",
    ),
    "aid": Action(
        "finance", "grant-mutual-aid", "funds", lambda f, c, _: forms.mutual_aid(f, c), "fund"
    ),
    "close": Action(
        "finance", "close-books", "funds", lambda f, c, _: forms.close_books(f, c), "fund"
    ),
    "checkup": Action(
        "care",
        "record-health-check",
        "health",
        lambda f, c, ctx: forms.health_check(f, c, ctx.get("member_of", {})),
        "check",
    ),
}


def care_view(answers: dict[str, Answer]) -> dict[str, Any]:
    """The club's care cases with their volunteer teams by name, and each volunteer's load."""
    roster = answers["roster"].data or {}
    volunteers = {str(v["volunteer_id"]): v for v in roster.get("volunteers") or []}
    board = answers["board"].data or {} if answers["board"].ok else {}
    workload = answers["workload"].data or {} if answers["workload"].ok else {}
    cases = [
        {**r, "team": [volunteers.get(str(v), {}).get("full_name") for v in r["volunteer_ids"]]}
        for r in board.get("recipients") or []
    ]
    load = [
        {**w, "full_name": volunteers.get(str(w["volunteer_id"]), {}).get("full_name")}
        for w in workload.get("volunteers") or []
    ]
    # Volunteers with nothing assigned yet are listed too: the board sees who is free.
    busy = {str(w["volunteer_id"]) for w in load}
    load += [
        {
            "volunteer_id": k,
            "full_name": v["full_name"],
            "cases": 0,
            "visits_this_week": 0,
            "visits_last_4_weeks": 0,
        }
        for k, v in volunteers.items()
        if k not in busy
    ]
    return {"cases": cases, "load": load, "board": board, "week": board.get("iso_week")}


def member_view(answers: dict[str, Answer], member_id: str | None, club_id: str) -> dict[str, Any]:
    """One member: categories and roles, the household's other members of the club, their
    loans and care case; None as `member` when the club has no such member."""
    roster = answers["roster"].data or {}
    members = roster.get("members") or []
    member = next((m for m in members if str(m["member_id"]) == member_id), None)
    if member is None:
        return {"member": None}
    household = member.get("household_id")
    profile = answers.get("profile")
    person = profile.data or {} if profile is not None and profile.ok else {}
    book = answers["book"].data or {} if answers["book"].ok else {}
    board = answers["board"].data or {} if answers["board"].ok else {}
    return {
        "member": member,
        "household": [
            m
            for m in members
            if household and m.get("household_id") == household and m is not member
        ],
        "member_loans": [
            loan for loan in book.get("loans") or [] if str(loan["member_id"]) == member_id
        ],
        "care_cases": [
            r
            for r in board.get("recipients") or []
            if str(r.get("person_id")) == str(member["person_id"])
        ],
        # Other clubs' memberships are said without the club's name: the profile names ids.
        "memberships": person.get("memberships") or [],
        # This club's consents only: another club's are not this club's to show or withdraw.
        "consents": [
            c for c in person.get("consents") or [] if str(c.get("club_id")) == str(club_id)
        ],
    }


def today() -> str:
    return datetime.now(VN_TZ).date().isoformat()


def _members(roster: Answer) -> list[dict[str, Any]]:
    members = (roster.data or {}).get("members", []) if roster.ok else []
    return by_name([m for m in members if m.get("active")], lambda m: str(m["full_name"]))


async def _page_data(
    api: Api,
    page: str,
    club_id: UUID,
    loan_id: str | None,
    consistency: str | None,
) -> dict[str, Answer]:
    """Every read of the page at once: on a slow line each backend round trip the page waits
    for in turn adds to the time before its first byte. Only a read of the table a write is
    awaited on (the loan book after the loan's own read) follows that read."""
    calls: dict[str, tuple[str, str, dict[str, Any]]] = {
        "roster": ("membership", "club-roster", {"club_id": club_id}),
    }
    waited: dict[str, Coroutine[Any, Any, Answer]] = {}
    after: dict[str, tuple[str, str, dict[str, Any]]] = {}
    if page in ("loans", "loan"):
        loan_token = consistency if consistency and consistency.startswith("loan-") else None
        target = loan_id or (
            loan_token.split("@", 1)[0].removeprefix("loan-") if loan_token else None
        )
        if target:
            waited["loan"] = api.query(
                "finance", "get-loan", loan_id=target, consistency=loan_token
            )
        calls["attendance"] = ("membership", "meeting-attendance", {"club_id": club_id})
        if page == "loans":
            # The book reads the table the loan's read waited on: after it, when one waits.
            book = ("finance", "loan-book", {"club_id": club_id})
            (after if target else calls)["book"] = book
    elif page == "meetings":
        token = consistency if consistency and consistency.startswith("meeting-") else None
        waited["attendance"] = api.query(
            "membership", "meeting-attendance", club_id=club_id, consistency=token
        )
        calls["book"] = ("finance", "loan-book", {"club_id": club_id})
    elif page == "funds":
        calls["statement"] = ("finance", "fund-statement", {"club_id": club_id})
        calls["attendance"] = ("membership", "meeting-attendance", {"club_id": club_id})
    elif page == "health":
        year = datetime.now(VN_TZ).year
        calls["coverage"] = ("care", "checkup-coverage", {"club_id": club_id, "year": year})
    elif page == "care":
        calls["board"] = ("care", "week-board", {"club_id": club_id})
        calls["workload"] = ("care", "volunteer-workload", {"club_id": club_id})
    elif page == "member":
        # Former members too: a profile stays readable after the member left.
        calls["roster"] = (
            "membership",
            "club-roster",
            {"club_id": club_id, "include_former": "true"},
        )
        calls["book"] = ("finance", "loan-book", {"club_id": club_id})
        calls["board"] = ("care", "week-board", {"club_id": club_id})

    async def chain() -> dict[str, Answer]:
        names = list(waited)
        first = dict(zip(names, await asyncio.gather(*waited.values()), strict=True))
        return {**first, **(await api.gather(**after) if after else {})}

    ordered, rest = await asyncio.gather(chain(), api.gather(**calls))
    return {**ordered, **rest}


def _view(
    page: str,
    answers: dict[str, Answer],
    village: str,
    member_id: str | None = None,
    club_id: str = "",
) -> dict[str, Any]:
    members = _members(answers["roster"])
    names = {
        m["member_id"]: m["full_name"] for m in (answers["roster"].data or {}).get("members", [])
    }
    attendance = (
        answers["attendance"].data if "attendance" in answers and answers["attendance"].ok else {}
    )
    view: dict[str, Any] = {
        "members": members,
        "names": names,
        "member_options": pick_labels(members, "member_id", village),
        "person_options": pick_labels(members, "person_id", village),
        "stale": any(a.stale for a in answers.values()),
        "answers": answers,
    }
    if page == "loans":
        book = answers["book"]
        loans = (book.data or {}).get("loans", []) if book.ok else []
        order = {"applied": 0, "approved": 1, "active": 2, "repaid": 3}
        view["loans"] = sorted(
            loans, key=lambda loan: (order.get(loan["status"], 4), -(loan.get("days_overdue") or 0))
        )
        view["purposes"] = forms.PURPOSES
    if page == "loan":
        loan = answers["loan"].data or {}
        view["loan"] = loan
        view["schedule"] = schedule(loan)
        view["approvals"] = [
            d
            for d in decisions_of(attendance, "loan_approval")
            if d.get("subject_id") in (None, loan.get("loan_id"))
            and d.get("member_id") in (None, loan.get("member_id"))
        ]
    if page == "care":
        view.update(care_view(answers))
    if page == "member":
        view.update(member_view(answers, member_id, club_id))
        view["consent_purposes"] = forms.consent_purposes_on(datetime.now(VN_TZ).date())
        view["consent_methods"] = forms.CONSENT_METHODS
    if page == "meetings":
        meetings = sorted(
            attendance.get("meetings", []), key=lambda m: str(m["held_on"]), reverse=True
        )
        decisions: dict[str, list[dict[str, Any]]] = {}
        for d in attendance.get("decisions", []):
            decisions.setdefault(d["meeting_id"], []).append(d)
        view["meetings"] = meetings
        view["decisions"] = decisions
        book = answers["book"]
        pending = [
            loan
            for loan in ((book.data or {}).get("loans", []) if book.ok else [])
            if loan["status"] == "applied"
        ]
        view["pending_loans"] = pending
        view["meeting_kinds"] = forms.MEETING_KINDS
        view["decision_kinds"] = forms.DECISION_KINDS
    if page == "funds":
        statement = answers["statement"]
        view["months"] = fund_months(statement.data or {}) if statement.ok else []
        view["fund_types"] = forms.FUND_TYPES
        view["sources"] = forms.CAPITAL_SOURCES
        view["aid_reasons"] = forms.AID_REASONS
        view["aid_decisions"] = decisions_of(attendance, "mutual_aid_grant")
    if page == "health":
        coverage = answers["coverage"]
        view["coverage"] = coverage.data if coverage.ok else {}
    return view


async def year_page(
    request: Request,
    session: Session,
    page: str,
    club_id: UUID,
    *,
    loan_id: str | None = None,
    member_id: str | None = None,
    consistency: str | None = None,
    saved: str | None = None,
    saved_form: str | None = None,
    failed: dict[str, FormState] | None = None,
    status: int = 200,
    withdraw: str | None = None,
) -> Response:
    async with session.api(request) as api:
        answers = await _page_data(api, page, club_id, loan_id, consistency)
        if page == "member":
            # The person's memberships in every club and consents: membership's profile,
            # asked once the roster has said who the member is.
            person = next(
                (
                    m["person_id"]
                    for m in (answers["roster"].data or {}).get("members", [])
                    if str(m["member_id"]) == member_id
                ),
                None,
            )
            if person is not None:
                answers["profile"] = await api.query(
                    "membership", "person-profile", person_id=person
                )
    roster = answers["roster"]
    if not roster.ok:
        return error_page(request, session, roster.status)
    if page == "loan":
        loan = answers.get("loan")
        if loan is None or not loan.ok or str((loan.data or {}).get("club_id")) != str(club_id):
            return error_page(request, session, 404)
    view = _view(page, answers, session.t("form.village"), member_id, str(club_id))
    if page == "member" and view.get("member") is None:
        return error_page(request, session, 404)
    club = (roster.data or {}).get("club", {})
    return render(
        request,
        f"year_{page}.html",
        session.t,
        session=session,
        status=status,
        club=club,
        club_id=club_id,
        page=page,
        today=today(),
        saved=saved,
        saved_form=saved_form,
        failed=failed or {},
        withdraw=withdraw,
        **view,
    )


async def keep_consent(request: Request, club_id: UUID, member_id: UUID, action: str) -> Response:
    """Record a consent on the profile, or withdraw one (after its confirmation step):
    membership's `RecordConsent` / `WithdrawConsent` for the profile's person."""
    session = await session_of(request)
    if session is None:
        return to_login(request, expired=True)
    if action not in CONSENT_FORMS:
        return error_page(request, session, 404)
    # The page's own rule: consents are the secretary's and the board's to keep.
    if session.principal.role not in (Role.CLUB_SECRETARY, Role.BOARD):
        return error_page(request, session, 403)
    form = await request.form()
    if not checked(session, form_text(form, "csrf_token")):
        return csrf_refused(request, session)
    async with session.api(request) as api:
        roster = await api.query(
            "membership", "club-roster", club_id=club_id, include_former="true"
        )
        if not roster.ok:
            return error_page(request, session, roster.status)
        person = next(
            (
                str(m["person_id"])
                for m in (roster.data or {}).get("members", [])
                if str(m["member_id"]) == str(member_id)
            ),
            None,
        )
        if person is None:
            return error_page(request, session, 404)
        if action == "consent":
            name, body = "record-consent", forms.record_consent(form, club_id, person)
        else:
            name, body = "withdraw-consent", forms.withdraw_consent(form, person)
        outcome = await api.command("membership", name, body, club_id=club_id)
    where = f"{BASE}/club/{club_id}/members/{member_id}"
    if outcome.ok:
        saved = "duplicate" if outcome.duplicate else "saved"
        return RedirectResponse(
            f"{where}?saved={saved}&form={action}#form-consent", status_code=303
        )
    if outcome.status == 401:
        return to_login(request, expired=True)
    state, status = refused_form(session.t, form, outcome)
    return await year_page(
        request,
        session,
        "member",
        club_id,
        member_id=str(member_id),
        failed={action: state},
        status=status,
        # A refused withdrawal is shown on its confirmation step again.
        withdraw=form_text(form, "consent_id") if action == "withdraw" else None,
    )


def year_router() -> APIRouter:
    router = APIRouter(prefix=f"{BASE}/club", include_in_schema=False)

    async def show(
        request: Request,
        page: str,
        club_id: UUID,
        loan_id: str | None,
        consistency: str | None,
        saved: str | None,
        form: str | None,
    ) -> Response:
        session = await session_of(request)
        if session is None:
            return to_login(request)
        return await year_page(
            request,
            session,
            page,
            club_id,
            loan_id=loan_id,
            consistency=consistency,
            saved=saved if saved in ("saved", "duplicate") else None,
            saved_form=form if form in ACTIONS else None,
        )

    @router.get("/{club_id}/loans/{loan_id}")
    async def loan_page(
        request: Request,
        club_id: UUID,
        loan_id: UUID,
        consistency: str | None = None,
        saved: str | None = None,
        form: str | None = None,
    ) -> Response:
        return await show(request, "loan", club_id, str(loan_id), consistency, saved, form)

    @router.get("/{club_id}/members/{member_id}")
    async def member_page(
        request: Request,
        club_id: UUID,
        member_id: UUID,
        saved: str | None = None,
        form: str | None = None,
        withdraw: UUID | None = None,
    ) -> Response:
        session = await session_of(request)
        if session is None:
            return to_login(request)
        if session.principal.role not in (Role.CLUB_SECRETARY, Role.BOARD):
            return error_page(request, session, 403)
        return await year_page(
            request,
            session,
            "member",
            club_id,
            member_id=str(member_id),
            saved=saved if saved in ("saved", "duplicate") else None,
            saved_form=form if form in CONSENT_FORMS else None,
            withdraw=str(withdraw) if withdraw else None,
        )

    @router.post("/{club_id}/members/{member_id}/{action}")
    async def consent(request: Request, club_id: UUID, member_id: UUID, action: str) -> Response:
        return await keep_consent(request, club_id, member_id, action)

    @router.get("/{club_id}/{page}")
    async def page(
        request: Request,
        club_id: UUID,
        page: str,
        consistency: str | None = None,
        saved: str | None = None,
        form: str | None = None,
    ) -> Response:
        if page not in PAGES or page == "care":
            session = await session_of(request)
            if session is None:
                return to_login(request)
            if page not in PAGES:
                return error_page(request, session, 404)
            # Care teams name volunteers and recipients: the secretary's and the board's.
            if session.principal.role not in (Role.CLUB_SECRETARY, Role.BOARD):
                return error_page(request, session, 403)
        return await show(request, page, club_id, None, consistency, saved, form)

    @router.post("/{club_id}/do/{action}")
    async def act(request: Request, club_id: UUID, action: str) -> Response:
        session = await session_of(request)
        if session is None:
            return to_login(request, expired=True)
        form = await request.form()
        if not checked(session, form_text(form, "csrf_token")):
            return csrf_refused(request, session)
        chosen = ACTIONS.get(action)
        if chosen is None:
            return error_page(request, session, 404)
        async with session.api(request) as api:
            context: dict[str, Any] = {}
            if action == "checkup":
                roster = await api.query("membership", "club-roster", club_id=club_id)
                context["member_of"] = (
                    {m["person_id"]: m["member_id"] for m in (roster.data or {}).get("members", [])}
                    if roster.ok
                    else {}
                )
            body = chosen.body(form, club_id, context)
            outcome = await api.command(chosen.service, chosen.command, body, club_id=club_id)
        loan_id = form_text(form, "loan_id") or (body.get("loan_id") if action == "apply" else None)
        if outcome.ok:
            token = outcome.token_for(chosen.stream) or ""
            saved = "duplicate" if outcome.duplicate else "saved"
            where = (
                f"loans/{loan_id}" if chosen.page == "loan" or action == "apply" else chosen.page
            )
            # Back to the form that was saved, or to the top of a loan whose form is gone.
            anchor = "saved" if action in ("apply", "approve", "disburse") else f"form-{action}"
            return RedirectResponse(
                f"{BASE}/club/{club_id}/{where}?consistency={token}&saved={saved}"
                f"&form={action}#{anchor}",
                status_code=303,
            )
        if outcome.status == 401:
            return to_login(request, expired=True)
        # Where a missing consent is recorded: the person's profile, for those who may open it.
        member = context.get("member_of", {}).get(form_text(form, "person_id"))
        officer = session.principal.role in (Role.CLUB_SECRETARY, Role.BOARD)
        profile = f"{BASE}/club/{club_id}/members/{member}" if member and officer else None
        state, status = refused_form(session.t, form, outcome, profile=profile)
        return await year_page(
            request,
            session,
            chosen.page,
            club_id,
            loan_id=loan_id if chosen.page == "loan" else None,
            failed={action: state},
            status=status,
        )

    return router
