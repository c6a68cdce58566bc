"""The club year walked as each role does it, in headless Chromium against the real system:
a loan from application to repaid (with the meeting that decides it), a meeting with
decisions, a fund month closed, a visit with vitals recorded offline that survives a sign-out
attempt and syncs exactly once, a health check, an officer drilling down and exporting.
Both languages, desktop 1366 x 768 and phone 360 x 740; every page is checked with axe-core
(no serious or critical violation) and for horizontal scrolling on the phone, and saved as a
screenshot under `.ishc/artifacts/screenshots/` (gitignored)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from gateway.auth import DEMO_CLUB_A
from ishc_runtime.clock import VN_TZ
from ishc_runtime.testing.waiting import wait_until

from .conftest import Stack

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 360, "height": 740}
CLUB = f"/app/club/{DEMO_CLUB_A}"
AXE = Axe()
SERIOUS = ("serious", "critical")


async def signed_in(
    browser: Browser, stack: Stack, user: str, *, lang: str, viewport: ViewportSize
) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        base_url=stack.url,
        locale="vi-VN" if lang == "vi" else "en-GB",
        viewport=viewport,
        is_mobile=viewport is PHONE,
        has_touch=viewport is PHONE,
    )
    page = await context.new_page()
    await page.goto("/app/login")
    await page.select_option("#user", user)
    await page.click("button[type=submit]")
    await page.wait_for_load_state("domcontentloaded")
    return context, page


async def checked(page: Page, screenshots: Path, name: str) -> None:
    """axe-core finds nothing serious; a phone page does not scroll sideways; a screenshot."""
    results = await AXE.run(page)
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]
    assert serious == [], f"{name}: {serious}"
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"] + 1, f"{name}: {width}px wide"
    await page.screenshot(path=screenshots / f"{name}.png", full_page=True)


async def until(page: Page, reload_until: Callable[[], Awaitable[bool]], what: str) -> None:
    """Reload until the page shows what a read model has not yet caught up with."""

    async def shown() -> bool:
        if await reload_until():
            return True
        await page.reload()
        return False

    await wait_until(shown, timeout=30, interval=0.3, message=what)


async def saved_in(page: Page, form: str) -> None:
    await expect(page.locator(f"#{form} #saved, #saved")).to_be_visible()


async def submit_until_saved(page: Page, form: str, fill: Callable[[], Awaitable[Any]]) -> None:
    """Submit a form whose command needs another service's fact (a meeting decision that
    finance learns from membership's events): refused until that fact arrives, then saved."""

    async def accepted() -> bool:
        await fill()
        await page.locator(f"#{form} button[type=submit]").click()
        await page.wait_for_load_state("domcontentloaded")
        return await page.locator("#saved").count() > 0

    await wait_until(accepted, timeout=30, interval=0.5, message=f"{form} never accepted")


async def test_a_loan_from_application_to_repaid_on_a_phone_in_vietnamese(
    browser: Browser, stack: Stack, screenshots: Path
) -> None:
    context, page = await signed_in(browser, stack, "secretary-a", lang="vi", viewport=PHONE)
    borrower = stack.seeded.elder_name
    try:
        await page.goto(f"{CLUB}/loans")
        await checked(page, screenshots, "loans-vi-phone")
        form = page.locator("#form-apply")
        await form.locator("select[name=member_id]").select_option(label=borrower)
        await form.locator("input[name=principal]").fill("2.000.000")
        await form.locator("input[name=term_months]").fill("1")
        await form.locator("select[name=purpose]").select_option("livestock")
        await form.locator("button[type=submit]").click()
        await expect(page.locator("#saved")).to_be_visible()
        await expect(page.locator("#loan-status")).to_have_text("chờ duyệt")
        loan_url = page.url.split("?", 1)[0]
        loan_id = loan_url.rsplit("/", 1)[1]
        await checked(page, screenshots, "loan-applied-vi-phone")

        # The meeting that decides it: attendance ticked, the decision names the loan.
        await page.goto(f"{CLUB}/meetings")
        meeting = page.locator("#form-meeting")
        await meeting.locator("label.check", has_text=borrower).locator("input").check()
        await (
            meeting.locator("label.check", has_text=stack.seeded.borrower_name)
            .locator("input")
            .check()
        )
        await meeting.locator("button[type=submit]").click()
        await expect(page.locator("#form-meeting #saved")).to_be_visible()
        decision = page.locator("#form-decision")
        await decision.locator("select[name=kind]").select_option("loan_approval")
        await decision.locator("textarea[name=summary]").fill("Cho vay nuôi bò")
        await decision.locator("select[name=member_id]").select_option(label=borrower)
        await decision.locator("select[name=subject_id]").select_option(loan_id)
        await decision.locator("input[name=amount]").fill("2000000")
        await decision.locator("input[name=votes_for]").fill("2")
        await decision.locator("button[type=submit]").click()
        await expect(page.locator("#form-decision #saved")).to_be_visible()
        await expect(page.locator("#meeting-list")).to_contain_text("Cho vay nuôi bò")
        await checked(page, screenshots, "meetings-vi-phone")

        # Approval cites that decision (finance learns it from membership's events).
        await page.goto(loan_url)

        async def approve() -> None:
            option = page.locator("#form-approve option", has_text="Cho vay nuôi bò").first
            value = await option.get_attribute("value")
            assert value
            await page.locator("#form-approve select[name=decision_id]").select_option(value)

        await until(
            page,
            lambda: _has_option(page, "Cho vay nuôi bò"),
            "the decision never reached the loan page",
        )
        await submit_until_saved(page, "form-approve", approve)
        await expect(page.locator("#loan-status")).to_have_text("đã duyệt")

        await page.locator("#form-disburse button[type=submit]").click()
        await expect(page.locator("#loan-status")).to_have_text("đang vay")
        await expect(page.locator("#schedule tbody tr")).to_have_count(1)
        await expect(page.locator("#next-due")).to_contain_text("₫")
        await checked(page, screenshots, "loan-active-vi-phone")

        # One repayment of what the schedule asks: repaid, and the history says so.
        await page.locator("#form-repay button[type=submit]").click()
        await expect(page.locator("#form-repay #saved")).to_be_visible()
        await expect(page.locator("#loan-status")).to_have_text("đã trả xong")
        await expect(page.locator("#loan-outstanding")).to_contain_text("0")
        await expect(page.locator("#loan-history")).to_contain_text("Đã giải ngân")
        await expect(page.locator("#schedule")).to_contain_text("đã trả đủ")
        # The confirmation is in view on the phone, next to the form.
        assert await page.locator("#saved").is_visible()
        box = await page.locator("#saved").bounding_box()
        assert box is not None and 0 <= box["y"] < 740
        await checked(page, screenshots, "loan-repaid-vi-phone")
    finally:
        await context.close()


async def _has_option(page: Page, text: str) -> bool:
    return await page.locator("#form-approve option", has_text=text).count() > 0


async def test_a_meeting_with_decisions_on_a_desktop_in_english(
    browser: Browser, stack: Stack, screenshots: Path
) -> None:
    context, page = await signed_in(browser, stack, "board-a", lang="en", viewport=DESKTOP)
    try:
        await page.goto(f"{CLUB}/meetings")
        meeting = page.locator("#form-meeting")
        await meeting.locator("select[name=kind]").select_option("extraordinary")
        await meeting.locator("input[name=location]").fill("Nhà văn hóa thôn")
        ticks = meeting.locator("input[name=present]")
        for i in range(min(3, await ticks.count())):
            await ticks.nth(i).check()
        await meeting.locator("button[type=submit]").click()
        await expect(page.locator("#form-meeting #saved")).to_have_text(re.compile("Saved"))
        decision = page.locator("#form-decision")
        await decision.locator("select[name=kind]").select_option("mutual_aid_grant")
        await decision.locator("textarea[name=summary]").fill("Support after the flood")
        await decision.locator("select[name=member_id]").select_option(
            label=stack.seeded.recipient_name
        )
        await decision.locator("input[name=amount]").fill("500000")
        await decision.locator("button[type=submit]").click()
        await expect(page.locator("#meeting-list")).to_contain_text("Support after the flood")
        await expect(page.locator("#meeting-list")).to_contain_text("Extraordinary meeting")
        await checked(page, screenshots, "meetings-en-desktop")
    finally:
        await context.close()


async def test_a_fund_month_closed_with_its_statement_in_english_on_a_phone(
    browser: Browser, stack: Stack, screenshots: Path
) -> None:
    context, page = await signed_in(browser, stack, "board-a", lang="en", viewport=PHONE)
    try:
        await page.goto(f"{CLUB}/funds")
        month = datetime.now(VN_TZ).strftime("%Y-%m")
        activity = page.locator(f"#statement tr[data-month='{month}']", has_text="Activity fund")

        async def money_in() -> int:
            if await activity.count() == 0:
                return 0
            return int(re.sub(r"\D", "", await activity.first.locator("td").nth(3).inner_text()))

        before = await money_in()
        capital = page.locator("#form-capital")
        await capital.locator("select[name=fund_type]").select_option("activity")
        await capital.locator("input[name=amount]").fill("1500000")
        await capital.locator("select[name=source]").select_option("donation")
        await capital.locator("button[type=submit]").click()
        await expect(page.locator("#form-capital #saved")).to_be_visible()

        async def counted() -> bool:
            return await money_in() == before + 1_500_000

        await until(page, counted, "the capital never reached the month's money in")
        await expect(page.locator("#statement")).to_contain_text("Opening")
        # Close the oldest open month (the seed's capital).
        options = page.locator("#form-close select[name=month] option")
        oldest = await options.nth(await options.count() - 1).get_attribute("value")
        assert oldest
        await page.locator("#form-close select[name=month]").select_option(oldest)
        await page.locator("#form-close button[type=submit]").click()
        await expect(page.locator("#form-close #saved")).to_be_visible()
        row = page.locator(f"#statement tr[data-month='{oldest[:7]}']").first

        async def closed() -> bool:
            return "closed" in (await row.inner_text())

        await until(page, closed, "the month never showed as closed")
        await checked(page, screenshots, "funds-en-phone")
    finally:
        await context.close()


async def test_a_health_check_in_vietnamese_on_a_desktop(
    browser: Browser, stack: Stack, screenshots: Path
) -> None:
    context, page = await signed_in(browser, stack, "secretary-a", lang="vi", viewport=DESKTOP)
    try:
        await page.goto(f"{CLUB}/health")
        form = page.locator("#form-checkup")
        await form.locator("select[name=person_id]").select_option(label=stack.seeded.elder_name)
        await form.locator("input[name=systolic]").fill("145")
        await form.locator("input[name=diastolic]").fill("92")
        await form.locator("input[name=glucose_mmol_l]").fill("6,2")
        await form.locator("input[name=weight_kg]").fill("51")
        await form.locator("textarea[name=observations]").fill("Huyết áp hơi cao")
        await form.locator("button[type=submit]").click()
        await expect(page.locator("#form-checkup #saved")).to_have_text(re.compile("Đã lưu"))
        await checked(page, screenshots, "health-vi-desktop")

        # A reading outside the body's range is refused, in Vietnamese, under the field.
        await form.locator("select[name=person_id]").select_option(label=stack.seeded.elder_name)
        await form.locator("input[name=systolic]").fill("900")
        await form.locator("input[name=diastolic]").fill("90")
        await form.locator("button[type=submit]").click()
        await expect(page.locator("#form-checkup .field-error")).to_contain_text("Không được quá")
        await expect(page.locator("#form-checkup")).not_to_contain_text("should")
    finally:
        await context.close()


async def test_a_health_check_waits_for_the_consent_the_secretary_records_on_the_profile(
    browser: Browser, stack: Stack, screenshots: Path
) -> None:
    """A fresh member has no consent: the check-up is refused naming the consent, in
    Vietnamese, with a link to the profile; recorded there, the same check-up saves."""
    name = stack.seeded.unconsented_name
    profile = f"{CLUB}/members/{stack.seeded.unconsented_member}"
    context, page = await signed_in(browser, stack, "secretary-a", lang="vi", viewport=PHONE)
    try:
        await page.goto(profile)
        await expect(page.locator("#consents-none")).to_be_visible()

        async def check_up() -> None:
            await page.goto(f"{CLUB}/health")
            form = page.locator("#form-checkup")
            await form.locator("select[name=person_id]").select_option(label=name)
            await form.locator("input[name=systolic]").fill("128")
            await form.locator("input[name=diastolic]").fill("82")
            await form.locator("button[type=submit]").click()
            await page.wait_for_load_state("domcontentloaded")

        await check_up()
        error = page.locator("#form-checkup #checkup-person_id-error")
        await expect(error).to_contain_text("Chưa có sự đồng ý")
        await expect(error).to_contain_text("dùng dữ liệu sức khỏe")
        await expect(page.locator("#form-checkup")).not_to_contain_text("consent")
        await checked(page, screenshots, "health-consent-refused-vi-phone")

        # The refusal's link leads to the profile's consent form.
        await page.locator("#form-checkup a.consent-link").click()
        await expect(page).to_have_url(re.compile(rf"{profile}#form-consent$"))
        consent = page.locator("#form-consent")
        await consent.locator("select[name=purpose]").select_option("health_data")
        await consent.locator("select[name=method]").select_option("thumbprint")
        await consent.locator("input[name=document]").fill("GĐY-01/2026")
        await consent.locator("button[type=submit]").click()
        await expect(page.locator("#form-consent #saved")).to_have_text(re.compile("Đã lưu"))
        await checked(page, screenshots, "member-consent-saved-vi-phone")

        # Care learns of the consent from membership's event a moment later: the secretary
        # tries again until it saves (bounded), as she would.
        async def saved() -> bool:
            await check_up()
            return await page.locator("#form-checkup #saved").count() > 0

        await wait_until(saved, timeout=30, interval=0.5, message="the check-up never saved")
        await expect(page.locator("#form-checkup #saved")).to_have_text(re.compile("Đã lưu"))

        # Withdrawn after a confirmation step (a form, not a script's dialog).
        await page.goto(profile)

        async def held() -> bool:
            return await page.locator("#consents-held a.withdraw-link").count() > 0

        await until(page, held, "the profile never listed the consent")
        await page.locator("#consents-held a.withdraw-link").first.click()
        confirm = page.locator("#form-withdraw")
        await expect(confirm).to_contain_text("dùng dữ liệu sức khỏe")
        await checked(page, screenshots, "member-consent-withdraw-vi-phone")
        await confirm.locator("select[name=method]").select_option("written")
        await confirm.locator("button[type=submit]").click()
        await expect(page.locator("#form-consent #saved")).to_have_text(re.compile("Đã lưu"))
    finally:
        await context.close()


async def test_every_club_year_page_in_both_languages_and_sizes_is_accessible(
    browser: Browser, stack: Stack, screenshots: Path
) -> None:
    pages = [
        "",
        "/loans",
        f"/loans/{stack.seeded.loan_id}",
        "/meetings",
        "/funds",
        "/health",
        # The profile with its consent form.
        f"/members/{stack.seeded.unconsented_member}",
    ]
    for lang in ("vi", "en"):
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context, page = await signed_in(
                browser, stack, "secretary-a", lang=lang, viewport=viewport
            )
            try:
                for path in pages:
                    await page.goto(f"{CLUB}{path}")
                    await expect(page.locator("html")).to_have_attribute("lang", lang)
                    name = (path.strip("/").split("/")[0] or "club") + f"-{lang}-{size}"
                    await checked(page, screenshots, f"year-{name}")
            finally:
                await context.close()


@pytest.mark.parametrize(("lang", "size"), [("en", "desktop"), ("vi", "phone")])
async def test_an_officer_drills_from_province_to_club_and_exports(
    browser: Browser, stack: Stack, screenshots: Path, lang: str, size: str
) -> None:
    viewport = DESKTOP if size == "desktop" else PHONE
    context, page = await signed_in(browser, stack, "officer-hanoi", lang=lang, viewport=viewport)
    try:
        month = datetime.now(VN_TZ).strftime("%Y-%m")
        await page.goto(f"/app/province?period={month}&level=province")
        await checked(page, screenshots, f"province-{lang}-{size}")
        await page.locator("#units tbody th a").first.click()
        await expect(page).to_have_url(re.compile(r"level=commune&province=\w+"))
        await expect(page.locator("#units tbody tr")).not_to_have_count(0)
        await checked(page, screenshots, f"province-communes-{lang}-{size}")
        await page.locator("#units tbody th a").first.click()
        # The commune's clubs, not the whole province's: Hoàn Kiếm is the only one there.
        await expect(page).to_have_url(re.compile(r"level=club&province=\w+&commune=\w+%3A\w+"))
        await expect(page.locator("#crumb-commune")).to_be_visible()
        club = page.locator("#units tbody th a", has_text="Hoàn Kiếm")
        await expect(club).to_have_count(1)
        await expect(page.locator("#units tbody tr")).to_have_count(1)
        await club.click()
        await expect(page).to_have_url(re.compile(rf"unit={DEMO_CLUB_A}"))
        await expect(page.locator("h1")).to_contain_text("Hoàn Kiếm")
        await checked(page, screenshots, f"province-club-{lang}-{size}")
        async with page.expect_download() as waiting:
            await page.click("#export-csv")
        download = await waiting.value
        path = await download.path()
        content = await asyncio.to_thread(Path(path).read_bytes)
        assert content.startswith(b"\xef\xbb\xbf")
        header = content.decode("utf-8-sig").splitlines()[0]
        assert header.startswith("Đơn vị;" if lang == "vi" else "Unit,")
        assert "clubs_cumulative" not in header
    finally:
        await context.close()


@pytest.mark.parametrize(("lang", "size"), [("vi", "phone"), ("en", "desktop")])
async def test_a_secretary_opens_a_member_profile_and_the_care_teams(
    browser: Browser, stack: Stack, screenshots: Path, lang: str, size: str
) -> None:
    viewport = PHONE if size == "phone" else DESKTOP
    context, page = await signed_in(browser, stack, "secretary-a", lang=lang, viewport=viewport)
    try:
        # From the roster to the borrower's profile: categories, household, history.
        await page.locator("#members a", has_text=stack.seeded.borrower_name).first.click()
        await expect(page.locator("h1")).to_have_text(stack.seeded.borrower_name)
        await expect(page.locator("#member-facts")).to_be_visible()
        history = page.locator("#member-history")
        await expect(history.locator(f"a[href$='/loans/{stack.seeded.loan_id}']")).to_have_count(1)
        await checked(page, screenshots, f"member-{lang}-{size}")

        # The care page: the recipient's case with its volunteer team, and each one's load.
        await page.goto(f"{CLUB}/care")
        case = page.locator("#care-cases tr", has_text=stack.seeded.recipient_name)
        await expect(case).to_have_count(1)
        await expect(case.locator(".tag").first).to_be_visible()
        await expect(page.locator("#volunteer-load tbody tr")).not_to_have_count(0)
        await checked(page, screenshots, f"care-{lang}-{size}")
    finally:
        await context.close()
