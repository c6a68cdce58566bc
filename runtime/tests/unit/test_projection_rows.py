"""A projection's write about a stream's entity names that entity's row and stamps the
stream version it reflects, whatever the kind of stream; a row declared from an event's
values is written like the handler it replaces."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ishc_contracts import SYSTEM_ACTOR, EventEnvelope, EventMetadata, new_id
from ishc_runtime.projections import Projection, Write, entity_id, update_entity
from ishc_runtime.testing.sample_domain import Deposited

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def envelope(stream_id: str, version: int) -> EventEnvelope:
    return EventEnvelope(
        event_id=new_id(), type="LoanRepaid", schema_version=1, stream_id=stream_id,
        stream_type=stream_id.split("-", 1)[0], version=version, recorded_at=NOW,
        metadata=EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=NOW),
        data={},
    )  # fmt: skip


@pytest.mark.parametrize("stream_type", ["loan", "case", "member", "account"])
def test_the_entity_is_the_id_after_the_stream_type(stream_type: str) -> None:
    entity = new_id()
    assert entity_id(envelope(f"{stream_type}-{entity}", 1)) == entity


def test_an_update_sets_the_values_and_the_version_on_the_entitys_row() -> None:
    loan = new_id()
    write = update_entity(
        envelope(f"loan-{loan}", 7), "finance_loans", "loan_id", "bucket = $3", "30-59"
    )
    assert write.sql == "UPDATE finance_loans SET bucket = $3, version = $2 WHERE loan_id = $1"
    assert write.args == (loan, 7, "30-59")


def test_a_row_declared_from_the_events_values_is_its_writer() -> None:
    projection = Projection(name="sample_deposits", sources=["sample"])
    sql = "INSERT INTO deposits (amount) VALUES ($1)"
    projection.row(Deposited, sql, lambda e: (e.amount,), fold="-- folded")
    assert projection.handles(Deposited.wire_name())
    writer = projection.writers[Deposited.wire_name()]
    account = new_id()
    assert writer(envelope(f"account-{account}", 2), Deposited(amount=500)) == [
        Write(sql, (500,), "-- folded")
    ]
