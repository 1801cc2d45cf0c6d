"""One bad row never stops the deadline sweep (issue 17, point 5).

A clock whose step raises is rolled back alone (a savepoint), quarantined with its error, reported to the
administrators once (in the app and by e-mail), left alone by later sweeps until released in the admin, while every
other due clock is moved on time; /healthz/ and the admin show the sweep's health. And the poison of the issue — a
date in year 1 typed into the chase form — can no longer be typed (form, API), stored (the database's constraints)
or left over (migration alerts 0006 repairs it).
"""

from __future__ import annotations

import importlib
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from alerts import services
from alerts.admin import sweep_health
from alerts.models import Chase, Clock, Escalation, Lapse
from alerts.sweep import SWEEP, sweep_all
from followup.sweep import sweep_all as follow_up_sweep
from infohub.models import AuditLog, Notification, Role
from submissions import services as submissions
from tests.factories import UserFactory, person
from tests.submissions.test_api import client_for

from . import test_faults
from .conftest import NOW, emergency_data, file_emergency

pytestmark = pytest.mark.django_db

celery_processes = test_faults.celery_processes  # the fault tests' real worker and beat (a fixture)

TWO_HOURS = timedelta(hours=2)


@pytest.fixture
def admins(chain):
    """A superuser and a holder of the administrator role; nobody else is an administrator."""
    return [UserFactory(username="root", is_superuser=True, is_staff=True),
            person(chain.net.province, Role.ADMIN, username="jn_admin")]


def two_emergencies(chain):
    """Two counties' emergencies of the same moment: their city clocks fall due together, two hours after NOW."""
    net = chain.net
    poisoned = file_emergency(net, event_time=NOW, title="东湖区化工厂火灾")
    person(net.other_county, Role.DIRECTOR, username="xl_director")
    other = submissions.item_submit(actor=net.other_clerk, item=submissions.item_create(
        actor=net.other_clerk, unit=net.other_county, data=emergency_data(event_time=NOW, title="西岭县山体滑坡")))
    return (Clock.objects.get(item=poisoned, level="city", kind="report"),
            Clock.objects.get(item=other, level="city", kind="report"))


def poison(monkeypatch, clock_id: int) -> list[int]:
    """The breach of one clock raises after it has written its lapse, escalation, notifications and queued its
    e-mail — all of which must be rolled back. Returns the ids of the clocks whose breach was tried."""
    tried, breach = [], services._breach

    def breach_or_fail(clock, **kwargs):
        tried.append(clock.pk)
        breach(clock, **kwargs)
        if clock.pk == clock_id:
            raise RuntimeError("poisoned row")

    monkeypatch.setattr(services, "_breach", breach_or_fail)
    return tried


def quarantine_notices():
    return Notification.objects.filter(verb="periodic.quarantined")


def test_a_poisoned_clock_is_quarantined_while_another_units_clock_breaches_on_time(
    *, chain, duty, admins, traveller, monkeypatch, django_capture_on_commit_callbacks
):
    # given two counties' emergencies due at the same second, the breach of the first one failing
    poisoned, other = two_emergencies(chain)
    tried = poison(monkeypatch, poisoned.pk)
    due = NOW + TWO_HOURS
    traveller.move_to(due + timedelta(seconds=1))
    mail.outbox.clear()

    # when the sweep runs
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep_all()

    # then the other county's clock is late, on time, in this very sweep
    other.refresh_from_db()
    assert (other.state, other.breached_at) == (Clock.State.BREACHED, due + timedelta(seconds=1))
    assert Lapse.objects.filter(clock=other, unit=chain.net.other_county).count() == 1
    assert counts["breached"] == 1 and set(tried) == {poisoned.pk, other.pk}
    # the poisoned one is quarantined with its error, and nothing its failed breach wrote or queued is left
    poisoned.refresh_from_db()
    assert poisoned.state == Clock.State.RUNNING and poisoned.breached_at is None
    assert poisoned.quarantined_at == due + timedelta(seconds=1)
    assert poisoned.quarantine_error.startswith("RuntimeError: poisoned row") and "Traceback" in poisoned.quarantine_error
    assert not Lapse.objects.filter(clock=poisoned).exists()
    assert not Escalation.objects.filter(clock=poisoned).exists()  # neither the breach nor the acknowledgement ladder
    assert not Notification.objects.filter(text__contains="东湖区化工厂火灾", verb="clock.breached").exists()
    late = str(Lapse.Kind.LATE.label)
    assert not [m for m in mail.outbox if "东湖区化工厂火灾" in m.body and m.subject.startswith(late)]
    assert [m for m in mail.outbox if "西岭县山体滑坡" in m.body and m.subject.startswith(late)]
    assert AuditLog.objects.filter(action="clock.quarantine", object_id=str(poisoned.pk)).count() == 1
    # the administrators — and only they — are told once, in the app and by e-mail, with a link to the clock
    told = quarantine_notices()
    assert sorted(told.values_list("recipient__username", flat=True)) == ["jn_admin", "root"]
    assert {n.url for n in told} == {reverse("admin:alerts_clock_change", args=[poisoned.pk])}
    assert all("RuntimeError" in n.text and f"#{poisoned.pk}" in n.text for n in told)
    admin_mail = [m for m in mail.outbox if m.to[0] in {"root@example.invalid", "jn_admin@example.invalid"}]
    assert sorted(m.to[0] for m in admin_mail) == ["jn_admin@example.invalid", "root@example.invalid"]
    assert reverse("admin:alerts_clock_change", args=[poisoned.pk]) in admin_mail[0].body

    # when later sweeps run, the quarantined clock is neither tried nor reported again
    tried.clear()
    for minutes in (1, 20, 60):
        traveller.move_to(due + timedelta(minutes=minutes))
        with django_capture_on_commit_callbacks(execute=True):
            sweep_all()
    assert poisoned.pk not in tried and quarantine_notices().count() == 2
    poisoned.refresh_from_db()
    assert poisoned.state == Clock.State.RUNNING and not Escalation.objects.filter(clock=poisoned).exists()


def test_a_quarantined_clock_still_shows_and_is_released_in_the_admin(
    *, client, chain, duty, admins, traveller, monkeypatch, django_capture_on_commit_callbacks
):
    poisoned, _other = two_emergencies(chain)
    poison(monkeypatch, poisoned.pk)
    traveller.move_to(NOW + TWO_HOURS + timedelta(seconds=1))
    sweep_all()
    # the duty officers still see it, open, in their queue; its page says it was set aside
    client.force_login(duty.city_duty)
    assert poisoned.pk in [row["id"] for row in client_for(duty.city_duty).get("/api/alerts/clocks/").json()["results"]]
    page = client.get(reverse("alerts:clock_detail", args=[poisoned.pk])).content.decode()
    assert "administrator" in page or "管理员" in page
    # the admin lists it under its filter, with the sweep's health above the list
    client.force_login(admins[0])
    listing = client.get(reverse("admin:alerts_clock_changelist"), {"quarantined": "yes"}).content.decode()
    assert reverse("admin:alerts_clock_change", args=[poisoned.pk]) in listing
    assert reverse("admin:alerts_clock_change", args=[_other.pk]) not in listing
    assert escape(sweep_health()) in listing and "1" in sweep_health()

    # when the administrator has repaired it (here: the poison is gone) and releases it
    monkeypatch.undo()
    response = client.post(reverse("admin:alerts_clock_changelist"),
                           {"action": "release", "_selected_action": [poisoned.pk]})
    assert response.status_code == 302
    poisoned.refresh_from_db()
    assert poisoned.quarantined_at is None and poisoned.quarantine_error == ""
    assert AuditLog.objects.filter(action="clock.release", object_id=str(poisoned.pk), actor=admins[0]).exists()

    # then the next sweep breaches it
    traveller.move_to(NOW + TWO_HOURS + timedelta(seconds=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_all()["breached"] == 1
    poisoned.refresh_from_db()
    assert poisoned.state == Clock.State.BREACHED and Lapse.objects.filter(clock=poisoned).count() == 1


def test_a_batch_takes_a_savepoint_per_clock_only_when_it_is_run_again_after_an_error(
    *, chain, duty, traveller, monkeypatch
):
    """Savepoints cost two statements a clock, and more than 64 in a transaction slow every other session down: a
    batch runs plainly first, and one clock at a time only after it raised."""
    poisoned, _other = two_emergencies(chain)
    traveller.move_to(NOW + TWO_HOURS + timedelta(seconds=1))
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql.split()[0].upper())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert sweep_all()["breached"] == 2
    plain = statements.count("SAVEPOINT")
    assert plain == 3  # one a batch (the test's own transaction makes each batch's transaction a savepoint)

    for clock in Clock.objects.filter(pk__in=[poisoned.pk, _other.pk]):
        clock.state, clock.breached_at = Clock.State.RUNNING, None
        clock.save(update_fields=["state", "breached_at"])
    Lapse.objects.all().delete()
    Escalation.objects.filter(key="breach").delete()
    poison(monkeypatch, poisoned.pk)
    statements.clear()
    with connection.execute_wrapper(count):
        assert sweep_all()["breached"] == 1
    # the failed batch, then the same batch again: its transaction, its load, one savepoint per clock, and one to
    # tell the administrators of the clock quarantined
    assert statements.count("SAVEPOINT") == plain + 1 + 1 + 2 + 1


def test_healthz_shows_the_sweeps_health(*, client, chain, duty, admins, traveller, monkeypatch):
    assert client.get("/healthz/").json()["sweep"] == "never"
    poisoned, _other = two_emergencies(chain)
    poison(monkeypatch, poisoned.pk)
    traveller.move_to(NOW + TWO_HOURS + timedelta(seconds=1))

    sweep_all()
    follow_up_sweep()  # "sweep" is the worst health of every periodic job, as beat runs them all

    checks = client.get("/healthz/").json()
    assert (checks["sweep"], checks["quarantined"]) == ("ok", 1)
    job = checks["periodic"]["alerts.sweep"]
    assert job["last_pass"] == (NOW + TWO_HOURS + timedelta(seconds=1)).isoformat() and job["seconds_since"] == 0
    # no pass for more than five intervals (and ten seconds): stale — but the web servers stay in the balancer
    traveller.shift(timedelta(seconds=SWEEP.stale_after() + 1))
    response = client.get("/healthz/")
    assert response.status_code == 200 and response.json()["sweep"] == "stale"


def test_an_error_that_is_not_the_rows_fault_quarantines_nothing_and_the_next_sweep_retries(
    *, client, chain, duty, admins, traveller, monkeypatch
):
    """A deadlock, a lost connection, a timeout: the batch rolls back and the sweep fails (the next one retries);
    no clock is blamed for it."""
    two_emergencies(chain)
    breach = services._breach

    def deadlocked(clock, **kwargs):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(services, "_breach", deadlocked)
    traveller.move_to(NOW + TWO_HOURS + timedelta(seconds=1))

    with pytest.raises(OperationalError):
        sweep_all()

    assert not Clock.objects.filter(quarantined_at__isnull=False).exists() and not quarantine_notices().exists()
    checks = client.get("/healthz/").json()
    assert checks["sweep"] == "failing" and "deadlock" in checks["periodic"]["alerts.sweep"]["error"]
    monkeypatch.setattr(services, "_breach", breach)
    assert sweep_all()["breached"] == 2
    follow_up_sweep()
    assert client.get("/healthz/").json()["sweep"] == "ok"


# --- the poison of the issue: a date in year 1 -------------------------------------------------------------------


def drop_constraint(table: str, name: str) -> None:
    """As the database was before migration alerts 0007 (undone with the test's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")


def set_raw(table: str, pk: int, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s::timestamptz WHERE id = %s", [value, pk])


def test_a_chase_whose_event_time_cannot_be_read_is_quarantined_and_the_other_clocks_breach(
    chain, duty, admins, traveller, django_capture_on_commit_callbacks
):
    """Issue 17 as it happened: a chase stored with its event time in year 1 (Beijing time: before year 1 in UTC,
    which the driver cannot read) made every sweep that met its clock fail, and another county's emergency stayed
    unbreached past its deadline. Now the batch that cannot be loaded is loaded row by row and that clock alone is
    quarantined."""
    drop_constraint("alerts_chase", "chase_times_in_range")
    chase = services.chase_record(actor=duty.city_duty, office=chain.net.city, unit=chain.net.county,
                                  channel="media", summary="网传东湖区某工地坍塌", minutes=60)
    set_raw("alerts_chase", chase.pk, "event_time", "0001-01-01 00:00+08")
    net = chain.net
    item = submissions.item_create(actor=net.other_clerk, unit=net.other_county,
                                   data=emergency_data(event_time=NOW - timedelta(hours=1)))
    other = Clock.objects.get(item=submissions.item_submit(actor=net.other_clerk, item=item), level="city")
    assert chase.clock.due_at == other.due_at == NOW + timedelta(hours=1)
    traveller.move_to(NOW + timedelta(hours=1, seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep_all()

    assert counts["breached"] == 1
    other.refresh_from_db()
    assert other.state == Clock.State.BREACHED and other.breached_at == NOW + timedelta(hours=1, seconds=1)
    quarantined = Clock.objects.filter(quarantined_at__isnull=False).values_list("pk", "quarantine_error").get()
    assert quarantined[0] == chase.clock.pk and quarantined[1].startswith("DataError")
    assert quarantine_notices().count() == len(admins)
    assert sweep_all()["breached"] == 0 and quarantine_notices().count() == len(admins)


def test_the_migration_repairs_times_that_cannot_be_read(client, chain, duty, traveller):
    drop_constraint("alerts_chase", "chase_times_in_range")
    drop_constraint("alerts_clock", "clock_times_in_range")
    chase = services.chase_record(actor=duty.city_duty, office=chain.net.city, unit=chain.net.county,
                                  channel="media", summary="网传东湖区某工地坍塌", minutes=60)
    other = services.chase_record(actor=duty.city_duty, office=chain.net.city, unit=chain.net.other_county,
                                  channel="police", summary="110接报西岭县交通事故", minutes=30)
    set_raw("alerts_chase", chase.pk, "event_time", "0001-01-01 00:00+08")
    set_raw("alerts_chase", chase.pk, "due_at", "9999-12-31 23:59-08")
    set_raw("alerts_clock", other.clock.pk, "due_at", "9999-12-31 23:59-08")
    crashing = Client(raise_request_exception=False)
    crashing.force_login(duty.city_duty)
    assert crashing.get(reverse("alerts:chase_list")).status_code == 500  # as in the issue

    importlib.import_module("alerts.migrations.0006_repair_times_out_of_range").repair(apps, None)

    client.force_login(duty.city_duty)
    assert client.get(reverse("alerts:chase_list")).status_code == 200
    assert client.get("/api/alerts/chases/").status_code == 200
    chase.refresh_from_db()
    assert chase.event_time is None and chase.due_at == NOW + timedelta(minutes=60)  # its clock's
    assert AuditLog.objects.filter(action="chase.repair", object_id=str(chase.pk)).count() == 2
    clock = Clock.objects.get(pk=other.clock.pk)
    assert clock.due_at == clock.created_at and clock.quarantined_at is not None
    assert "10000-01-01" in clock.quarantine_error and clock.remind_at is None
    assert AuditLog.objects.filter(action="clock.quarantine", object_id=str(clock.pk)).count() == 1
    # and the constraints of migration 0007 now hold for every row
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # an ALTER TABLE waits for no deferred foreign key check
    with connection.schema_editor() as editor:
        for model in (Chase, Clock):
            for constraint in model._meta.constraints:
                if constraint.name.endswith("_times_in_range"):
                    editor.add_constraint(model, constraint)


def test_the_chase_form_refuses_a_date_in_year_1_or_9999(client, chain, duty, traveller):
    client.force_login(duty.city_duty)
    for typed in ("0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T23:59"):
        response = client.post(reverse("alerts:chase_create"), {
            "office": chain.net.city.pk, "unit": chain.net.county.pk, "channel": "media", "summary": "网传",
            "event_time": typed, "minutes": 60})
        assert response.status_code == 400
        why = response.context["form"].errors["event_time"]
        assert why and escape(why[0]) in response.content.decode()  # said beside the field
    assert not Chase.objects.exists()
    ok = client.post(reverse("alerts:chase_create"), {
        "office": chain.net.city.pk, "unit": chain.net.county.pk, "channel": "media", "summary": "网传",
        "event_time": timezone.localtime(NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "minutes": 60})
    assert ok.status_code == 302 and Chase.objects.get().event_time == NOW - timedelta(hours=1)


@pytest.mark.parametrize("typed", ["0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00", "0001-01-01T00:00:00Z",
                                   "9999-12-31T23:59:59-08:00", "9999-12-31T23:59:59"])
def test_the_api_refuses_a_date_in_year_1_or_9999(chain, duty, traveller, typed):
    response = client_for(duty.city_duty).post("/api/alerts/chases/", {
        "office": chain.net.city.pk, "unit": chain.net.county.pk, "channel": "media", "summary": "网传",
        "event_time": typed}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["event_time"]
    assert not Chase.objects.exists()


def test_the_database_refuses_a_time_out_of_range(chain, duty, traveller):
    chase = services.chase_record(actor=duty.city_duty, office=chain.net.city, unit=chain.net.county,
                                  channel="media", summary="网传", minutes=60)
    year_1 = datetime(1, 1, 1, tzinfo=UTC)
    for model, pk, field in ((Chase, chase.pk, "event_time"), (Chase, chase.pk, "due_at"),
                             (Clock, chase.clock.pk, "due_at"), (Clock, chase.clock.pk, "started_at")):
        for value in (year_1, datetime(2100, 1, 1, tzinfo=UTC)):
            with pytest.raises(IntegrityError), transaction.atomic():
                model.objects.filter(pk=pk).update(**{field: value})
    # and the admin's chase form says why (the fields' validators)
    chase.due_at = year_1
    with pytest.raises(Exception, match="2000"):
        chase.full_clean()


# --- with the real worker and beat -------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_quarantines_a_poisoned_clock_and_breaches_the_others_on_time(chain, duty, celery_processes,
                                                                                     settings, client):
    """A clock whose breach raises part-way (a follow-up clock of a chase, which has no report to follow up: starting
    the next follow-up fails after the lapse, the escalation and the notices were written), due together with 100
    clocks of another county, under the Procfile's worker and beat."""
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    net = chain.net
    celery = celery_processes(sweep_seconds=1, batch=50)
    celery.worker()
    beat = celery.beat()
    celery.wait(lambda: "Sending due task" in beat.text(), 60, "beat's first sweep")
    due = timezone.now() + timedelta(seconds=2)
    chase = Chase.objects.create(office=net.city, unit=net.other_county, channel="media", summary="网传西岭县险情",
                                 due_at=due, recorded_by=duty.city_duty)
    poisoned = Clock.objects.create(kind=Clock.Kind.FOLLOW_UP, chase=chase, office=net.city, level=net.city.level,
                                    unit=net.other_county, started_at=due - TWO_HOURS, due_at=due,
                                    acknowledged_at=timezone.now())
    others = test_faults.make_clocks(net, [due] * 100)

    celery.wait(lambda: Clock.objects.filter(pk=poisoned.pk, quarantined_at__isnull=False).exists(), 60,
                "the poisoned clock quarantined")
    celery.wait_for_progress(lambda: Clock.objects.filter(pk__in=others, state=Clock.State.BREACHED).count(),
                             len(others), "the other clocks breached")
    time.sleep(3)  # three more sweeps: none tries or reports the quarantined clock again

    lateness = [(e.created_at - due).total_seconds() for e in Escalation.objects.filter(clock_id__in=others)]
    print(f"breach lateness of the other clocks: max {max(lateness):.2f} s")
    assert max(lateness) < 10, "the other county's clocks are late on time, not held up by the poisoned one"
    poisoned.refresh_from_db()
    assert poisoned.state == Clock.State.RUNNING and poisoned.quarantine_error.startswith("AttributeError")
    assert not Lapse.objects.filter(clock=poisoned).exists() and not Escalation.objects.filter(clock=poisoned).exists()
    assert Notification.objects.filter(verb="periodic.quarantined", recipient=admin).count() == 1
    assert AuditLog.objects.filter(action="clock.quarantine").count() == 1
    assert Lapse.objects.filter(clock_id__in=others).count() == len(others)
    # /healthz/ reads the health the worker wrote (its cache: the broker's Redis database, its key prefix)
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": test_faults.broker_url(),
                                   "KEY_PREFIX": "infohub-fault-tests"}}
    checks = client.get("/healthz/").json()
    assert (checks["sweep"], checks["quarantined"]) == ("ok", 1), checks
