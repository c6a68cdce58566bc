"""A report whose basis cannot be read still comes, unmarked, rather than failing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import nats.errors
import pytest

from ishc_contracts.operations import ProjectionSourceStatus
from ishc_runtime.clock import FakeClock
from reporting.application.queries import report_basis

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def context(read: Any) -> Any:
    return SimpleNamespace(clock=FakeClock(NOW), projection_status=read)


@pytest.mark.parametrize(
    "failure", [nats.errors.TimeoutError(), nats.errors.NoRespondersError(), TimeoutError()]
)
async def test_jetstream_not_answering_leaves_the_basis_unknown(failure: Exception) -> None:
    async def read() -> Sequence[ProjectionSourceStatus]:
        raise failure

    assert await report_basis(context(read)) is None


async def test_outside_a_running_service_there_is_no_basis() -> None:
    assert await report_basis(context(None)) is None


async def test_a_readable_status_is_the_basis_at_the_clocks_time() -> None:
    async def read() -> Sequence[ProjectionSourceStatus]:
        return []

    basis = await report_basis(context(read))
    assert basis is not None
    assert (basis.computed_at, basis.complete, basis.sources) == (NOW, False, [])
