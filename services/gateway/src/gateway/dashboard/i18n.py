"""Vietnamese and English for the dashboard: the message catalogue and per-locale formatting.

The language is the `ishc_lang` cookie when set (the switch), else the best match of
`Accept-Language`, else Vietnamese: most users read Vietnamese. Numbers, VND, dates and times
are formatted by Babel for the locale; times are shown in Viet Nam (Asia/Ho_Chi_Minh) whatever
the server's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from starlette.requests import Request

from gateway.dashboard.vietnamese import GENERIC_VI, validation_message
from ishc_runtime.clock import VN_TZ

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
LANG_COOKIE = "ishc_lang"
BABEL_LOCALE: dict[Lang, str] = {"vi": "vi_VN", "en": "en_GB"}
DATE_PATTERN = "dd/MM/yyyy"
DATETIME_PATTERN = "dd/MM/yyyy HH:mm"

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (Vietnamese, English)
    "app.title": ("CLB Liên thế hệ tự giúp nhau", "Intergenerational Self-Help Clubs"),
    "nav.skip": ("Bỏ qua, đến nội dung chính", "Skip to main content"),
    "nav.main": ("Điều hướng chính", "Main navigation"),
    "nav.logout": ("Đăng xuất", "Sign out"),
    "nav.language": ("Ngôn ngữ", "Language"),
    "nav.signed_in_as": ("Đăng nhập với tên", "Signed in as"),
    "login.title": ("Đăng nhập", "Sign in"),
    "login.dev_user": ("Người dùng thử nghiệm", "Demo user"),
    "login.dev_note": (
        "Chế độ phát triển: chọn một người dùng mẫu.",
        "Development mode: pick a demo user.",
    ),
    "login.idp_note": (
        "Hãy đăng nhập bằng hệ thống định danh của tổ chức, rồi dán mã truy cập (access token)"
        " vào đây.",
        "Sign in with your organisation's identity provider, then paste the access token here.",
    ),
    "login.token": ("Mã truy cập", "Access token"),
    "login.oidc": (
        "Đăng nhập bằng tài khoản của tổ chức",
        "Sign in with your organisation's account",
    ),
    "login.paste_instead": ("Hoặc dán mã truy cập", "Or paste an access token"),
    "login.signed_in": ("Đã đăng nhập", "Signed in"),
    "login.continue": ("Tiếp tục", "Continue"),
    "login.submit": ("Đăng nhập", "Sign in"),
    "login.failed": ("Đăng nhập không thành công", "Sign-in failed"),
    "login.expired": (
        "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.",
        "Your session has ended. Please sign in again.",
    ),
    "role.club_secretary": ("Thư ký CLB", "Club secretary"),
    "role.board": ("Ban chủ nhiệm", "Club board"),
    "role.volunteer": ("Tình nguyện viên", "Volunteer"),
    "role.provincial_officer": ("Cán bộ tỉnh", "Provincial officer"),
    "role.national_admin": ("Quản trị quốc gia", "National administrator"),
    "role.operator": ("Vận hành hệ thống", "Operator"),
    "error.title": ("Không thể hiển thị trang", "This page cannot be shown"),
    "error.not_found": (
        "Không tìm thấy, hoặc nằm ngoài phạm vi của bạn.",
        "Not found, or outside your scope.",
    ),
    "error.forbidden": ("Vai trò của bạn không được xem mục này.", "Your role may not see this."),
    "error.unavailable": (
        "Hệ thống đang bận, vui lòng thử lại sau.",
        "The system is busy; please try again later.",
    ),
    "error.csrf": (
        "Biểu mẫu đã cũ. Vui lòng tải lại trang và gửi lại.",
        "The form has expired. Reload the page and send it again.",
    ),
    "error.section": ("Không tải được mục này", "This section could not be loaded"),
    "stale": (
        "Dữ liệu có thể chưa cập nhật thay đổi vừa rồi; hãy tải lại sau giây lát.",
        "The data may not show your change yet; reload in a moment.",
    ),
    "saved": ("Đã lưu.", "Saved."),
    "duplicate": ("Đã lưu trước đó (gửi lặp lại).", "Already saved (sent twice)."),
    "form.errors": ("Vui lòng sửa các lỗi dưới đây.", "Please correct the errors below."),
    "form.required": ("bắt buộc", "required"),
    "form.choose": ("— chọn —", "— choose —"),
    # Club page
    "club.title": ("Câu lạc bộ", "Club"),
    "club.members": ("Hội viên", "Members"),
    "club.active_members": ("Hội viên đang sinh hoạt", "Active members"),
    "club.name": ("Họ tên", "Name"),
    "club.age": ("Tuổi", "Age"),
    "club.village": ("Thôn/xóm", "Village"),
    "club.joined": ("Ngày vào", "Joined"),
    "club.categories": ("Nhóm", "Categories"),
    "club.categories_note": (
        "Các nhóm là đặc điểm độc lập; một người có thể thuộc nhiều nhóm.",
        "Categories are independent flags; one person may have several.",
    ),
    "cat.older": ("Người cao tuổi", "Older"),
    "cat.woman": ("Phụ nữ", "Woman"),
    "cat.younger": ("Người trẻ", "Younger"),
    "cat.womens_union_member": ("Hội viên Hội LHPN", "Women's Union"),
    "cat.poor_or_near_poor": ("Hộ nghèo/cận nghèo", "Poor/near-poor"),
    "cat.disability": ("Khuyết tật", "Disability"),
    "cat.ethnic_minority": ("Dân tộc thiểu số", "Ethnic minority"),
    "club.fund": ("Quỹ", "Funds"),
    "club.fund_type": ("Loại quỹ", "Fund"),
    "club.balance": ("Số dư", "Balance"),
    "club.no_funds": ("Chưa có quỹ nào.", "No funds yet."),
    "fund.income_generation": ("Quỹ phát triển sinh kế", "Income-generation fund"),
    "fund.activity": ("Quỹ hoạt động", "Activity fund"),
    "fund.mutual_aid": ("Quỹ tương trợ", "Mutual-aid fund"),
    "club.loans": ("Sổ cho vay", "Loan book"),
    "loan.applied": ("chờ duyệt", "applied"),
    "loan.approved": ("đã duyệt", "approved"),
    "loan.active": ("đang vay", "active"),
    "loan.repaid": ("đã trả xong", "repaid"),
    "loan.rejected": ("bị từ chối", "rejected"),
    "loan.written_off": ("đã xóa nợ", "written off"),
    "stage.opened": ("mới lập", "opened"),
    "stage.documents_ready": ("đủ giấy tờ", "documents ready"),
    "stage.submitted": ("đã nộp", "submitted"),
    "stage.approved": ("được duyệt", "approved"),
    "stage.rejected": ("bị từ chối", "rejected"),
    "stage.appealed": ("đang khiếu nại", "appealed"),
    "stage.paid": ("đã chi trả", "paid"),
    "club.borrower": ("Người vay", "Borrower"),
    "club.principal": ("Gốc", "Principal"),
    "club.outstanding": ("Dư nợ", "Outstanding"),
    "club.days_overdue": ("Số ngày quá hạn", "Days overdue"),
    "club.status": ("Trạng thái", "Status"),
    "club.in_arrears": ("quá hạn", "in arrears"),
    "club.no_loans": ("Chưa có khoản vay.", "No loans yet."),
    "club.ageing": ("Phân loại nợ", "Ageing"),
    "club.visits": ("Chăm sóc tại nhà tuần này", "Home-care visits this week"),
    "club.recipient": ("Người được chăm sóc", "Care recipient"),
    "club.week": ("Tuần", "Week"),
    "club.no_recipients": ("Chưa có người được chăm sóc.", "No care recipients."),
    "slot.done": ("đã thăm", "done"),
    "slot.due": ("đến hạn", "due"),
    "slot.overdue": ("quá hạn", "overdue"),
    "slot.missed": ("bỏ lỡ", "missed"),
    "slot.upcoming": ("sắp tới", "upcoming"),
    "club.claims": ("Hồ sơ chính sách đang mở", "Open entitlement claims"),
    "club.scheme": ("Chế độ", "Scheme"),
    "club.stage": ("Bước", "Stage"),
    "club.opened_on": ("Ngày mở", "Opened"),
    "club.decision_due": ("Hạn trả lời", "Decision due"),
    "club.overdue": ("quá hạn", "overdue"),
    "club.no_claims": ("Không có hồ sơ đang mở.", "No open claims."),
    "club.worklist": ("Đủ điều kiện nhưng chưa làm hồ sơ", "Eligible but not yet claimed"),
    "club.expected": ("Dự kiến/tháng", "Expected monthly"),
    "club.no_worklist": ("Không có ai trong danh sách.", "Nobody on the list."),
    "club.meetings": ("Sinh hoạt định kỳ", "Meetings"),
    "club.held_on": ("Ngày họp", "Held on"),
    "club.attendance": ("Tỷ lệ tham dự", "Attendance"),
    "club.no_meetings": ("Chưa có buổi họp.", "No meetings yet."),
    "club.forms": ("Công việc hằng ngày", "Daily work"),
    "form.admit": ("Kết nạp hội viên", "Admit a member"),
    "form.full_name": ("Họ và tên", "Full name"),
    "form.sex": ("Giới tính", "Sex"),
    "sex.female": ("Nữ", "Female"),
    "sex.male": ("Nam", "Male"),
    "sex.other": ("Khác", "Other"),
    "form.birth_date": ("Ngày sinh", "Date of birth"),
    "form.joined_on": ("Ngày vào CLB", "Joined on"),
    "form.village": ("Thôn/xóm", "Village"),
    "form.repayment": ("Ghi nhận trả nợ", "Record a repayment"),
    "form.loan": ("Khoản vay", "Loan"),
    "form.amount": ("Số tiền (đồng)", "Amount (VND)"),
    "form.received_on": ("Ngày nhận", "Received on"),
    "form.visit": ("Ghi nhận chuyến thăm", "Record a visit"),
    "form.case": ("Người được chăm sóc", "Care recipient"),
    "form.visited_on": ("Ngày thăm", "Visited on"),
    "form.duration": ("Thời gian (phút)", "Duration (minutes)"),
    "form.tasks": ("Việc đã làm", "Tasks done"),
    "task.bathing": ("Tắm rửa", "Bathing"),
    "task.meals": ("Nấu ăn", "Meals"),
    "task.housework": ("Dọn dẹp", "Housework"),
    "task.medication": ("Nhắc uống thuốc", "Medication"),
    "task.companionship": ("Trò chuyện", "Companionship"),
    "form.claim": ("Lập hồ sơ chính sách", "File an entitlement claim"),
    "form.person": ("Hội viên", "Member"),
    "form.scheme": ("Chế độ", "Scheme"),
    "form.opened_on": ("Ngày lập", "Opened on"),
    "form.file_claim": ("Lập hồ sơ", "File claim"),
    "form.submit": ("Lưu", "Save"),
    "scheme.social_pension": ("Trợ cấp hưu trí xã hội", "Social pension"),
    "scheme.social_allowance_elderly": ("Trợ cấp xã hội người cao tuổi", "Elderly allowance"),
    "scheme.disability_allowance": ("Trợ cấp khuyết tật", "Disability allowance"),
    "scheme.health_insurance": ("Bảo hiểm y tế", "Health insurance"),
    "scheme.funeral_support": ("Hỗ trợ mai táng", "Funeral support"),
    "scheme.poverty_certification": ("Chứng nhận hộ nghèo, cận nghèo", "Poverty certificate"),
    "scheme.vbsp_loan_referral": ("Giới thiệu vay vốn NHCSXH", "Social Policy Bank loan referral"),
    "scheme.other": ("Chế độ khác", "Other entitlement"),
    # The club year pages
    "club.sections": ("Các mục của câu lạc bộ", "Club sections"),
    "club.overview": ("Tổng quan", "Overview"),
    "year.loans": ("Cho vay", "Loans"),
    "year.meetings": ("Sinh hoạt", "Meetings"),
    "year.funds": ("Quỹ", "Funds"),
    "year.health": ("Sức khỏe", "Health"),
    "form.note": ("Ghi chú", "Note"),
    "loan.title": ("Khoản vay", "Loan"),
    "loan.apply": ("Đơn xin vay", "Loan application"),
    "loan.apply_submit": ("Nộp đơn", "Submit the application"),
    "loan.amount": ("Số tiền xin vay (đồng)", "Amount asked (VND)"),
    "loan.term": ("Thời hạn (tháng)", "Term (months)"),
    "loan.purpose": ("Mục đích vay", "Purpose"),
    "purpose.livestock": ("Chăn nuôi", "Livestock"),
    "purpose.crops": ("Trồng trọt", "Crops"),
    "purpose.small_business": ("Buôn bán nhỏ", "Small business"),
    "purpose.other": ("Khác", "Other"),
    "loan.applied_on": ("Ngày nộp đơn", "Applied on"),
    "loan.disbursed_on": ("Ngày giải ngân", "Disbursed on"),
    "loan.days_late": ("ngày quá hạn", "days late"),
    "loan.summary": ("Tình hình khoản vay", "Loan at a glance"),
    "loan.paid": ("Đã trả", "Paid"),
    "loan.interest_word": ("tiền lãi", "interest"),
    "loan.next_due": ("Kỳ trả tiếp theo", "Next payment due"),
    "loan.arrears": ("Nợ quá hạn", "Arrears"),
    "loan.history": ("Lịch sử", "History"),
    "hist.applied": ("Đã nộp đơn xin vay", "Application submitted"),
    "hist.approved": (
        "Được duyệt theo quyết định của buổi sinh hoạt",
        "Approved by a meeting decision",
    ),
    "hist.disbursed": ("Đã giải ngân ngày", "Disbursed on"),
    "loan.installment": ("Kỳ", "Installment"),
    "loan.schedule": ("Lịch trả nợ", "Repayment schedule"),
    "loan.number": ("Kỳ", "No."),
    "loan.due_on": ("Hạn trả", "Due on"),
    "loan.due_amount": ("Số phải trả", "Amount due"),
    "inst.paid": ("đã trả đủ", "paid"),
    "inst.partly": ("đã trả một phần", "partly paid"),
    "inst.overdue": ("quá hạn", "overdue"),
    "inst.due": ("chưa đến hạn", "not yet due"),
    "loan.approve": ("Duyệt cho vay", "Approve the loan"),
    "loan.decision": ("Quyết định của buổi sinh hoạt", "Meeting decision"),
    "loan.no_decision": (
        "Chưa có quyết định cho vay nào. Hãy ghi quyết định ở buổi sinh hoạt:",
        "No loan decision yet. Record the decision at a meeting:",
    ),
    "loan.approved_on": ("Ngày duyệt", "Approved on"),
    "loan.approve_submit": ("Duyệt", "Approve"),
    "loan.disburse": ("Giải ngân", "Disburse"),
    "loan.disburse_submit": ("Xác nhận đã giải ngân", "Confirm the disbursement"),
    "meeting.hold": ("Ghi buổi sinh hoạt và điểm danh", "Record a meeting and attendance"),
    "meeting.kind": ("Loại buổi họp", "Kind of meeting"),
    "meetingkind.regular": ("Sinh hoạt định kỳ", "Regular meeting"),
    "meetingkind.extraordinary": ("Họp bất thường", "Extraordinary meeting"),
    "meetingkind.founding": ("Họp thành lập", "Founding meeting"),
    "meetingkind.general_assembly": ("Đại hội", "General assembly"),
    "meeting.location": ("Địa điểm", "Place"),
    "meeting.present": ("Có mặt (đánh dấu từng người)", "Present (tick each person)"),
    "meeting.guests": ("Số khách mời", "Guests"),
    "meeting.decide": ("Ghi quyết định", "Record a decision"),
    "meeting.which": ("Buổi họp", "Meeting"),
    "meeting.decision_kind": ("Loại quyết định", "Kind of decision"),
    "decision.loan_approval": ("Duyệt cho vay", "Loan approval"),
    "decision.loan_write_off": ("Xóa nợ", "Loan write-off"),
    "decision.mutual_aid_grant": ("Trợ giúp từ quỹ tương trợ", "Mutual-aid grant"),
    "decision.charter_change": ("Sửa điều lệ", "Charter change"),
    "decision.board_election": ("Bầu Ban chủ nhiệm", "Board election"),
    "decision.other": ("Khác", "Other"),
    "meeting.summary": ("Nội dung quyết định", "What was decided"),
    "meeting.loan_applied": ("Đơn vay được xét", "Loan application decided"),
    "meeting.votes_for": ("Số phiếu đồng ý", "Votes for"),
    "meeting.votes_against": ("Số phiếu không đồng ý", "Votes against"),
    "meeting.held": ("Các buổi đã họp", "Meetings held"),
    "fund.statement": ("Báo cáo quỹ theo tháng", "Monthly fund statement"),
    "fund.month": ("Tháng", "Month"),
    "fund.opening": ("Đầu kỳ", "Opening"),
    "fund.in": ("Thu", "In"),
    "fund.out": ("Chi", "Out"),
    "fund.closing": ("Cuối kỳ", "Closing"),
    "fund.books": ("Sổ sách", "Books"),
    "fund.closed": ("đã khóa sổ", "closed"),
    "fund.open": ("đang mở", "open"),
    "fund.close": ("Khóa sổ tháng", "Close the month"),
    "fund.close_hint": (
        "Khóa sổ tất cả các quỹ của CLB đến hết tháng đã chọn.",
        "Closes every fund of the club through the month chosen.",
    ),
    "fund.close_submit": ("Khóa sổ", "Close the books"),
    "fund.capitalise": ("Nhận vốn vào quỹ", "Capital received"),
    "fund.source": ("Nguồn vốn", "Source"),
    "source.project": ("Dự án", "Project"),
    "source.state_budget": ("Ngân sách nhà nước", "State budget"),
    "source.commune_fund": ("Quỹ của xã", "Commune fund"),
    "source.donation": ("Ủng hộ", "Donation"),
    "source.member_fee": ("Hội phí", "Member fees"),
    "source.other": ("Khác", "Other"),
    "fund.fee": ("Thu hội phí", "Membership fee"),
    "fund.aid": ("Trợ giúp từ quỹ tương trợ", "Mutual-aid grant"),
    "fund.reason": ("Lý do", "Reason"),
    "aid.illness": ("Ốm đau", "Illness"),
    "aid.death": ("Tang gia", "Bereavement"),
    "aid.disaster": ("Thiên tai", "Disaster"),
    "aid.other": ("Khác", "Other"),
    "fund.granted_on": ("Ngày trao", "Granted on"),
    "health.coverage": ("Khám sức khỏe năm", "Health check-ups in"),
    "health.checked": ("Người từ 60 tuổi đã được khám", "Members aged 60+ checked"),
    "health.without": ("Chưa được khám", "Not yet checked"),
    "health.record": ("Ghi kết quả khám sức khỏe", "Record a health check-up"),
    "health.checked_on": ("Ngày khám", "Checked on"),
    "health.glucose": ("Đường huyết (mmol/l)", "Blood glucose (mmol/l)"),
    "health.weight": ("Cân nặng (kg)", "Weight (kg)"),
    # Volunteer page
    "vol.title": ("Chuyến thăm của tôi", "My visits"),
    "vol.this_week": ("Tuần này", "This week"),
    "vol.record": ("Ghi chuyến thăm", "Record visit"),
    "vol.offline": (
        "Đang ngoại tuyến: chuyến thăm được lưu trên máy và sẽ gửi khi có mạng.",
        "Offline: visits are kept on this phone and sent when you are back online.",
    ),
    "vol.queued": ("Chờ gửi", "Waiting to send"),
    "vol.sync_results": ("Kết quả đồng bộ", "Sync results"),
    "vol.none_mine": (
        "Chưa có ai được phân công cho bạn đến thăm.",
        "No one is assigned to you to visit yet.",
    ),
    "vol.team_note": (
        "Chuyến thăm được ghi cho nhóm tình nguyện viên được phân công.",
        "The visit is recorded for the assigned volunteer team.",
    ),
    "vol.last_sync": ("Lần gửi gần nhất", "Last sent"),
    "vol.never": ("chưa gửi lần nào trên máy này", "never from this phone"),
    "vol.send_now": ("Gửi ngay", "Send now"),
    "vol.kept": (
        "chuyến thăm của người dùng khác, giữ lại trên máy",
        "visits of another user, kept on this phone",
    ),
    "vol.sending": ("Đang gửi…", "Sending…"),
    "vol.offline_short": (
        "Chưa có mạng: sẽ tự gửi khi có mạng.",
        "No network: they will be sent when it is back.",
    ),
    "vol.send_failed": (
        "Chưa gửi được; vẫn giữ trên máy, hãy thử lại.",
        "Not sent; still kept on this phone, try again.",
    ),
    "vol.sent": ("Đã gửi.", "Sent."),
    "vol.duration_min": (
        "Thời gian thăm ít nhất 1 phút.",
        "A visit lasts at least 1 minute.",
    ),
    "logout.waiting_1": ("Còn", "There are"),
    "logout.waiting_2": (
        "việc chưa gửi lên máy chủ. Nếu đăng xuất, chúng vẫn được giữ trên máy này và sẽ gửi"
        " khi bạn đăng nhập lại.",
        "records not yet sent. If you sign out they stay on this phone and are sent when you"
        " sign in again.",
    ),
    "logout.keep": ("Vẫn đăng xuất, giữ lại trên máy", "Sign out, keep them on this phone"),
    "logout.stay": ("Ở lại", "Stay signed in"),
    "form.blood_pressure": ("Huyết áp (mmHg)", "Blood pressure (mmHg)"),
    "form.systolic": ("Tâm thu (số trên)", "Systolic (upper)"),
    "form.diastolic": ("Tâm trương (số dưới)", "Diastolic (lower)"),
    "form.observations": ("Nhận xét, điều quan sát được", "Observations"),
    "form.follow_up": ("Việc cần làm tiếp", "Follow-up"),
    "follow.revisit_soon": ("Thăm lại sớm", "Visit again soon"),
    "follow.health_station": ("Đưa đến trạm y tế", "Refer to the health station"),
    "follow.inform_family": ("Báo cho gia đình", "Tell the family"),
    "follow.inform_board": ("Báo Ban chủ nhiệm", "Tell the club board"),
    "follow.entitlement": ("Hỗ trợ làm hồ sơ chính sách", "Help with an entitlement claim"),
    "sync.accepted": ("đã lưu", "saved"),
    "sync.duplicate": ("đã có", "already saved"),
    "sync.rejected": ("bị từ chối", "refused"),
    "sync.not_attempted": ("chưa gửi, sẽ thử lại", "not sent, will retry"),
    "sync.queued": ("đã lưu trên máy", "kept on this phone"),
    # Province page
    "prov.title": ("Chỉ số", "Indicators"),
    "prov.period": ("Kỳ báo cáo", "Period"),
    "prov.level": ("Cấp", "Level"),
    "prov.show": ("Xem", "Show"),
    "level.province": ("Tỉnh", "Province"),
    "level.commune": ("Xã/phường", "Commune"),
    "level.club": ("CLB", "Club"),
    "level.nation": ("Toàn quốc", "Nation"),
    "prov.export": ("Tải xuống", "Download"),
    "prov.clubs_over_time": ("Số CLB theo thời gian", "Clubs over time"),
    "prov.members_by_category": ("Hội viên theo nhóm (%)", "Members by category (%)"),
    "prov.par30": ("Nợ quá hạn trên 30 ngày, PAR30 (%)", "Portfolio at risk, PAR30 (%)"),
    "prov.compliance": (
        "Tuần chăm sóc đạt chỉ tiêu (%)",
        "Home-care weeks meeting the target (%)",
    ),
    "prov.funnel": ("Hồ sơ chính sách", "Entitlement claims"),
    "prov.funnel_opened": ("Đã lập", "Opened"),
    "prov.funnel_approved": ("Được duyệt", "Approved"),
    "prov.funnel_helped": ("Người được hưởng", "People helped"),
    "prov.by_unit": ("Theo đơn vị", "By unit"),
    "prov.unit": ("Đơn vị", "Unit"),
    "prov.indicators": ("Chỉ số N1-N16", "Indicators N1-N16"),
    "prov.no_data": ("Chưa có số liệu cho kỳ này.", "No figures for this period."),
    "prov.unavailable": (
        "Báo cáo chỉ số chưa sẵn sàng.",
        "The indicator report is not available yet.",
    ),
    "prov.suppressed": ("ẩn (số nhỏ)", "suppressed (small count)"),
    "N1": ("N1 Câu lạc bộ", "N1 Clubs"),
    "N2": ("N2 Tỉnh có CLB", "N2 Provinces with a club"),
    "N3": ("N3 Xã/phường có CLB", "N3 Communes with a club"),
    "N4": ("N4 Hội viên", "N4 Members"),
    "N5": ("N5 Thành phần hội viên", "N5 Member categories"),
    "N6": ("N6 CLB hoạt động tốt", "N6 Well-managed clubs"),
    "N7": ("N7 Người vay vốn", "N7 Borrowers"),
    "N8": ("N8 CLB có đủ hai quỹ", "N8 Clubs with both funds"),
    "N9": ("N9 Vốn quỹ sinh kế", "N9 Income-generation capital"),
    "N10": ("N10 Cho vay", "N10 Lending"),
    "N11": ("N11 Sức khỏe", "N11 Health"),
    "N12": ("N12 Chăm sóc tại nhà", "N12 Home care"),
    "N13": ("N13 Hỗ trợ chính sách", "N13 Entitlements"),
    "N14": ("N14 Hộ nghèo được hỗ trợ", "N14 Poor households supported"),
    "N15": ("N15 CLB tự chủ", "N15 Self-reliant clubs"),
    "N16": ("N16 Nguồn lực", "N16 Resources"),
    # Indicator names (reporting's N1-N16 fields), as the province page lists them.
    "ind.clubs_new": ("CLB thành lập mới", "New clubs"),
    "ind.clubs_cumulative": ("CLB lũy kế", "Clubs to date"),
    "ind.clubs_active": ("CLB đang hoạt động", "Active clubs"),
    "ind.provinces_with_club": ("Số tỉnh có CLB", "Provinces with a club"),
    "ind.provinces_with_club_pct": ("Tỷ lệ tỉnh có CLB", "Share of provinces with a club"),
    "ind.communes_with_club": ("Số xã/phường có CLB", "Communes with a club"),
    "ind.communes_total": ("Tổng số xã/phường", "Communes in all"),
    "ind.communes_with_club_pct": ("Tỷ lệ xã/phường có CLB", "Share of communes with a club"),
    "ind.members": ("Hội viên", "Members"),
    "ind.new_members": ("Hội viên mới", "New members"),
    "ind.older_members": ("Hội viên cao tuổi", "Older members"),
    "ind.avg_members_per_club": ("Hội viên bình quân mỗi CLB", "Average members per club"),
    "ind.women_pct": ("Tỷ lệ nữ", "Women"),
    "ind.older_pct": ("Tỷ lệ người cao tuổi", "Older people"),
    "ind.younger_pct": ("Tỷ lệ người dưới 60 tuổi", "People under 60"),
    "ind.womens_union_pct": ("Tỷ lệ hội viên Hội Phụ nữ", "Women's Union members"),
    "ind.ethnic_minority_pct": ("Tỷ lệ người dân tộc thiểu số", "Ethnic minority members"),
    "ind.poor_pct": ("Tỷ lệ thuộc hộ nghèo, cận nghèo", "From poor or near-poor households"),
    "ind.poor_members": ("Hội viên thuộc hộ nghèo, cận nghèo", "Members from poor households"),
    "ind.poor_households": ("Hộ nghèo, cận nghèo", "Poor or near-poor households"),
    "ind.disability_pct": ("Tỷ lệ người khuyết tật", "People with disabilities"),
    "ind.clubs_well_managed": ("CLB quản lý tốt", "Well-managed clubs"),
    "ind.clubs_well_managed_pct": ("Tỷ lệ CLB quản lý tốt", "Share of clubs well managed"),
    "ind.borrowers": ("Người vay vốn", "Borrowers"),
    "ind.borrowers_pct": ("Tỷ lệ hội viên vay vốn", "Share of members borrowing"),
    "ind.clubs_with_both_funds": ("CLB có đủ hai quỹ", "Clubs with both funds"),
    "ind.clubs_with_both_funds_pct": ("Tỷ lệ CLB có đủ hai quỹ", "Share of clubs with both funds"),
    "ind.ig_capital_total": ("Tổng vốn quỹ sinh kế", "Income-generation capital"),
    "ind.ig_capital_avg": ("Vốn quỹ sinh kế bình quân mỗi CLB", "Capital per club"),
    "ind.clubs_ig_fund_ge_20m_pct": (
        "Tỷ lệ CLB có quỹ sinh kế từ 20 triệu đồng",
        "Clubs with a fund of 20 million VND or more",
    ),
    "ind.clubs_ig_fund_ge_30m_pct": (
        "Tỷ lệ CLB có quỹ sinh kế từ 30 triệu đồng",
        "Clubs with a fund of 30 million VND or more",
    ),
    "ind.loans_issued": ("Số khoản vay đã giải ngân", "Loans disbursed"),
    "ind.loans_amount": ("Số tiền đã cho vay", "Amount lent"),
    "ind.outstanding": ("Dư nợ", "Outstanding"),
    "ind.repayment_rate_pct": ("Tỷ lệ gốc trả đúng hạn", "Principal repaid on time"),
    "ind.par30_pct": ("Nợ quá hạn trên 30 ngày (PAR30)", "Portfolio at risk, 30 days (PAR30)"),
    "ind.write_offs": ("Số khoản vay xóa nợ", "Loans written off"),
    "ind.write_off_amount": ("Số tiền xóa nợ", "Amount written off"),
    "ind.health_checks": ("Lượt khám sức khỏe", "Health check-ups"),
    "ind.clubs_with_health_activity_pct": (
        "Tỷ lệ CLB có hoạt động sức khỏe",
        "Clubs with health activities",
    ),
    "ind.older_checked_pct": ("Tỷ lệ người cao tuổi được khám", "Older members checked"),
    "ind.health_record_pct": (
        "Tỷ lệ hội viên có sổ theo dõi sức khỏe",
        "Members with a health record",
    ),
    "ind.care_recipients": ("Người được chăm sóc tại nhà", "Home-care recipients"),
    "ind.volunteers": ("Tình nguyện viên", "Volunteers"),
    "ind.clubs_with_5_volunteers_pct": (
        "Tỷ lệ CLB có từ 5 tình nguyện viên",
        "Clubs with 5 or more volunteers",
    ),
    "ind.visits": ("Lượt thăm tại nhà", "Home visits"),
    "ind.visits_per_recipient_week": (
        "Lượt thăm mỗi người mỗi tuần",
        "Visits per recipient per week",
    ),
    "ind.weeks_target_met_pct": (
        "Tỷ lệ tuần đạt ít nhất 2 lượt thăm",
        "Weeks with at least two visits",
    ),
    "ind.entitlement_cases_opened": ("Hồ sơ chính sách đã lập", "Entitlement claims opened"),
    "ind.entitlement_cases_approved": ("Hồ sơ được duyệt", "Claims approved"),
    "ind.households_helped": ("Hộ được hỗ trợ tiếp cận chính sách", "Households helped to claim"),
    "ind.poor_households_supported": (
        "Hộ nghèo được hỗ trợ vay vốn hoặc vật tư",
        "Poor households supported with loans or materials",
    ),
    "ind.clubs_evaluated_independence": (
        "CLB đủ 24 tháng, được đánh giá tự chủ",
        "Clubs 24 months or older, assessed",
    ),
    "ind.clubs_independent": ("CLB tự chủ tài chính", "Financially independent clubs"),
    "ind.clubs_independent_pct": ("Tỷ lệ CLB tự chủ tài chính", "Share financially independent"),
    "ind.resources_total": ("Tổng nguồn lực huy động", "Resources mobilised"),
    "prov.indicator": ("Chỉ số", "Indicator"),
    "prov.value": ("Giá trị", "Value"),
    "prov.clubs_active": ("CLB hoạt động", "Active clubs"),
    "prov.members": ("Hội viên", "Members"),
    "prov.women": ("Nữ", "Women"),
    "prov.older": ("Cao tuổi", "Older"),
    "prov.claims": ("Hồ sơ đã lập", "Claims opened"),
    "prov.computed_at": ("Số liệu tính lúc", "Figures computed at"),
    "prov.incomplete": (
        "Số liệu chưa đầy đủ: có sự kiện chưa thể tính. Bộ phận vận hành xem được nguyên nhân.",
        "Figures incomplete: some events cannot be counted yet. Operators can see why.",
    ),
    "prov.pending": ("sự kiện mới đang được tính", "new events still being counted"),
    "prov.held": ("sự kiện bị tạm giữ", "events parked"),
    "state.caught up": ("đã cập nhật", "caught up"),
    "state.behind": ("đang cập nhật", "catching up"),
    "state.stopped": ("đã dừng", "stopped"),
    "state.rebuilding": ("đang dựng lại", "being rebuilt"),
    "state.no stream": ("chưa có luồng dữ liệu", "no data stream"),
    # Operator page
    "ops.title": ("Vận hành", "Operations"),
    "ops.projections": ("Trạng thái các bảng đọc (projection) và độ trễ", "Projections and lag"),
    "ops.parked": ("Sự kiện bị tạm giữ", "Parked events"),
    "ops.none": ("Không có.", "None."),
    "ops.service": ("Dịch vụ", "Service"),
    "ops.projection": ("Bảng đọc", "Projection"),
    "ops.source": ("Luồng nguồn", "Source stream"),
    "ops.state": ("Trạng thái", "State"),
    "ops.checkpoint": ("Điểm đã xử lý", "Checkpoint"),
    "ops.lag": ("Độ trễ (sự kiện)", "Lag (events)"),
    "ops.updated": ("Cập nhật lúc", "Updated"),
    "ops.down": ("không trả lời", "not answering"),
    "ops.blocking": ("đang chặn", "blocking"),
    "ops.event": ("Sự kiện", "Event"),
    "ops.reason": ("Lý do", "Reason"),
    "ops.disposition": ("Xử lý", "Disposition"),
    "ops.attempts": ("Số lần thử", "Attempts"),
    "ops.parked_at": ("Tạm giữ lúc", "Parked at"),
    "ops.unavailable": ("Chưa có dữ liệu vận hành.", "Operations data is not available."),
    "ops.reaction": ("phản ứng", "reaction"),
    "ops.technical": ("Chi tiết kỹ thuật", "Technical detail"),
    "ops.refresh": ("Làm mới", "Refresh"),
    "ops.read_at": ("Số liệu đọc lúc", "Read at"),
    "ops.redrive_hint": (
        "Gửi lại hoặc bỏ qua sự kiện bị tạm giữ bằng lệnh vận hành:",
        "Redrive or discard parked events with the operator command:",
    ),
    "disposition.parked": ("tạm giữ", "parked"),
    "disposition.blocking": ("đang chặn", "blocking"),
    "service.membership": ("hội viên", "membership"),
    "service.finance": ("tài chính", "finance"),
    "service.care": ("chăm sóc", "care"),
    "service.advocacy": ("chính sách", "advocacy"),
    "service.reporting": ("báo cáo", "reporting"),
    "export.filename": ("ishc-chi-so", "ishc-indicators"),
    "prov.bad_period": (
        "Kỳ báo cáo không hợp lệ, đang hiện tháng gần nhất đã kết thúc thay cho:",
        "Not a period; showing the last complete month instead of:",
    ),
    "prov.drill": ("Cấp đang xem", "Where you are"),
    "export.about": ("Thông tin", "About"),
    "export.generated_at": ("Tệp tạo lúc", "File made at"),
    "export.timezone": ("Múi giờ", "Time zone"),
    "period.month": ("Tháng", "Month"),
    "period.quarter": ("Quý", "Quarter"),
    "period.year": ("Năm", "Year"),
}


@dataclass(frozen=True)
class Translator:
    """Messages and formatting for one request's language."""

    lang: Lang

    @property
    def locale(self) -> str:
        return BABEL_LOCALE[self.lang]

    def __call__(self, key: str) -> str:
        pair = MESSAGES.get(key)
        if pair is None:
            return key.rsplit(".", 1)[-1].replace("_", " ")
        return pair[0] if self.lang == "vi" else pair[1]

    def has(self, key: str) -> bool:
        return key in MESSAGES

    def vnd(self, amount: int | None) -> str:
        if amount is None:
            return "—"
        return format_currency(amount, "VND", locale=self.locale)

    def number(self, value: float | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, share: float | None) -> str:
        """A share (0.25) as a percentage."""
        return "—" if share is None else format_percent(share, "#,##0.#%", locale=self.locale)

    def pct(self, value: float | None) -> str:
        """A value already in percent (25.0)."""
        return "—" if value is None else self.percent(value / 100)

    def date(self, value: date | str | None) -> str:
        """dd/mm/yyyy in both languages: what Vietnamese forms and registers use."""
        if value is None or value == "":
            return "—"
        day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
        return format_date(day, format=DATE_PATTERN, locale=self.locale)

    def datetime(self, value: datetime | str | None) -> str:
        if value is None or value == "":
            return "—"
        instant = datetime.fromisoformat(value) if isinstance(value, str) else value
        if instant.tzinfo is not None:
            instant = instant.astimezone(VN_TZ)
        return format_datetime(instant, format=DATETIME_PATTERN, locale=self.locale)

    def week(self, iso_week: str | None) -> str:
        """`2026-W49` as the dates it covers: "30/11/2026 to 06/12/2026" with an en dash."""
        if not iso_week:
            return "—"
        found = re.match(r"^(\d{4})-W(\d{2})$", iso_week)
        if found is None:
            return iso_week
        monday = date.fromisocalendar(int(found[1]), int(found[2]), 1)
        return f"{self.date(monday)} \u2013 {self.date(monday + timedelta(days=6))}"

    def period(self, period: str) -> str:
        """A report period (2026-11, 2026-Q4, 2026) as people say it."""
        month = re.match(r"^(\d{4})-(\d{2})$", period)
        if month:
            return f"{self('period.month')} {month[2]}/{month[1]}"
        quarter = re.match(r"^(\d{4})-Q([1-4])$", period)
        if quarter:
            return f"{self('period.quarter')} {quarter[2]}/{quarter[1]}"
        return f"{self('period.year')} {period}" if re.match(r"^\d{4}$", period) else period

    def month(self, value: str | None) -> str:
        """A month (an ISO date, its first day) as mm/yyyy."""
        if not value:
            return "—"
        return f"{value[5:7]}/{value[:4]}"

    def field_error(self, message: str) -> str:
        return validation_message(message, self.lang)

    def problem(self, body: dict[str, object]) -> str:
        """A problem document as one line in this language. The API's title is already in
        the asked language (by its stable type); its detail is English prose, so on a
        Vietnamese page it is said only when a template recognises it."""
        title = str(body.get("title") or "")
        detail = str(body.get("detail") or "")
        if self.lang == "vi":
            said = validation_message(detail, "vi") if detail else ""
            detail = "" if said == GENERIC_VI else said
        if title and detail and title != detail:
            return f"{title}: {detail}"
        return title or detail

    def code(self, prefix: str, code: str | None) -> str:
        """A code's label, or the code itself when the catalogue has none (data, not UI)."""
        if not code:
            return "—"
        return self(f"{prefix}.{code}") if self.has(f"{prefix}.{code}") else code


def choose_lang(request: Request) -> Lang:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return "vi" if chosen == "vi" else "en"
    return from_accept_language(request.headers.get("accept-language", ""))


def from_accept_language(header: str) -> Lang:
    """The first supported language by quality; Vietnamese when none is."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower().split("-")[0]))
    for negative_quality, _, primary in sorted(ranked):
        if negative_quality < 0 and primary in ("vi", "en"):
            return "vi" if primary == "vi" else "en"
    return "vi"
