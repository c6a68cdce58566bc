"""Care's ownership declarations (see `ishc_contracts.ownership`)."""

from __future__ import annotations

from typing import Any

from ishc_contracts.care import commands as c
from ishc_contracts.care import events as e
from ishc_contracts.ownership import (
    CARE_CASE,
    HEALTH_CHECK,
    MEMBER,
    NEW_INSIDE_STREAM,
    PERSON,
    VOLUNTEER,
    Grant,
    GrantRule,
    Owned,
    refs,
    refs_or_new,
    streams,
    unchecked,
    within,
)

_CASE = {"case_id": streams(CARE_CASE)}
_VOLUNTEERS = {"volunteer_ids[]": refs(VOLUNTEER)}

OWNED = (
    Owned(
        c.ReferForCare,
        {
            "case_id": refs_or_new(CARE_CASE),
            "club_id": within(),
            "person_id": refs_or_new(PERSON),  # a person cared for need not be a member
            "member_id": refs(MEMBER),
        },
    ),
    Owned(c.AssessNeeds, _CASE),
    Owned(c.OpenCarePlan, {**_CASE, "plan_id": unchecked(NEW_INSIDE_STREAM)}),
    Owned(c.AssignVolunteers, {**_CASE, **_VOLUNTEERS}),
    Owned(c.FlagVolunteerLeft, {**_CASE, "volunteer_id": refs(VOLUNTEER)}),
    Owned(c.RecordVisit, {**_CASE, **_VOLUNTEERS, "visit_id": unchecked(NEW_INSIDE_STREAM)}),
    Owned(c.RecordMissedVisit, {**_CASE, **_VOLUNTEERS, "visit_id": unchecked(NEW_INSIDE_STREAM)}),
    Owned(c.CloseCareWeek, _CASE),
    Owned(c.SuspendCare, _CASE),
    Owned(c.ResumeCare, _CASE),
    Owned(c.CloseCase, _CASE),
    Owned(
        c.RecordHealthCheck,
        {
            "check_id": refs_or_new(HEALTH_CHECK),
            "club_id": within(),
            "person_id": refs_or_new(PERSON),
            "member_id": refs(MEMBER),
        },
    ),
)

GRANTS: dict[type[Any], GrantRule] = {
    e.CareReferralReceived: lambda ev: [
        Grant(CARE_CASE, ev.case_id, ev.club_id),
        Grant(PERSON, ev.person_id, ev.club_id),
    ],
    e.HealthCheckRecorded: lambda ev: [
        Grant(HEALTH_CHECK, ev.check_id, ev.club_id),
        Grant(PERSON, ev.person_id, ev.club_id),
    ],
}
