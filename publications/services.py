"""Every write to a publication, one function per use case.

Each one locks the issue row (`select_for_update`, always the issue before its items, and the items in id order
before the number counters, so two actions never deadlock), checks the actor's right and the issue's state, makes
the change, writes the audit row in the same transaction, and leaves notifications' e-mail and exports to after
the commit.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from infohub import access
from infohub.errors import ActionRefused, IllegalTransition, NotPermitted, StaleRevision
from infohub.models import Unit, User
from infohub.selectors import people_with
from infohub.services import audit_record, notify
from reviews.models import Hop
from submissions.models import Item

from . import permissions, selectors
from .models import (
    Credit,
    Delivery,
    DistributionKind,
    Entry,
    Issue,
    IssueCounter,
    IssueExport,
    IssueKind,
    PublicationType,
    Recipient,
)

# --- helpers -----------------------------------------------------------------------------------------------------


def _lock(issue: Issue) -> Issue:
    return (Issue.objects.select_for_update(of=("self",))
            .select_related("ptype", "office", "created_by", "submitted_by", "reviewed_by").get(pk=issue.pk))


def _check_revision(issue: Issue, expected_revision) -> None:
    if expected_revision not in (None, "") and int(expected_revision) != issue.revision:
        raise StaleRevision(_("Someone changed this issue after you opened it. Reload it to see the current "
                              "version, then try again."))


def _changed(issue: Issue, *, actor: User, what: str, data: dict | None = None) -> None:
    """Bump the revision, keep the marks the highest of the items', and record the change."""
    items = list(Item.objects.filter(publication_entries__issue=issue))
    issue.classification, issue.urgency = selectors.highest_marks(issue, items)
    issue.revision += 1
    issue.save(update_fields=["classification", "urgency", "revision", "updated_at"])
    audit_record(actor=actor, action="issue.compile", obj=issue, from_state=issue.status, to_state=issue.status,
                 data={"change": what, **(data or {})})


def _issue_url(issue: Issue) -> str:
    return reverse("publications:issue_detail", args=[issue.pk])


def _entry(issue: Issue, entry_id) -> Entry:
    try:
        return issue.entries.select_related("item").get(pk=int(entry_id))
    except (Entry.DoesNotExist, TypeError, ValueError):
        raise ActionRefused(_("This item is not in the issue (any more).")) from None


def _renumber(issue: Issue, ordered_ids: list[int]) -> None:
    """Positions 1..n in the given order (the positions' unique constraint is checked at commit)."""
    for position, pk in enumerate(ordered_ids, start=1):
        Entry.objects.filter(pk=pk, issue=issue).update(position=position)


# --- starting and compiling -------------------------------------------------------------------------------------


def issue_start(*, actor: User, ptype: PublicationType, kind: str = IssueKind.REGULAR) -> Issue:
    """An editor of the type's office starts an issue; it starts with the type's default distribution and copies."""
    if kind not in IssueKind.values:
        raise ActionRefused(_("Choose a regular issue or a supplement."))
    with transaction.atomic():
        ptype = PublicationType.objects.select_related("office").get(pk=ptype.pk)
        permissions.check("start", actor, ptype)
        if not ptype.is_active:
            raise IllegalTransition(_("%(type)s is no longer published.") % {"type": ptype})
        issue = Issue.objects.create(ptype=ptype, office=ptype.office, kind=kind, created_by=actor,
                                     classification=ptype.classification, copies=ptype.default_copies)
        Recipient.objects.bulk_create([
            Recipient(issue=issue, kind=r.kind, unit_id=r.unit_id, label=r.label, position=r.position)
            for r in ptype.default_recipients.order_by(DistributionKind.in_order(), "position", "id")
        ])
        audit_record(actor=actor, action="issue.start", obj=issue, to_state=issue.status,
                     data={"type": ptype.pk, "kind": kind})
    return issue


def issue_add_item(*, actor: User, issue: Issue, item: Item, expected_revision=None) -> Entry:
    """Add an item adopted at the issue's office, at the end. Not one the issue holds, nor one another issue of the
    same publication holds; not one that is being edited or no longer adopted."""
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("compile", actor, issue)
        _check_revision(issue, expected_revision)
        if not access.may_see(actor, item):
            raise NotPermitted(_("No such item."))
        item = Item.objects.select_related("source_unit").get(pk=item.pk)
        hop = selectors.latest_hops_at(issue.office_id, [item.pk]).get(item.pk)
        if hop is None or hop.status != Hop.Status.ADOPTED:
            raise IllegalTransition(_("Only items adopted at %(office)s can go into its publications.")
                                    % {"office": issue.office})
        if issue.entries.filter(item=item).exists():
            raise IllegalTransition(_("“%(title)s” is already in this issue.") % {"title": item.title})
        elsewhere = (Entry.objects.filter(issue__ptype=issue.ptype, item=item).exclude(issue=issue)
                     .select_related("issue", "issue__ptype").first())
        if elsewhere:
            raise IllegalTransition(_("“%(title)s” is already in %(issue)s.")
                                    % {"title": item.title, "issue": elsewhere.issue.title_label})
        entry = Entry(issue=issue, item=item, hop=hop, added_by=actor,
                      position=(issue.entries.aggregate(n=Max("position"))["n"] or 0) + 1)
        problems = selectors.problems_of(issue, [entry])
        if problems:
            raise IllegalTransition(str(problems[0]))
        entry.save()
        _changed(issue, actor=actor, what="add", data={"item": item.pk})
    return entry


def issue_remove_entry(*, actor: User, issue: Issue, entry_id, expected_revision=None) -> Issue:
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("compile", actor, issue)
        _check_revision(issue, expected_revision)
        entry = _entry(issue, entry_id)
        entry.delete()
        _renumber(issue, list(issue.entries.order_by("position").values_list("pk", flat=True)))
        _changed(issue, actor=actor, what="remove", data={"item": entry.item_id})
    return issue


def issue_reorder(*, actor: User, issue: Issue, entry_ids: list[int], expected_revision=None) -> Issue:
    """Put the items in this order (every item of the issue, each once: a drag in the browser sends them all)."""
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("compile", actor, issue)
        _check_revision(issue, expected_revision)
        current = list(issue.entries.order_by("position").values_list("pk", flat=True))
        try:
            wanted = [int(pk) for pk in entry_ids]
        except (TypeError, ValueError):
            wanted = []
        if sorted(wanted) != sorted(current) or len(set(wanted)) != len(wanted):
            raise StaleRevision(_("The issue's items changed while you were ordering them. Reload it and try "
                                  "again."))
        if wanted != current:
            _renumber(issue, wanted)
            _changed(issue, actor=actor, what="order", data={"order": wanted})
    return issue


def issue_move_entry(*, actor: User, issue: Issue, entry_id, offset: int, expected_revision=None) -> Issue:
    """Move one item up (offset -1) or down (+1)."""
    with transaction.atomic():
        issue = _lock(issue)
        order = list(issue.entries.order_by("position").values_list("pk", flat=True))
        entry = _entry(issue, entry_id)
        at = order.index(entry.pk)
        to = max(0, min(len(order) - 1, at + int(offset)))
        order.insert(to, order.pop(at))
        return issue_reorder(actor=actor, issue=issue, entry_ids=order, expected_revision=expected_revision)


def issue_retitle_entry(*, actor: User, issue: Issue, entry_id, title: str, expected_revision=None) -> Entry:
    """The item's title in this issue (the item itself keeps its own); empty brings back the item's."""
    title = " ".join((title or "").split())
    if len(title) > 120:
        raise ActionRefused(_("A title has at most 120 characters."))
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("compile", actor, issue)
        _check_revision(issue, expected_revision)
        entry = _entry(issue, entry_id)
        title = "" if title == entry.item.title else title
        if title != entry.title:
            entry.title = title
            entry.save(update_fields=["title"])
            _changed(issue, actor=actor, what="title", data={"item": entry.item_id, "title": title})
    return entry


def issue_update(*, actor: User, issue: Issue, editor_note: str | None = None, copies: int | None = None,
                 expected_revision=None) -> Issue:
    """The editor's note (编者按) and the number of copies printed."""
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("compile", actor, issue)
        _check_revision(issue, expected_revision)
        changed = []
        if editor_note is not None and editor_note.strip() != issue.editor_note:
            issue.editor_note = editor_note.strip()
            changed.append("editor_note")
        if copies is not None:
            if int(copies) < 1 or int(copies) > 100000:
                raise ActionRefused(_("The copies printed must be between 1 and 100,000."))
            if int(copies) != issue.copies:
                issue.copies = int(copies)
                changed.append("copies")
        if changed:
            issue.save(update_fields=[*changed, "updated_at"])
            _changed(issue, actor=actor, what="details", data={"fields": changed})
    return issue


def issue_set_distribution(*, actor: User, issue: Issue, recipients: list[dict], expected_revision=None) -> Issue:
    """Replace the issue's distribution: [{"kind": report|send|issue, "unit": id, "label": ""}, …]."""
    rows, seen = [], set()
    for position, row in enumerate(recipients):
        kind, unit_id, label = row.get("kind"), row.get("unit"), " ".join((row.get("label") or "").split())[:60]
        if kind not in DistributionKind.values:
            raise ActionRefused(_("Each line of the distribution is 报, 送 or 发."))
        try:
            unit_id = int(getattr(unit_id, "pk", unit_id))
        except (TypeError, ValueError):
            raise ActionRefused(_("Each line of the distribution names a unit.")) from None
        if (kind, unit_id) in seen:
            continue
        seen.add((kind, unit_id))
        rows.append((kind, unit_id, label, position))
    units = set(Unit.objects.filter(pk__in=[r[1] for r in rows], is_active=True).values_list("pk", flat=True))
    if len(units) != len({r[1] for r in rows}):
        raise ActionRefused(_("No such unit."))
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("compile", actor, issue)
        _check_revision(issue, expected_revision)
        issue.recipients.all().delete()
        Recipient.objects.bulk_create([Recipient(issue=issue, kind=k, unit_id=u, label=label, position=p)
                                       for k, u, label, p in rows])
        _changed(issue, actor=actor, what="distribution", data={"recipients": [[k, u] for k, u, _l, _p in rows]})
    return issue


def issue_discard(*, actor: User, issue: Issue) -> None:
    """Throw away an issue being compiled (it has no number yet, so nothing is skipped)."""
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("compile", actor, issue)
        audit_record(actor=actor, action="issue.compile", obj=issue, from_state=issue.status, to_state="discarded",
                     data={"change": "discard"})
        issue.delete()


# --- review and signature ------------------------------------------------------------------------------------------


def _refuse_problems(issue: Issue, entries: list[Entry]) -> None:
    problems = selectors.problems_of(issue, entries)
    if problems:
        raise IllegalTransition(_("The issue cannot go on while some of its items are not ready: %(problems)s")
                                % {"problems": "；".join(map(str, problems))})


def _tell(issue: Issue, people, verb: str, text: str) -> None:
    notify(recipients=access.who_may_see(people, issue), verb=verb, text=text, url=_issue_url(issue), email=True)


def issue_submit(*, actor: User, issue: Issue, expected_revision=None) -> Issue:
    """The editor submits the issue for review (审核)."""
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("submit", actor, issue)
        _check_revision(issue, expected_revision)
        entries = selectors.entries_of(issue)
        if not entries:
            raise IllegalTransition(_("Add at least one item before submitting the issue."))
        if not issue.recipients.exists():
            raise IllegalTransition(_("Say who receives the issue (报 / 送 / 发) before submitting it."))
        _refuse_problems(issue, entries)
        issue.status, issue.submitted_by, issue.submitted_at = Issue.Status.SUBMITTED, actor, timezone.now()
        issue.return_reason = ""
        issue.revision += 1
        issue.save(update_fields=["status", "submitted_by", "submitted_at", "return_reason", "revision", "updated_at"])
        audit_record(actor=actor, action="issue.submit", obj=issue, from_state=Issue.Status.COMPILING,
                     to_state=issue.status)
        reviewers = people_with(permissions.right("review", issue).role, issue.office_id).exclude(pk=actor.pk)
        _tell(issue, reviewers, "issue.submitted",
              _("To review: %(issue)s") % {"issue": issue.title_label})
    return issue


def issue_review(*, actor: User, issue: Issue, expected_revision=None) -> Issue:
    """The reviewer approves the issue (审核); it waits for the signer."""
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("review", actor, issue)
        _check_revision(issue, expected_revision)
        issue.status, issue.reviewed_by, issue.reviewed_at = Issue.Status.REVIEWED, actor, timezone.now()
        issue.revision += 1
        issue.save(update_fields=["status", "reviewed_by", "reviewed_at", "revision", "updated_at"])
        audit_record(actor=actor, action="issue.review", obj=issue, from_state=Issue.Status.SUBMITTED,
                     to_state=issue.status)
        signers = people_with(permissions.right("sign", issue).role, issue.office_id)
        _tell(issue, signers.exclude(pk=actor.pk), "issue.reviewed", _("To sign: %(issue)s") % {"issue": issue.title_label})
    return issue


def issue_return(*, actor: User, issue: Issue, reason: str, expected_revision=None) -> Issue:
    """The reviewer or the signer sends the issue back to its editor, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused(_("Say why the issue goes back: its editor needs the reason."))
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("return", actor, issue)
        _check_revision(issue, expected_revision)
        from_state = issue.status
        issue.status, issue.return_reason = Issue.Status.COMPILING, reason
        issue.reviewed_by, issue.reviewed_at = None, None
        issue.revision += 1
        issue.save(update_fields=["status", "return_reason", "reviewed_by", "reviewed_at", "revision", "updated_at"])
        audit_record(actor=actor, action="issue.return", obj=issue, from_state=from_state, to_state=issue.status,
                     reason=reason)
        editors = {p for p in (issue.created_by, issue.submitted_by) if p and p.pk != actor.pk}
        _tell(issue, sorted(editors, key=lambda u: u.pk), "issue.returned",
              _("Returned: %(issue)s — %(reason)s") % {"issue": issue.title_label, "reason": reason})
    return issue


def _next_number(ptype: PublicationType, year: int, kind: str) -> int:
    """The next number of a counter row, taken under its row lock in the caller's transaction: a rollback gives
    the number back, a concurrent signature waits for this one to commit."""
    IssueCounter.objects.bulk_create([IssueCounter(ptype=ptype, year=year, kind=kind, last=0)], ignore_conflicts=True)
    counter = IssueCounter.objects.select_for_update().get(ptype=ptype, year=year, kind=kind)
    # Issues entered around the counter (an import of the paper years) must not make the next signature fail: the
    # counter never gives a number at or below one already given. Read under the counter's lock, so it is exact.
    if kind == IssueCounter.Kind.TOTAL:
        given = Issue.objects.filter(ptype=ptype).aggregate(n=Max("total_number"))["n"] or 0
        given -= ptype.total_offset
    else:
        given = Issue.objects.filter(ptype=ptype, year=year, kind=kind).aggregate(n=Max("number"))["n"] or 0
    counter.last = max(counter.last, given) + 1
    counter.save(update_fields=["last"])
    return counter.last


def _shares(count: int) -> list[Decimal]:
    """`count` shares of one, to four places, summing to exactly one (the last takes the remainder)."""
    share = (Decimal(1) / count).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
    return [share] * (count - 1) + [Decimal(1) - share * (count - 1)]


def issue_sign(*, actor: User, issue: Issue, expected_revision=None) -> Issue:
    """The signer signs (签发): the issue gets its number (and cumulative number) from the counters, what it
    prints is frozen, it is delivered to its recipients, who are told, and every item it uses is credited to the
    unit of each of its sources."""
    with transaction.atomic():
        issue = _lock(issue)
        permissions.check("sign", actor, issue)
        _check_revision(issue, expected_revision)
        entries = selectors.entries_of(issue)
        merged = Prefetch("merged_from", queryset=Item.objects.select_related("source_unit"))
        items = {i.pk: i for i in Item.objects.select_for_update(of=("self",)).select_related("source_unit")
                 .prefetch_related(merged).filter(pk__in=[e.item_id for e in entries]).order_by("pk")}
        for entry in entries:
            entry.item = items[entry.item_id]
        if not entries:
            raise IllegalTransition(_("An issue without items cannot be signed."))
        _refuse_problems(issue, entries)
        issue.classification, issue.urgency = selectors.highest_marks(issue, list(items.values()))
        if not actor.may_open(issue.classification):
            raise NotPermitted(_("This issue is above your clearance."))

        now = timezone.now()
        year = timezone.localdate(now).year
        issue.year, issue.issue_date = year, timezone.localdate(now)
        issue.number = _next_number(issue.ptype, year, issue.kind)
        if issue.kind == IssueKind.REGULAR and issue.ptype.numbered_total:
            issue.total_number = _next_number(issue.ptype, 0, IssueCounter.Kind.TOTAL) + issue.ptype.total_offset

        hops = selectors.latest_hops_at(issue.office_id, items)
        credits = []
        for entry in entries:
            item = entry.item
            entry.printed_title = entry.title or item.title
            entry.printed_body = item.body
            entry.printed_sources = selectors.sources_label(item)
            entry.printed_revision = item.revision
            entry.hop = hops[item.pk]
            entry.save(update_fields=["printed_title", "printed_body", "printed_sources", "printed_revision", "hop"])
            sources = sorted(item.merged_from.all(), key=lambda s: s.pk) or [item]
            for source, share in zip(sources, _shares(len(sources)), strict=True):
                credits.append(Credit(
                    issue=issue, entry=entry, item=item, source_item=source, unit_id=source.source_unit_id,
                    share=share, ptype=issue.ptype, office=issue.office, office_level=issue.office.level,
                    adoption=entry.hop.adoption, combined=bool(item.merged_from.all()), issue_kind=issue.kind,
                    year=year, signed_at=now))

        from_state = issue.status
        issue.status, issue.signed_by, issue.signed_at = Issue.Status.SIGNED, actor, now
        issue.revision += 1
        issue.save(update_fields=["status", "signed_by", "signed_at", "year", "issue_date", "number", "total_number",
                                  "classification", "urgency", "revision", "updated_at"])
        Credit.objects.bulk_create(credits)
        units = sorted(set(issue.recipients.values_list("unit_id", flat=True)))
        Delivery.objects.bulk_create([Delivery(issue=issue, unit_id=u, delivered_at=now) for u in units])
        audit_record(actor=actor, action="issue.sign", obj=issue, from_state=from_state, to_state=issue.status,
                     data={"year": year, "number": issue.number, "total_number": issue.total_number,
                           "kind": issue.kind, "items": [e.item_id for e in entries], "recipients": units})
        titles = "、".join(f"“{e.printed_title}”" for e in entries[:3]) + ("等" if len(entries) > 3 else "")
        _tell(issue, selectors.recipients_to_tell(units), "issue.signed",
              _("%(issue)s has been published: %(titles)s") % {"issue": issue.title_label, "titles": titles})
        editors = {p for p in (issue.created_by, issue.submitted_by) if p and p.pk != actor.pk}
        _tell(issue, sorted(editors, key=lambda u: u.pk), "issue.signed_editor",
              _("Signed: %(issue)s") % {"issue": issue.title_label})
        if settings.INFOHUB_PUBLICATION_PREPARE_EXPORTS:
            signed = issue
            transaction.on_commit(lambda: [export_request(actor=None, issue=signed, fmt=f)
                                           for f in IssueExport.Format.values])
    return issue


# --- exports -------------------------------------------------------------------------------------------------------

# A queued export nobody started within this long is sent to the workers again (a worker died with it).
REQUEUE_SECONDS = 120


def export_request(*, actor: User | None, issue: Issue, fmt: str) -> IssueExport:
    """Ask for the .docx or PDF of the issue as it stands now. Made by a Celery worker (tasks.make_export), never in
    the web request; asking again for the same revision gives the same export, and a failed one is tried again.
    The caller has checked that `actor` may see the issue."""
    if fmt not in IssueExport.Format.values:
        raise ActionRefused(_("Choose Word (.docx) or PDF."))
    from .tasks import make_export

    with transaction.atomic():
        export, created = IssueExport.objects.get_or_create(
            issue_id=issue.pk, format=fmt, revision=Issue.objects.values_list("revision", flat=True).get(pk=issue.pk),
            defaults={"requested_by": actor})
        export = IssueExport.objects.select_for_update().get(pk=export.pk)
        stale = (export.state == IssueExport.State.QUEUED
                 and (timezone.now() - export.created_at).total_seconds() > REQUEUE_SECONDS)
        if export.state == IssueExport.State.FAILED or stale:
            export.state, export.progress, export.stage, export.error = IssueExport.State.QUEUED, 0, "", ""
            export.created_at = timezone.now()
            export.save(update_fields=["state", "progress", "stage", "error", "created_at"])
        elif not created:
            return export
        transaction.on_commit(lambda: make_export.delay(export.pk))
    return export
