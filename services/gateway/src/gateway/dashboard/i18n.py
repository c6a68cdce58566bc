"""Vietnamese and English for the dashboard: the message catalogue and per-locale formatting.

The language is the `ishc_lang` cookie when set (the switch), else the best match of
`Accept-Language`, else Vietnamese: most users read Vietnamese. Numbers, VND, dates and times
are formatted by Babel for the locale; times are shown in Viet Nam (Asia/Ho_Chi_Minh) whatever
the server's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from starlette.requests import Request

from ishc_runtime.clock import VN_TZ

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
LANG_COOKIE = "ishc_lang"
BABEL_LOCALE: dict[Lang, str] = {"vi": "vi_VN", "en": "en_GB"}

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
    "scheme.poverty_certification": (
        "Chứng nhận hộ nghèo, cận nghèo",
        "Poor-household certificate",
    ),
    "scheme.vbsp_loan_referral": ("Giới thiệu vay vốn NHCSXH", "Social Policy Bank loan referral"),
    "scheme.other": ("Chế độ khác", "Other entitlement"),
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
        if value is None or value == "":
            return "—"
        day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
        return format_date(day, format="medium", locale=self.locale)

    def datetime(self, value: datetime | str | None) -> str:
        if value is None or value == "":
            return "—"
        instant = datetime.fromisoformat(value) if isinstance(value, str) else value
        if instant.tzinfo is None:
            return format_datetime(instant, format="short", locale=self.locale)
        return format_datetime(instant.astimezone(VN_TZ), format="short", locale=self.locale)


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
