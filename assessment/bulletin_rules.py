"""When a 通报 may be made and issued (SPEC §9; issue 16 point 4) — one rule, one place, read by the request and the issue
(assessment.bulletins), the worker that issues (assessment.bulletin_making) and the bulletin's page, which shows the
reason before anyone clicks: the period over (`not_ended`), something to assess in it (`nothing_to_assess`), issued
once unless corrected (`issued_for`), not priced again since it was generated, no rules changed and not re-priced."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from . import bulletin_figures, selectors
from .models import RANKED_GROUPS, Bulletin, Pricing, RuleSet, Tally


def repriced_after_generation(bulletin: Bulletin) -> bool:
    """Whether a pricing run of the bulletin's rule set changed its period's ledger rows after it was generated (it
    must be generated again before it is issued). The routine runs every 15 minutes mostly change nothing, and
    counting them refused last month's bulletin a quarter of an hour after it was generated. One statement."""
    return (Pricing.objects.filter(ruleset_id=bulletin.ruleset_id, state=Pricing.State.DONE,
                                   finished_at__gt=bulletin.generated_at, first_month__lte=bulletin.last_month,
                                   last_month__gte=bulletin.first_month)
            .exclude(added=0, superseded=0).exists())


def period_end(bulletin: Bulletin) -> dt.date:
    """The first day after the bulletin's period (its last month's end, in Beijing time): from then on it may be
    issued."""
    last = bulletin.last_month
    return dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)


def not_ended(bulletin: Bulletin, *, today: dt.date | None = None) -> str | None:
    """Why the bulletin may not be issued yet, or None: its month, quarter or year has not ended (Asia/Shanghai, the
    office's clock, whatever the reader's). A draft of a period under way may be generated and read — the figures of
    the weeks so far — but a 通报 of a period is issued once the period is over, never on part of it."""
    today = today or timezone.localdate(timezone=timezone.get_default_timezone())
    ends = period_end(bulletin)
    if today >= ends:
        return None
    return _("%(period)s is not over until %(last)s: a draft may be generated and read now, and the bulletin issued "
             "from %(first)s on.") % {
        "period": bulletin_figures.period_label(bulletin.kind, bulletin.first_month),
        "last": bulletin_figures.date_label(ends - dt.timedelta(days=1)),
        "first": bulletin_figures.date_label(ends)}


def nothing_to_assess(ruleset: RuleSet, kind: str, first_month: dt.date, last_month: dt.date) -> str | None:
    """Why no 通报 of the period can be made under `ruleset`, or None: the period ended before the rule set came into
    force (RuleSet.effective_from, 施行日期 — nothing in it was assessed under these rules), or no unit the office ranks
    is priced in it (no Tally of a ranked group: the 通报 would name nobody — no addressee, no recipient — and its
    sentences "各单位均……" would speak of no unit). The one check of the request (bulletin_request), the issue
    (issue_refusal) and the pages. One statement at most."""
    period = bulletin_figures.period_label(kind, first_month)
    ends = dt.date(last_month.year + last_month.month // 12, last_month.month % 12 + 1, 1)
    if ruleset.effective_from and ends <= ruleset.effective_from:
        return _("%(period)s ended before %(ruleset)s came into force on %(date)s: no bulletin is made of a period "
                 "these rules did not assess.") % {
            "period": period, "ruleset": ruleset.name, "date": bulletin_figures.date_label(ruleset.effective_from)}
    if not Tally.objects.filter(ruleset=ruleset, month__gte=first_month, month__lte=last_month,
                                group__in=RANKED_GROUPS).exists():
        return _("No unit ranked by %(office)s is priced in %(period)s: a bulletin would name nobody. Price the "
                 "period first.") % {"office": ruleset.office.name, "period": period}
    return None


def issued_for(ruleset_id: int, kind: str, first_month: dt.date, last_month: dt.date) -> Bulletin | None:
    """The latest bulletin issued for the period (its original or its latest correction), or None. One statement."""
    return (Bulletin.objects.filter(ruleset_id=ruleset_id, kind=kind, first_month=first_month, last_month=last_month,
                                    state=Bulletin.State.ISSUED).order_by("-issued_at", "-id").first())


def issued_already(issued: Bulletin) -> str:
    return _("%(period)s was issued already as %(number)s on %(date)s. A second bulletin of it is a correction "
             "(更正): declare it one, with the reason.") % {
        "period": bulletin_figures.period_label(issued.kind, issued.first_month), "number": issued.number_label,
        "date": bulletin_figures.date_label(timezone.localdate(issued.issued_at))}


def issue_refusal(bulletin: Bulletin) -> str | None:
    """Why the bulletin may not be issued now, or None — the one rule the service (bulletin_issue), the worker's
    check and the page (which shows the reason instead of the 印发 button) share: its period not over (`not_ended`);
    nothing to assess in it (`nothing_to_assess`); the period issued already and this no correction; a correction whose
    original is no longer the latest issued; the period priced again after it was generated; months whose rules
    changed and are not re-priced ("办法已修改，尚未重新计分"). A few statements."""
    if reason := not_ended(bulletin):
        return reason
    if reason := nothing_to_assess(bulletin.ruleset, bulletin.kind, bulletin.first_month, bulletin.last_month):
        return reason
    issued = issued_for(bulletin.ruleset_id, bulletin.kind, bulletin.first_month, bulletin.last_month)
    if issued is not None and issued.pk not in (bulletin.pk, bulletin.corrects_id):
        if bulletin.corrects_id is None:
            return issued_already(issued)
        return _("%(number)s was issued for this period after this correction was asked for: ask for the correction "
                 "again.") % {"number": issued.number_label}
    if bulletin.generated_at and repriced_after_generation(bulletin):
        return _("The period was priced again after this bulletin was generated: generate it again before issuing it.")
    if months := selectors.unrepriced_months(bulletin.ruleset, bulletin.first_month, bulletin.last_month):
        return (_("The rules changed after %(months)s were priced and they are not re-priced yet: re-price them (with "
                  "the reason) and generate the bulletin again before issuing it.")
                % {"months": "、".join(_("Month %(month)d") % {"month": m.month} for m in months)})
    return None
