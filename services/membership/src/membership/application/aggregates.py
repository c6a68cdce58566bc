"""The aggregates as the runtime sees them: stream type, start state, fold. Each stream type
equals the `aggregate` ClassVar of the events it emits (it is their subject token)."""

from __future__ import annotations

from ishc_runtime.aggregates import Aggregate
from membership.domain import club, household, meeting, member, volunteer

CLUB = Aggregate(stream_type="club", initial=club.Club(), evolve=club.evolve)
# One stream per person (member-<person_id>): memberships, profile, disability, consents.
# Person and household states hold names, birth dates and certificates: never written to the
# unsealed snapshots table (tests/architecture/test_snapshots.py); their streams are short.
MEMBER = Aggregate(
    stream_type="member", initial=member.Person(), evolve=member.evolve, snapshot_every=None
)
HOUSEHOLD = Aggregate(
    stream_type="household",
    initial=household.Household(),
    evolve=household.evolve,
    snapshot_every=None,
)
MEETING = Aggregate(stream_type="meeting", initial=meeting.Meeting(), evolve=meeting.evolve)
VOLUNTEER = Aggregate(
    stream_type="volunteer", initial=volunteer.Volunteer(), evolve=volunteer.evolve
)

# Every aggregate of the service, as its definition lists them.
AGGREGATES = (CLUB, MEMBER, HOUSEHOLD, MEETING, VOLUNTEER)
