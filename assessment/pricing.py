"""The pricing engine (SPEC §9): what the facts of a rule set's months are worth, computed in Postgres and applied to
the ledger as a difference.

`price()` works in one transaction, in temporary tables, with set-based statements only (INSERT … SELECT, window
functions); no fact is ever loaded into Python:

1. `pr_unit` — the units priced: every unit at or below the rule set's office, the office itself excluded, with its
   group under that office (`group_sql`: the offices one level below, the departments of its own level, the direct
   points at any level; the others priced but not ranked) and, for a direct-reporting point, its county
   (infohub.tree.nearest_above_at_sql).
2. `pr_fact` — the facts placed in the months (RuleSet.placing, `_month_sql`), one row per credited unit:
   * FILED: an item signed off and sent (status signed_off; composites, written by an office, are not filings),
     credited to its source unit and its joint units (合报: 1/n each when the rule set splits, else each in full);
   * ADOPTED: a publications.Credit (one use of an item in a signed issue, per source unit with its share), the
     share split again between the source item's joint units; its level, publication, standalone or combined (a
     composite, or a combined or summary adoption) and whether the item was reported upward through the office
     (a reviews.Hop at the office with forward = forwarded, for the item used or its source);
   * INSTRUCTION: a leader's instruction on an item (or on an issue of one item), by the leader's level, credited to
     the item's units (a composite's sources, each with its share, then their joint units); only the first
     instruction per item and level is priced (no repeat bonus for the same level) — the others are counted;
   * TOPIC_ANSWERED: a topics.Target answered; TOPIC_IGNORED / TOPIC_LATE / OVERDUE: a followup.Shortfall of kind
     ignored / late / overdue, not withdrawn — both only for what the office or an office above it asked;
   * LAPSE: an alerts.Lapse (迟报/漏报/误报/瞒报), not withdrawn, by kind; the person answerable is the row's person;
   * QUOTA: per finished month (Asia/Shanghai) and unit, from the month the rule set took effect
     (RuleSet.effective_from), the items filed (the unit's FILED facts) against the matching rule's quota.
3. `pr_row` — the priced rows: each fact with the rule that matches it (`rule_match_sql`: a blank condition matches
   anything, the most specific rule wins, then the lower position), then in order: only the highest use per unit and
   source item counts (HIGHEST: a later higher adoption gets the difference, over the year up to the last month);
   an office that rewrote the item (assessment.Rewrite, at the publishing office or an office within the rule set)
   takes `rewrite_share` of the adoption rows (REWRITE), the units the rest; the adjustments (ADJUSTMENT) as made;
   a rule's monthly cap per unit (the rows beyond it get what is left, then 0, in order of time); a direct-reporting
   point's rows counted `direct_share` for its county (LINKED, same cause); the topic request whose ignoring reaches
   `zero_after_ignored` in the year (ZEROED, 0 points: the year is set to zero from its month on).
4. The difference: the current ledger rows of the months that have no identical fresh row (same unit, fact, cause,
   rule, points, share, month, award eligibility and basis) are marked superseded by the run; the fresh rows that
   have no identical current row are appended. Running a pricing twice adds nothing.
5. `assessment.Tally` rebuilt for the months from the facts (counts) and the current ledger (points).

The year cap (RuleSet.year_cap) is applied by the selectors, not stored.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Case, CharField, Value, When
from django.utils import timezone

from alerts.models import Lapse
from followup.models import Shortfall
from infohub import listcache
from infohub.models import Level, Unit
from infohub.tree import nearest_above_at_sql
from instructions.models import Instruction
from publications.models import Credit
from submissions.models import Item
from topics.models import Target

from .models import Adjustment, Group, Pricing, Rewrite, RuleSet

# --- the one place for a unit's group and for rule matching (the selectors use them too) ------------------------

# A unit's ranking group under an assessing office (SPEC §9: "rank within its group"), for a unit of the office's
# jurisdiction: (group, the unit kinds it takes, the unit's level counted from the office's: None — any level, 0 — the
# office's own, 1 — one below). The first that fits wins; a unit none fits is priced but not ranked (Group.OTHER).
OFFICE_KINDS = (Unit.Kind.COMMITTEE_OFFICE, Unit.Kind.GOVERNMENT_OFFICE)
GROUPING = (
    (Group.DIRECT, (Unit.Kind.DIRECT_POINT, Unit.Kind.SPECIAL_OFFICER), None),  # 直报点、特约信息员
    (Group.DEPARTMENT, (Unit.Kind.DEPARTMENT,), 0),                              # 本级部门: 市直部门 under a city
    (Group.DISTRICT, OFFICE_KINDS, 1),                                           # 下级党委、政府办公室
)
UNRANKED = Group.OTHER


def _grouping(office_level: str) -> list[tuple[str, tuple, str | None]]:
    """GROUPING under an office of `office_level`, each relative level made the Level value it means there (None: any
    level); a group whose level does not exist (one below a township) is left out. ValueError for an unknown level."""
    if office_level not in Level.values:
        raise ValueError(f"not a level: {office_level!r}")
    levels, rank = list(Level.values), Level.rank(office_level)
    return [(group, kinds, None if below is None else levels[rank + below])
            for group, kinds, below in GROUPING if below is None or rank + below < len(levels)]


def group_of(kind: str, level: str, office_level: str) -> str:
    """The group (a Group value) of a unit of `kind` at `level` in the jurisdiction of an office at `office_level`."""
    for group, kinds, at in _grouping(office_level):
        if kind in kinds and (at is None or level == at):
            return group
    return UNRANKED


def group_sql(unit: str, office_level: str) -> str:
    """The same as one SQL CASE over the unit row `unit` (an alias with `kind` and `level`, e.g. "u"), under an office
    at `office_level`: what the engine writes on each Tally row and matches a rule's group condition against."""
    whens = " ".join(
        "WHEN {u}.kind IN ({kinds}){at} THEN '{group}'".format(
            u=unit, kinds=", ".join(f"'{kind}'" for kind in kinds), group=group,
            at="" if level is None else f" AND {unit}.level = '{level}'")
        for group, kinds, level in _grouping(office_level))
    return f"(CASE {whens} ELSE '{UNRANKED}' END)"


def group_case(office_level: str, kind_field: str = "kind", level_field: str = "level") -> Case:
    """The same as an ORM expression on `kind_field` and `level_field` (e.g. "unit__kind", "unit__level")."""
    return Case(*[When(**{f"{kind_field}__in": kinds, **({} if level is None else {level_field: level})},
                       then=Value(group)) for group, kinds, level in _grouping(office_level)],
                default=Value(UNRANKED), output_field=CharField())


# How specific a rule is: the number of its conditions set.
RULE_SPECIFICITY_SQL = ("((r.level <> '')::int + (r.ptype_id IS NOT NULL)::int + (r.combined IS NOT NULL)::int"
                        " + (r.forwarded IS NOT NULL)::int + (r.kind <> '')::int + (r.\"group\" <> '')::int)")


def rule_match_sql(alias: str, ruleset_param: str = "%(ruleset)s") -> str:
    """The rule that prices a fact row, for `JOIN LATERAL (…) r ON true`: the rule of the rule set for the row's fact
    whose conditions all match the row `alias` (columns fact, level, ptype_id, combined, forwarded, kind, grp; a blank
    condition matches anything, a condition never matches a NULL), the most specific first, then the lower position.
    A fact no rule matches has no row."""
    a = alias
    return (
        "SELECT r.id, r.label, r.points, r.multiplier, r.monthly_cap, r.quota, r.voids_award "
        "FROM assessment_rule r "
        f"WHERE r.ruleset_id = {ruleset_param} AND r.fact = {a}.fact "
        f"AND (r.level = '' OR r.level = {a}.level) "
        f"AND (r.ptype_id IS NULL OR r.ptype_id = {a}.ptype_id) "
        f"AND (r.combined IS NULL OR r.combined = {a}.combined) "
        f"AND (r.forwarded IS NULL OR r.forwarded = {a}.forwarded) "
        f"AND (r.kind = '' OR r.kind = {a}.kind) "
        f"AND (r.\"group\" = '' OR r.\"group\" = {a}.grp) "
        f"ORDER BY {RULE_SPECIFICITY_SQL} DESC, r.position, r.id LIMIT 1"
    )


# --- months ------------------------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_default_timezone())


def _num(expression: str) -> str:
    """A number as people write it: 20, 0.5, -10 (no trailing zeros)."""
    return f"trim_scale({expression})::text"


def _fraction(share: str) -> str:
    """A share as people write it: 1/3 where it is one, else the decimal."""
    return (f"(CASE WHEN {share} > 0 AND abs(1 / round(1 / {share}) - {share}) < 0.0001 "
            f"THEN '1/' || round(1 / {share})::int::text ELSE {_num(share)} END)")


def _share(base: str) -> str:
    """`base` split between an item's holders (pr_holder h: rank rk of n) when the rule set splits (合报均分): 1/n
    each to four places, the last the remainder; in full each when it does not."""
    return (f"(CASE WHEN h.n IS NULL OR NOT %(joint_split)s THEN {base} "
            f"WHEN h.rk < h.n THEN trunc({base} / h.n, 4) "
            f"ELSE {base} - trunc({base} / h.n, 4) * (h.n - 1) END)")


def _held(statement: str) -> str:
    """`statement` for the units holding each item (its source unit, and its joint units when filed jointly), as two
    branches joined by equality, so Postgres can read an office's few hundred units' facts by index instead of every
    unit's: the source unit's (`h` its holder row when joint, else NULL) UNION ALL the other joint units' (rk > 1).
    The statement marks the place with {HELD:<item id>:<source unit id>}."""
    import re

    match = re.search(r"\{HELD:([\w.]+):([\w.]+)\}", statement)
    item, unit = match.groups()
    own = f"JOIN pr_unit u ON u.id = {unit} LEFT JOIN pr_holder h ON h.item_id = {item} AND h.rk = 1"
    joint = f"JOIN pr_holder h ON h.item_id = {item} AND h.rk > 1 JOIN pr_unit u ON u.id = h.unit_id"
    return statement.replace(match.group(0), own) + "\n        UNION ALL\n" + statement.replace(match.group(0), joint)


_HOLDER_PERSON = "(CASE WHEN h.rk IS NULL OR h.rk = 1 THEN {person} END)"  # the author's unit's row names the author


class _Sql:
    """The statements of one run, built for its rule set's placing."""

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset

    def month(self, ts: str) -> str:
        return f"(date_trunc('month', ({ts}) AT TIME ZONE %(tz)s))::date"

    def place(self, fact_ts: str, item_ts: str | None, recorded_ts: str) -> str:
        """The month a fact lands in (RuleSet.placing): FACT — the month of its time (Beijing time); FILED — the month
        its item was filed (for a fact about an item), else of its time; OPEN — as FILED, unless a 通报 covering that
        month was issued before the fact was recorded: then the first month after the last 通报 issued by then (in
        the rule set's year)."""
        placing = self.ruleset.placing
        if placing == RuleSet.Placing.FACT or (item_ts is None and placing == RuleSet.Placing.FILED):
            return self.month(fact_ts)
        base = self.month(f"coalesce({item_ts}, {fact_ts})" if item_ts else fact_ts)
        if placing == RuleSet.Placing.FILED:
            return base
        return (
            f"(SELECT CASE WHEN EXISTS (SELECT 1 FROM pr_bulletin b WHERE b.first_month <= p.base "
            f"AND p.base <= b.last_month AND b.issued_at < {recorded_ts}) "
            f"THEN least(greatest(p.base, ((SELECT max(b.last_month) FROM pr_bulletin b WHERE b.issued_at < "
            f"{recorded_ts}) + interval '1 month')::date), %(december)s) ELSE p.base END FROM (SELECT {base} AS base) p)"
        )


FACT_COLUMNS = ("fact, unit_id, person_id, ct, cause_id, item_id, occurred_at, month, share, level, ptype_id, "
                "combined, forwarded, kind, grp, priced, rw_id, rw_office")


def _facts(sql: _Sql) -> list[str]:
    """The statements that fill pr_fact (see the module's docstring)."""
    P = sql.place
    wrap = "INSERT INTO pr_fact (" + FACT_COLUMNS + ") SELECT " + FACT_COLUMNS + " FROM ({}) q WHERE q.month BETWEEN {} AND %(hi)s"
    filed = f"""
        SELECT 'filed' AS fact, u.id AS unit_id, {_HOLDER_PERSON.format(person='i.created_by_id')} AS person_id,
               %(ct_item)s AS ct, i.id AS cause_id, i.id AS item_id, i.submitted_at AS occurred_at,
               {P('i.submitted_at', 'i.submitted_at', 'i.submitted_at')} AS month, {_share('1.0')} AS share,
               NULL::text AS level, NULL::bigint AS ptype_id, NULL::bool AS combined, NULL::bool AS forwarded,
               NULL::text AS kind, u.grp, true AS priced, NULL::bigint AS rw_id, NULL::bigint AS rw_office
        FROM submissions_item i
        {{HELD:i.id:i.source_unit_id}}
        WHERE i.status = 'signed_off' AND i.submitted_at >= %(t_lo)s AND i.submitted_at < %(t_end)s
          AND NOT EXISTS (SELECT 1 FROM submissions_item_merged_from m WHERE m.from_item_id = i.id)"""
    adopted = f"""
        SELECT 'adopted' AS fact, u.id AS unit_id, {_HOLDER_PERSON.format(person='si.created_by_id')} AS person_id,
               %(ct_credit)s AS ct, c.id AS cause_id, c.source_item_id AS item_id, c.signed_at AS occurred_at,
               {P('c.signed_at', 'si.submitted_at', 'c.signed_at')} AS month, {_share('c.share')} AS share,
               c.office_level AS level, c.ptype_id, (c.combined OR c.adoption IN ('combined', 'summary')) AS combined,
               (EXISTS (SELECT 1 FROM pr_fwd f WHERE f.item_id IN (c.item_id, c.source_item_id))) AS forwarded,
               NULL::text AS kind, u.grp, true AS priced, rw.id AS rw_id, rw.office_id AS rw_office
        FROM publications_credit c
        JOIN submissions_item si ON si.id = c.source_item_id
        {{HELD:c.source_item_id:c.unit_id}}
        LEFT JOIN LATERAL (
            SELECT r.id, r.office_id FROM assessment_rewrite r JOIN infohub_unit ro ON ro.id = r.office_id
            WHERE r.item_id IN (c.item_id, c.source_item_id)
              AND (r.office_id = c.office_id OR ro.path LIKE %(office_path)s || '%%')
            ORDER BY (r.office_id = c.office_id) DESC, r.marked_at, r.id LIMIT 1) rw ON true
        WHERE c.signed_at >= %(t_adopted)s AND (%(t_hi)s::timestamptz IS NULL OR c.signed_at < %(t_hi)s)"""
    instruction = f"""
        SELECT 'instruction' AS fact, u.id AS unit_id, {_HOLDER_PERSON.format(person='si.created_by_id')} AS person_id,
               %(ct_instruction)s AS ct, x.id AS cause_id, si.id AS item_id, x.written_at AS occurred_at,
               {P('x.written_at', 'si.submitted_at', 'x.created_at')} AS month,
               {_share("(CASE WHEN src.n IS NULL THEN 1.0 WHEN src.rk < src.n THEN trunc(1.0 / src.n, 4) "
                       "ELSE 1.0 - trunc(1.0 / src.n, 4) * (src.n - 1) END)")} AS share,
               x.level, NULL::bigint AS ptype_id, NULL::bool AS combined, NULL::bool AS forwarded, NULL::text AS kind,
               u.grp, x.rn = 1 AS priced, NULL::bigint AS rw_id, NULL::bigint AS rw_office
        FROM (SELECT ins.*, row_number() OVER (PARTITION BY ins.on_item, ins.level ORDER BY ins.written_at, ins.id) AS rn
              FROM (SELECT i0.id, i0.level, i0.written_at, i0.created_at,
                           coalesce(i0.item_id, (SELECT min(e.item_id) FROM publications_entry e
                                                 WHERE e.issue_id = i0.issue_id HAVING count(*) = 1)) AS on_item
                    FROM instructions_instruction i0) ins
              WHERE ins.on_item IS NOT NULL) x
        LEFT JOIN LATERAL (
            SELECT m.to_item_id, row_number() OVER (ORDER BY m.to_item_id) AS rk, count(*) OVER () AS n
            FROM submissions_item_merged_from m WHERE m.from_item_id = x.on_item) src ON true
        JOIN submissions_item si ON si.id = coalesce(src.to_item_id, x.on_item)
        {{HELD:si.id:si.source_unit_id}}
        WHERE x.written_at >= %(t_year)s AND (%(t_hi)s::timestamptz IS NULL OR x.written_at < %(t_hi)s)"""
    answered = f"""
        SELECT 'topic_answered' AS fact, u.id AS unit_id, NULL::bigint AS person_id, %(ct_target)s AS ct,
               t.id AS cause_id, NULL::bigint AS item_id, t.answered_at AS occurred_at,
               {P('t.answered_at', None, 't.answered_at')} AS month, 1.0 AS share, NULL::text AS level,
               NULL::bigint AS ptype_id, NULL::bool AS combined, NULL::bool AS forwarded, NULL::text AS kind, u.grp,
               true AS priced, NULL::bigint AS rw_id, NULL::bigint AS rw_office
        FROM topics_target t
        JOIN topics_topicrequest tr ON tr.id = t.request_id AND tr.status = 'open'
        JOIN infohub_unit o ON o.id = t.office_id
        JOIN pr_unit u ON u.id = t.unit_id
        WHERE t.reply = 'answered' AND t.answered_at >= %(t_year)s AND t.answered_at < %(t_end)s
          AND %(office_path)s LIKE o.path || '%%'"""
    shortfall = f"""
        SELECT (CASE s.kind WHEN 'ignored' THEN 'topic_ignored' WHEN 'late' THEN 'topic_late' ELSE 'overdue' END)
                   AS fact, u.id AS unit_id, s.person_id, %(ct_shortfall)s AS ct, s.id AS cause_id,
               NULL::bigint AS item_id, s.occurred_at, {P('s.occurred_at', None, 's.created_at')} AS month,
               1.0 AS share, NULL::text AS level, NULL::bigint AS ptype_id, NULL::bool AS combined,
               NULL::bool AS forwarded, NULL::text AS kind, u.grp, true AS priced, NULL::bigint AS rw_id,
               NULL::bigint AS rw_office
        FROM followup_shortfall s
        JOIN infohub_unit o ON o.id = s.office_id
        JOIN pr_unit u ON u.id = s.unit_id
        WHERE s.withdrawn_at IS NULL AND s.occurred_at >= %(t_year)s AND s.occurred_at < %(t_end)s
          AND %(office_path)s LIKE o.path || '%%'"""
    lapse = f"""
        SELECT 'lapse' AS fact, u.id AS unit_id, l.person_id, %(ct_lapse)s AS ct, l.id AS cause_id, l.item_id,
               l.created_at AS occurred_at, {P('l.created_at', 'li.submitted_at', 'l.created_at')} AS month,
               1.0 AS share, NULL::text AS level, NULL::bigint AS ptype_id, NULL::bool AS combined,
               NULL::bool AS forwarded, l.kind, u.grp, true AS priced, NULL::bigint AS rw_id, NULL::bigint AS rw_office
        FROM alerts_lapse l
        JOIN pr_unit u ON u.id = l.unit_id
        LEFT JOIN submissions_item li ON li.id = l.item_id
        WHERE l.withdrawn_at IS NULL AND l.created_at >= %(t_year)s
          AND (%(t_hi)s::timestamptz IS NULL OR l.created_at < %(t_hi)s)"""
    quota = """
        INSERT INTO pr_fact (fact, unit_id, ct, cause_id, occurred_at, month, share, level, grp, quota_filed)
        SELECT 'quota', u.id, %(ct_unit)s, u.id,
               ((m.month + interval '1 month')::timestamp AT TIME ZONE %(tz)s) - interval '1 second', m.month, 1.0,
               u.level, u.grp, coalesce(n.filed, 0)
        FROM pr_unit u
        CROSS JOIN (SELECT generate_series(%(first)s::date, %(hi)s::date, interval '1 month')::date AS month) m
        LEFT JOIN (SELECT unit_id, month, count(DISTINCT cause_id) AS filed FROM pr_fact WHERE fact = 'filed'
                   GROUP BY unit_id, month) n ON n.unit_id = u.id AND n.month = m.month
        WHERE u.is_active AND m.month < %(this_month)s AND m.month >= %(quota_from)s"""
    return [
        wrap.format(_held(filed), "%(first)s"),
        wrap.format(_held(adopted), "%(adopted_lo)s"),
        wrap.format(_held(instruction), "%(first)s"),
        wrap.format(answered, "%(first)s"),
        wrap.format(shortfall, "%(year_first)s"),
        wrap.format(lapse, "%(first)s"),
        quota,
    ]


# A fact's conditions as one text key (NULL and '' stay distinct), for joining facts to their combination's rule.
_COMBO = "ROW({a}.fact, {a}.level, {a}.ptype_id, {a}.combined, {a}.forwarded, {a}.kind, {a}.grp)::text"

ROW_COLUMNS = ("fact, unit_id, person_id, ct, cause_id, item_id, rule_id, label, share, points, basis, occurred_at, "
               "month, voids_award, cap, rw_id, rw_office")


def _rows(sql: _Sql) -> list[str]:
    """The statements that price pr_fact into pr_row (see the module's docstring), in order."""
    rs = sql.ruleset
    basis = (f"left(r.label || ' ' || {_num('r.points')} "
             f"|| CASE WHEN r.multiplier <> 1 THEN ' × ' || {_num('r.multiplier')} ELSE '' END "
             f"|| CASE WHEN f.share <> 1 THEN ' × ' || {_fraction('f.share')} ELSE '' END, 200)")
    statements = [
        # The rule of each distinct combination of conditions is found once (a few hundred), then joined by hash to
        # the facts (hundreds of thousands): a search of the rules per fact costs ~20 µs a row.
        f"""INSERT INTO pr_row ({ROW_COLUMNS})
            WITH combos AS (
                SELECT DISTINCT ON (k) {_COMBO.format(a='f')} AS k, f.fact, f.level, f.ptype_id, f.combined,
                       f.forwarded, f.kind, f.grp
                FROM pr_fact f WHERE f.priced AND f.fact <> 'quota'),
            matched AS (SELECT c.k, r.* FROM combos c JOIN LATERAL ({rule_match_sql('c')}) r ON true)
            SELECT f.fact, f.unit_id, f.person_id, f.ct, f.cause_id, f.item_id, r.id, r.label, f.share,
                   round(r.points * r.multiplier * f.share, 2), {basis}, f.occurred_at, f.month, r.voids_award,
                   r.monthly_cap, f.rw_id, f.rw_office
            FROM pr_fact f JOIN matched r ON r.k = {_COMBO.format(a='f')}
            WHERE f.priced AND f.fact <> 'quota'""",
        # Quotas: the rule's points (negative) for each item missing, in the months already over.
        f"""INSERT INTO pr_row ({ROW_COLUMNS})
            SELECT f.fact, f.unit_id, NULL, f.ct, f.cause_id, NULL, r.id, r.label, 1,
                   round(r.points * r.multiplier * (r.quota - f.quota_filed), 2),
                   left(r.label || '：报送 ' || f.quota_filed || ' 条，定额 ' || r.quota || ' 条，'
                        || {_num('r.points * r.multiplier')} || ' × ' || (r.quota - f.quota_filed), 200),
                   f.occurred_at, f.month, r.voids_award, r.monthly_cap, NULL, NULL
            FROM pr_fact f JOIN LATERAL ({rule_match_sql('f')}) r ON true
            WHERE f.fact = 'quota' AND r.quota IS NOT NULL AND f.quota_filed < r.quota""",
    ]
    if rs.counting == RuleSet.Counting.HIGHEST:
        # Per unit and source item, each use counts what it adds to the best use before it (in time order).
        statements.append(f"""
            UPDATE pr_row p SET
                points = greatest(p.points - w.before, 0),
                basis = left(p.basis || CASE WHEN p.points > w.before
                    THEN '，已计 ' || {_num('w.before')} || '，补计 ' || {_num('p.points - w.before')}
                    ELSE '，已按更高采用计 ' || {_num('w.before')} || '，不再计分' END, 200)
            FROM (SELECT rid, max(points) OVER (PARTITION BY unit_id, item_id ORDER BY occurred_at, cause_id, rid
                                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
                  FROM pr_row WHERE fact = 'adopted') w
            WHERE p.rid = w.rid AND w.before > 0""")
    if rs.rewrite_share > 0:
        statements += [
            f"""INSERT INTO pr_row ({ROW_COLUMNS})
                SELECT 'rewrite', p.rw_office, NULL, %(ct_rewrite)s, p.rw_id, p.item_id, p.rule_id, p.label,
                       %(rewrite_share)s, round(p.points * %(rewrite_share)s, 2),
                       left(p.label || ' ' || {_num('p.points')} || ' × ' || {_num('%(rewrite_share)s')} || '（改写）', 200),
                       p.occurred_at, p.month, false, p.cap, NULL, NULL
                FROM pr_row p JOIN pr_unit u ON u.id = p.rw_office
                WHERE p.fact = 'adopted' AND p.rw_id IS NOT NULL AND p.points <> 0""",
            f"""UPDATE pr_row SET points = points - round(points * %(rewrite_share)s, 2),
                       basis = left(basis || ' × (1 − ' || {_num('%(rewrite_share)s')} || '，上级改写)', 200)
                WHERE fact = 'adopted' AND rw_id IS NOT NULL AND points <> 0""",
        ]
    statements += [
        """INSERT INTO pr_row (""" + ROW_COLUMNS + """)
           SELECT 'adjustment', a.unit_id, NULL, %(ct_adjustment)s, a.id, NULL, NULL, NULL, 1, a.points,
                  left('调整：' || a.reason, 200), a.made_at, a.month, false, NULL, NULL, NULL
           FROM assessment_adjustment a JOIN pr_unit u ON u.id = a.unit_id
           WHERE a.ruleset_id = %(ruleset)s AND a.month BETWEEN %(first)s AND %(hi)s""",
        # Monthly caps per rule and unit: in time order, the rows beyond the cap get what is left of it, then 0.
        f"""UPDATE pr_row p SET
                points = sign(p.points) * greatest(0, least(abs(p.points), p.cap - w.before)),
                basis = left(p.basis || CASE WHEN w.before >= p.cap
                    THEN '，已达月度上限 ' || {_num('p.cap')} || '，计 0'
                    ELSE '，月度上限 ' || {_num('p.cap')} || '，计 ' || {_num('p.cap - w.before')} END, 200)
            FROM (SELECT rid, coalesce(sum(abs(points)) OVER (
                      PARTITION BY rule_id, unit_id, month ORDER BY occurred_at, ct, cause_id, rid
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
                  FROM pr_row WHERE cap IS NOT NULL) w
            WHERE p.rid = w.rid AND w.before + abs(p.points) > p.cap""",
    ]
    if rs.direct_share > 0:
        statements.append(f"""
            INSERT INTO pr_row ({ROW_COLUMNS})
            SELECT 'linked', pu.county_id, NULL, p.ct, p.cause_id, p.item_id, p.rule_id, p.label, %(direct_share)s,
                   round(p.points * %(direct_share)s, 2),
                   left('挂钩分（' || un.name || '）' || {_num('p.points')} || ' × ' || {_num('%(direct_share)s')}, 200),
                   p.occurred_at, p.month, false, NULL, NULL, NULL
            FROM pr_row p
            JOIN pr_unit pu ON pu.id = p.unit_id AND pu.county_id IS NOT NULL
            JOIN pr_unit cu ON cu.id = pu.county_id
            JOIN infohub_unit un ON un.id = p.unit_id
            WHERE p.points <> 0 AND p.month >= %(first)s AND p.fact NOT IN ('linked', 'zeroed')""")
    if rs.zero_after_ignored > 0:
        statements.append(f"""
            INSERT INTO pr_row ({ROW_COLUMNS})
            SELECT 'zeroed', f.unit_id, NULL, f.ct, f.cause_id, NULL, NULL, NULL, 1, 0,
                   '本年第 ' || f.n || ' 次约稿未报送，全年得分计零', f.occurred_at, f.month, false, NULL, NULL, NULL
            FROM (SELECT pf.*, row_number() OVER (PARTITION BY unit_id ORDER BY occurred_at, cause_id) AS n
                  FROM pr_fact pf WHERE fact = 'topic_ignored') f
            WHERE f.n = %(zero_after_ignored)s""")
    return statements


ENTRY_KEY = ("unit_id", "fact", "ct", "cause_id", "rule_key", "points", "share", "month", "voids_award", "basis")
_MATCH = " AND ".join(f"f.{c} = c.{c}" for c in (*ENTRY_KEY, "k"))
# A fresh row and a current one of the same cause (in the same month): in a kept month (price's keep_months: its rules
# changed since it was priced, and no re-pricing applied the change yet) the current rows of a cause stay as they are,
# whatever the rules now make of it; only the causes new to the ledger are priced, and those gone are superseded.
_SAME_CAUSE = " AND ".join(f"f.{c} = c.{c}" for c in ("unit_id", "fact", "ct", "cause_id", "month"))

APPLY = [
    # The fresh rows of the months, and the current ledger rows of the months, each numbered within its identity
    # (two identical rows are two rows: the second matches the second).
    """CREATE TEMP TABLE pr_fresh ON COMMIT DROP AS
        SELECT p.*, coalesce(p.rule_id, 0) AS rule_key,
               row_number() OVER (PARTITION BY unit_id, fact, ct, cause_id, rule_id, points, share, month, voids_award,
                                  basis ORDER BY rid) AS k
        FROM pr_row p WHERE p.month BETWEEN %(first)s AND %(last)s""",
    """CREATE TEMP TABLE pr_cur ON COMMIT DROP AS
       SELECT e.id, e.unit_id, e.fact, e.cause_type_id AS ct, e.cause_id, coalesce(e.rule_id, 0) AS rule_key, e.points,
              e.share, e.month, e.voids_award, e.basis,
              row_number() OVER (PARTITION BY e.unit_id, e.fact, e.cause_type_id, e.cause_id, e.rule_id, e.points,
                                 e.share, e.month, e.voids_award, e.basis ORDER BY e.id) AS k
       FROM assessment_entry e
       WHERE e.ruleset_id = %(ruleset)s AND e.superseded_by_id IS NULL AND e.month BETWEEN %(first)s AND %(last)s""",
]
SUPERSEDE = f"""
    UPDATE assessment_entry SET superseded_by_id = %(pricing)s
    WHERE id IN (SELECT c.id FROM pr_cur c WHERE NOT EXISTS (SELECT 1 FROM pr_fresh f WHERE {_MATCH})
                   AND NOT (c.month = ANY(%(keep)s::date[]) AND EXISTS (SELECT 1 FROM pr_fresh f WHERE {_SAME_CAUSE})))"""
APPEND = f"""
    INSERT INTO assessment_entry (ruleset_id, pricing_id, month, unit_id, person_id, fact, cause_type_id, cause_id,
                                  item_id, rule_id, share, points, basis, occurred_at, voids_award, superseded_by_id)
    SELECT %(ruleset)s, %(pricing)s, f.month, f.unit_id, f.person_id, f.fact, f.ct, f.cause_id, f.item_id, f.rule_id,
           f.share, f.points, f.basis, f.occurred_at, f.voids_award, NULL
    FROM pr_fresh f WHERE NOT EXISTS (SELECT 1 FROM pr_cur c WHERE {_MATCH})
      AND NOT (f.month = ANY(%(keep)s::date[]) AND EXISTS (SELECT 1 FROM pr_cur c WHERE {_SAME_CAUSE}))
    ORDER BY f.month, f.unit_id, f.occurred_at, f.rid"""

TALLY = """
    INSERT INTO assessment_tally (ruleset_id, month, unit_id, "group", filed, signed_off, adopted, adopted_combined,
        adopted_county, adopted_city, adopted_province, adopted_central, instructions, topics_answered, topics_ignored,
        lapses, points_filing, points_adoption, points_instruction, points_topic, points_lapse, points_other, points,
        voids_award, zeroed)
    WITH months AS (SELECT generate_series(%(first)s::date, %(last)s::date, interval '1 month')::date AS month),
    counted AS (
        SELECT unit_id, month,
               count(DISTINCT cause_id) FILTER (WHERE fact = 'filed') AS filed,
               count(DISTINCT item_id) FILTER (WHERE fact = 'adopted') AS adopted,
               count(DISTINCT item_id) FILTER (WHERE fact = 'adopted' AND combined) AS adopted_combined,
               count(DISTINCT item_id) FILTER (WHERE fact = 'adopted' AND level = 'county') AS adopted_county,
               count(DISTINCT item_id) FILTER (WHERE fact = 'adopted' AND level = 'city') AS adopted_city,
               count(DISTINCT item_id) FILTER (WHERE fact = 'adopted' AND level = 'province') AS adopted_province,
               count(DISTINCT item_id) FILTER (WHERE fact = 'adopted' AND level = 'central') AS adopted_central,
               count(DISTINCT cause_id) FILTER (WHERE fact = 'instruction') AS instructions,
               count(DISTINCT cause_id) FILTER (WHERE fact = 'topic_answered') AS topics_answered,
               count(DISTINCT cause_id) FILTER (WHERE fact = 'topic_ignored') AS topics_ignored,
               count(DISTINCT cause_id) FILTER (WHERE fact = 'lapse') AS lapses
        FROM pr_fact WHERE month BETWEEN %(first)s AND %(last)s GROUP BY unit_id, month),
    signed AS (
        SELECT h.sender_id AS unit_id, (date_trunc('month', h.received_at AT TIME ZONE %(tz)s))::date AS month,
               count(DISTINCT h.item_id) AS n
        FROM reviews_hop h
        WHERE h.previous_id IS NULL AND h.received_at >= %(t_first)s AND h.received_at < %(t_end)s
          AND h.sender_id IN (SELECT id FROM pr_unit)
          AND NOT EXISTS (SELECT 1 FROM reviews_hop h2 WHERE h2.item_id = h.item_id AND h2.previous_id IS NULL
                          AND h2.received_at < h.received_at)
          AND NOT EXISTS (SELECT 1 FROM submissions_item_merged_from m WHERE m.from_item_id = h.item_id)
        GROUP BY 1, 2),
    ledger AS (
        SELECT unit_id, month,
               sum(points) FILTER (WHERE fact = 'filed') AS filing,
               sum(points) FILTER (WHERE fact IN ('adopted', 'rewrite')) AS adoption,
               sum(points) FILTER (WHERE fact = 'instruction') AS instruction,
               sum(points) FILTER (WHERE fact IN ('topic_answered', 'topic_ignored', 'topic_late')) AS topic,
               sum(points) FILTER (WHERE fact = 'lapse') AS lapse,
               sum(points) FILTER (WHERE fact NOT IN ('filed', 'adopted', 'rewrite', 'instruction', 'topic_answered',
                                                      'topic_ignored', 'topic_late', 'lapse')) AS other,
               sum(points) AS total, bool_or(voids_award) AS voids
        FROM assessment_entry
        WHERE ruleset_id = %(ruleset)s AND superseded_by_id IS NULL AND month BETWEEN %(first)s AND %(last)s
        GROUP BY unit_id, month),
    zeroed AS (
        SELECT unit_id, min(month) AS since FROM assessment_entry
        WHERE ruleset_id = %(ruleset)s AND superseded_by_id IS NULL AND fact = 'zeroed' GROUP BY unit_id)
    SELECT %(ruleset)s, m.month, u.id, u.grp,
           coalesce(c.filed, 0), coalesce(s.n, 0), coalesce(c.adopted, 0), coalesce(c.adopted_combined, 0),
           coalesce(c.adopted_county, 0), coalesce(c.adopted_city, 0), coalesce(c.adopted_province, 0),
           coalesce(c.adopted_central, 0), coalesce(c.instructions, 0), coalesce(c.topics_answered, 0),
           coalesce(c.topics_ignored, 0), coalesce(c.lapses, 0),
           coalesce(l.filing, 0), coalesce(l.adoption, 0), coalesce(l.instruction, 0), coalesce(l.topic, 0),
           coalesce(l.lapse, 0), coalesce(l.other, 0), coalesce(l.total, 0), coalesce(l.voids, false),
           coalesce(z.since <= m.month, false)
    FROM pr_unit u CROSS JOIN months m
    LEFT JOIN counted c ON c.unit_id = u.id AND c.month = m.month
    LEFT JOIN signed s ON s.unit_id = u.id AND s.month = m.month
    LEFT JOIN ledger l ON l.unit_id = u.id AND l.month = m.month
    LEFT JOIN zeroed z ON z.unit_id = u.id
    WHERE u.is_active OR c.unit_id IS NOT NULL OR s.unit_id IS NOT NULL OR l.unit_id IS NOT NULL"""

TEMP_TABLES = ("pr_unit", "pr_bulletin", "pr_holder", "pr_fwd", "pr_fact", "pr_row", "pr_fresh", "pr_cur")

PR_UNIT = f"""CREATE TEMP TABLE pr_unit ON COMMIT DROP AS
        SELECT u.id, u.path, u.level, u.kind, u.is_active, GRP AS grp,
               CASE WHEN u.kind = '{Unit.Kind.DIRECT_POINT}' THEN {nearest_above_at_sql('u', Level.COUNTY)} END
                   AS county_id
        FROM infohub_unit u WHERE u.path LIKE %(office_path)s || '%%' AND u.id <> %(office)s"""

# After PR_UNIT (see _setup):
SETUP = [
    "ALTER TABLE pr_unit ADD PRIMARY KEY (id)",
    # Temporary tables have no statistics until analysed: without them the planner guesses and scans every unit's facts
    # for an office that prices a few hundred units.
    "ANALYZE pr_unit",
    """CREATE TEMP TABLE pr_bulletin ON COMMIT DROP AS
       SELECT first_month, last_month, issued_at FROM assessment_bulletin
       WHERE ruleset_id = %(ruleset)s AND state = 'issued' AND issued_at IS NOT NULL""",
    # The holders of each jointly filed item: its source unit first, then its joint units by id.
    """CREATE TEMP TABLE pr_holder ON COMMIT DROP AS
       SELECT x.item_id, x.unit_id, row_number() OVER (PARTITION BY x.item_id ORDER BY x.ord, x.unit_id) AS rk,
              count(*) OVER (PARTITION BY x.item_id) AS n
       FROM (SELECT i.id AS item_id, i.source_unit_id AS unit_id, 0 AS ord FROM submissions_item i
             WHERE i.id IN (SELECT item_id FROM submissions_item_joint_units)
             UNION ALL
             SELECT j.item_id, j.unit_id, 1 FROM submissions_item_joint_units j
             JOIN submissions_item i ON i.id = j.item_id AND i.source_unit_id <> j.unit_id) x""",
    "CREATE INDEX ON pr_holder (item_id)",
    """CREATE TEMP TABLE pr_fwd ON COMMIT DROP AS
       SELECT DISTINCT item_id FROM reviews_hop WHERE office_id = %(office)s AND forward = 'forwarded'""",
    "ALTER TABLE pr_fwd ADD PRIMARY KEY (item_id)",
    "ANALYZE pr_holder, pr_fwd",
    """CREATE TEMP TABLE pr_fact (
           rid serial PRIMARY KEY, fact text NOT NULL, unit_id bigint NOT NULL, person_id bigint, ct int NOT NULL,
           cause_id bigint NOT NULL, item_id bigint, occurred_at timestamptz NOT NULL, month date NOT NULL,
           share numeric(5, 4) NOT NULL DEFAULT 1, level text, ptype_id bigint, combined bool, forwarded bool,
           kind text, grp text, priced bool NOT NULL DEFAULT true, rw_id bigint, rw_office bigint, quota_filed int
       ) ON COMMIT DROP""",
    """CREATE TEMP TABLE pr_row (
           rid serial PRIMARY KEY, fact text NOT NULL, unit_id bigint NOT NULL, person_id bigint, ct int NOT NULL,
           cause_id bigint NOT NULL, item_id bigint, rule_id bigint, label text, share numeric(5, 4) NOT NULL,
           points numeric NOT NULL, basis text NOT NULL, occurred_at timestamptz NOT NULL, month date NOT NULL,
           voids_award bool NOT NULL, cap numeric, rw_id bigint, rw_office bigint
       ) ON COMMIT DROP""",
]


def _setup(ruleset: RuleSet) -> list[str]:
    """The run's first statements: pr_unit, each unit with its group under the rule set's office (group_sql), then
    SETUP."""
    return [PR_UNIT.replace("GRP AS grp", f"{group_sql('u', ruleset.office.level)} AS grp"), *SETUP]


# pg_advisory_xact_lock's first key: "pricing runs of a rule set", the second the rule set's id.
LOCK_CLASS = 16_001


def _params(*, ruleset: RuleSet, first_month: date, last_month: date, pricing: Pricing) -> dict:
    year_first = date(ruleset.year, 1, 1)
    end = next_month(last_month)
    item_facts_unbounded = ruleset.placing != RuleSet.Placing.FACT  # a late fact lands in its item's month
    lo = first_month if ruleset.placing != RuleSet.Placing.OPEN else year_first
    adopted_lo = year_first if ruleset.counting == RuleSet.Counting.HIGHEST else first_month
    t_lo = _local_midnight(lo)
    ct = ContentType.objects.get_for_models(Credit, Instruction, Target, Shortfall, Lapse, Rewrite, Adjustment, Unit,
                                            Item)
    return {
        "ruleset": ruleset.pk, "pricing": pricing.pk, "office": ruleset.office_id,
        "office_path": ruleset.office.path, "tz": settings.TIME_ZONE,
        "first": first_month, "last": last_month, "hi": last_month, "year_first": year_first,
        "december": date(ruleset.year, 12, 1),
        # Quotas are owed for the months already over in Beijing time, from the month the rule set took effect.
        "this_month": month_start(timezone.localdate(timezone=timezone.get_default_timezone())),
        "quota_from": ruleset.quota_from,
        "adopted_lo": adopted_lo,
        "t_year": _local_midnight(year_first), "t_first": _local_midnight(first_month), "t_end": _local_midnight(end),
        "t_lo": t_lo,
        "t_adopted": _local_midnight(year_first) if year_first in (adopted_lo, lo) else t_lo,
        "t_hi": None if item_facts_unbounded else _local_midnight(end),
        "joint_split": ruleset.joint_split, "direct_share": ruleset.direct_share,
        "rewrite_share": ruleset.rewrite_share, "zero_after_ignored": ruleset.zero_after_ignored,
        "ct_item": ct[Item].pk, "ct_credit": ct[Credit].pk, "ct_instruction": ct[Instruction].pk,
        "ct_target": ct[Target].pk, "ct_shortfall": ct[Shortfall].pk, "ct_lapse": ct[Lapse].pk,
        "ct_rewrite": ct[Rewrite].pk, "ct_adjustment": ct[Adjustment].pk, "ct_unit": ct[Unit].pk,
    }


def check_months(ruleset: RuleSet, first_month: date, last_month: date) -> tuple[date, date]:
    """The months as first days, checked: ValueError unless both lie in the rule set's year, in order."""
    first_month, last_month = month_start(first_month), month_start(last_month)
    if first_month > last_month:
        raise ValueError("the first month comes after the last")
    if first_month.year != ruleset.year or last_month.year != ruleset.year:
        raise ValueError(f"the months must lie in the rule set's year {ruleset.year}")
    return first_month, last_month


# What a rule set's rows are worked out from: its own terms and every field of its rules (a label is printed in each
# row's basis). Changing any of them changes the digest (rules_digest), and a month priced under another digest keeps its
# figures until re-priced (assessment.models.PricedMonth).
RULESET_TERMS = ("counting", "placing", "joint_split", "direct_share", "rewrite_share", "zero_after_ignored",
                 "effective_from")
RULE_TERMS = ("id", "position", "label", "fact", "level", "ptype_id", "combined", "forwarded", "kind", "group", "points",
              "multiplier", "monthly_cap", "quota", "voids_award")


def digest_of(terms: dict, rules: list[dict]) -> str:
    """The SHA-256 of a rule set's terms and rules (values as the database gives them; rules in id order)."""
    text = json.dumps({"terms": {name: terms.get(name) for name in RULESET_TERMS},
                       "rules": sorted(([rule.get(name) for name in RULE_TERMS] for rule in rules), key=lambda r: r[0])},
                      sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def rules_digest(ruleset: RuleSet) -> str:
    """The digest of `ruleset`'s terms and rules as they are in the database now (two small queries)."""
    terms = RuleSet.objects.filter(pk=ruleset.pk).values(*RULESET_TERMS).first() or {}
    return digest_of(terms, list(ruleset.rules.values(*RULE_TERMS)))


def price(*, ruleset: RuleSet, first_month: date, last_month: date, pricing: Pricing,
          keep_months=()) -> tuple[int, int]:
    """Price the facts of `ruleset`'s months first_month..last_month (dates; any day of the month) and apply the
    difference to the ledger, recording `pricing` on the rows it appends and supersedes; rebuild the months' Tally
    rows. Returns (rows added, rows superseded). SPEC §9; how, in the module's docstring.

    `keep_months` (first days): months whose rules changed since they were priced and that no re-pricing has applied
    the change to: there the current rows of a cause stay as they are — only causes new to the ledger get rows (priced
    by the rules as they are now) and the rows of causes gone are superseded (services.pricing_run decides).

    Runs in one transaction (its own, or a savepoint of the caller's), holding a lock per rule set, so two runs of
    one rule set take turns. Raises ValueError for months outside the rule set's year or out of order."""
    first_month, last_month = check_months(ruleset, first_month, last_month)
    params = _params(ruleset=ruleset, first_month=first_month, last_month=last_month, pricing=pricing)
    params["keep"] = [month_start(month) for month in keep_months]
    sql = _Sql(ruleset)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, ruleset.pk])
        # The placing's per-row subqueries inflate the cost estimates past JIT's threshold: compiling then costs more
        # (1–2 s a statement) than the statements themselves.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("DROP TABLE IF EXISTS " + ", ".join(TEMP_TABLES))
        for statement in [*_setup(ruleset), *_facts(sql)]:
            cursor.execute(statement, params)
        cursor.execute("ANALYZE pr_fact")
        for statement in _rows(sql):
            cursor.execute(statement, params)
        cursor.execute("ANALYZE pr_row")
        for statement in APPLY:
            cursor.execute(statement, params)
        cursor.execute(SUPERSEDE, params)
        superseded = cursor.rowcount
        cursor.execute(APPEND, params)
        added = cursor.rowcount
        cursor.execute("DELETE FROM assessment_tally WHERE ruleset_id = %(ruleset)s AND month BETWEEN %(first)s "
                       "AND %(last)s", params)
        cursor.execute(TALLY, params)
        listcache.changed(f"assessment:{ruleset.pk}")  # selectors.figures_scope_name: the kept sheets drawn anew
        cursor.execute("DROP TABLE " + ", ".join(TEMP_TABLES))
    return added, superseded


def months_regrouped(*, ruleset: RuleSet) -> date | None:
    """The earliest month whose kept tallies put a unit in another group than `group_sql` gives it under the rule set's
    office now (its kind or level changed since, or the tallies were written by an older grouping); None when
    none does. The routine pricing reaches back to it (services.routine_months), so the ranking, the 通报 and the rules
    with a group condition follow the units' groups as they are. One statement over the rule set's tallies."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(t.month) FROM assessment_tally t JOIN infohub_unit u ON u.id = t.unit_id "
            f"WHERE t.ruleset_id = %s AND t.\"group\" <> {group_sql('u', ruleset.office.level)}", [ruleset.pk])
        return cursor.fetchone()[0]


def months_touched(*, ruleset: RuleSet, since: datetime) -> date | None:
    """The earliest month of the rule set's year whose figures facts recorded (or withdrawn) since `since` may change:
    a late adoption or instruction lands in its item's month under the FILED and OPEN placings, a withdrawn lapse or
    shortfall leaves its month. None when nothing was recorded. For the routine pricing (tasks), so a late fact is
    priced where it lands. A few indexed queries."""
    year_first = date(ruleset.year, 1, 1)
    with_item = ruleset.placing != RuleSet.Placing.FACT
    tz = timezone.get_default_timezone()
    times = []
    credits = Credit.objects.filter(signed_at__gte=since)
    instructions = Instruction.objects.filter(created_at__gte=since)
    lapses = Lapse.objects.filter(created_at__gte=since) | Lapse.objects.filter(withdrawn_at__gte=since)
    if with_item:
        times.append(Item.objects.filter(pk__in=credits.values("source_item_id")).order_by("submitted_at")
                     .values_list("submitted_at", flat=True).first())
        times.append(Item.objects.filter(instructions__in=instructions).order_by("submitted_at")
                     .values_list("submitted_at", flat=True).first())
        times.append(lapses.exclude(item=None).order_by("item__submitted_at").values_list("item__submitted_at",
                                                                                          flat=True).first())
    times.append(credits.order_by("signed_at").values_list("signed_at", flat=True).first())
    times.append(instructions.order_by("written_at").values_list("written_at", flat=True).first())
    times.append(lapses.order_by("created_at").values_list("created_at", flat=True).first())
    shortfalls = Shortfall.objects.filter(created_at__gte=since) | Shortfall.objects.filter(withdrawn_at__gte=since)
    times.append(shortfalls.order_by("occurred_at").values_list("occurred_at", flat=True).first())
    months = [month_start(t.astimezone(tz).date()) for t in times if t is not None]
    return min((max(m, year_first) for m in months if m.year <= ruleset.year), default=None)
