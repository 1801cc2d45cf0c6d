from datetime import date, datetime, time

from django.contrib import admin, messages
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import calendar
from .models import CalendarDay, Notice, Shortfall
from .sweep import REGISTERED


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["day", "is_working_day", "name"]
    list_filter = ["is_working_day"]
    date_hierarchy = "day"
    search_fields = ["name"]

    def changelist_view(self, request, extra_context=None):
        first, last = calendar.library_years()
        note = gettext("chinese-calendar knows the holidays and 调休 working days of %(first)d–%(last)d. Enter days "
                       "here for later years (once the State Council announces them) or to override a day; for a "
                       "year nobody entered, Monday to Friday count as working days. Due dates already set keep the "
                       "day they were given.") % {"first": first, "last": last}
        for year, count in unknown_year_dues().items():
            messages.warning(request, ngettext(
                "%(count)d open matter is due in %(year)d, whose public holidays and 调休 days neither chinese-calendar "
                "nor this table knows: its working days were counted Monday to Friday. Enter %(year)d's days here "
                "(holidays as days off, 调休 weekends as working days).",
                "%(count)d open matters are due in %(year)d, whose public holidays and 调休 days neither "
                "chinese-calendar nor this table knows: their working days were counted Monday to Friday. Enter "
                "%(year)d's days here (holidays as days off, 调休 weekends as working days).", count)
                % {"count": count, "year": year})
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": note})


def unknown_year_dues() -> dict[int, int]:
    """{year: open obligations due in it} for the years nobody knows (calendar.year_unknown) in which open obligations
    of any registered kind (督办, 约稿) are due. One statement per registered kind."""
    first, last = calendar.library_years()
    zone = calendar.local_zone()
    known = (datetime.combine(date(first, 1, 1), time.min, tzinfo=zone),
             datetime.combine(date(last + 1, 1, 1), time.min, tzinfo=zone))
    counts: dict[int, int] = {}
    for model in REGISTERED:
        rows = (model.objects.filter(answered_at__isnull=True, closed_at__isnull=True).order_by()
                .exclude(due_at__gte=known[0], due_at__lt=known[1])
                .annotate(year=ExtractYear("due_at", tzinfo=calendar.local_zone())).values("year")
                .annotate(n=Count("pk")).values_list("year", "n"))
        for year, n in rows:
            counts[year] = counts.get(year, 0) + n
    return {year: n for year, n in sorted(counts.items()) if calendar.year_unknown(year)}


@admin.register(Shortfall)
class ShortfallAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "unit", "office", "subject", "due_at", "working_days_late", "created_at",
                    "withdrawn_at"]
    list_filter = ["kind"]
    raw_id_fields = ["unit", "office", "person", "withdrawn_by"]
    readonly_fields = ["kind", "unit", "office", "person", "content_type", "object_id", "subject", "due_at",
                       "occurred_at", "working_days_late", "withdrawn_at", "withdrawn_reason", "withdrawn_by"]

    def has_add_permission(self, request):
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["id", "content_type", "object_id", "key", "recipients", "created_at"]
    readonly_fields = ["content_type", "object_id", "key", "recipients"]

    def has_add_permission(self, request):
        return False


def sweep_health(model) -> str:
    """One line for a concrete obligation's admin page: its sweep's health and rows set aside."""
    job = REGISTERED.get(model)
    if job is None:
        return ""
    try:
        health = job.health()
    except Exception as error:
        return gettext("Follow-up sweep: health unknown (%(error)s).") % {"error": type(error).__name__}
    last = (timezone.localtime(datetime.fromisoformat(health["last_pass"])).strftime("%Y-%m-%d %H:%M:%S")
            if health["last_pass"] else "—")
    status = {"ok": gettext("running"), "stale": gettext("STALE: no pass for %(seconds)s s"),
              "failing": gettext("FAILING: %(error)s"), "never": gettext("no pass on record")}.get(
        health["status"], health["status"]) % {"seconds": health.get("seconds_since"), "error": health.get("error", "")}
    return gettext("Follow-up sweep: %(status)s; last successful pass %(last)s; set aside after an error: "
                   "%(quarantined)d.") % {"status": status, "last": last, "quarantined": health["quarantined"]}


class ObligationAdmin(admin.ModelAdmin):
    """Base admin of a concrete obligation: read-only (the services move it), its sweep's health on the list, and the
    release of rows the sweep set aside."""

    actions = ["release"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": sweep_health(self.model)})

    @admin.action(permissions=["change"], description=_("Release: the follow-up sweep takes the rows again (after repair)"))
    def release(self, request, queryset):
        job = REGISTERED[self.model]
        released = job.release(queryset, actor=request.user)
        if released:
            self.message_user(request, ngettext("%(count)d row released.", "%(count)d rows released.", released)
                              % {"count": released}, messages.SUCCESS)
        else:
            self.message_user(request, gettext("None of these rows was set aside."), messages.WARNING)
