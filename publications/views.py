"""Pages of publications: the list, starting and compiling an issue, review and signature, the print view,
exports with their progress, and a unit's adopted items with the publications that used them."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from infohub import access, listcache, params
from infohub.downloads import content_disposition
from infohub.errors import ActionRefused
from infohub.pagination import page_of_rows
from infohub.roles import unit_ids_where
from infohub.rows import choices_of
from infohub.tree import unit_names, units_reporting_to
from submissions.models import Category, Item
from submissions.selectors import item_for

from . import permissions, selectors, services
from .models import DistributionKind, IssueExport, IssueKind

PAGE_SIZE = 25


def _revision(request) -> int | None:
    """The revision the page was drawn at; a value that is none refuses the action (ActionRefused) with why."""
    try:
        return params.revision(request.POST.get("revision"))
    except ValidationError as error:
        raise ActionRefused(error.messages[0]) from None


def _back(issue, anchor: str = ""):
    return redirect(reverse("publications:issue_detail", args=[issue.pk]) + anchor)


@login_required
def issue_list(request):
    tab = request.GET.get("tab", "")
    tab = tab if tab in selectors.TABS else ""
    ptype, year = request.GET.get("type", ""), request.GET.get("year", "")
    issues = selectors.issue_list(request.user, tab=tab, ptype=ptype, year=year)
    page = Paginator(issues, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "publications/issue_list.html", {
        "page": page, "tab": tab, "type": ptype, "year": year,
        "types": selectors.types_visible_to(request.user).order_by("office__path", "name"),
        "startable": selectors.types_to_start(request.user),
        "kinds": IssueKind.choices,
        "tabs": [("", _("All I may read")), ("received", _("Sent to my units")), ("office", _("My offices' issues")),
                 ("to_review", _("Awaiting my review")), ("to_sign", _("Awaiting my signature"))],
    })


@login_required
@require_POST
def issue_start(request):
    ptype = selectors.type_for(request.user, request.POST.get("type"))
    try:
        issue = services.issue_start(actor=request.user, ptype=ptype, kind=request.POST.get("kind", IssueKind.REGULAR))
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("publications:issue_list")
    messages.success(request, _("A new issue of %(type)s: add the adopted items it will carry.") % {"type": ptype})
    return _back(issue)


def _candidate_filters(request) -> dict:
    return {key: request.GET.get(key, "").strip() for key in ("q", "category", "sender")}


@login_required
def issue_detail(request, pk):
    """The issue: compiled here by its editors (with the adopted items to add), reviewed and signed here, read
    here by its recipients."""
    return _issue_page(request, pk)


def _issue_page(request, pk, *, typed: dict | None = None, status: int = 200):
    """The issue's page; `typed`: what the editor typed into its details form, shown again after a refusal so that
    nothing typed is lost."""
    issue = selectors.issue_for(request.user, pk, read="page" if request.method == "GET" else None)
    entries = selectors.entries_of(issue)
    user = request.user
    may = {action: permissions.allows(action, user, issue)
           for action in ("compile", "submit", "review", "sign", "return")}
    recipients = selectors.recipients_of(issue)
    context = {
        "issue": issue, "entries": entries, "may": may, "recipients": recipients, "typed": typed,
        "problems": selectors.problems_of(issue, entries) if not issue.is_signed else [],
        # the issue as printed, shown to whoever does not compile it
        "doc": None if may["compile"] else selectors.printable(issue, entries=entries, recipients=recipients),
        "exports": selectors.current_exports(issue),
        "credits": list(selectors.credits_visible_to(user).filter(issue=issue).order_by("entry__position", "id"))
        if issue.is_signed else [],
    }
    if may["compile"]:
        filters = _candidate_filters(request)

        def listing() -> str:
            hops = selectors.candidates(user, issue, **filters)
            names, marks = unit_names(), choices_of(Item, "classification")
            page = page_of_rows(hops, request.GET.get("page"), PAGE_SIZE, selectors.CANDIDATE_COLUMNS, cap=1000)
            for row in page.object_list:
                row["source_unit"] = names[row["item__source_unit_id"]]
                row["mark"] = marks.get(row["item__classification"], row["item__classification"])
            return render_to_string("publications/_candidates.html", {
                "page": page, "hop_url": reverse("reviews:hop_detail", args=[0]).removesuffix("0/")}, request)

        # Kept in Redis until the office's hops, the publication's items or the names change (infohub.listcache):
        # the same for every compiler of the office with the same clearance, query string and language.
        scopes = [listcache.NAMES, listcache.office(issue.office_id), selectors.publication_scope(issue.ptype_id)]
        key = (issue.office_id, issue.ptype_id, *listcache.reader_key(request))
        context.update({
            "candidates": listcache.rendered("publication-candidates", scopes, key, listing),
            "filters": filters, "categories": Category.choices,
            "senders": units_reporting_to([issue.office_id]),
            "kinds": DistributionKind.choices,
            "units": selectors.distribution_units(issue),
            "distribution_json": json.dumps([{"kind": r.kind, "unit": r.unit_id, "label": r.label}
                                             for r in recipients], ensure_ascii=False),
        })
    return render(request, "publications/issue_detail.html", context, status=status)


def _act(request, pk, action, done: str, anchor: str = ""):
    issue = selectors.issue_for(request.user, pk)
    try:
        action(issue)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        if done:
            messages.success(request, done)
    return _back(issue, anchor)


@login_required
@require_POST
def entry_add(request, pk):
    def add(issue):
        try:
            item = item_for(request.user, request.POST.get("item"))
        except Http404:  # the issue is seen: say so about the item, and stay on the page
            raise ActionRefused(_("No such item.")) from None
        services.issue_add_item(actor=request.user, issue=issue, item=item, expected_revision=_revision(request))
    return _act(request, pk, add, _("Added."), "#entries")


@login_required
@require_POST
def entry_change(request, pk, entry_pk):
    """One item of the issue: its title here, moving it up or down, or taking it out."""
    op = request.POST.get("op", "title")

    def change(issue):
        kwargs = {"actor": request.user, "issue": issue, "entry_id": entry_pk, "expected_revision": _revision(request)}
        if op == "remove":
            services.issue_remove_entry(**kwargs)
        elif op in ("up", "down"):
            services.issue_move_entry(**kwargs, offset=-1 if op == "up" else 1)
        else:
            services.issue_retitle_entry(**kwargs, title=request.POST.get("title", ""))
    done = {"remove": _("Taken out of the issue."), "up": "", "down": ""}.get(op, _("Title changed for this issue."))
    return _act(request, pk, change, done, "#entries")


@login_required
@require_POST
def issue_order(request, pk):
    """A drag in the browser sends the whole order; answers JSON for the script, or goes back to the page."""
    issue = selectors.issue_for(request.user, pk)
    ids = request.POST.getlist("entries") or request.POST.get("order", "").split(",")
    try:
        issue = services.issue_reorder(actor=request.user, issue=issue, entry_ids=ids,
                                       expected_revision=_revision(request))
    except ActionRefused as refused:
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"detail": str(refused.message), "code": refused.code}, status=refused.status_code)
        messages.error(request, refused.message)
        return _back(issue, "#entries")
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"revision": issue.revision})
    return _back(issue, "#entries")


@login_required
@require_POST
def issue_edit(request, pk):
    """The editor's note and copies, or the distribution."""
    def edit(issue):
        if "distribution" in request.POST:
            rows = json.loads(request.POST["distribution"] or "[]")
            if request.POST.get("add_unit"):
                rows.append({"kind": request.POST.get("add_kind"), "unit": request.POST.get("add_unit"),
                             "label": request.POST.get("add_label", "")})
            drop = request.POST.get("drop", "")
            rows = [r for index, r in enumerate(rows) if str(index) != drop]
            services.issue_set_distribution(actor=request.user, issue=issue, recipients=rows,
                                            expected_revision=_revision(request))
        else:
            services.issue_update(actor=request.user, issue=issue, editor_note=request.POST.get("editor_note", ""),
                                  copies=_copies(request.POST.get("copies")), expected_revision=_revision(request))
    if "distribution" in request.POST:
        return _act(request, pk, edit, _("Saved."), "#details")
    try:
        edit(selectors.issue_for(request.user, pk))
    except ActionRefused as refused:  # shown again with what was typed, not thrown away
        messages.error(request, refused.message)
        typed = {"editor_note": request.POST.get("editor_note", ""), "copies": request.POST.get("copies", "")}
        return _issue_page(request, pk, typed=typed, status=refused.status_code)
    messages.success(request, _("Saved."))
    return _back(selectors.issue_for(request.user, pk), "#details")


def _copies(value) -> int | None:
    """The copies typed; a value that is no whole number is refused by the service's range check (as 0)."""
    if value in (None, ""):
        return None
    try:
        return forms.IntegerField(max_value=params.BIGINT_MAX).clean(value)
    except ValidationError:
        return 0


@login_required
@require_POST
def issue_act(request, pk, action):
    actions = {
        "submit": (lambda i: services.issue_submit(actor=request.user, issue=i, expected_revision=_revision(request)),
                   _("Submitted for review.")),
        "review": (lambda i: services.issue_review(actor=request.user, issue=i, expected_revision=_revision(request)),
                   _("Reviewed: the issue waits for its signature.")),
        "sign": (lambda i: services.issue_sign(actor=request.user, issue=i, expected_revision=_revision(request)),
                 _("Signed: the issue has its number and has gone to its recipients.")),
        "return": (lambda i: services.issue_return(actor=request.user, issue=i, reason=request.POST.get("reason", ""),
                                                   expected_revision=_revision(request)),
                   _("Returned to its editor with your reason.")),
        "discard": (lambda i: services.issue_discard(actor=request.user, issue=i), ""),
    }
    if action not in actions:
        raise Http404
    if action == "discard":
        issue = selectors.issue_for(request.user, pk)
        try:
            services.issue_discard(actor=request.user, issue=issue)
        except ActionRefused as refused:
            messages.error(request, refused.message)
            return _back(issue)
        messages.success(request, _("The issue was discarded."))
        return redirect("publications:issue_list")
    run, done = actions[action]
    return _act(request, pk, run, done)


@login_required
def issue_print(request, pk):
    issue = selectors.issue_for(request.user, pk, read="print")
    return render(request, "publications/issue_print.html", {"issue": issue, "doc": selectors.printable(issue)})


# --- exports ------------------------------------------------------------------------------------------------------


def _format(fmt: str) -> str:
    if fmt not in IssueExport.Format.values:
        raise Http404
    return fmt


@login_required
def export(request, pk, fmt):
    """POST asks for the file (made by a worker); GET shows its progress (the page polls itself with htmx) and
    offers the download when it is ready."""
    fmt = _format(fmt)
    issue = selectors.issue_for(request.user, pk)
    if request.method == "POST":
        try:
            services.export_request(actor=request.user, issue=issue, fmt=fmt)
        except ActionRefused as refused:
            messages.error(request, refused.message)
            return _back(issue)
        return redirect("publications:export", pk=issue.pk, fmt=fmt)
    job = selectors.current_export(issue, fmt)
    context = {"issue": issue, "fmt": fmt, "job": job, "label": IssueExport.Format(fmt).label}
    if request.htmx:
        response = render(request, "publications/_export_progress.html", context)
        if job and job.state == IssueExport.State.DONE:
            response["HX-Refresh"] = "false"
        return response
    return render(request, "publications/export.html", context)


@login_required
def download(request, pk, fmt):
    """The file of the issue's current revision, if made; otherwise to the page that makes it."""
    fmt = _format(fmt)
    issue = selectors.issue_for(request.user, pk, read="download")
    job = selectors.current_export(issue, fmt)
    if job is None or job.state != IssueExport.State.DONE or not job.file:
        return redirect("publications:export", pk=issue.pk, fmt=fmt)
    content_type = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "pdf": "application/pdf"}[fmt]
    fallback = selectors.export_ascii_name(issue, fmt)
    response = FileResponse(job.file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(job.filename or fallback, fallback=fallback)
    return response


# --- a unit's adopted items ---------------------------------------------------------------------------------------


@login_required
def adopted(request):
    """My units' items adopted somewhere, each with the offices that adopted it and the publications that used it."""
    unit, q = request.GET.get("unit", ""), request.GET.get("q", "")
    page = Paginator(selectors.adopted_items(request.user, unit=unit, q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    units = [(pk, unit_names()[pk]) for pk in sorted(unit_ids_where(request.user, *access.SOURCE_ROLES))]
    return render(request, "publications/adopted.html", {"page": page, "unit": unit, "q": q, "units": units})
