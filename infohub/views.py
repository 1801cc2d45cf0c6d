"""Pages of the shared core: my profile and units, notifications, health."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_POST

from .selectors import roles_of, unread_notifications


@login_required
def me(request):
    assignments = roles_of(request.user).select_related("unit__upstream", "unit__parent")
    return render(request, "infohub/me.html", {"assignments": assignments})


@login_required
def notifications(request):
    page = Paginator(request.user.notifications.all(), 30).get_page(request.GET.get("page"))
    return render(request, "infohub/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request):
    unread_notifications(request.user).update(read_at=timezone.now())
    return redirect("notifications")


def healthz(request):
    """For load balancers: the database and the cache answer (200, else 503). For monitoring, also the periodic
    jobs' health (infohub.periodic): "sweep" is the worst of their statuses ("ok", "stale", "failing", "never",
    "unknown"), "quarantined" how many rows they set aside after an error, "periodic" each job's details. Those
    do not change the status code: a stopped beat must not take the web servers out of the load balancer."""
    from django.core.cache import cache

    from . import periodic

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        cache.set("healthz", "1", 5)
        checks["redis"] = "ok" if cache.get("healthz") == "1" else "error"
    except Exception as error:
        checks["redis"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    jobs = periodic.health()
    order = ("ok", "never", "stale", "failing", "unknown")
    checks["sweep"] = max((job["status"] for job in jobs.values()), key=order.index, default="ok")
    checks["quarantined"] = sum(job.get("quarantined", 0) for job in jobs.values())
    checks["periodic"] = jobs
    return JsonResponse(checks, status=200 if healthy else 503)


def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon (the API's JSON, files): the site's icon."""
    return redirect(static("favicon.svg"), permanent=True)
