"""A report says what it was computed from: complete when every reporting projection had
caught up with nothing parked, incomplete (and why) otherwise, in JSON and in the XLSX."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from nats.aio.client import Client
from openpyxl import load_workbook  # type: ignore[import-untyped]

from ishc_contracts import subjects
from ishc_runtime.service import Service
from ishc_runtime.testing.waiting import wait_until

from .helpers import ask_reporting, indicators

pytestmark = pytest.mark.integration

PROJECTIONS = {
    ("reporting_membership", "membership"),
    ("reporting_finance", "finance"),
    ("reporting_care", "care"),
    ("reporting_advocacy", "advocacy"),
}


def by_projection(basis: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["projection"], s["source"]): s for s in basis["sources"]}


async def test_a_caught_up_report_is_complete(loaded: Service, nats_client: Client) -> None:
    basis = (await indicators(nats_client, period="2025"))["basis"]
    assert basis["complete"] is True
    sources = by_projection(basis)
    assert set(sources) == PROJECTIONS
    assert {(s["state"], s["lag"], s["parked"]) for s in sources.values()} == {("caught up", 0, 0)}


async def test_a_parked_event_makes_the_report_incomplete_and_says_where(
    loaded: Service, nats_client: Client
) -> None:
    # An event reporting cannot read: the projection sets it aside and goes on.
    subject = subjects.event_subject("finance", "loan", "LoanIssued")
    await nats_client.jetstream().publish(subject, b"{not an event")

    async def parked() -> bool:
        return bool(await loaded.context.pool.fetchval("SELECT count(*) FROM parked_messages"))

    await wait_until(parked, timeout=30, message="the unreadable event was never parked")
    result = await indicators(nats_client, period="2025")
    assert result["units"][0]["indicators"]["members"] == 5  # the figures still come
    basis = result["basis"]
    assert basis["complete"] is False
    sources = by_projection(basis)
    assert sources[("reporting_finance", "finance")]["parked"] == 1
    others = PROJECTIONS - {("reporting_finance", "finance")}
    assert {sources[key]["parked"] for key in others} == {0}

    export = await ask_reporting(nats_client, "ExportIndicators", period="2025", format="xlsx")
    assert export["complete"] is False
    book = load_workbook(io.BytesIO(base64.b64decode(export["content_base64"])))
    sheet = book["basis"]
    assert (sheet["A2"].value, sheet["B2"].value) == ("complete", False)
    rows = {r[0]: r for r in sheet.iter_rows(min_row=5, values_only=True)}
    assert rows["reporting_finance"][4] == 1  # parked
