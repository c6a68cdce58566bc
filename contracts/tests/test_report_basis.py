"""A report is complete only when every reporting projection had caught up, nothing parked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ishc_contracts.operations import ProjectionSourceStatus, ProjectionState
from ishc_contracts.reporting.queries import ReportBasis

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def source(
    state: ProjectionState = "caught up", lag: int | None = 0, parked: int = 0, blocking: int = 0
) -> ProjectionSourceStatus:
    return ProjectionSourceStatus(
        projection="reporting_care",
        kind="projection",
        source="care",
        stream="CARE",
        policy="park",
        checkpoint=10,
        stream_last_seq=None if lag is None else 10 + lag,
        lag=lag,
        parked=parked,
        blocking=blocking,
        state=state,
        updated_at=NOW,
    )


def test_every_source_caught_up_with_nothing_parked_is_complete() -> None:
    assert ReportBasis.of(NOW, [source(), source()]).complete is True


@pytest.mark.parametrize(
    "missing",
    [
        source("behind", lag=3),
        source(parked=1),
        source("stopped", blocking=1),
        source("no stream", lag=None),
        source("rebuilding"),
    ],
    ids=["behind", "parked", "stopped", "no stream", "rebuilding"],
)
def test_one_source_missing_events_makes_it_incomplete(missing: ProjectionSourceStatus) -> None:
    basis = ReportBasis.of(NOW, [source(), missing])
    assert basis.complete is False
    assert basis.sources[1] == missing


def test_knowing_no_source_is_not_complete() -> None:
    assert ReportBasis.of(NOW, []).complete is False
