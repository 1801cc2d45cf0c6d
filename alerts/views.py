"""Pages of the emergency rules: the duty officers' urgent queue, a clock, chasing, and the lapse records."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from infohub import listcache, params
from infohub.errors import ActionRefused
from infohub.models import Role, Unit
from infohub.pagination import page_of_rows
from infohub.roles import unit_ids_where
from submissions.selectors import item_for

from . import selectors, services
from .forms import ChaseForm, LapseForm, PhoneReportForm
from .models import Lapse
from .permissions import ON_DUTY
from .templatetags.queue_rows import QUEUE_COLUMNS, queue_rows

QUEUE_SIZE = 50
QUEUE_COUNT_CAP = 1000  # past a thousand open deadlines the exact number tells a duty officer nothing
WALL_SIZE = 10  # rows a 1920×1080 wall screen shows in type read across the room


@login_required
def queue(request):
    """The urgent queue. htmx asks again every few seconds for the rows alone: those it gets without a count or
    the page around them (no context processors either), as every open page asks all day."""
    clocks, now = selectors.urgent_queue(request.user), timezone.now()

    def rows_alone():
        start = (params.page(request.GET.get("page")) - 1) * QUEUE_SIZE
        rows = clocks.values(*QUEUE_COLUMNS)[start:start + QUEUE_SIZE]
        return render_to_string("alerts/_queue_rows.html", {"rows": rows, "now": now})

    def rows_and_pages():
        page = page_of_rows(clocks, request.GET.get("page"), QUEUE_SIZE, QUEUE_COLUMNS, cap=QUEUE_COUNT_CAP)
        return (render_to_string("alerts/_queue_rows.html", {"rows": page.object_list, "now": now}),
                render_to_string("includes/pagination.html", {"page": page}, request), page.number)

    offices = unit_ids_where(request.user, Role.DUTY_OFFICER)
    scopes = [listcache.NAMES, *map(listcache.office, sorted(offices))]
    key = (sorted(offices), *listcache.reader_key(request))
    # Kept rows show "time left" as of up to ten seconds ago; the page's script recounts it every second.
    if request.htmx:
        return HttpResponse(listcache.rendered("queue-rows", scopes, key, rows_alone, renew_after=10))
    rows, pagination, number = listcache.rendered("queue", scopes, key, rows_and_pages, renew_after=10)
    return render(request, "alerts/queue.html", {
        "rows": rows, "pagination": pagination, "page_number": number, "is_duty": bool(offices),
        "refresh_seconds": settings.INFOHUB_QUEUE_REFRESH_SECONDS,
    })


@login_required
def wall(request):
    """The urgent queue on a wall screen (SPEC §10: read across the duty room, with sound): no navigation, the
    WALL_SIZE deadlines with least time left in large type, and how many are open, overdue and not acknowledged in
    all. htmx asks again every few seconds for the rows and the counts (swapped out of band), kept as the queue's
    rows are (infohub.listcache: drawn anew when ten seconds old or when a clock of the offices changes)."""
    clocks = selectors.urgent_queue(request.user)

    def rows_and_counts():
        now = timezone.now()
        rows = clocks.values(*QUEUE_COLUMNS)[:WALL_SIZE]
        return (render_to_string("alerts/_queue_rows.html", {"rows": rows, "now": now}),
                selectors.queue_counts(clocks, now))

    offices = unit_ids_where(request.user, Role.DUTY_OFFICER)
    scopes = [listcache.NAMES, *map(listcache.office, sorted(offices))]
    key = (sorted(offices), *listcache.reader_key(request))
    rows, counts = listcache.rendered("wall-rows", scopes, key, rows_and_counts, renew_after=10)
    context = {"rows": rows, "counts": counts, "wall_size": WALL_SIZE}
    if request.htmx:
        return HttpResponse(rows + render_to_string("alerts/_wall_counts.html", {**context, "oob": True}))
    return render(request, "alerts/wall.html", {
        **context, "offices": Unit.objects.filter(pk__in=offices).order_by("path"),
        "refresh_seconds": settings.INFOHUB_QUEUE_REFRESH_SECONDS,
    })


def _clock_page(request, clock, phone_form=None, status=200):
    return render(request, "alerts/clock_detail.html", {
        "clock": clock,
        "escalations": clock.escalations.order_by("created_at"),
        "is_duty": ON_DUTY.allows(request.user, clock),
        "composite": selectors.merged_into(request.user, clock),
        "phone_form": phone_form or PhoneReportForm(),
    }, status=status)


@login_required
def clock_detail(request, pk):
    clock = selectors.clock_for(request.user, pk, read="clock")
    if clock.is_quarantined:
        messages.warning(request, _(
            "The sweep set this deadline aside at %(when)s after an error: it is not marked late, reminded or "
            "escalated automatically until an administrator releases it. The administrators have been told.") % {
            "when": timezone.localtime(clock.quarantined_at).strftime("%m-%d %H:%M")})
    return _clock_page(request, clock)


@login_required
@require_POST
def acknowledge(request, pk):
    clock = selectors.clock_for(request.user, pk)
    try:
        clock = services.acknowledge(actor=request.user, clock=clock)
    except ActionRefused as refused:
        if request.htmx:
            return HttpResponse(refused.message, status=refused.status_code)
        messages.error(request, refused.message)
        return redirect("alerts:clock_detail", pk=clock.pk)
    if request.htmx:  # the row, redrawn in place
        row = selectors.urgent_queue(request.user).filter(pk=clock.pk).values(*QUEUE_COLUMNS)
        return HttpResponse(queue_rows(row, timezone.now()))
    messages.success(request, _("Acknowledged."))
    return redirect("alerts:queue")


@login_required
@require_POST
def phone_report(request, pk):
    clock = selectors.clock_for(request.user, pk)
    form = PhoneReportForm(request.POST)
    if form.is_valid():
        try:
            written = services.phone_report(actor=request.user, clock=clock, note=form.cleaned_data["note"])
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Phone report logged; the written report is due by %(due)s.")
                             % {"due": timezone.localtime(written.due_at).strftime("%H:%M")})
            return redirect("alerts:clock_detail", pk=written.pk)
    return _clock_page(request, clock, form, status=400)


@login_required
def chase_list(request):
    page = Paginator(selectors.chases_visible_to(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "alerts/chase_list.html", {
        "page": page, "can_chase": bool(unit_ids_where(request.user, Role.DUTY_OFFICER))})


@login_required
def chase_create(request):
    offices = Unit.objects.filter(pk__in=unit_ids_where(request.user, Role.DUTY_OFFICER))
    units = selectors.chaseable_units(request.user)
    form = ChaseForm(request.POST or None, offices=offices, units=units,
                     initial={"minutes": settings.INFOHUB_CHASE_MINUTES})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.chase_record(actor=request.user, office=data["office"], unit=data["unit"],
                                  channel=data["channel"], summary=data["summary"], event_time=data["event_time"],
                                  minutes=data["minutes"])
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Chase recorded; %(unit)s has been told to report.") % {"unit": data["unit"]})
            return redirect("alerts:chase_list")
    if not offices:
        messages.error(request, _("Only duty officers chase reports."))
        return redirect("alerts:chase_list")
    return render(request, "alerts/chase_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def lapse_list(request):
    lapses = selectors.lapses_visible_to(request.user)
    kind = request.GET.get("kind", "")
    if kind in Lapse.Kind.values:
        lapses = lapses.filter(kind=kind)
    page = Paginator(lapses, 50).get_page(request.GET.get("page"))
    return render(request, "alerts/lapse_list.html", {
        "page": page, "kind": kind, "kinds": Lapse.Kind.choices, "totals": selectors.lapse_totals(lapses)})


@login_required
def lapse_create(request, item_pk):
    """An editor of an office that received the item records a false (误报) or concealed (瞒报) report."""
    item = item_for(request.user, item_pk)
    if not selectors.may_record_lapse(request.user, item):
        messages.error(request, _("Only an editor of an office that received this item can record it."))
        return redirect("submissions:item_detail", pk=item.pk)
    form = LapseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lapse_record(actor=request.user, item=item, **form.cleaned_data)
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Recorded against %(unit)s.") % {"unit": item.source_unit})
            return redirect("alerts:lapse_list")
    return render(request, "alerts/lapse_form.html", {"form": form, "item": item}, status=400 if form.errors else 200)
