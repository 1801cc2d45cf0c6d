"""Pages for drafting and filing items. Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from infohub import access, listcache, params
from infohub.downloads import content_disposition
from infohub.errors import ActionRefused
from infohub.models import Level, Role, Unit
from infohub.pagination import CappedPaginator
from infohub.roles import unit_ids_where

from . import deadlines, selectors, services
from .forms import ItemForm
from .models import Category, Item, Outcome, Urgency
from .permissions import EDIT, WITHDRAW, may_follow_up


def item_url(item):
    return reverse("submissions:item_detail", args=[item.pk])


# Where an item stands (Item.outcome…), as the item list filters it: its furthest step, or the highest level that
# adopted it (an adoption counts whatever happened after it).
OUTCOME_CHOICES = {
    "in_review": (_l("In review upstream"), Q(status=Item.Status.SIGNED_OFF, outcome=Outcome.IN_REVIEW)),
    "adopted": (_l("Adopted (any level)"), ~Q(adopted_level="")),
    **{f"adopted_{level}": (format_lazy(_l("Adopted up to {level}"), level=Level(level).label), Q(adopted_level=level))
       for level in (Level.CENTRAL, Level.PROVINCE, Level.CITY)},
    "not_adopted": (_l("Not adopted"), Q(outcome=Outcome.NOT_ADOPTED)),
    "merged": (_l("Merged into a composite"), Q(outcome=Outcome.MERGED)),
    "returned": (_l("Returned for revision"), Q(status=Item.Status.RETURNED)),
}
OUTCOME_FILTERS = {key: q for key, (_label, q) in OUTCOME_CHOICES.items()}

SORTS = {
    "updated": "-updated_at",
    "oldest": "updated_at",
    "title": "title",
    "urgency": "urgency",
    "filed": "-submitted_at",
}


def _keep_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, so the page re-renders with what was typed."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# The item list counts and pages no further than this, as the inbox (infohub.pagination.CappedPaginator): a city
# office sees tens of thousands of items, and counting them cost more than the page; "1000+" says as much.
LIST_COUNTED = 1000

# What a row of the item list shows (templates/jinja2/submissions/item_rows.html), fetched as values() with the
# deadline it races (`racing_due`): no model instances, no joins (units are named from infohub.tree.unit_names), and
# none of an item's long columns (body, search vector) read.
LIST_COLUMNS = (
    "id", "title", "classification", "report_kind", "follow_up_number", "source_unit_id", "category", "urgency",
    "status", "return_reason", "outcome", "outcome_trail", "outcome_reason", "outcome_composite_id", "updated_at",
    "racing_due",
)


@login_required
def item_list(request):
    q, sort = request.GET.get("q", ""), request.GET.get("sort", "")
    status, category, urgency, outcome = (request.GET.get(k, "") for k in ("status", "category", "urgency", "outcome"))
    by_relevance = bool(q.strip()) and sort not in SORTS  # a search, and no sort chosen: the most relevant first
    shown_sort = "relevance" if by_relevance else sort or "updated"

    def listing():
        base = Item.objects.all()
        # The access rule and the search are both answered by one index (infohub.access: the item's access keys).
        items = access.visible(request.user, selectors.item_search(base, q))
        if status in Item.Status.values:
            items = items.filter(status=status)
        if outcome in OUTCOME_FILTERS:
            items = items.filter(OUTCOME_FILTERS[outcome])
        if category in Category.values:
            items = items.filter(category=category)
        if urgency in Urgency.values:
            items = items.filter(urgency=urgency)
        if by_relevance:
            # Ranked among the latest matches (selectors.ranked_recent); counted up to them, "1000+" when more.
            cap, matched = selectors.SEARCH_RANKED, items
            items = selectors.ranked_recent(base, items, q)
        else:
            items = items.order_by(SORTS.get(sort, "-updated_at"), "-id")
            cap, matched = LIST_COUNTED, items
        rows = items.annotate(racing_due=deadlines.racing_due()).values(*LIST_COLUMNS)
        paginator = CappedPaginator(rows, 25, cap=cap)
        paginator._seen = matched.order_by()[: cap + 1].count()
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)  # the rows, fetched once, named below and drawn by item_rows
        selectors.name_composites(request.user, page.object_list)
        return render_to_string("submissions/_item_listing.html", {"page": page}, request)

    # Kept in Redis until an item the person may see changes (infohub.listcache: the holders of their access keys),
    # so paging back, refreshing or asking the same search again costs no search.
    keys = access.keys_seen_by(request.user, Item)
    scopes = [listcache.NAMES, *listcache.holders(keys)]
    return render(
        request,
        "submissions/item_list.html",
        {
            "listing": listcache.rendered("items", scopes, (keys, *listcache.reader_key(request)), listing),
            "statuses": Item.Status.choices,
            "outcomes": [(key, label) for key, (label, _q) in OUTCOME_CHOICES.items()],
            "categories": Category.choices,
            "urgencies": Urgency.choices,
            "sorts": SORTS,
            "current": {"status": status, "category": category, "urgency": urgency, "sort": shown_sort,
                        "q": q, "outcome": outcome},
        },
    )


@login_required
def item_create(request):
    units = Unit.objects.filter(pk__in=unit_ids_where(request.user, Role.CLERK))
    if not units:
        messages.error(request, _("Only an information officer can draft items."))
        return redirect("home")
    form = ItemForm(request.POST or None, request.FILES or None, units=units, extend_for=request.user,
                    query=request.GET)
    return _save_form(
        request, form, None,
        lambda: services.item_create(actor=request.user, unit=form.cleaned_data["source_unit"], data=form.content(),
                                     files=form.cleaned_data["attachments"]),
        saved=_("Draft saved."),
    )


@login_required
def item_edit(request, pk):
    item = selectors.item_for(request.user, pk, read="edit" if request.method == "GET" else None)
    if not EDIT.allows(request.user, item):
        messages.error(request, _("This item can no longer be edited here."))
        return redirect(item_url(item))
    form = ItemForm(request.POST or None, request.FILES or None, instance=item, extend_for=request.user)
    if request.method == "GET" and request.GET.get("file"):  # filing was refused: say what it still needs
        _show_filing_errors(form, item)
    return _save_form(
        request, form, item,
        lambda: services.item_update(actor=request.user, item=item, data=form.content(),
                                     expected_revision=form.cleaned_data.get("revision"),
                                     files=form.cleaned_data["attachments"]),
        saved=_("Saved."),
    )


def _save_form(request, form, item, save, *, saved):
    """Run the save service on a valid form; a refusal re-renders the form with everything typed kept.
    "Submit" files the item right after saving it."""
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # the item and what other apps add to its page (submissions.extensions)
                result = save()
                form.save_extensions(actor=request.user, item=result)
        except ValidationError as error:
            _keep_errors(form, error)
        except ActionRefused as refused:
            form.add_error(None, str(refused.message))
        else:
            item = result
            if "submit" in request.POST:
                return _submit_and_redirect(request, item)
            messages.success(request, saved)
            return redirect("submissions:item_edit", pk=item.pk)
    return render(request, "submissions/item_form.html", {
        "form": form, "item": item, "writing": selectors.report_being_written(item),
        "racing": deadlines.racing_of(item) if item else None,
    })


def _show_filing_errors(form, item) -> None:
    """Mark on the (unbound) form each field that filing still needs or refuses, as Item.full_clean_for_filing
    names them; the form shows the stored draft, so everything typed is there beside its error."""
    try:
        item.full_clean_for_filing()
    except ValidationError as error:
        form.full_clean()  # an unbound form: no errors of its own
        form.cleaned_data = {}
        _keep_errors(form, error)


def _submit_and_redirect(request, item):
    try:
        services.item_submit(actor=request.user, item=item)
    except ValidationError:
        # Everything typed is saved in the draft; its form marks each field filing needs.
        messages.error(request, _("The draft is saved. To file it, complete the marked fields."))
        return redirect(reverse("submissions:item_edit", args=[item.pk]) + "?file=1")
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect(item_url(item))
    messages.success(request, _("Filed for sign-off by your unit's director."))
    return redirect(item_url(item))


@login_required
def item_detail(request, pk):
    item = selectors.item_for(request.user, pk, read="page")
    versions = list(item.versions.select_related("edited_by"))
    diff = selectors.version_diff(versions[0], versions[-1]) if len(versions) > 1 else {}
    labels = {name: Item._meta.get_field(name).verbose_name for name in Item.CONTENT_FIELDS}
    chain = selectors.emergency_chain(request.user, item)
    selectors.name_composites(request.user, [item])
    sources, hidden_sources = selectors.composite_sources(request.user, item)
    return render(
        request,
        "submissions/item_detail.html",
        {
            "item": item,
            "attachments": item.attachments.all(),
            "joint_units": [unit.name for unit in item.joint_units.order_by("path")],
            "sources": sources,
            "hidden_sources": hidden_sources,
            "versions": versions,
            "diff": [(labels[name], segments) for name, segments in diff.items()],
            "can_edit": EDIT.allows(request.user, item),
            "can_withdraw": WITHDRAW.allows(request.user, item),
            "history": selectors.item_history(item),
            "chain": chain,
            "can_follow_up": bool(chain) and may_follow_up(request.user, chain[0]),
            "racing": deadlines.racing_of(item),
        },
    )


@login_required
def item_print(request, pk):
    item = selectors.item_for(request.user, pk, read="print")
    return render(request, "submissions/item_print.html", {"item": item})


@login_required
@require_POST
def item_submit(request, pk):
    item = selectors.item_for(request.user, pk)
    return _submit_and_redirect(request, item)


@login_required
@require_POST
def item_withdraw(request, pk):
    item = selectors.item_for(request.user, pk)
    try:
        services.item_withdraw(actor=request.user, item=item, expected_revision=params.revision(request.POST.get("revision")))
    except ActionRefused as refused:
        messages.error(request, refused.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Withdrawn: the item is a draft again."))
    return redirect(item_url(item))


@login_required
@require_POST
def item_follow_up(request, pk):
    """Start the next follow-up (续报) or the final report (终报) of an emergency and open it for writing."""
    first = selectors.item_for(request.user, pk)
    try:
        draft = services.item_follow_up(actor=request.user, first=first, final=request.POST.get("final") == "1")
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect(item_url(first))
    return redirect("submissions:item_edit", pk=draft.pk)


@login_required
def attachment_download(request, pk, attachment_pk):
    item = selectors.item_for(request.user, pk, read="attachment")
    attachment = get_object_or_404(item.attachments, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
    response["Content-Disposition"] = content_disposition(
        attachment.original_name, fallback=f"item-{item.pk}-attachment-{attachment.pk}")
    return response


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    item = selectors.item_for(request.user, pk)
    attachment = get_object_or_404(item.attachments, pk=attachment_pk)
    try:
        services.attachment_remove(actor=request.user, attachment=attachment)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Attachment removed."))
    return redirect("submissions:item_edit", pk=item.pk)
