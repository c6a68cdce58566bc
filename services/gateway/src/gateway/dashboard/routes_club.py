"""The club page (secretary, board): members, funds, loans, care, claims, meetings, and the
forms for the daily commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from gateway.dashboard import forms
from gateway.dashboard.calls import Answer, Api, Outcome
from gateway.dashboard.forms import FormState
from gateway.dashboard.vietnamese import by_name, pick_labels
from gateway.dashboard.web import (
    BASE,
    Session,
    checked,
    consent_profile,
    csrf_refused,
    error_page,
    form_text,
    refused_form,
    render,
    session_of,
    to_login,
)
from ishc_runtime.clock import VN_TZ

# Which query honours a written stream's token, per service (others would wait in vain).
READS_OWN_WRITE = {
    "membership": "roster",
    "care": "board",
    "advocacy": "claims",
}


def written_hint(service: str | None, token: str | None) -> tuple[str | None, str | None]:
    if service in READS_OWN_WRITE or service == "finance":
        return service, token
    return None, None


async def load_club(
    api: Api, club_id: UUID, written: str | None, consistency: str | None
) -> dict[str, Answer]:
    stale_write = False
    if written == "finance" and consistency and consistency.startswith("loan-"):
        # The loan book has no wait of its own; the loan's read honours the token and both
        # read the same table, so once it has caught up so has the book.
        loan_id = consistency.split("@", 1)[0].removeprefix("loan-")
        stale_write = (
            await api.query("finance", "get-loan", loan_id=loan_id, consistency=consistency)
        ).stale
    calls: dict[str, tuple[str, str, dict[str, Any]]] = {
        "roster": ("membership", "club-roster", {"club_id": club_id}),
        "meetings": ("membership", "meeting-attendance", {"club_id": club_id}),
        "funds": ("finance", "fund-statement", {"club_id": club_id}),
        "loans": ("finance", "loan-book", {"club_id": club_id}),
        "board": ("care", "week-board", {"club_id": club_id}),
        "claims": ("advocacy", "open-claims", {"club_id": club_id}),
        "worklist": ("advocacy", "unclaimed-worklist", {"club_id": club_id}),
    }
    waited: dict[str, Answer] = {}
    if written in READS_OWN_WRITE and consistency:
        # The read that honours the token goes first and alone: once it has caught up, the
        # other reads of the same read model (the worklist beside the claims) have too.
        name = READS_OWN_WRITE[written]
        service, query, params = calls.pop(name)
        waited[name] = await api.query(service, query, **params, consistency=consistency)
    answers = {**waited, **await api.gather(**calls)}
    if stale_write:
        loans = answers["loans"]
        answers["loans"] = Answer(
            status=loans.status, data=loans.data, stale=True, problem=loans.problem
        )
    return answers


def fund_balances(funds: Answer) -> list[dict[str, Any]]:
    if not funds.ok:
        return []
    latest: dict[str, dict[str, Any]] = {}
    for row in funds.data.get("months", []):
        latest[row["fund_id"]] = row  # months come in order: the last is the balance
    return [
        {"fund_type": r["fund_type"], "balance": r["closing"], "month": r["month"]}
        for r in latest.values()
    ]


def club_view(answers: dict[str, Answer], village: str) -> dict[str, Any]:
    roster = answers["roster"].data or {}
    members = by_name(
        [m for m in roster.get("members", []) if m.get("active")], lambda m: str(m["full_name"])
    )
    names = {m["member_id"]: m["full_name"] for m in roster.get("members", [])}
    people = {m["person_id"]: m["full_name"] for m in roster.get("members", [])}
    loans = answers["loans"].data.get("loans", []) if answers["loans"].ok else []
    loans = sorted(
        loans, key=lambda loan: (loan["status"] != "active", -(loan["days_overdue"] or 0))
    )
    board = answers["board"].data if answers["board"].ok else {}
    by_person = {m["person_id"]: m for m in roster.get("members", [])}
    recipients = [
        {**by_person.get(r.get("person_id"), {}), **r}
        for r in by_name(board.get("recipients") or [], lambda r: str(r["full_name"]))
    ]
    board = {**board, "recipients": recipients}
    return {
        "club": roster.get("club", {}),
        "members": members,
        "member_options": pick_labels(members, "member_id", village),
        "person_options": pick_labels(members, "person_id", village),
        "case_options": pick_labels(recipients, "case_id", village),
        "names": names,
        "people": people,
        "funds": fund_balances(answers["funds"]),
        "loans": loans,
        "active_loans": [loan for loan in loans if loan["status"] == "active"],
        "ageing": answers["loans"].data.get("ageing", []) if answers["loans"].ok else [],
        "board": board,
        "claims": answers["claims"].data.get("claims", []) if answers["claims"].ok else [],
        "worklist": answers["worklist"].data.get("people", []) if answers["worklist"].ok else [],
        "meetings": list(reversed((answers["meetings"].data or {}).get("meetings", [])))[:6]
        if answers["meetings"].ok
        else [],
        "answers": answers,
        "stale": any(a.stale for a in answers.values()),
        "tasks": forms.TASKS,
        "follow_ups": forms.FOLLOW_UPS,
        "schemes": forms.schemes_on(datetime.now(VN_TZ).date()),
    }


async def club_page(
    request: Request,
    session: Session,
    club_id: UUID,
    *,
    written: str | None = None,
    consistency: str | None = None,
    saved: str | None = None,
    saved_form: str | None = None,
    failed: dict[str, FormState] | None = None,
    status: int = 200,
) -> Response:
    async with session.api(request) as api:
        answers = await load_club(api, club_id, written, consistency)
    roster = answers["roster"]
    if not roster.ok:
        return error_page(request, session, roster.status)
    today = datetime.now(VN_TZ).date().isoformat()
    return render(
        request,
        "club.html",
        session.t,
        session=session,
        status=status,
        club_id=club_id,
        today=today,
        saved=saved,
        saved_form=saved_form,
        failed=failed or {},
        **club_view(answers, session.t("form.village")),
    )


Handler = Callable[[Api, FormData, UUID], Awaitable[tuple[Outcome, str, str]]]


async def _admit(api: Api, form: FormData, club_id: UUID) -> tuple[Outcome, str, str]:
    outcome = await api.command("membership", "admit-member", forms.admit_member(form, club_id))
    return outcome, "membership", "member-"


async def _repay(api: Api, form: FormData, club_id: UUID) -> tuple[Outcome, str, str]:
    body = forms.post_repayment(form)
    return await api.command("finance", "post-repayment", body, club_id=club_id), "finance", "loan-"


async def _visit(api: Api, form: FormData, club_id: UUID) -> tuple[Outcome, str, str]:
    volunteers = await assigned_volunteers(api, form.get("case_id"))
    body = forms.record_visit(form, volunteers)
    return await api.command("care", "record-visit", body, club_id=club_id), "care", "case-"


async def _claim(api: Api, form: FormData, club_id: UUID) -> tuple[Outcome, str, str]:
    body = forms.file_claim(form, club_id)
    return await api.command("advocacy", "open-entitlement-case", body), "advocacy", "case-"


async def assigned_volunteers(api: Api, case_id: object) -> list[str]:
    """The case's volunteer team: the token names a user, not a volunteer record, so a visit
    is recorded for the team assigned to the case (see the README's gaps)."""
    if not isinstance(case_id, str) or not case_id:
        return []
    detail = await api.query("care", "case-detail", case_id=case_id)
    if not detail.ok:
        return []
    return [str(v) for v in detail.data.get("volunteer_ids") or []]


HANDLERS: dict[str, Handler] = {
    "admit": _admit,
    "repayment": _repay,
    "visit": _visit,
    "claim": _claim,
}


def club_router() -> APIRouter:
    router = APIRouter(prefix=f"{BASE}/club", include_in_schema=False)

    @router.get("/{club_id}")
    async def page(
        request: Request,
        club_id: UUID,
        written: str | None = None,
        consistency: str | None = None,
        saved: str | None = None,
        form: str | None = None,
    ) -> Response:
        session = await session_of(request)
        if session is None:
            return to_login(request)
        service, token = written_hint(written, consistency)
        return await club_page(
            request,
            session,
            club_id,
            written=service,
            consistency=token,
            saved=saved if saved in ("saved", "duplicate") else None,
            saved_form=form if form in HANDLERS else None,
        )

    @router.post("/{club_id}/{action}")
    async def act(request: Request, club_id: UUID, action: str) -> Response:
        session = await session_of(request)
        if session is None:
            return to_login(request, expired=True)
        form = await request.form()
        if not checked(session, form_text(form, "csrf_token")):
            return csrf_refused(request, session)
        handler = HANDLERS.get(action)
        if handler is None:
            return error_page(request, session, 404)
        async with session.api(request) as api:
            outcome, service, prefix = await handler(api, form, club_id)
            profile = None if outcome.ok else await consent_profile(api, session, club_id, outcome)
        if outcome.ok:
            token = outcome.token_for(prefix) or ""
            saved = "duplicate" if outcome.duplicate else "saved"
            target = (
                f"{BASE}/club/{club_id}?written={service}&consistency={token}&saved={saved}"
                f"&form={action}#form-{action}"
            )
            return RedirectResponse(target, status_code=303)
        if outcome.status in (401,):
            return to_login(request, expired=True)
        state, status = refused_form(session.t, form, outcome, profile=profile)
        return await club_page(request, session, club_id, failed={action: state}, status=status)

    return router
