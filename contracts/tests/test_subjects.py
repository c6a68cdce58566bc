"""Subject names: built in one place, valid tokens only, requests never caught by a stream."""

from __future__ import annotations

import pytest

from ishc_contracts import subjects
from ishc_contracts.catalogue import REGISTRY, SERVICE_COMMANDS
from ishc_contracts.finance.commands import SubmitLoanApplication
from ishc_contracts.finance.events import LoanIssued
from ishc_contracts.subjects import subject_matches

pytestmark = pytest.mark.unit


def test_event_subjects_are_root_service_aggregate_type() -> None:
    assert subjects.event_subject("finance", "loan", "LoanIssued") == "ishc.finance.loan.LoanIssued"
    assert LoanIssued.subject() == "ishc.finance.loan.LoanIssued"
    assert subjects.stream_name("finance") == "FINANCE"
    assert subjects.stream_subjects("finance") == ["ishc.finance.*.*"]


def test_command_and_query_subjects() -> None:
    assert subjects.command_subject("finance", "DisburseLoan") == "ishc.cmd.finance.DisburseLoan"
    assert subjects.query_subject("finance", "LoanBook") == "ishc.qry.finance.LoanBook"
    assert SubmitLoanApplication.subject() == "ishc.cmd.finance.SubmitLoanApplication"
    assert SubmitLoanApplication.wire_name() == "finance.SubmitLoanApplication"


@pytest.mark.parametrize("token", ["", "loan.issued", "loan issued", "*", ">", "lợn", "a\n"])
def test_invalid_tokens_are_rejected(token: str) -> None:
    with pytest.raises(ValueError, match="not a valid NATS subject token"):
        subjects.event_subject("finance", token, "LoanIssued")
    with pytest.raises(ValueError, match="not a valid NATS subject token"):
        subjects.event_subject("finance", "loan", token)


@pytest.mark.parametrize("service", ["cmd", "qry"])
def test_request_prefixes_cannot_be_service_names(service: str) -> None:
    with pytest.raises(ValueError, match="service"):
        subjects.stream_subjects(service)


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("ishc.finance.*.*", "ishc.finance.loan.LoanIssued", True),
        ("ishc.finance.*.*", "ishc.finance.loan", False),
        ("ishc.finance.*.*", "ishc.finance.loan.LoanIssued.extra", False),
        ("ishc.finance.*.*", "ishc.care.case.CarePlanOpened", False),
        ("ishc.>", "ishc.cmd.finance.DisburseLoan", True),
        ("ishc.finance.>", "ishc.finance", False),
        ("ishc.*.loan.>", "ishc.finance.loan.LoanIssued", True),
        ("ishc.finance.loan.LoanIssued", "ishc.finance.loan.LoanIssued", True),
    ],
)
def test_subject_matches_follows_nats_wildcards(pattern: str, subject: str, expected: bool) -> None:
    assert subject_matches(pattern, subject) is expected


@pytest.mark.parametrize(
    ("pattern", "subject"), [("ishc.>.x", "ishc.a.x"), ("ishc..a", "ishc.b.a")]
)
def test_subject_matches_rejects_malformed_filters(pattern: str, subject: str) -> None:
    with pytest.raises(ValueError, match=r"'>'|malformed"):
        subject_matches(pattern, subject)


def test_requests_never_match_any_event_stream() -> None:
    # A stream capturing a request would answer it with a PubAck instead of the service.
    requests = [
        subjects.command_subject(owner, command.__name__)
        for owner, commands in SERVICE_COMMANDS.items()
        for command in commands
    ]
    requests += [subjects.query_subject(owner, "AnyQuery") for owner in subjects.SERVICES]
    for service in subjects.SERVICES:
        for stream_filter in subjects.stream_subjects(service):
            assert not [s for s in requests if subject_matches(stream_filter, s)]


def test_every_event_lands_in_its_own_service_stream_only() -> None:
    for model in REGISTRY.models():
        for service in subjects.SERVICES:
            caught = any(
                subject_matches(stream_filter, model.subject())
                for stream_filter in subjects.stream_subjects(service)
            )
            assert caught is (service == model.service), model.wire_name()


def test_every_command_names_a_known_service() -> None:
    for owner, commands in SERVICE_COMMANDS.items():
        assert owner in subjects.SERVICES
        assert all(command.service == owner for command in commands)
