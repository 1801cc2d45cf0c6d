"""Pages of the review chain: sign-off, the editor's inbox, a hop's workspace, forwarding, lineage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from infohub import listcache, params
from infohub.errors import ActionRefused
from infohub.models import Role
from infohub.pagination import page_of_rows
from infohub.roles import unit_ids_where
from submissions import deadlines
from submissions.extensions import item_notes
from submissions.forms import ItemForm
from submissions.models import Category, Item, Urgency
from submissions.selectors import composite_sources, item_for, version_diff

from . import selectors, services
from .forms import InboxFilters
from .models import Hop
from .permissions import REVIEW, SIGN_FORWARD, SIGN_OFF

PAGE_SIZE = 25


def _refused(request, refused: ActionRefused) -> None:
    messages.error(request, refused.message)


def _revision(request) -> int | None:
    """The revision the form was drawn at; a value that is none refuses the action (ActionRefused) with why."""
    try:
        return params.revision(request.POST.get("revision"))
    except ValidationError as error:
        raise ActionRefused(error.messages[0]) from None


# --- unit sign-off ------------------------------------------------------------------------------------------


# A sign-off row shows the body (to read it in place) but none of the item's other long fields; the unit is
# named from infohub.tree.unit_names, the author as User.__str__ names them.
SIGNOFF_COLUMNS = (
    "id", "title", "body", "classification", "urgency", "submitted_at", "source_unit_id",
    "created_by__display_name", "created_by__first_name", "created_by__last_name", "created_by__username",
    "report_kind", "follow_up_number", "outcome_trail", "outcome_reason",
)


@login_required
def signoff_list(request):
    units = unit_ids_where(request.user, Role.DIRECTOR)

    def listing():
        page = page_of_rows(selectors.signoff_queue(request.user), request.GET.get("page"), PAGE_SIZE, SIGNOFF_COLUMNS)
        deadlines.add_racing_due(page.object_list)  # the deadline each first report races (a query if any)
        return render_to_string(
            "reviews/_signoff_listing.html",
            # Links are the prefix reversed once plus the id: reversing per row is a visible share of a long list.
            {"page": page, "signoff_url": reverse("reviews:signoff_list")},
            request,
        )

    scopes = [listcache.NAMES, *map(listcache.unit, sorted(units))]
    key = (sorted(units), *listcache.reader_key(request))
    return render(request, "reviews/signoff_list.html", {"listing": listcache.rendered("signoff", scopes, key, listing)})


@login_required
@require_POST
def signoff_batch(request):
    ids = params.object_ids(request.POST.getlist("items"))
    if not ids:
        messages.error(request, _("Tick the items to sign off first."))
        return redirect("reviews:signoff_list")
    results = services.signoff_batch(actor=request.user, item_ids=ids)
    done = sum(r.ok for r in results)
    if done:
        messages.success(request, _("%(n)d item(s) signed off and sent upward.") % {"n": done})
    for result in results:
        if not result.ok:
            messages.error(request, _("Item %(id)s: %(reason)s") % {"id": result.item_id, "reason": result.message})
    return redirect("reviews:signoff_list")


@login_required
def signoff_detail(request, pk):
    item = item_for(request.user, pk, read="signoff")
    return render(request, "reviews/signoff_detail.html", {
        "item": item, "can_sign_off": SIGN_OFF.allows(request.user, item), "racing": deadlines.racing_of(item)})


@login_required
@require_POST
def signoff_approve(request, pk):
    item = item_for(request.user, pk)
    try:
        services.signoff_approve(actor=request.user, item=item, expected_revision=_revision(request))
    except ActionRefused as refused:
        _refused(request, refused)
        return redirect("reviews:signoff_detail", pk=item.pk)
    messages.success(request, _("Signed off: “%(title)s” is on its way upward.") % {"title": item.title})
    return redirect("reviews:signoff_list")


@login_required
@require_POST
def signoff_return(request, pk):
    item = item_for(request.user, pk)
    try:
        services.signoff_return(actor=request.user, item=item, reason=request.POST.get("reason", ""),
                                expected_revision=_revision(request))
    except ActionRefused as refused:
        _refused(request, refused)
        return redirect("reviews:signoff_detail", pk=item.pk)
    messages.success(request, _("Returned to the clerk with your reason."))
    return redirect("reviews:signoff_list")


# --- the editor's inbox and a hop's workspace ----------------------------------------------------------------


INBOX_TABS = {
    "received": Hop.Status.RECEIVED,
    "adopted": Hop.Status.ADOPTED,
    "not_adopted": Hop.Status.NOT_ADOPTED,
    "returned": Hop.Status.RETURNED,
    "merged": Hop.Status.MERGED,
}


# What an inbox row shows, fetched as plain values: no model instances for a list (and never the body). Units
# are named from infohub.tree.unit_names, not joined.
INBOX_COLUMNS = (
    "id", "item_id", "received_at", "sender_id", "item__title", "item__urgency", "item__classification", "item__category",
    "item__source_unit_id", "item__report_kind", "item__follow_up_number", "item__outcome_trail",
    "item__outcome_reason", "item__outcome_composite_id",
)


@login_required
def inbox(request):
    tab = request.GET.get("tab", "received")
    filters = InboxFilters(request.GET).filters()
    shown = {key: request.GET.get(key, "") for key in InboxFilters.base_fields}  # as typed, for the form

    def listing():
        hops = selectors.inbox_for(request.user, status=INBOX_TABS.get(tab, Hop.Status.RECEIVED), filters=filters,
                                   deadlines=False)
        page = page_of_rows(hops, request.GET.get("page"), PAGE_SIZE, INBOX_COLUMNS)
        notes = item_notes([row["item_id"] for row in page.object_list])  # e.g. the topic request it answers
        for row in page.object_list:
            row["notes"] = notes.get(row["item_id"], ())
        deadlines.add_racing_due(page.object_list, item="item_id", kind="item__report_kind")  # a query if any
        return render_to_string("reviews/_inbox_listing.html", {
            "page": page, "tab": tab, "hop_url": reverse("reviews:hop_detail", args=[0]).removesuffix("0/"),
        }, request)

    offices = unit_ids_where(request.user, Role.EDITOR)
    if "older_than_hours" in filters:  # what it shows changes with the clock alone
        rows = listing()
    else:
        scopes = [listcache.NAMES, *map(listcache.office, sorted(offices))]
        rows = listcache.rendered("inbox", scopes, (sorted(offices), *listcache.reader_key(request)), listing)
    return render(
        request,
        "reviews/inbox.html",
        {
            "listing": rows,
            "tab": tab,
            "tabs": [(key, Hop.Status(value).label) for key, value in INBOX_TABS.items()],
            "filters": shown,
            "categories": Category.choices,
            "urgencies": Urgency.choices,
            "senders": selectors.senders_for(request.user),
        },
    )


@login_required
def hop_detail(request, pk):
    hop = selectors.hop_for(request.user, pk, read="hop")
    item = hop.item
    versions = list(item.versions.select_related("edited_by"))
    diff = version_diff(versions[0], versions[-1]) if len(versions) > 1 else {}
    labels = {name: Item._meta.get_field(name).verbose_name for name in Item.CONTENT_FIELDS}
    sources, hidden_sources = composite_sources(request.user, item)
    return render(
        request,
        "reviews/hop_detail.html",
        {
            "hop": hop,
            "item": item,
            "attachments": item.attachments.all(),
            "sources": sources,
            "hidden_sources": hidden_sources,
            "versions": versions,
            "diff": [(labels[name], segments) for name, segments in diff.items()],
            "can_review": REVIEW.allows(request.user, hop),
            "can_sign_forward": SIGN_FORWARD.allows(request.user, hop),
            "adoptions": Hop.Adoption.choices,
            # the deadline it races while this office holds it (awaiting review, or adopted and not yet sent up)
            "racing": deadlines.racing_of(item) if hop.status in (Hop.Status.RECEIVED, Hop.Status.ADOPTED)
            and hop.forward != Hop.Forward.FORWARDED else None,
        },
    )


@login_required
def hop_edit(request, pk):
    hop = selectors.hop_for(request.user, pk, read="edit" if request.method == "GET" else None)
    form = ItemForm(request.POST or None, instance=hop.item)
    del form.fields["attachments"]
    if request.method == "POST" and form.is_valid():
        try:
            services.review_edit(actor=request.user, hop=hop, data=form.content(),
                                 expected_revision=form.cleaned_data.get("revision"))
        except ValidationError as error:
            form.add_error(None, error)
        except ActionRefused as refused:
            form.add_error(None, str(refused.message))
        else:
            messages.success(request, _("Edited: the change is kept as a new version."))
            return redirect("reviews:hop_detail", pk=hop.pk)
    return render(request, "reviews/hop_edit.html", {"form": form, "hop": hop, "item": hop.item})


@login_required
@require_POST
def hop_act(request, pk, action):
    hop = selectors.hop_for(request.user, pk)
    reason = request.POST.get("reason", "")
    actions = {
        "adopt": lambda: services.review_adopt(actor=request.user, hop=hop, adoption=request.POST.get("adoption", ""),
                                               expected_revision=_revision(request)),
        "not_adopt": lambda: services.review_not_adopt(actor=request.user, hop=hop, reason=reason,
                                                 expected_revision=_revision(request)),
        "return": lambda: services.review_return(actor=request.user, hop=hop, reason=reason,
                                                 expected_revision=_revision(request)),
        "forward": lambda: services.forward_request(actor=request.user, hop=hop, expected_revision=_revision(request)),
        "forward_sign": lambda: services.forward_signoff(actor=request.user, hop=hop),
        "forward_decline": lambda: services.forward_decline(actor=request.user, hop=hop, reason=reason),
    }
    done = {
        "adopt": _("Adopted."),
        "not_adopt": _("Marked not adopted; the unit sees your reason."),
        "return": _("Returned to the unit for revision."),
        "forward": _("Proposed for reporting upward; waiting for the director's signature."),
        "forward_sign": _("Signed: the item has gone to the next office up."),
        "forward_decline": _("Declined: the item stays adopted here."),
    }
    if action not in actions:
        return redirect("reviews:hop_detail", pk=hop.pk)
    try:
        actions[action]()
    except ActionRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, done[action])
    if action.startswith("forward_"):
        return redirect("reviews:forward_list")
    return redirect("reviews:hop_detail", pk=hop.pk)


@login_required
def merge(request):
    ids = params.object_ids(request.POST.getlist("hops"))
    hops = [selectors.hop_for(request.user, pk) for pk in ids]
    if request.method == "POST" and "title" in request.POST:
        try:
            composite = services.review_merge(actor=request.user, hops=hops, title=request.POST["title"],
                                              body=request.POST.get("body", ""))
        except ActionRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Composite item written; its sources stay linked and credited."))
            return redirect("reviews:hop_detail", pk=composite.pk)
    if len(hops) < 2:
        messages.error(request, _("Choose at least two items to merge."))
        return redirect(reverse("reviews:inbox"))
    body = request.POST.get("body") or "\n\n".join(f"{h.item.source_unit.name}：{h.item.body}" for h in hops)
    title = request.POST.get("title") or hops[0].item.title
    return render(request, "reviews/merge.html", {"hops": hops, "title": title, "body": body})


# --- likely duplicates (SPEC §3), drawn by htmx after the page they sit on ------------------------------------


def _duplicates_panel(request, suggestions, *, template: str, **context):
    """The panel of suggestions, or nothing at all when there are none (the page keeps no empty box)."""
    if not suggestions:
        return HttpResponse("")
    return render(request, template, {"suggestions": suggestions, **context})


@login_required
def item_duplicates(request, pk):
    """Items likely on the same event as item `pk` that the reader may see, each with one-click "same event" and,
    where both await review at the reader's office, "merge". A fragment for the item and review pages."""
    item = item_for(request.user, pk)
    return _duplicates_panel(request, selectors.suggestions_for(request.user, [item]),
                             template="reviews/_duplicates.html", item=item,
                             can_mark=services.may_mark_same_event(request.user, item))


@login_required
def inbox_duplicates(request):
    """Likely duplicates among the items on the inbox page being read (its query string: tab, filters, page), each
    pair once: a fragment the inbox asks for after it is drawn, so the list itself costs nothing more."""
    if INBOX_TABS.get(request.GET.get("tab", "received")) != Hop.Status.RECEIVED:
        return HttpResponse("")
    hops = selectors.inbox_for(request.user, filters=InboxFilters(request.GET).filters())
    page = page_of_rows(hops, request.GET.get("page"), PAGE_SIZE, ("item_id",))
    items = list(Item.objects.filter(pk__in=[row["item_id"] for row in page.object_list])
                 .select_related("source_unit").defer("search_document"))
    suggestions = [s for s in selectors.suggestions_for(request.user, items) if not s.duplicate.linked]
    return _duplicates_panel(request, suggestions, template="reviews/_inbox_duplicates.html")


@login_required
@require_POST
def same_event(request, pk):
    """Mark item `pk` and the item `other` (POST) as one event. htmx gets the mark in place of the button."""
    item = item_for(request.user, pk)
    try:
        other = selectors.other_item_for(request.user, request.POST.get("other"))
        services.same_event_mark(actor=request.user, item=item, other=other)
    except ActionRefused as refused:
        if request.htmx:
            return HttpResponse(refused.message, status=refused.status_code)
        _refused(request, refused)
    else:
        if request.htmx:
            return render(request, "reviews/_same_event_marked.html")
        messages.success(request, _("Marked as reports of the same event."))
    back = request.POST.get("next", "")
    return redirect(back if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) and
                    back.startswith("/") else reverse("submissions:item_detail", args=[item.pk]))


# --- forwarding sign-off and lineage ------------------------------------------------------------------------


@login_required
def forward_list(request):
    page = Paginator(selectors.forward_queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/forward_list.html", {"page": page})


@login_required
def lineage(request, pk):
    return render(request, "reviews/lineage.html", {"lineage": selectors.lineage_of(request.user, pk)})

