"""Before 0007's constraints a chase's event time (or, in the admin, its due time) could be typed in year 1 or 9999,
and stored. A time before year 1 in UTC (year 1 in Beijing time) or after 9999 cannot be read back: the chase list
answered 500, and every sweep whose batch met the row failed (issue 17). Repair every time out of the range
2000–2100 before the constraints are added, without reading those values but as text:

* a chase's event time is cleared (it is optional), its due time becomes its clock's (or 60 minutes after it was
  recorded);
* a clock's start or due time becomes the time the clock was created, its reminders are dropped, and the clock is
  quarantined with what was stored, so that an administrator looks at it before the sweep moves it again.

Each repair is written to the audit log.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import migrations
from django.db.models import F, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

FROM, UNTIL = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def out_of_range(name: str) -> Q:
    return Q(**{f"{name}__lt": FROM}) | Q(**{f"{name}__gte": UNTIL})


def repair(apps, schema_editor):
    Chase, Clock = apps.get_model("alerts", "Chase"), apps.get_model("alerts", "Clock")
    AuditLog = apps.get_model("infohub", "AuditLog")
    now, audits = timezone.now(), []

    def audit(object_type, pk, action, reason, data):
        audits.append(AuditLog(action=action, object_type=object_type, object_id=str(pk), reason=reason, data=data))

    for pk, was in (Chase.objects.filter(out_of_range("event_time")).annotate(was=Cast("event_time", TextField()))
                    .values_list("pk", "was")):
        Chase.objects.filter(pk=pk).update(event_time=None)
        audit("alerts.chase", pk, "chase.repair", f"The event time {was} lay out of range: cleared.",
              {"field": "event_time", "was": was})
    for pk, was, recorded in (Chase.objects.filter(out_of_range("due_at")).annotate(was=Cast("due_at", TextField()))
                              .values_list("pk", "was", "created_at")):
        clock_due = (Clock.objects.filter(chase_id=pk).exclude(out_of_range("due_at"))
                     .values_list("due_at", flat=True).first())
        due = clock_due or recorded + timedelta(minutes=settings.INFOHUB_CHASE_MINUTES)
        Chase.objects.filter(pk=pk).update(due_at=due)
        audit("alerts.chase", pk, "chase.repair", f"The due time {was} lay out of range: set to {due.isoformat()}.",
              {"field": "due_at", "was": was, "now": due.isoformat()})

    clocks = list(Clock.objects.filter(out_of_range("started_at") | out_of_range("due_at"))
                  .annotate(started=Cast("started_at", TextField()), due=Cast("due_at", TextField()))
                  .values_list("pk", "started", "due"))
    ids = [pk for pk, _started, _due in clocks]
    Clock.objects.filter(pk__in=ids).filter(out_of_range("started_at")).update(started_at=F("created_at"))
    Clock.objects.filter(pk__in=ids).filter(out_of_range("due_at")).update(due_at=F("created_at"))
    for pk, started, due in clocks:
        error = (f"DataError: the clock stored times out of range (counted from {started}, due {due}). Migration "
                 f"alerts 0006 set them to the time the clock was created and dropped its reminders. Check the clock; "
                 f"once released, the sweep breaches it if that time has passed.")
        Clock.objects.filter(pk=pk).update(remind_at=None, remind_key="", reminder_plan=[], quarantined_at=now,
                                           quarantine_error=error)
        audit("alerts.clock", pk, "clock.quarantine", error.split(". ")[0] + ".",
              {"job": "migration alerts 0006", "started_at": started, "due_at": due})
    AuditLog.objects.bulk_create(audits)


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0005_quarantine'),
        ('infohub', '0002_auditlog_append_only'),
    ]

    operations = [
        migrations.RunPython(repair, migrations.RunPython.noop),
    ]
