"""The emergency rules at their edges, with time frozen and stepped by time-machine."""

from datetime import timedelta

import pytest
from django.core import mail

from alerts import services
from alerts.models import Chase, Clock, DeadlinePolicy, Escalation, Lapse
from alerts.sweep import sweep_all
from infohub.errors import ActionRefused, IllegalTransition, NotPermitted
from infohub.models import Notification
from reviews import services as reviews
from submissions import services as submissions
from submissions.models import ReportKind

from .conftest import NOW, file_emergency

pytestmark = pytest.mark.django_db


def report_clock(item, level):
    return Clock.objects.get(item=item, level=level, kind=Clock.Kind.REPORT)


def test_filing_starts_one_clock_per_level_counted_from_the_event(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW - timedelta(minutes=10))

    clocks = {c.level: c for c in Clock.objects.filter(item=item)}
    assert set(clocks) == {"city", "province", "central"}
    assert clocks["city"].due_at == NOW - timedelta(minutes=10) + timedelta(hours=2)
    assert clocks["province"].due_at == NOW - timedelta(minutes=10) + timedelta(hours=5)
    assert clocks["central"].due_at == NOW - timedelta(minutes=10) + timedelta(hours=6)
    assert clocks["city"].office == chain.net.city
    # the city's duty officers hear of it at once
    assert Notification.objects.filter(recipient=duty.city_duty, verb="clock.started").exists()


def test_a_more_specific_policy_row_wins(chain, traveller):
    DeadlinePolicy.objects.create(level="city", event_grade="major", deadline_minutes=60)
    DeadlinePolicy.objects.create(level="city", event_grade="major", event_type="accident", deadline_minutes=30)

    item = file_emergency(chain.net, event_time=NOW, event_grade="major", event_type="accident")

    assert report_clock(item, "city").due_at == NOW + timedelta(minutes=30)
    assert report_clock(item, "province").due_at == NOW + timedelta(hours=5)


@pytest.mark.parametrize(("arrives_after", "late"), [(timedelta(hours=2) - timedelta(seconds=1), False),
                                                     (timedelta(hours=2) + timedelta(seconds=1), True)])
def test_a_report_received_one_second_before_or_after_its_deadline(chain, duty, traveller, arrives_after, late):
    item = file_emergency(chain.net, event_time=NOW)
    traveller.move_to(NOW + arrives_after)

    reviews.signoff_approve(actor=chain.net.director, item=item)  # the city office receives it now

    clock = report_clock(item, "city")
    assert clock.stopped_at == NOW + arrives_after
    assert clock.state == (Clock.State.BREACHED if late else Clock.State.MET)
    assert Lapse.objects.filter(clock=clock, kind=Lapse.Kind.LATE).exists() is late
    assert report_clock(item, "province").state == Clock.State.RUNNING


@pytest.mark.parametrize(("swept_after", "breached"), [(timedelta(seconds=-1), False), (timedelta(seconds=1), True)])
def test_the_sweep_breaches_a_clock_only_once_its_time_is_up(chain, duty, traveller, swept_after, breached):
    item = file_emergency(chain.net, event_time=NOW)
    traveller.move_to(NOW + timedelta(hours=2) + swept_after)

    counts = sweep_all()

    clock = report_clock(item, "city")
    assert (clock.state == Clock.State.BREACHED) is breached
    assert counts["breached"] == int(breached)


def test_a_breach_is_late_against_the_holder_and_escalates_to_its_director_and_the_duty_officers_above(
    chain, duty, traveller, django_capture_on_commit_callbacks, caplog
):
    item = file_emergency(chain.net, event_time=NOW)
    traveller.move_to(NOW + timedelta(hours=2, seconds=1))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sweep_all()

    lapse = Lapse.objects.get(clock=report_clock(item, "city"))
    # filed in time, it waited for the director's signature: he answers for it (SPEC §5)
    assert (lapse.kind, lapse.unit, lapse.person) == (Lapse.Kind.LATE, chain.net.county, chain.net.director)
    told = set(Notification.objects.filter(verb="clock.breached").values_list("recipient__username", flat=True))
    assert told == {"dh_director", "lj_duty", "lj_duty2", "jn_duty"}
    assert "foreign" not in told and "qs_duty" not in told
    # e-mail goes out after commit, through the delivery task (eager in tests)
    breach_mail = [m for m in mail.outbox if "迟报" in m.subject or "Late report" in m.subject]
    assert sorted(m.to[0] for m in breach_mail) == sorted(f"{u}@example.invalid" for u in told)
    # and by SMS to whoever has a phone number (the logging backend writes it down)
    assert "SMS to 13800000001" in caplog.text


def test_a_sweep_batch_sends_its_mail_and_sms_as_one_task_after_commit(
    chain, duty, traveller, django_capture_on_commit_callbacks, monkeypatch
):
    for n in range(3):
        file_emergency(chain.net, title=f"第{n}起", event_time=NOW)
    traveller.move_to(NOW + timedelta(hours=7))  # city, province and centre clocks of all three are due
    sent = []
    monkeypatch.setattr("alerts.tasks.deliver.delay", sent.append)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        counts = sweep_all()

    # two transactions, one task each: the nine breaches, then the unacknowledged emergencies' ladder
    assert (counts["breached"], counts["escalated"]) == (9, 9) and len(callbacks) == len(sent) == 2
    assert len(sent[0]) == 9  # a message per breach, each to its own recipients
    assert {tuple(sorted(ids)) for ids, _text, _url in sent[0]} >= {
        tuple(sorted([chain.net.director.pk, duty.city_duty.pk, duty.city_duty2.pk, duty.province_duty.pk]))}


def test_a_second_sweep_changes_nothing(chain, duty, traveller):
    file_emergency(chain.net, event_time=NOW)
    traveller.move_to(NOW + timedelta(hours=7))

    first = sweep_all()
    before = (Lapse.objects.count(), Escalation.objects.count(), Notification.objects.count())
    second = sweep_all()

    assert first["breached"] == 3
    assert second == {"breached": 0, "reminded": 0, "escalated": 0}
    assert (Lapse.objects.count(), Escalation.objects.count(), Notification.objects.count()) == before


def test_lateness_is_held_against_the_office_that_held_the_report(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    reviews.signoff_approve(actor=chain.net.director, item=item)  # at the city office in time
    traveller.move_to(NOW + timedelta(hours=5, seconds=1))

    sweep_all()

    lapse = Lapse.objects.get(clock=report_clock(item, "province"))
    assert (lapse.unit, lapse.person) == (chain.net.city, chain.city_director)  # the office awaiting review: its director


def test_reminders_at_half_time_and_thirty_minutes_before(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    clock = report_clock(item, "city")
    assert [key for key, _at in clock.reminder_plan] == ["half", "before-30"]

    traveller.move_to(NOW + timedelta(minutes=59, seconds=59))
    assert sweep_all()["reminded"] == 0
    traveller.move_to(NOW + timedelta(minutes=60))
    sweep_all()
    traveller.move_to(NOW + timedelta(minutes=90))
    sweep_all()
    sweep_all()

    keys = list(Escalation.objects.filter(clock=clock).exclude(key__startswith="ack").order_by("id")
                .values_list("key", flat=True))
    assert keys == ["half", "before-30"]
    assert Notification.objects.filter(recipient=chain.net.clerk, verb="clock.reminder").count() == 2


def test_an_unacknowledged_emergency_climbs_the_ladder_and_acknowledging_stops_it(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    clock = report_clock(item, "city")

    traveller.move_to(NOW + timedelta(minutes=15))
    sweep_all()
    assert Notification.objects.filter(recipient=chain.city_director, verb="clock.unacknowledged").exists()

    services.acknowledge(actor=duty.city_duty, clock=clock)
    traveller.move_to(NOW + timedelta(minutes=45))
    sweep_all()

    assert list(Escalation.objects.filter(clock=clock, key__startswith="ack").values_list("key", flat=True)) == ["ack-1"]
    with pytest.raises(IllegalTransition, match=r"lj_duty|用户"):
        services.acknowledge(actor=duty.city_duty2, clock=clock)


def test_only_the_waiting_offices_duty_officer_acknowledges(chain, duty, traveller):
    clock = report_clock(file_emergency(chain.net, event_time=NOW), "city")
    for outsider in (duty.foreign_duty, duty.province_duty, chain.net.clerk):
        with pytest.raises(NotPermitted):
            services.acknowledge(actor=outsider, clock=clock)


def test_a_phone_report_meets_the_notice_deadline_and_starts_the_written_clock(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    # (at 10:40 the written report would be due by 11:40, before the 12:00 the call met: it keeps 12:00, SPEC §5 and
    # tests/alerts/test_corrections.py; at 11:20 the policy's hour after the call is the later deadline)
    traveller.move_to(NOW + timedelta(minutes=80))

    written = services.phone_report(actor=duty.city_duty, clock=report_clock(item, "city"), note="东湖区值班室电话报告")

    assert report_clock(item, "city").state == Clock.State.MET
    assert (written.kind, written.due_at) == (Clock.Kind.WRITTEN, NOW + timedelta(minutes=140))
    # the written report arriving stops it
    reviews.signoff_approve(actor=chain.net.director, item=item)
    written.refresh_from_db()
    assert (written.state, written.stopped_by) == (Clock.State.MET, "received")


def test_a_phone_report_needs_what_was_said(chain, duty, traveller):
    clock = report_clock(file_emergency(chain.net, event_time=NOW), "city")
    with pytest.raises(ActionRefused):
        services.phone_report(actor=duty.city_duty, clock=clock, note="  ")


def test_follow_ups_are_numbered_in_their_chain_and_due_twice_a_day_for_large_events(chain, duty, traveller):
    first = file_emergency(chain.net, event_time=NOW, event_grade="large")  # 10:00 local
    follow_up_clock = Clock.objects.get(item=first, kind=Clock.Kind.FOLLOW_UP, state="running")
    assert follow_up_clock.due_at == NOW + timedelta(hours=7)  # 17:00 local

    reports = []
    for final in (False, False, True):
        draft = submissions.item_follow_up(actor=chain.net.clerk, first=first, final=final)
        reports.append(submissions.item_submit(actor=chain.net.clerk, item=draft))

    assert [(r.report_kind, r.follow_up_number) for r in reports] == [
        (ReportKind.FOLLOW_UP, 1), (ReportKind.FOLLOW_UP, 2), (ReportKind.FINAL, 3)]
    assert reports[1].report_label in ("续报二", "Follow-up 2")
    assert not Clock.objects.filter(item=first, kind=Clock.Kind.FOLLOW_UP, state="running").exists()
    with pytest.raises(IllegalTransition):
        submissions.item_follow_up(actor=chain.net.clerk, first=first)


def test_a_missed_follow_up_is_late_and_the_next_one_is_due(chain, duty, traveller):
    first = file_emergency(chain.net, event_time=NOW, event_grade="major")
    traveller.move_to(NOW + timedelta(hours=7, seconds=1))  # 17:00:01

    sweep_all()

    assert Lapse.objects.filter(item=first, kind=Lapse.Kind.LATE, clock__kind="follow_up").count() == 1
    nxt = Clock.objects.get(item=first, kind=Clock.Kind.FOLLOW_UP, state="running")
    assert nxt.due_at == NOW + timedelta(hours=22)  # 08:00 next morning


def test_general_events_owe_no_twice_daily_follow_ups(chain, traveller):
    first = file_emergency(chain.net, event_time=NOW, event_grade="general")
    assert not Clock.objects.filter(item=first, kind=Clock.Kind.FOLLOW_UP).exists()


def test_a_chased_unit_that_reports_in_time_answers_the_chase(chain, duty, traveller):
    chase = services.chase_record(actor=duty.city_duty, office=chain.net.city, unit=chain.net.county,
                                  channel="media", summary="网传东湖区化工园区冒黑烟")
    traveller.move_to(NOW + timedelta(minutes=59))
    item = file_emergency(chain.net, event_time=NOW - timedelta(minutes=20))

    chase.refresh_from_db()
    assert (chase.state, chase.item) == (Chase.State.REPORTED, item)
    assert chase.clock.state == Clock.State.MET


def test_a_chased_unit_that_does_not_report_has_missed_it(chain, duty, traveller):
    chase = services.chase_record(actor=duty.city_duty, office=chain.net.city, unit=chain.net.county,
                                  channel="police", summary="110接报东湖区一处民房倒塌")
    traveller.move_to(NOW + timedelta(minutes=60, seconds=1))

    sweep_all()

    chase.refresh_from_db()
    assert chase.state == Chase.State.MISSED
    assert Lapse.objects.get(chase=chase).kind == Lapse.Kind.MISSED


def test_chasing_a_unit_outside_the_jurisdiction_is_refused(chain, duty):
    with pytest.raises(NotPermitted, match=r"jurisdiction|管辖"):
        services.chase_record(actor=duty.foreign_duty, office=chain.foreign_city, unit=chain.net.county,
                              channel="media", summary="x")


def test_an_editor_who_received_the_item_records_a_false_report_once(chain, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    reviews.signoff_approve(actor=chain.net.director, item=item)

    lapse = services.lapse_record(actor=chain.net.city_editor, item=item, kind="false", reason="经核实，火情不实")

    assert (lapse.unit, lapse.person) == (chain.net.county, chain.net.clerk)
    with pytest.raises(IllegalTransition):
        services.lapse_record(actor=chain.net.city_editor, item=item, kind="false", reason="again")
    with pytest.raises(NotPermitted):
        services.lapse_record(actor=chain.foreign_editor, item=item, kind="concealed", reason="x")
    with pytest.raises(ActionRefused):
        services.lapse_record(actor=chain.net.city_editor, item=item, kind="concealed", reason="")


def test_the_deadlines_live_only_in_the_policy_table(chain, traveller):
    # the 2-hour city default is the table's seeded row, and only that row
    assert DeadlinePolicy.objects.get(level="city", event_grade="", event_type="").deadline_minutes == 120
    item = file_emergency(chain.net, event_time=NOW)
    assert report_clock(item, "city").due_at == NOW + timedelta(hours=2)
    # an administrator's edit is what the next clock counts
    DeadlinePolicy.objects.filter(level="city").update(deadline_minutes=90)
    item = file_emergency(chain.net, title="第二起", event_time=NOW)
    assert report_clock(item, "city").due_at == NOW + timedelta(minutes=90)
    # without a row the level has no deadline: nothing else hides a copy of it
    DeadlinePolicy.objects.filter(level="city").delete()
    item = file_emergency(chain.net, title="第三起", event_time=NOW)
    assert not Clock.objects.filter(item=item, level="city").exists()
    assert Clock.objects.filter(item=item, level="province").exists()


def test_non_emergencies_start_no_clock(chain, good_item_data, traveller):
    item = submissions.item_create(actor=chain.net.clerk, unit=chain.net.county, data=good_item_data)
    submissions.item_submit(actor=chain.net.clerk, item=item)
    assert not Clock.objects.exists()

