"""The operator's repair of parked events in headless Chromium: a message no projection can
read is parked; the operator tries a redrive (it fails again, said on the confirmation page),
then discards it with a reason; both languages, phone and desktop; axe-clean throughout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
import pytest_asyncio
from nats.aio.client import Client
from playwright.async_api import Browser, expect

from ishc_contracts import subjects
from ishc_runtime.testing.infrastructure import Infrastructure

from .conftest import Stack
from .test_club_year import DESKTOP, PHONE, checked, signed_in, until

pytestmark = pytest.mark.e2e

SAID = {
    "vi": {
        "redrive": "Gửi lại",
        "discard": "Bỏ qua",
        "failed": "lại lỗi khi gửi lại",
        "done": "Đã bỏ qua sự kiện",
        "required": "ít nhất 3 ký tự",
    },
    "en": {
        "redrive": "Redrive",
        "discard": "Discard",
        "failed": "failed again",
        "done": "Event discarded",
        "required": "at least 3 characters",
    },
}


@pytest_asyncio.fixture(loop_scope="session")
async def bus(infrastructure: Infrastructure) -> AsyncIterator[Client]:
    nc = await nats.connect(infrastructure.nats_url, name="ishc-browser-poison")
    try:
        yield nc
    finally:
        await nc.close()


@pytest.mark.parametrize(("lang", "size"), [("vi", "phone"), ("en", "desktop")])
async def test_an_operator_redrives_then_discards_a_parked_event_with_confirmation(
    browser: Browser, stack: Stack, bus: Client, screenshots: Path, lang: str, size: str
) -> None:
    said = SAID[lang]
    # Not an event envelope: every projection of advocacy's stream parks it.
    await bus.jetstream().publish(
        subjects.event_subject("advocacy", "probe", "Garbled"), f'{{"lang": "{lang}"}}'.encode()
    )
    viewport = PHONE if size == "phone" else DESKTOP
    context, page = await signed_in(browser, stack, "operator", lang=lang, viewport=viewport)
    try:
        await page.goto("/app/operator")
        parked = page.locator("#parked tbody tr", has=page.locator("a.button"))

        async def some_parked() -> bool:
            return await parked.count() > 0

        await until(page, some_parked, "no parked event on the operator page")
        row = parked.first
        row_id = await row.get_attribute("id")
        await checked(page, screenshots, f"operator-parked-{lang}-{size}")

        # Redrive: a confirmation page first; the event fails again and stays parked.
        await row.get_by_role("link", name=said["redrive"]).click()
        await expect(page.locator("#form-redrive")).to_be_visible()
        await checked(page, screenshots, f"operator-confirm-redrive-{lang}-{size}")
        await page.locator("#form-redrive button[type=submit]").click()
        await expect(page.locator("#form-redrive [role=alert]")).to_contain_text(said["failed"])

        # Discard: the reason is required, then the row leaves the list and the page says so.
        await page.goto("/app/operator")
        await page.locator(f"#{row_id}").get_by_role("link", name=said["discard"]).click()
        form = page.locator("#form-discard")
        await form.locator("button[type=submit]").click()
        # The browser's own check stops an empty reason; a blank one reaches the server.
        await form.locator("#discard-reason").fill("   ")
        await page.evaluate("document.getElementById('form-discard').submit()")
        await expect(page.locator("#discard-reason-error")).to_contain_text(said["required"])
        await checked(page, screenshots, f"operator-confirm-discard-{lang}-{size}")
        await page.locator("#discard-reason").fill("thông điệp thử nghiệm / test probe")
        await page.locator("#form-discard button[type=submit]").click()
        await expect(page.locator("#done")).to_contain_text(said["done"])
        await expect(page.locator(f"#{row_id}")).to_have_count(0)
        await checked(page, screenshots, f"operator-done-{lang}-{size}")
    finally:
        await context.close()
