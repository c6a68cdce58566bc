"""Per-club facts for a period, read by SQL from the reporting tables. $1 = period start,
$2 = period end (the reporting date). Every query returns one row per club (or per club and
key); `indicators.roll_up` then sums clubs into communes, provinces and the nation."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from ishc_runtime.store.pool import Connection
from reporting.application.periods import Period, add_months

CLUBS = """
SELECT c.club_id, c.name, c.founded_on, c.activity_areas,
       c.legacy_province, c.legacy_province_name, c.legacy_ward, c.legacy_ward_name,
       c.new_province, c.new_province_name, c.new_ward, c.new_ward_name,
       (SELECT count(*) FROM rpt_meetings g WHERE g.club_id = c.club_id
          AND g.held_on > $3 AND g.held_on <= $2) AS meetings_12m,
       (SELECT count(*) FROM rpt_volunteers v WHERE v.club_id = c.club_id
          AND v.registered_on <= $2) AS volunteers,
       coalesce((SELECT s.status FROM rpt_club_status s WHERE s.club_id = c.club_id
          AND s.changed_on <= $2 ORDER BY s.changed_on DESC, s.version DESC LIMIT 1), 'active')
          AS status
FROM rpt_clubs c WHERE c.founded_on <= $2 AND $1::date IS NOT NULL
"""

# Where and when each club was founded: enough for clubs to date over many months.
CLUB_PLACES = "SELECT founded_on, legacy_province, new_province FROM rpt_clubs"

# A member is counted on the reporting date: joined by then and not yet left. Age is taken on
# that date; so is the member's household, and its poverty status is the certificate in force.
MEMBERS = """
WITH households AS (
  SELECT DISTINCT ON (member_id) member_id, household_id FROM rpt_member_households
  WHERE valid_from <= $2 ORDER BY member_id, version DESC
), status AS (
  SELECT DISTINCT ON (household_id) household_id, status FROM rpt_household_status
  WHERE valid_from <= $2 AND (valid_to IS NULL OR valid_to >= $2)
  ORDER BY household_id, valid_from DESC
), borrowed AS (
  SELECT DISTINCT member_id FROM rpt_loans WHERE disbursed_on <= $2
), checks AS (
  SELECT person_id, bool_or(checked_on >= $1) AS in_period FROM rpt_health_checks
  WHERE checked_on <= $2 GROUP BY person_id
), m AS (
  SELECT m.*, h.household_id AS household_on_day,
         m.sixty_from IS NOT NULL AND m.sixty_from <= $2 AS older,
         s.status IN ('poor', 'near_poor') AS poor,
         b.member_id IS NOT NULL AS borrower,
         c.person_id IS NOT NULL AS health_record,
         coalesce(c.in_period, false) AS checked_in_period
  FROM rpt_members m
  LEFT JOIN households h ON h.member_id = m.member_id
  LEFT JOIN status s ON s.household_id = h.household_id
  LEFT JOIN borrowed b ON b.member_id = m.member_id
  LEFT JOIN checks c ON c.person_id = m.person_id
  WHERE m.joined_on <= $2 AND (m.left_on IS NULL OR m.left_on > $2)
)
SELECT club_id,
       count(*) AS members,
       count(*) FILTER (WHERE joined_on >= $1) AS new_members,
       count(*) FILTER (WHERE sex = 'female') AS women,
       count(*) FILTER (WHERE older) AS older,
       count(*) FILTER (WHERE sixty_from > $2) AS younger,
       count(*) FILTER (WHERE womens_union) AS womens_union,
       count(*) FILTER (WHERE ethnic_minority) AS ethnic_minority,
       count(*) FILTER (WHERE disability_on <= $2) AS disability,
       count(*) FILTER (WHERE poor) AS poor_members,
       count(DISTINCT household_on_day) FILTER (WHERE poor) AS poor_households,
       count(*) FILTER (WHERE borrower) AS borrowers,
       count(*) FILTER (WHERE older AND checked_in_period) AS older_checked,
       count(*) FILTER (WHERE health_record) AS health_record
FROM m GROUP BY club_id
"""

FUNDS = """
SELECT f.club_id,
       bool_or(f.fund_type = 'income_generation') AS has_ig_fund,
       bool_or(f.fund_type = 'activity') AS has_activity_fund
FROM rpt_funds f WHERE f.first_on <= $2 AND $1::date IS NOT NULL GROUP BY f.club_id
"""

# Money per club and kind: IG capital to date, own income and running costs over the trailing
# 12 months ending with the period's last month, and resources mobilised in the period.
MONEY = """
SELECT club_id,
       coalesce(sum(amount) FILTER (WHERE kind LIKE 'capital:%:income_generation'
           AND month <= $2), 0) AS ig_capital,
       coalesce(sum(amount) FILTER (WHERE month > $3 AND month <= $2 AND (kind IN
           ('interest', 'fee') OR kind LIKE 'capital:donation:%' OR kind LIKE 'capital:other:%'
           OR kind LIKE 'capital:member_fee:%')), 0) AS own_income_12m,
       coalesce(sum(amount) FILTER (WHERE month > $3 AND month <= $2 AND kind = 'aid'), 0)
           AS running_costs_12m
FROM rpt_club_money WHERE $1::date IS NOT NULL GROUP BY club_id
"""

RESOURCES = """
SELECT club_id, CASE WHEN kind = 'fee' THEN 'member_fee' ELSE split_part(kind, ':', 2) END
       AS source, sum(amount) AS amount
FROM rpt_club_money
WHERE month BETWEEN $1 AND $2 AND (kind = 'fee' OR kind LIKE 'capital:%')
GROUP BY 1, 2
"""

# Loans on the reporting date $2, from business dates only (issue #19): what was received by
# then is allocated to the schedule in force that day (the disbursement's, or the latest
# rescheduling's on or before it), oldest installment first, interest before principal
# (finance's rule), so
# neither the order repayments were keyed in nor when an arrears timer fired changes a figure.
# An installment is overdue the day after its due date; days overdue count from the oldest
# unpaid one, pause days excluded; an overdue amount within the arrears tolerance is not late.
LOANS = """
WITH paid AS (
  SELECT loan_id, sum(principal + interest) AS paid FROM rpt_repayments
  WHERE received_on <= $2 GROUP BY loan_id
), in_force AS (
  SELECT loan_id, max(valid_from) AS valid_from FROM rpt_installments
  WHERE valid_from <= $2 GROUP BY loan_id
), sched AS (
  SELECT i.loan_id, i.due_on, i.principal, i.interest, coalesce(p.paid, 0) AS paid,
         sum(i.principal + i.interest) OVER (PARTITION BY i.loan_id ORDER BY i.number) AS cum
  FROM rpt_installments i
  JOIN in_force f ON f.loan_id = i.loan_id AND f.valid_from = i.valid_from
  LEFT JOIN paid p ON p.loan_id = i.loan_id
), cover AS (
  SELECT loan_id,
         sum(least(greatest(paid - (cum - principal), 0), principal)) AS repaid,
         coalesce(sum(principal) FILTER (WHERE due_on <= $2), 0) AS due,
         coalesce(sum(least(greatest(cum - paid, 0), principal + interest))
             FILTER (WHERE due_on < $2), 0) AS overdue_amount,
         min(due_on) FILTER (WHERE due_on < $2 AND cum > paid) AS oldest_unpaid
  FROM sched GROUP BY loan_id
), late AS (
  SELECT c.loan_id,
         ($2::date - c.oldest_unpaid) - coalesce((
           SELECT sum(greatest(least(p.ends_on, $2::date)
                               - greatest(p.starts_on, c.oldest_unpaid + 1) + 1, 0))
           FROM rpt_loan_pauses p WHERE p.loan_id = c.loan_id), 0) AS days_overdue
  FROM cover c LEFT JOIN rpt_loan_terms t ON t.loan_id = c.loan_id
  WHERE c.oldest_unpaid IS NOT NULL AND c.overdue_amount > coalesce(t.arrears_tolerance, 0)
), l AS (
  SELECT l.*,
         coalesce(c.repaid, 0) AS repaid,
         coalesce(c.due, 0) AS due,
         (l.repaid_on IS NOT NULL AND l.repaid_on <= $2)
           OR (l.written_off_on IS NOT NULL AND l.written_off_on <= $2) AS closed,
         coalesce(a.days_overdue, 0) > 30 AS late30
  FROM rpt_loans l
  LEFT JOIN cover c ON c.loan_id = l.loan_id
  LEFT JOIN late a ON a.loan_id = l.loan_id
  WHERE l.disbursed_on <= $2
), o AS (
  SELECT l.*, CASE WHEN closed THEN 0 ELSE greatest(principal - repaid, 0) END AS outstanding
  FROM l
)
SELECT club_id,
       count(*) FILTER (WHERE disbursed_on >= $1) AS loans_issued,
       coalesce(sum(principal) FILTER (WHERE disbursed_on >= $1), 0) AS loans_amount,
       coalesce(sum(outstanding), 0) AS outstanding,
       coalesce(sum(outstanding) FILTER (WHERE late30 AND NOT closed), 0) AS par30_outstanding,
       coalesce(sum(due), 0) AS principal_due,
       coalesce(sum(least(repaid, due)), 0) AS principal_repaid_on_due,
       count(*) FILTER (WHERE written_off_on BETWEEN $1 AND $2) AS write_offs,
       coalesce(sum(written_off) FILTER (WHERE written_off_on BETWEEN $1 AND $2), 0)
           AS write_off_amount
FROM o GROUP BY club_id
"""

# Poor families supported: distinct households (a member without one counts alone) of poor or
# near-poor members who got a loan or an in-kind asset in the period, the household and its
# status those of that day.
POOR_SUPPORTED = """
WITH s AS (
  SELECT member_id, disbursed_on AS on_day FROM rpt_loans WHERE disbursed_on BETWEEN $1 AND $2
  UNION ALL
  SELECT member_id, lent_on FROM rpt_assets WHERE lent_on BETWEEN $1 AND $2
), supported AS (
  SELECT s.member_id, s.on_day,
         (SELECT x.household_id FROM rpt_member_households x
           WHERE x.member_id = s.member_id AND x.valid_from <= s.on_day
           ORDER BY x.version DESC LIMIT 1) AS household_id
  FROM s
)
SELECT m.club_id, count(DISTINCT coalesce(s.household_id, m.member_id)) AS poor_supported
FROM supported s JOIN rpt_members m ON m.member_id = s.member_id
WHERE (SELECT h.status FROM rpt_household_status h
        WHERE h.household_id = s.household_id AND h.valid_from <= s.on_day
          AND (h.valid_to IS NULL OR h.valid_to >= s.on_day)
        ORDER BY h.valid_from DESC LIMIT 1) IN ('poor', 'near_poor')
GROUP BY m.club_id
"""

CARE = """
SELECT club_id,
       count(*) FILTER (WHERE plan_starts_on <= $2 AND (closed_on IS NULL OR closed_on >= $1))
           AS care_recipients
FROM rpt_care_cases GROUP BY club_id
"""

# A recipient-week belongs to the period holding its Thursday (docs/periods.md,
# ishc_runtime.periods.attribution_day): 2026-W01 (29 Dec - 4 Jan) is in January 2026.
WEEKS = """
SELECT w.club_id, count(*) AS weeks_evaluated, count(*) FILTER (WHERE w.met) AS weeks_met,
       coalesce(sum(v.visits), 0) AS week_visits
FROM rpt_care_weeks w
LEFT JOIN rpt_care_week_visits v
  ON v.case_id = w.case_id AND v.week_starts_on = w.week_starts_on
WHERE w.week_starts_on + 3 BETWEEN $1 AND $2 GROUP BY w.club_id
"""

VISITS = """
SELECT club_id, sum(visits) AS visits FROM rpt_visits
WHERE month BETWEEN date_trunc('month', $1::date) AND $2 GROUP BY club_id
"""

CHECKS = """
SELECT club_id, count(*) AS health_checks FROM rpt_health_checks
WHERE checked_on BETWEEN $1 AND $2 GROUP BY club_id
"""

ENTITLEMENTS = """
SELECT club_id, scheme,
       count(*) FILTER (WHERE opened_on BETWEEN $1 AND $2) AS opened,
       count(*) FILTER (WHERE approved_on BETWEEN $1 AND $2) AS approved,
       count(DISTINCT person_id) FILTER (WHERE approved_on BETWEEN $1 AND $2) AS people_helped
FROM rpt_entitlement_cases GROUP BY club_id, scheme
"""

# N13 counts households: the approved person's household on the day of approval as their
# membership records it (in the case's club first); for someone who joined only later, the
# household they first joined with. A person with no known household counts as one of their
# own. The keys, not counts, go up: a household helped in two clubs or schemes is still one.
HOUSEHOLDS_HELPED = """
SELECT e.club_id, e.scheme,
       coalesce((SELECT x.household_id FROM rpt_members m
                  JOIN rpt_member_households x ON x.member_id = m.member_id
                  WHERE m.person_id = e.person_id
                  ORDER BY x.valid_from <= e.approved_on DESC, m.club_id = e.club_id DESC,
                           CASE WHEN x.valid_from <= e.approved_on THEN x.version
                                ELSE -x.version END DESC
                  LIMIT 1),
                e.person_id) AS household
FROM rpt_entitlement_cases e WHERE e.approved_on BETWEEN $1 AND $2
"""

_PER_CLUB = (MEMBERS, FUNDS, MONEY, LOANS, POOR_SUPPORTED, CARE, WEEKS, VISITS, CHECKS)


async def club_facts(conn: Connection, period: Period) -> list[dict[str, Any]]:
    """One dict per club founded by the period's end, with every fact the indicators need."""
    # The trailing 12 months: from the month after (end month - 12) through the end month.
    before_12m = add_months(period.end.replace(day=1), -12)
    clubs: dict[UUID, dict[str, Any]] = {}
    for row in await conn.fetch(CLUBS, period.start, period.end, add_months(period.end, -12)):
        clubs[row["club_id"]] = {
            **dict(row),
            "resources": {},
            "entitlements": {},
            "households_helped": defaultdict(set),
        }
    for sql in _PER_CLUB:
        args: tuple[Any, ...] = (period.start, period.end)
        if sql is MONEY:
            args = (*args, before_12m)
        for row in await conn.fetch(sql, *args):
            club = clubs.get(row["club_id"])
            if club is not None:
                club.update({k: v for k, v in dict(row).items() if k != "club_id"})
    resources: dict[UUID, dict[str, int]] = defaultdict(dict)
    for row in await conn.fetch(RESOURCES, period.start, period.end):
        resources[row["club_id"]][row["source"]] = int(row["amount"])
    for row in await conn.fetch(ENTITLEMENTS, period.start, period.end):
        if row["club_id"] in clubs:
            clubs[row["club_id"]]["entitlements"][row["scheme"]] = {
                "opened": row["opened"],
                "approved": row["approved"],
                "people_helped": row["people_helped"],
            }
    for row in await conn.fetch(HOUSEHOLDS_HELPED, period.start, period.end):
        if row["club_id"] in clubs:
            clubs[row["club_id"]]["households_helped"][row["scheme"]].add(row["household"])
    for club_id, by_source in resources.items():
        if club_id in clubs:
            clubs[club_id]["resources"] = by_source
    return list(clubs.values())
