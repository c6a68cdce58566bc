"""The advocacy aggregates; stream_type = the `aggregate` of the events each emits."""

from __future__ import annotations

from advocacy.domain import case, issue, person, screening
from ishc_runtime.aggregates import Aggregate

SCREENING = Aggregate(
    stream_type="screening", initial=screening.ScreeningState(), evolve=screening.evolve
)
CASE = Aggregate(stream_type="case", initial=case.Case(), evolve=case.evolve)
ISSUE = Aggregate(stream_type="issue", initial=issue.Issue(), evolve=issue.evolve)
PERSON = Aggregate(stream_type="person", initial=person.PersonFacts(), evolve=person.evolve)
SESSION = Aggregate(stream_type="session", initial=issue.Session(), evolve=issue.evolve_session)
