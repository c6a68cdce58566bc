"""The advocacy aggregates; stream_type = the `aggregate` of the events each emits."""

from __future__ import annotations

from advocacy.domain import case, issue, person, screening
from ishc_runtime.aggregates import Aggregate

# Screening and person states hold personal facts (age, pension, supporter): never written
# to the unsealed snapshots table (tests/architecture/test_snapshots.py); their streams are
# short.
SCREENING = Aggregate(
    stream_type="screening",
    initial=screening.ScreeningState(),
    evolve=screening.evolve,
    snapshot_every=None,
)
CASE = Aggregate(stream_type="case", initial=case.Case(), evolve=case.evolve)
ISSUE = Aggregate(stream_type="issue", initial=issue.Issue(), evolve=issue.evolve)
PERSON = Aggregate(
    stream_type="person", initial=person.PersonFacts(), evolve=person.evolve, snapshot_every=None
)
SESSION = Aggregate(stream_type="session", initial=issue.Session(), evolve=issue.evolve_session)

# Every aggregate of the service, as its definition lists them.
AGGREGATES = (SCREENING, CASE, ISSUE, PERSON, SESSION)
