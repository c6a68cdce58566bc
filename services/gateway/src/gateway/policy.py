"""Who may do what, and where: role (function level) AND scope (object level).

Commands: a table of the roles allowed per `<service>.<Command>`; anything not listed is open
to the club's management (secretary, board) and national admins only: deny by default for
volunteers, provincial officers and operators.

Queries fall in three kinds: `aggregate` (counts and rates, no personal data), `club` (lists
of a club's people and money) and `person` (one person's or case's detail). Provincial
officers and operators read aggregates only; volunteers read what their care and collection
work needs.

Scope: secretary, board and volunteer act on the clubs in their token; a provincial officer
on clubs whose province (from membership's `ClubEstablished`, on either admin map) is in
theirs; national roles everywhere. A command on a club outside scope is 403; a read outside
scope is 404, so existence does not leak.

Reports (indicators, `report_scope`): national roles any level; provincial officers their
provinces below nation level; secretary and board their own club at club level; volunteers
none. Small cells are suppressed for every reader outside the club, at every level, and the
threshold they may ask for has a floor (`threshold`): only a club's own roles see their club
unsuppressed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from gateway.auth import CLUB_ROLES, NATIONAL_ROLES, Principal, Role
from gateway.directory import ClubDirectory
from ishc_contracts.reporting.queries import Level

QueryKind = Literal["aggregate", "club", "person"]

MANAGEMENT = frozenset({Role.CLUB_SECRETARY, Role.BOARD, Role.NATIONAL_ADMIN})
FIELD_WORK = MANAGEMENT | {Role.VOLUNTEER}

COMMAND_ROLES: Mapping[str, frozenset[Role]] = {
    # Care work volunteers do in the field.
    "care.ReferForCare": FIELD_WORK,
    "care.RecordVisit": FIELD_WORK,
    "care.RecordMissedVisit": FIELD_WORK,
    "care.RecordHealthCheck": FIELD_WORK,
    # Repayments a volunteer collected (the service checks the collector is the actor).
    "finance.PostRepayment": FIELD_WORK,
    "membership.RecordAttendance": FIELD_WORK,
    # Founding a club and national parameters: national admins only.
    "membership.EstablishClub": frozenset({Role.NATIONAL_ADMIN}),
    "finance.CapitaliseFund": frozenset({Role.NATIONAL_ADMIN, Role.BOARD}),
    "finance.DefineLoanProduct": frozenset({Role.NATIONAL_ADMIN, Role.BOARD}),
    "finance.WriteOffLoan": frozenset({Role.NATIONAL_ADMIN, Role.BOARD}),
    # Fired by timers; people do not send them.
    "finance.AssessArrears": frozenset({Role.NATIONAL_ADMIN}),
    "care.CloseCareWeek": frozenset({Role.NATIONAL_ADMIN}),
    "advocacy.CheckSubmissionDeadline": frozenset({Role.NATIONAL_ADMIN}),
}

QUERY_KINDS: Mapping[str, QueryKind] = {
    "membership.ClubRoster": "club",
    "membership.PersonProfile": "person",
    "membership.ClubComposition": "aggregate",
    "membership.MeetingAttendance": "club",
    "finance.GetLoan": "person",
    "finance.FundStatement": "club",
    "finance.LoanBook": "club",
    "finance.PortfolioIndicators": "aggregate",
    "care.CaseDetail": "person",
    "care.WeekBoard": "club",
    "care.VolunteerWorkload": "club",
    "care.ClubCompliance": "aggregate",
    "care.HomeCareReport": "aggregate",
    # Lists the members without a check-up by name: a club list, not an aggregate.
    "care.CheckupCoverage": "club",
    "advocacy.OpenClaims": "club",
    "advocacy.HouseholdsHelped": "aggregate",
    "advocacy.UnclaimedWorklist": "club",
    "advocacy.ScreeningHistory": "person",
}

KIND_ROLES: Mapping[QueryKind, frozenset[Role]] = {
    "aggregate": frozenset(Role),
    "club": MANAGEMENT,
    "person": MANAGEMENT,
}

# Reads volunteers need beyond that: their club's roster and care boards, cases, loans.
VOLUNTEER_READS = frozenset(
    {
        "membership.ClubRoster",
        "membership.MeetingAttendance",
        "care.WeekBoard",
        "care.VolunteerWorkload",
        "care.CaseDetail",
        "finance.GetLoan",
    }
)


@dataclass
class Policy:
    command_roles: Mapping[str, frozenset[Role]] = field(default_factory=lambda: COMMAND_ROLES)
    query_kinds: Mapping[str, QueryKind] = field(default_factory=lambda: QUERY_KINDS)
    volunteer_reads: frozenset[str] = VOLUNTEER_READS
    default_command_roles: frozenset[Role] = MANAGEMENT
    default_query_kind: QueryKind = "person"

    def may_send(self, role: Role, service: str, command: str) -> bool:
        return role in self.command_roles.get(f"{service}.{command}", self.default_command_roles)

    def query_kind(self, service: str, query: str) -> QueryKind:
        return self.query_kinds.get(f"{service}.{query}", self.default_query_kind)

    def reads_people(self, role: Role) -> bool:
        """Whether `role` reads anything about one person (a case, a loan, a member): the
        aggregate-only roles (provincial officers, operators) do not."""
        return role is Role.VOLUNTEER or role in KIND_ROLES["person"]

    def may_read(self, role: Role, service: str, query: str) -> bool:
        name = f"{service}.{query}"
        if role is Role.VOLUNTEER and name in self.volunteer_reads:
            return True
        return role in KIND_ROLES[self.query_kind(service, query)]


def in_scope(principal: Principal, club_id: UUID | None, directory: ClubDirectory) -> bool:
    """Whether `principal` may touch `club_id` (None: something not tied to one club)."""
    if principal.role in NATIONAL_ROLES:
        return True
    if club_id is None:
        return False
    if principal.role in CLUB_ROLES:
        return club_id in principal.club_ids
    if principal.role is Role.PROVINCIAL_OFFICER:
        # An officer's codes may be on either map (see `directory.provinces_from`).
        return not directory.provinces_of(club_id).isdisjoint(principal.province_codes)
    return False


# -- reports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportScope:
    """What a report request becomes once scoped: the unit and provinces to ask for.
    `suppress_clubs` is false only for a club's own roles reading their own club."""

    unit: str | None
    provinces: tuple[str, ...] | None
    suppress_clubs: bool

    def threshold(self, asked: int, floor: int) -> int:
        """The suppression threshold to apply: as asked by a club reading itself (nothing is
        suppressed for it), never below `floor` for anyone else."""
        return asked if not self.suppress_clubs else max(asked, floor)


@dataclass(frozen=True)
class ReportDenied:
    """Why a report request is refused: 403 (role or level), 404 (a unit or province outside
    scope, answered as absent), 422 (`field` must be given)."""

    status: Literal[403, 404, 422]
    detail: str
    field: str | None = None


REPORT_ROLES = frozenset(Role) - {Role.VOLUNTEER}


def report_scope(
    principal: Principal, level: Level, unit: str | None, provinces: tuple[str, ...]
) -> ReportScope | ReportDenied:
    """Scope an indicators request (`provinces`: those asked for, none meaning all in scope).

    Province filtering happens in reporting (`Indicators.provinces`), on both admin maps, so
    an officer's answer holds only their clubs whatever unit they name; a named unit with
    nothing in scope comes back empty, which the route answers 404.
    """
    role = principal.role
    if role not in REPORT_ROLES:
        return ReportDenied(403, f"role {role.value} may not read reports")
    if role in NATIONAL_ROLES:
        # Outside every club: a national figure's small cells are people too.
        return ReportScope(unit, provinces or None, suppress_clubs=True)
    if role is Role.PROVINCIAL_OFFICER:
        if level == "nation":
            return ReportDenied(403, "provincial officers read province level and below")
        outside = set(provinces) - principal.province_codes
        if outside:
            return ReportDenied(404, "no such province in your scope")
        return ReportScope(
            unit, provinces or tuple(sorted(principal.province_codes)), suppress_clubs=True
        )
    # Club management: their own club, at club level (cells shown: it is their own club).
    if level != "club":
        return ReportDenied(403, "club roles read their own club's indicators (level=club)")
    if unit is None:
        if len(principal.club_ids) != 1:
            return ReportDenied(422, "name your club", field="unit")
        return ReportScope(str(next(iter(principal.club_ids))), provinces or None, False)
    club = _uuid(unit)
    if club is None or club not in principal.club_ids:
        return ReportDenied(404, "no such club in your scope")
    return ReportScope(str(club), provinces or None, suppress_clubs=False)


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
