"""RFC 9457 problem+json: stable type URIs, field errors, English and Vietnamese titles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ishc_contracts.errors import FieldIssue, Problem

PROBLEM_BASE = "https://ishc.vn/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

# Titles a client may show; services' own titles are English and used when a slug is unknown.
TITLES: Mapping[str, Mapping[str, str]] = {
    "validation": {"en": "Invalid request", "vi": "Yêu cầu không hợp lệ"},
    "unauthenticated": {"en": "Authentication required", "vi": "Cần đăng nhập"},
    "forbidden": {"en": "Not allowed", "vi": "Không được phép"},
    "not-found": {"en": "No such thing", "vi": "Không tìm thấy"},
    "conflict": {"en": "Changed by someone else meanwhile", "vi": "Dữ liệu vừa bị thay đổi"},
    "subject-erased": {
        "en": "This person's data was erased on request",
        "vi": "Dữ liệu của người này đã bị xoá theo yêu cầu",
    },
    "transport": {
        "en": "The request did not arrive sealed as required",
        "vi": "Yêu cầu không được mã hoá đúng quy định",
    },
    "already-exists": {"en": "It exists already", "vi": "Đã tồn tại"},
    "invalid-state": {
        "en": "Not allowed in the current state",
        "vi": "Không thực hiện được ở trạng thái hiện tại",
    },
    "domain-rule": {
        "en": "The request breaks a business rule",
        "vi": "Yêu cầu vi phạm quy định",
    },
    "service-unavailable": {"en": "Service unavailable", "vi": "Dịch vụ tạm thời không phản hồi"},
    "rate-limited": {"en": "Too many requests", "vi": "Quá nhiều yêu cầu"},
    "payload-too-large": {"en": "Request too large", "vi": "Yêu cầu quá lớn"},
    "method-not-allowed": {"en": "Method not allowed", "vi": "Phương thức không được hỗ trợ"},
    "unknown-command": {"en": "Unknown command", "vi": "Lệnh không tồn tại"},
    "unknown-query": {"en": "Unknown query", "vi": "Truy vấn không tồn tại"},
    "internal": {"en": "Internal error", "vi": "Lỗi hệ thống"},
    # The services' own problem types (their English titles are the services').
    "parked-not-found": {"en": "No such parked event", "vi": "Không có sự kiện bị tạm giữ này"},
    "parked-blocking": {
        "en": "The event is blocking a stopped projection",
        "vi": "Sự kiện đang chặn một bảng đọc đã dừng",
    },
    "redrive-failed": {
        "en": "The parked event failed again",
        "vi": "Sự kiện bị tạm giữ lại lỗi khi gửi lại",
    },
    "projection-led-elsewhere": {
        "en": "Another instance runs this projection",
        "vi": "Bảng đọc này đang do một phiên bản khác chạy",
    },
    "care-case-not-found": {"en": "No such care case", "vi": "Không có hồ sơ chăm sóc này"},
    "consent-required": {
        "en": "The person has not consented to this use of their data",
        "vi": "Người này chưa đồng ý cho việc sử dụng dữ liệu này",
    },
    "idempotency-key-reused": {
        "en": "This Idempotency-Key was used for another request",
        "vi": "Mã chống gửi trùng (Idempotency-Key) đã dùng cho một yêu cầu khác",
    },
    "member-is-another-person": {
        "en": "The member named is another person",
        "vi": "Hội viên được chọn là một người khác",
    },
    "care-case-exists": {"en": "The care case exists already", "vi": "Hồ sơ chăm sóc đã có"},
    "unknown-club": {"en": "No such club", "vi": "Không có câu lạc bộ này"},
    "unknown-scheme": {
        "en": "No eligibility rule for this scheme",
        "vi": "Chế độ này chưa có quy định xét duyệt",
    },
    "care-case-closed": {"en": "The care case is closed", "vi": "Hồ sơ chăm sóc đã đóng"},
    "invalid-transition": {
        "en": "The case cannot move to that stage from where it is",
        "vi": "Hồ sơ không thể chuyển sang bước này",
    },
    "unknown-admin-unit": {
        "en": "No such administrative unit",
        "vi": "Không có đơn vị hành chính này",
    },
    "care-case-status": {
        "en": "Not allowed in the case's current status",
        "vi": "Không thực hiện được ở trạng thái hiện tại của hồ sơ",
    },
    "case-not-found": {"en": "No such entitlement case", "vi": "Không có hồ sơ chính sách này"},
    "insufficient-cash": {"en": "The fund has not enough cash", "vi": "Quỹ không đủ tiền mặt"},
    "unknown-activity-area": {
        "en": "Not an activity area in the reference list",
        "vi": "Lĩnh vực hoạt động không có trong danh mục",
    },
    "before-previous-step": {
        "en": "A loan's step is dated before the step it follows",
        "vi": "Ngày của bước này trước ngày của bước trước đó trong khoản vay",
    },
    "token-not-applicable": {
        "en": "Consistency token not applicable",
        "vi": "Mã đọc-lại-ghi không áp dụng cho yêu cầu này",
    },
    "club-mismatch": {
        "en": "Not in the club the request acts for",
        "vi": "Không thuộc câu lạc bộ đang làm việc",
    },
    "case-exists": {"en": "The entitlement case exists already", "vi": "Hồ sơ chính sách đã có"},
    "duplicate-admission": {
        "en": "The person is already an active member",
        "vi": "Người này đã là hội viên",
    },
    "in-the-future": {"en": "The date or time is in the future", "vi": "Ngày hoặc giờ chưa tới"},
    "fund-limit-reached": {
        "en": "The fund would take in more than its lifetime ceiling",
        "vi": "Quỹ vượt mức trần",
    },
    "before-plan-start": {
        "en": "The date is before the care plan started",
        "vi": "Ngày trước khi bắt đầu kế hoạch chăm sóc",
    },
    "issue-not-found": {"en": "No such collective issue", "vi": "Không có kiến nghị này"},
    "not-a-member": {"en": "No such member", "vi": "Không có hội viên này"},
    "invalid-period": {
        "en": "A period ends before it starts",
        "vi": "Thời hạn kết thúc trước khi bắt đầu",
    },
    "invalid-decision": {"en": "The decision is incomplete", "vi": "Quyết định chưa đầy đủ"},
    "out-of-physiological-range": {
        "en": "A measurement is outside the physiological range",
        "vi": "Chỉ số đo nằm ngoài giới hạn sinh lý",
    },
    "unknown-meeting": {"en": "No such meeting", "vi": "Không có buổi họp này"},
    "not-eligible": {"en": "The member may not borrow", "vi": "Hội viên chưa đủ điều kiện vay"},
    "board-rule": {
        "en": "The board breaks a governance rule",
        "vi": "Ban chủ nhiệm không đúng quy định",
    },
    "invalid-iso-week": {"en": "No such ISO week", "vi": "Không có tuần này"},
    "overdrawn": {"en": "Not enough money in the account", "vi": "Tài khoản không đủ tiền"},
    "loan-limit-reached": {
        "en": "The member has as many active loans as the product allows",
        "vi": "Hội viên đã có đủ số khoản vay được phép",
    },
    "decision-incomplete": {
        "en": "The decision lacks what finance needs to act on it",
        "vi": "Quyết định thiếu thông tin để thực hiện",
    },
    "week-not-over": {
        "en": "The ISO week has not ended yet in Viet Nam",
        "vi": "Tuần này chưa kết thúc",
    },
    "outside-product": {
        "en": "The loan is outside the club's loan product",
        "vi": "Khoản vay không đúng quy định cho vay của CLB",
    },
    "overpayment": {
        "en": "The repayment is more than is owed",
        "vi": "Số tiền trả nhiều hơn số còn nợ",
    },
    "pause-overlaps": {
        "en": "Delinquency pauses of a loan never overlap",
        "vi": "Các đợt tạm dừng tính quá hạn bị trùng nhau",
    },
    "wrong-decision": {
        "en": "The meeting decision does not cover this",
        "vi": "Quyết định của buổi họp không áp dụng cho việc này",
    },
    "invalid-date": {"en": "The date is impossible here", "vi": "Ngày không hợp lệ"},
    "parameter-table-invalid": {
        "en": "The policy-parameter table is inconsistent",
        "vi": "Bảng tham số chính sách không nhất quán",
    },
}


class ProblemIssue(BaseModel):
    field: str = Field(examples=["amount"])
    message: str = Field(examples=["Input should be greater than 0"])


class ProblemDetails(BaseModel):
    """RFC 9457 problem details. Extension members (e.g. `retry_after`) may follow."""

    type: str = Field(examples=["https://ishc.vn/problems/validation"])
    title: str = Field(examples=["Invalid request"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["Deposit is not valid"])
    errors: list[ProblemIssue] = Field(default_factory=list)


def language(request: Request | None) -> str:
    """`vi` when the client prefers Vietnamese over English, else `en`."""
    if request is None:
        return "en"
    header = request.headers.get("accept-language", "")
    best, best_q = "en", -1.0
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("vi", "en", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = ("en" if primary == "*" else primary), q
    return best


def slug_of(problem_type: str) -> str:
    return problem_type.removeprefix(PROBLEM_BASE)


def type_uri(slug: str) -> str:
    return slug if slug.startswith(("http://", "https://")) else PROBLEM_BASE + slug


def _field(name: str) -> str:
    for prefix in ("payload.", "params."):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def problem_body(problem: Problem, lang: str = "en") -> dict[str, Any]:
    slug = slug_of(problem.type)
    title = TITLES.get(slug, {}).get(lang) or problem.title
    body: dict[str, Any] = {
        key: value
        for key, value in problem.extra.items()
        if key not in ("type", "title", "status", "detail", "errors", "instance")
    }
    body.update(
        type=type_uri(slug),
        title=title,
        status=problem.status,
        detail=problem.detail,
        errors=[{"field": _field(i.field), "message": i.message} for i in problem.errors],
    )
    return body


def problem_response(
    problem: Problem, request: Request | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    all_headers = dict(headers or {})
    retry_after = problem.extra.get("retry_after")
    if problem.status in (429, 503) and retry_after is not None:
        all_headers.setdefault("Retry-After", str(max(1, round(float(retry_after)))))
    if problem.status == 401:
        all_headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(
        problem_body(problem, language(request)),
        status_code=problem.status,
        headers=all_headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def make(
    slug: str,
    status: int,
    detail: str,
    *,
    errors: Sequence[FieldIssue] = (),
    **extra: Any,
) -> Problem:
    return Problem(
        type=slug,
        title=TITLES.get(slug, {}).get("en", slug.replace("-", " ").capitalize()),
        status=status,
        detail=detail,
        errors=list(errors),
        extra=extra,
    )


class ProblemError(Exception):
    """Raised anywhere in a request; answered as problem+json."""

    def __init__(self, problem: Problem, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(problem.detail)
        self.problem = problem
        self.headers = dict(headers or {})


def unauthenticated(detail: str) -> ProblemError:
    return ProblemError(make("unauthenticated", 401, detail))


def forbidden(detail: str) -> ProblemError:
    return ProblemError(make("forbidden", 403, detail))


def not_found(detail: str = "no such thing in your scope") -> ProblemError:
    return ProblemError(make("not-found", 404, detail))


def unreadable_body() -> Problem:
    return make(
        "validation",
        422,
        "the request body could not be read",
        errors=[FieldIssue(field="<body>", message="not UTF-8 encoded JSON")],
    )


def invalid(detail: str, field: str, message: str) -> ProblemError:
    return ProblemError(
        make("validation", 422, detail, errors=[FieldIssue(field=field, message=message)])
    )


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ProblemDetails,
        "description": description,
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        },
    }
    for status, description in {
        401: "Missing, expired or invalid bearer token",
        403: "Your role may not do this, or the club is outside your scope",
        404: "Not found in your scope (existence is not revealed across scopes)",
        409: "Conflicts with the current state, or a concurrent change survived retries",
        413: "Request body too large",
        429: "Too many requests from this user; retry after `Retry-After` seconds",
        422: "Invalid input; `errors` names each offending field",
        503: "The service did not answer in time; retry after `Retry-After` seconds",
    }.items()
}
