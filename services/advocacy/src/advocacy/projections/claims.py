"""advocacy_claims: every entitlement case with its stage and overdue flag (pure writers)."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.advocacy.events import (
    AppealFiled,
    BenefitPaymentConfirmed,
    DocumentsReady,
    EntitlementApproved,
    EntitlementCaseClosed,
    EntitlementCaseOpened,
    EntitlementClaimed,
    EntitlementRejected,
    SubmissionOverdue,
)
from ishc_runtime.projections import Projection, Write, update_entity

CLAIMS = "advocacy_claims"


def _update(env: EventEnvelope, assignments: str, *args: object) -> list[Write]:
    # $1 case id, $2 version, then the event's values from $3
    return [update_entity(env, CLAIMS, "case_id", assignments, *args)]


def claims_projection(source: str = "advocacy") -> Projection:
    projection = Projection(
        name="advocacy_claims", sources=[source], policy="stop", tables=[CLAIMS]
    )

    @projection.writes(EntitlementCaseOpened)
    def opened(env: EventEnvelope, e: EntitlementCaseOpened) -> list[Write]:
        sql = (
            f"INSERT INTO {CLAIMS} (case_id, person_id, club_id, scheme, stage, opened_on, flags,"
            " version) VALUES ($1, $2, $3, $4, 'opened', $5, $6, $7)"
        )
        args = (
            e.case_id,
            e.person_id,
            e.club_id,
            e.scheme,
            e.opened_on,
            list(e.flags),
            env.version,
        )
        return [Write(sql, args)]

    @projection.writes(DocumentsReady)
    def ready(env: EventEnvelope, e: DocumentsReady) -> list[Write]:
        return _update(env, "stage = 'documents_ready'")

    @projection.writes(EntitlementClaimed)
    def submitted(env: EventEnvelope, e: EntitlementClaimed) -> list[Write]:
        return _update(
            env,
            "stage = 'submitted', submitted_on = $3, office = $4, decision_due_on = $5,"
            " overdue = false",
            e.submitted_on,
            e.office,
            e.decision_due_on,
        )

    @projection.writes(SubmissionOverdue)
    def overdue(env: EventEnvelope, e: SubmissionOverdue) -> list[Write]:
        return _update(env, "overdue = true")

    @projection.writes(EntitlementApproved)
    def approved(env: EventEnvelope, e: EntitlementApproved) -> list[Write]:
        return _update(
            env,
            "stage = 'approved', overdue = false, approved_on = $3, monthly_amount = $4,"
            " lump_sum = $5",
            e.decided_on,
            e.monthly_amount,
            e.lump_sum,
        )

    @projection.writes(EntitlementRejected)
    def rejected(env: EventEnvelope, e: EntitlementRejected) -> list[Write]:
        return _update(env, "stage = 'rejected', overdue = false")

    @projection.writes(AppealFiled)
    def appealed(env: EventEnvelope, e: AppealFiled) -> list[Write]:
        return _update(env, "stage = 'appealed'")

    @projection.writes(BenefitPaymentConfirmed)
    def paid(env: EventEnvelope, e: BenefitPaymentConfirmed) -> list[Write]:
        return _update(env, "stage = 'paid'")

    @projection.writes(EntitlementCaseClosed, opens=())
    def closed(env: EventEnvelope, e: EntitlementCaseClosed) -> list[Write]:
        return _update(env, "stage = 'closed', closed_on = $3", e.closed_on)

    return projection
