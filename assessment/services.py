"""Every write of the assessment app that feeds the ledger (SPEC §9), one function per use case: asking for a pricing
run and running it, adjustments, rewritten items, putting a rule set in force. Each writes its audit row in its own
transaction and schedules the pricing after it commits. The 通报 documents have services of their own."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from infohub import listcache
from infohub.models import Unit, User
from infohub.services import audit_record
from infohub.text import clean_text
from infohub.tree import is_within
from publications.models import Credit
from submissions.models import Item

from . import pricing, selectors
from .models import Adjustment, PricedMonth, Pricing, Rewrite, RuleSet

MAX_ADJUSTMENT = Decimal("9999.99")


def _months(ruleset: RuleSet, first_month: date, last_month: date) -> tuple[date, date]:
    try:
        return pricing.check_months(ruleset, first_month, last_month)
    except ValueError:
        raise ValidationError({"first_month": _(
            "Choose months of %(year)d, the first not after the last.") % {"year": ruleset.year}}) from None


RUN_PRICING = "assessment.tasks.run_pricing"  # the task, by name: tasks.py imports this module, not the reverse


def _schedule(pricing_id: int) -> None:
    from celery import current_app

    transaction.on_commit(lambda: current_app.tasks[RUN_PRICING].delay(pricing_id))


def pricing_request(*, ruleset: RuleSet, first_month: date, last_month: date, actor: User | None, reason: str = "",
                    kind: str = Pricing.Kind.ROUTINE) -> Pricing:
    """Ask for a pricing run of `ruleset`'s months first_month..last_month (dates; any day of the month), recorded
    with who asked and why, and run by a Celery task after the transaction commits (SPEC §9: a rule change re-prices
    a chosen period, and the re-pricing is itself recorded).

    A re-pricing (kind REPRICE) needs a reason. Idempotent against double clicks and overlapping beats: while an
    identical run (same rule set, kind and months) is queued or running, that run is returned and nothing is added.
    Raises ValidationError naming `first_month` (months outside the rule set's year or out of order) or `reason`."""
    first_month, last_month = _months(ruleset, first_month, last_month)
    reason = clean_text(reason or "").strip()
    if kind not in Pricing.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of pricing run.")})
    if kind == Pricing.Kind.REPRICE and not reason:
        raise ValidationError({"reason": _("Say why the period is re-priced: the reason stays with the run.")})
    with transaction.atomic():
        RuleSet.objects.select_for_update().filter(pk=ruleset.pk).first()  # requests of a rule set take turns
        same = Pricing.objects.filter(ruleset=ruleset, kind=kind, first_month=first_month, last_month=last_month,
                                      state__in=[Pricing.State.QUEUED, Pricing.State.RUNNING]).first()
        if same is not None:
            return same
        run = Pricing.objects.create(ruleset=ruleset, kind=kind, first_month=first_month, last_month=last_month,
                                     reason=reason, requested_by=actor)
        audit_record(actor=actor, action="pricing.request", obj=run, to_state=run.state, reason=reason,
                     data={"ruleset": ruleset.pk, "kind": kind, "first_month": first_month.isoformat(),
                           "last_month": last_month.isoformat()})
        _schedule(run.pk)
    return run


def pricing_run(pricing_id: int) -> Pricing | None:
    """Run a queued pricing (the Celery task's body): mark it running, price its months (assessment.pricing.price)
    and mark it done with the rows added and superseded — all in one transaction, so a run that dies leaves the ledger
    as it was and the run queued to be taken again. A run that raises is marked failed with the error (in a
    transaction of its own) and the error re-raised. Returns the run, or None when it is gone or not queued (done,
    failed, or taken by another worker).

    A rule change reaches the months already priced only through a re-pricing (REPRICE: asked for with a reason, by
    someone): a ROUTINE run leaves the months priced under other rules as they are (selectors.unrepriced_months) — it
    prices the facts new to the ledger there, under the rules as they are, and supersedes the rows of facts gone — and
    prices every other month in full. The months priced in full are recorded with the rules' digest (PricedMonth); the
    months kept are named in the run's audit row."""
    try:
        with transaction.atomic():
            run = (Pricing.objects.select_for_update(skip_locked=True).select_related("ruleset__office")
                   .filter(pk=pricing_id, state=Pricing.State.QUEUED).first())
            if run is None:
                return None
            run.state, run.started_at = Pricing.State.RUNNING, timezone.now()
            run.save(update_fields=["state", "started_at"])
            digest = pricing.rules_digest(run.ruleset)
            kept = [] if run.kind == Pricing.Kind.REPRICE else selectors.unrepriced_months(
                run.ruleset, run.first_month, run.last_month, digest=digest)
            run.added, run.superseded = pricing.price(ruleset=run.ruleset, first_month=run.first_month,
                                                      last_month=run.last_month, pricing=run, keep_months=kept)
            run.state, run.finished_at = Pricing.State.DONE, timezone.now()
            run.save(update_fields=["state", "finished_at", "added", "superseded"])
            _record_priced(run, digest, kept)
            audit_record(actor=None, action="pricing.done", obj=run, from_state=Pricing.State.QUEUED,
                         to_state=run.state, data={"added": run.added, "superseded": run.superseded,
                                                   "kept_as_priced": [m.isoformat() for m in kept]})
        return run
    except Exception as error:
        with transaction.atomic():
            updated = Pricing.objects.filter(pk=pricing_id, state=Pricing.State.QUEUED).update(
                state=Pricing.State.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"[:4000])
            if updated:
                audit_record(actor=None, action="pricing.failed", obj=Pricing(pk=pricing_id),
                             from_state=Pricing.State.QUEUED, to_state=Pricing.State.FAILED, reason=str(error)[:500])
        raise


def _record_priced(run: Pricing, digest: str, kept: list[date]) -> None:
    """The months `run` priced in full (all but `kept`) are now priced under the rules of `digest`."""
    months = [m for m in selectors.months_of(run.first_month, run.last_month) if m not in kept]
    PricedMonth.objects.bulk_create(
        [PricedMonth(ruleset_id=run.ruleset_id, month=m, rules_digest=digest, pricing=run, priced_at=run.finished_at)
         for m in months],
        update_conflicts=True, unique_fields=["ruleset", "month"],
        update_fields=["rules_digest", "pricing", "priced_at"])


def ruleset_rules_changed(*, ruleset: RuleSet, actor: User, before: str) -> list[date]:
    """The rules of `ruleset` were changed (saved in the admin; `before`: pricing.rules_digest before the change):
    recorded in the audit log (who, when, the months concerned), and the figures' kept pages drawn anew. The months
    already priced keep their figures until a re-pricing with a reason (the admin's "重新计算一段时间的得分") applies the
    change; the pages say "办法已修改，尚未重新计分" on them; the routine runs price the new facts under the rules as they
    are. Returns those months (none when nothing that prices changed)."""
    after = pricing.rules_digest(ruleset)
    if after == before:
        return []
    months = selectors.unrepriced_months(ruleset, digest=after)
    with transaction.atomic():
        audit_record(actor=actor, action="ruleset.rules_change", obj=ruleset,
                     reason=_("Rules changed; the months already priced keep their figures until re-priced."),
                     data={"before": before, "after": after, "months": [m.isoformat() for m in months]})
        listcache.changed(selectors.figures_scope_name(ruleset))
    return months


def _parse_points(points) -> Decimal:
    try:
        value = Decimal(clean_text(str(points)).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"points": _("Give the points as a number, e.g. 5 or -2.5.")}) from None
    if not value.is_finite() or value == 0 or abs(value) > MAX_ADJUSTMENT or value != value.quantize(Decimal("0.01")):
        raise ValidationError({"points": _(
            "Give a number of points other than 0, at most %(max)s either way, to two decimal places.")
            % {"max": MAX_ADJUSTMENT}})
    return value


def adjustment_check(*, ruleset: RuleSet, unit: Unit, month: date, points, reason: str) -> tuple[date, Decimal, str]:
    """(month, points, reason) of an adjustment, normalised (the month's first day; the points a Decimal of two places,
    full-width digits read; the reason's text cleaned), or ValidationError naming `unit` (not assessed under the rule
    set: outside its office's jurisdiction, or the office itself), `month` (not of its year), `points` (not a number,
    0, beyond ±9999.99 or finer than a cent) or `reason` (empty). The admin's form asks it before adjustment_make."""
    errors = {}
    reason = clean_text(reason or "").strip()
    try:
        value = _parse_points(points)
    except ValidationError as error:
        errors.update(error.message_dict)
        value = None
    if not reason:
        errors["reason"] = [_("Say why the points are adjusted.")]
    if unit.pk == ruleset.office_id or not is_within(unit, ruleset.office):
        errors["unit"] = [_("%(unit)s is not assessed under this rule set.") % {"unit": unit}]
    if month is None or month.year != ruleset.year:
        errors["month"] = [_("Choose a month of %(year)d.") % {"year": ruleset.year}]
    if errors:
        raise ValidationError(errors)
    return pricing.month_start(month), value, reason


def adjustment_make(*, ruleset: RuleSet, unit: Unit, month: date, points, reason: str, actor: User) -> Adjustment:
    """The office adds or takes off points by hand, with its reason (SPEC §9: an award for a report the leaders
    praised, a correction): an Adjustment, priced as it is (ADJUSTMENT). The month is re-priced after commit (a
    ROUTINE run), so the figures show it. Raises ValidationError as adjustment_check."""
    month, value, reason = adjustment_check(ruleset=ruleset, unit=unit, month=month, points=points, reason=reason)
    with transaction.atomic():
        adjustment = Adjustment.objects.create(ruleset=ruleset, unit=unit, month=month, points=value, reason=reason,
                                               made_by=actor)
        audit_record(actor=actor, action="assessment.adjust", obj=adjustment, reason=reason,
                     data={"ruleset": ruleset.pk, "unit": unit.pk, "month": month.isoformat(), "points": str(value)})
        pricing_request(ruleset=ruleset, first_month=month, last_month=month, actor=actor,
                        reason=_("Adjustment: %(reason)s") % {"reason": reason[:100]})
    return adjustment


def _months_of_item(item: Item) -> date:
    """The earliest month the item's facts land in under any placing: its filing, or its first use."""
    first_use = Credit.objects.filter(source_item=item).aggregate(at=Min("signed_at"))["at"]
    times = [t for t in (item.submitted_at, first_use) if t is not None]
    return pricing.month_start(timezone.localdate(min(times))) if times else pricing.month_start(timezone.localdate())


def rewrite_check(*, item: Item, office: Unit) -> None:
    """ValidationError naming `item` unless `office` may be marked as having rewritten it: a filed item, not the
    office's own; or naming `office` when it is no office (a committee or government office)."""
    if item.submitted_at is None:
        raise ValidationError({"item": _("Only a filed item can be marked as rewritten.")})
    if item.source_unit_id == office.pk:
        raise ValidationError({"item": _("An office does not rewrite its own item.")})
    if not office.is_office:
        raise ValidationError({"office": _("%(unit)s is no office: only an office rewrites the items it uses.")
                               % {"unit": office}})


def rewrite_mark(*, item: Item, office: Unit, actor: User, note: str = "") -> Rewrite:
    """The office marks that it rewrote most of the item before using it: it earns the rule sets' `rewrite_share`
    of the item's adoption points, the item's units the rest (SPEC §9). Once per item and office (marking again
    returns the first mark). Every rule set in force whose jurisdiction holds the office or that prices the item's
    unit is re-priced from the item's month (ROUTINE runs, after commit; REPRICE, its reason saying so, where a month
    was priced under rules changed since: a routine run would keep the adoptions' old rows beside the office's new
    share). Raises ValidationError as rewrite_check."""
    note = clean_text(note or "").strip()[:200]
    rewrite_check(item=item, office=office)
    with transaction.atomic():
        rewrite, created = Rewrite.objects.get_or_create(item=item, office=office,
                                                         defaults={"marked_by": actor, "note": note})
        if not created:
            return rewrite
        audit_record(actor=actor, action="assessment.rewrite", obj=rewrite, reason=note,
                     data={"item": item.pk, "office": office.pk})
        start = _months_of_item(item)
        today = pricing.month_start(timezone.localdate())
        source = item.source_unit
        for ruleset in RuleSet.objects.filter(is_active=True, year__gte=start.year, year__lte=today.year
                                              ).select_related("office"):
            if not (is_within(source, ruleset.office) or is_within(office, ruleset.office)):
                continue
            first = max(start, date(ruleset.year, 1, 1))
            last = min(today, date(ruleset.year, 12, 1))
            if first <= last:
                reason = _("Item rewritten by %(office)s") % {"office": office}
                # A rewrite changes the value of adoptions already priced: where the rules changed since a month was
                # priced, a routine run keeps those rows as they are, so the months are re-priced, the reason recorded
                kind = Pricing.Kind.ROUTINE
                if selectors.unrepriced_months(ruleset, first, last):
                    kind = Pricing.Kind.REPRICE
                    reason += _("; the months priced under rules changed since are re-priced under the rules in force")
                pricing_request(ruleset=ruleset, first_month=first, last_month=last, actor=actor, reason=reason,
                                kind=kind)
    return rewrite


def ruleset_activate(*, ruleset: RuleSet, actor: User, reason: str = "") -> RuleSet:
    """Put a rule set in force for its office and year (SPEC §9): the one in force before it, if any, is taken out of
    force, and the year so far is re-priced under the new rules (a REPRICE run, after commit; the old rule set's rows
    stay in its own ledger). The reason (by default "Rule set put in force") goes with the audit row and the run."""
    reason = clean_text(reason or "").strip() or _("Rule set put in force")
    with transaction.atomic():
        ruleset = RuleSet.objects.select_for_update().select_related("office").get(pk=ruleset.pk)
        if ruleset.is_active:
            return ruleset
        before = list(RuleSet.objects.select_for_update().filter(office=ruleset.office_id, year=ruleset.year,
                                                                  is_active=True))
        RuleSet.objects.filter(pk__in=[r.pk for r in before]).update(is_active=False)
        ruleset.is_active = True
        ruleset.save(update_fields=["is_active"])
        audit_record(actor=actor, action="ruleset.activate", obj=ruleset, from_state="inactive", to_state="active",
                     reason=reason, data={"replaces": [r.pk for r in before]})
        today = pricing.month_start(timezone.localdate())
        first = date(ruleset.year, 1, 1)
        last = min(today, date(ruleset.year, 12, 1))
        if first <= last:
            pricing_request(ruleset=ruleset, first_month=first, last_month=last, actor=actor,
                            reason=reason, kind=Pricing.Kind.REPRICE)
    return ruleset


def routine_months(ruleset: RuleSet, *, today: date | None = None) -> tuple[date, date] | None:
    """The months a routine pricing of `ruleset` covers today: the previous and the current month (those of the
    rule set's year), reaching back to the earliest month that facts recorded since the last routine run may change
    (pricing.months_touched: a late adoption under the FILED or OPEN placing) and to the earliest month whose tallies
    hold a unit in a group it is no longer in (pricing.months_regrouped: priced again, its rules with a group
    condition too). None when none lies in its year."""
    today = today or timezone.localdate()
    this = pricing.month_start(today)
    previous = pricing.month_start(this - timedelta(days=1))
    first, last = max(previous, date(ruleset.year, 1, 1)), min(this, date(ruleset.year, 12, 1))
    last_run = (Pricing.objects.filter(ruleset=ruleset, kind=Pricing.Kind.ROUTINE, state=Pricing.State.DONE)
                .order_by("-started_at").values_list("started_at", flat=True).first())
    if last_run is not None:
        touched = pricing.months_touched(ruleset=ruleset, since=last_run)
        if touched is not None:
            first = min(first, touched)
    regrouped = pricing.months_regrouped(ruleset=ruleset)
    if regrouped is not None:
        first = min(first, regrouped)
    if first > last:
        return None
    return first, last


def routine_pricing(*, today: date | None = None) -> list[Pricing]:
    """Ask for the routine pricing of every rule set in force (the periodic task, every 15 minutes): its
    routine_months. Returns the runs asked for (or found queued already)."""
    runs = []
    for ruleset in RuleSet.objects.filter(is_active=True).select_related("office"):
        months = routine_months(ruleset, today=today)
        if months is not None:
            runs.append(pricing_request(ruleset=ruleset, first_month=months[0], last_month=months[1], actor=None,
                                        kind=Pricing.Kind.ROUTINE))
    return runs
