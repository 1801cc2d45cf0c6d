"""Derived deadlines follow their inputs (issue 12 point 7, issue 13 point 5, SPEC §5 "(ours)").

A correction of an emergency's event time, grade or type — by the clerk before filing again, or by an upstream
editor after filing — moves every running clock of the event in the same transaction, starts or stops the
twice-daily follow-ups, withdraws a 迟报 the correction makes untrue (audited with the reason) and records a breach it
makes true, exactly once. A policy edit applies to clocks that start after it. A phone report never moves the written
report's deadline earlier than the deadline it met, and is no new emergency.

NOW is 10:00 Beijing time; times in the comments are Beijing time.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts import selectors, services
from alerts.models import Clock, DeadlinePolicy, Escalation, Lapse
from alerts.sweep import sweep_all
from infohub.models import AuditLog, Notification
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from tests.submissions.test_api import client_for

from .conftest import NOW, file_emergency

pytestmark = pytest.mark.django_db

TERMS = {"city": timedelta(hours=2), "province": timedelta(hours=5), "central": timedelta(hours=6)}


def report_clocks(item) -> dict[str, Clock]:
    return {c.level: c for c in Clock.objects.filter(item=item, kind=Clock.Kind.REPORT)}


def report_clock(item, level) -> Clock:
    return Clock.objects.get(item=item, level=level, kind=Clock.Kind.REPORT)


def hm(at) -> str:
    return timezone.localtime(at).strftime("%H:%M")


def clerk_corrects(chain, item, **data):
    """The director sends the report back and the clerk corrects it before filing again."""
    item.refresh_from_db()
    if item.status == item.Status.PENDING_SIGNOFF:
        reviews.signoff_return(actor=chain.net.director, item=item, reason="事发时间有误，请核实")
    return submissions.item_update(actor=chain.net.clerk, item=item, data=data)


def editor_corrects(chain, item, **data):
    """The city office's editor corrects the report it received."""
    hop = Hop.objects.get(item=item, office=chain.net.city)
    return reviews.review_edit(actor=chain.net.city_editor, hop=hop, data=data)


def expected_plan(started, due, now) -> list[list[str]]:
    """The default policy's reminders (half time, 30 minutes before), those still ahead."""
    steps = [("half", started + (due - started) / 2), ("before-30", due - timedelta(minutes=30))]
    return [[key, at.isoformat()] for key, at in sorted(steps, key=lambda s: s[1]) if at > now]


# --- event time ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("corrected", [NOW - timedelta(hours=1), NOW - timedelta(minutes=10)],
                         ids=["earlier", "later"])
def test_a_corrected_event_time_moves_every_running_clock_and_its_reminders(chain, duty, traveller, corrected):
    # given an emergency filed at 10:00 for an event at 09:30, back with the clerk
    item = file_emergency(chain.net, event_time=NOW - timedelta(minutes=30))
    assert report_clocks(item)["province"].due_at == NOW + timedelta(hours=4, minutes=30)  # 14:30

    # when the clerk corrects the event time (to 09:00, or to 09:50) before filing again
    clerk_corrects(chain, item, event_time=corrected)

    # then every running clock counts from the corrected time, with its reminders planned anew
    clocks = report_clocks(item)
    assert set(clocks) == {"city", "province", "central"}
    for level, clock in clocks.items():
        assert clock.state == Clock.State.RUNNING
        assert (clock.started_at, clock.due_at) == (corrected, corrected + TERMS[level]), level
        plan = expected_plan(corrected, corrected + TERMS[level], NOW)
        assert clock.reminder_plan == plan, level
        assert (clock.remind_key, clock.remind_at and clock.remind_at.isoformat()) == tuple(plan[0]), level
    # the duty officers racing it hear of the new deadline
    moved = Notification.objects.filter(recipient=duty.city_duty, verb="clock.moved")
    assert moved.count() == 1 and hm(corrected + TERMS["city"]) in moved.get().text
    assert AuditLog.objects.filter(action="clock.move", object_id=str(clocks["province"].pk)).count() == 1


def test_an_editors_correction_after_filing_moves_the_province_clock(chain, duty, traveller):
    # given the example: an event at 09:50, received by the city in time
    item = file_emergency(chain.net, event_time=NOW - timedelta(minutes=10))
    reviews.signoff_approve(actor=chain.net.director, item=item)
    assert hm(report_clock(item, "province").due_at) == "14:50"

    # when the city's editor corrects it to 08:50
    editor_corrects(chain, item, event_time=NOW - timedelta(hours=1, minutes=10))

    # then the province must have it by 13:50, the centre by 14:50; the city's met clock is judged by 10:50
    clocks = report_clocks(item)
    assert (hm(clocks["province"].due_at), hm(clocks["central"].due_at)) == ("13:50", "14:50")
    assert (clocks["city"].state, hm(clocks["city"].due_at)) == (Clock.State.MET, "10:50")
    assert not Lapse.objects.exists()


def test_an_editors_correction_through_the_api_moves_the_clocks_too(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW - timedelta(minutes=10))
    reviews.signoff_approve(actor=chain.net.director, item=item)
    hop = Hop.objects.get(item=item, office=chain.net.city)

    response = client_for(chain.net.city_editor).post(
        f"/api/inbox/{hop.pk}/edit/", {"event_time": (NOW - timedelta(hours=1, minutes=10)).isoformat()}, format="json")

    assert response.status_code == 200, response.content
    assert hm(report_clock(item, "province").due_at) == "13:50"


def test_a_reminder_already_sent_is_not_sent_again_after_the_deadline_moves(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)  # city due 12:00, reminded at 11:00 and 11:30
    traveller.move_to(NOW + timedelta(hours=1))
    sweep_all()  # 11:00: the half-time reminder goes out
    city = report_clock(item, "city")

    clerk_corrects(chain, item, event_time=NOW + timedelta(minutes=30))  # the event was at 10:30: due 12:30

    city.refresh_from_db()
    assert city.due_at == NOW + timedelta(hours=2, minutes=30)
    assert [key for key, _at in city.reminder_plan] == ["before-30"]  # half time (11:30) was already said
    assert (city.remind_key, city.remind_at) == ("before-30", NOW + timedelta(hours=2))
    traveller.move_to(NOW + timedelta(hours=1, minutes=45))
    sweep_all()  # 11:45: nothing due any more
    traveller.move_to(NOW + timedelta(hours=2))
    sweep_all()  # 12:00: thirty minutes before the corrected deadline
    keys = list(Escalation.objects.filter(clock=city).exclude(key__startswith="ack").order_by("id")
                .values_list("key", flat=True))
    assert keys == ["half", "before-30"]
    assert Escalation.objects.get(clock=city, key="before-30").created_at == NOW + timedelta(hours=2)


# --- lapses the correction makes untrue or true ---------------------------------------------------------------


def test_a_correction_that_makes_an_open_late_mark_untrue_withdraws_it_and_the_clock_runs_again(
    chain, duty, traveller
):
    # given a report for an event at 10:00 not yet at the city at 12:00:01: late against the county
    item = file_emergency(chain.net, event_time=NOW)
    traveller.move_to(NOW + timedelta(hours=2, seconds=1))
    sweep_all()
    city = report_clock(item, "city")
    lapse = Lapse.objects.get(clock=city)
    assert [row["late"] for row in selectors.lapse_totals(selectors.lapses_visible_to(duty.city_duty))] == [1]

    # when the clerk corrects the event time to 10:30 (due 12:30, still ahead)
    clerk_corrects(chain, item, event_time=NOW + timedelta(minutes=30))

    # then the late mark is withdrawn, never deleted, with the reason in the audit log; the clock runs again
    lapse.refresh_from_db()
    assert lapse.withdrawn_at == NOW + timedelta(hours=2, seconds=1)
    assert "10:00" in lapse.withdrawn_reason and "10:30" in lapse.withdrawn_reason
    audit = AuditLog.objects.get(action="lapse.withdraw", object_id=str(lapse.pk))
    assert audit.actor == chain.net.clerk and "10:30" in audit.reason
    city.refresh_from_db()
    assert (city.state, city.breached_at, city.due_at) == (Clock.State.RUNNING, None, NOW + timedelta(hours=2, minutes=30))
    # withdrawn lapses no longer count in the lists and totals (pages and API read the same selector)
    assert not selectors.lapses_visible_to(duty.city_duty).exists()
    assert selectors.lapse_totals(selectors.lapses_visible_to(duty.city_duty)) == []

    # and if the report is late after all, the new deadline is breached once, on the record once
    traveller.move_to(NOW + timedelta(hours=2, minutes=30, seconds=1))
    assert sweep_all()["breached"] == 1
    assert sweep_all()["breached"] == 0
    assert Lapse.objects.filter(clock=city, withdrawn_at=None).count() == 1
    assert Lapse.objects.filter(clock=city).count() == 2


def test_a_correction_that_makes_an_arrived_late_report_timely_withdraws_the_late_mark(chain, duty, traveller):
    # given a report for an event at 10:00 that reached the city at 12:10: late
    item = file_emergency(chain.net, event_time=NOW)
    traveller.move_to(NOW + timedelta(hours=2, minutes=10))
    reviews.signoff_approve(actor=chain.net.director, item=item)
    city = report_clock(item, "city")
    assert city.state == Clock.State.BREACHED
    lapse = Lapse.objects.get(clock=city)

    # when the city's editor corrects the event time to 10:20 (due 12:20)
    editor_corrects(chain, item, event_time=NOW + timedelta(minutes=20))

    # then it was in time: the clock reads met and the late mark is withdrawn by the editor's correction
    city.refresh_from_db()
    assert (city.state, city.breached_at, city.stopped_at) == (Clock.State.MET, None, NOW + timedelta(hours=2, minutes=10))
    lapse.refresh_from_db()
    assert lapse.withdrawn_at is not None
    audit = AuditLog.objects.get(action="lapse.withdraw", object_id=str(lapse.pk))
    assert audit.actor == chain.net.city_editor and "10:20" in audit.reason
    assert not selectors.lapses_visible_to(duty.city_duty).exists()


def test_a_correction_that_makes_a_breach_true_records_it_exactly_once(chain, duty, traveller):
    # given an event at 09:50 that reached the city at 11:00, in time for 11:50
    item = file_emergency(chain.net, event_time=NOW - timedelta(minutes=10))
    traveller.move_to(NOW + timedelta(hours=1))
    reviews.signoff_approve(actor=chain.net.director, item=item)
    assert report_clock(item, "city").state == Clock.State.MET

    # when the city's editor corrects it to 08:50: the city's deadline was 10:50
    editor_corrects(chain, item, event_time=NOW - timedelta(hours=1, minutes=10))

    # then the report was late at the city, held against the county that held it at 10:50 — awaiting its director's
    # signature then, so he answers for it
    city = report_clock(item, "city")
    assert city.state == Clock.State.BREACHED
    lapse = Lapse.objects.get(clock=city)
    assert (lapse.kind, lapse.unit, lapse.person) == (Lapse.Kind.LATE, chain.net.county, chain.net.director)

    # and when at 13:00 it is corrected to 07:50, the province's deadline (12:50) has passed: breached at once
    traveller.move_to(NOW + timedelta(hours=3))
    editor_corrects(chain, item, event_time=NOW - timedelta(hours=2, minutes=10))
    province = report_clock(item, "province")
    assert (province.state, province.breached_at) == (Clock.State.BREACHED, NOW + timedelta(hours=3))
    assert Lapse.objects.get(clock=province).unit == chain.net.city  # the city held it

    # exactly once: neither the sweep nor a further correction records it again
    assert sweep_all()["breached"] == 0
    editor_corrects(chain, item, event_time=NOW - timedelta(hours=2, minutes=20))
    for clock in (city, province):
        assert Lapse.objects.filter(clock=clock).count() == 1
        assert Escalation.objects.filter(clock=clock, key__startswith="breach").count() == 1
        assert AuditLog.objects.filter(action="clock.breach", object_id=str(clock.pk)).count() == 1
    assert Notification.objects.filter(recipient=duty.province_duty, verb="clock.breached").count() == 2


# --- grade and type ------------------------------------------------------------------------------------------


def test_a_grade_corrected_up_to_large_starts_the_twice_daily_follow_ups_and_down_stops_them(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW, event_grade="general")
    reviews.signoff_approve(actor=chain.net.director, item=item)
    assert not Clock.objects.filter(item=item, kind=Clock.Kind.FOLLOW_UP).exists()

    editor_corrects(chain, item, event_grade="large")

    follow_up = Clock.objects.get(item=item, kind=Clock.Kind.FOLLOW_UP, state=Clock.State.RUNNING)
    assert follow_up.due_at == NOW + timedelta(hours=7)  # 17:00

    editor_corrects(chain, item, event_grade="general")

    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.stopped_by) == (Clock.State.CANCELLED, "corrected")
    assert not Clock.objects.filter(item=item, kind=Clock.Kind.FOLLOW_UP, stopped_at=None).exists()
    traveller.move_to(NOW + timedelta(hours=8))
    sweep_all()
    assert not Lapse.objects.filter(item=item, clock__kind=Clock.Kind.FOLLOW_UP).exists()


def test_a_grade_corrected_down_withdraws_the_missed_follow_ups_it_never_owed(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW, event_grade="major")
    reviews.signoff_approve(actor=chain.net.director, item=item)
    traveller.move_to(NOW + timedelta(hours=7, seconds=1))  # 17:00:01: the follow-up is late, the next one runs
    sweep_all()
    lapse = Lapse.objects.get(item=item, clock__kind=Clock.Kind.FOLLOW_UP)

    editor_corrects(chain, item, event_grade="general")

    lapse.refresh_from_db()
    assert lapse.withdrawn_at is not None
    assert AuditLog.objects.filter(action="lapse.withdraw", object_id=str(lapse.pk), actor=chain.net.city_editor).exists()
    assert not Clock.objects.filter(item=item, kind=Clock.Kind.FOLLOW_UP, stopped_at=None).exists()
    assert not selectors.lapses_visible_to(duty.city_duty).filter(clock__kind=Clock.Kind.FOLLOW_UP).exists()


@pytest.mark.parametrize(("field", "value"), [("event_grade", "major"), ("event_type", "natural_disaster")])
def test_a_corrected_grade_or_type_counts_under_the_policy_row_that_applies_to_it(chain, duty, traveller, field, value):
    DeadlinePolicy.objects.create(level="city", deadline_minutes=60, **{field: value})
    item = file_emergency(chain.net, event_time=NOW - timedelta(minutes=30), event_grade="general", event_type="accident")
    assert report_clock(item, "city").due_at == NOW + timedelta(minutes=90)

    clerk_corrects(chain, item, **{field: value})

    assert report_clock(item, "city").due_at == NOW + timedelta(minutes=30)  # 09:30 + 1 hour
    assert report_clock(item, "province").due_at == NOW + timedelta(hours=4, minutes=30)  # the same row as before


# --- policy edits --------------------------------------------------------------------------------------------


def test_a_policy_edit_applies_to_clocks_started_after_it_and_a_correction_keeps_the_terms_a_clock_started_with(
    chain, duty, traveller
):
    # given a clock started under the city's two hours
    item = file_emergency(chain.net, event_time=NOW)
    assert report_clock(item, "city").due_at == NOW + timedelta(hours=2)

    # when the administrator shortens it to 90 minutes, the running clock keeps its deadline
    policy = DeadlinePolicy.objects.get(level="city", event_grade="", event_type="")
    policy.deadline_minutes = 90
    policy.save()
    assert report_clock(item, "city").due_at == NOW + timedelta(hours=2)

    # and a correction of the event time moves it by the correction only, under the terms it started with
    clerk_corrects(chain, item, event_time=NOW - timedelta(minutes=30))
    assert report_clock(item, "city").due_at == NOW + timedelta(minutes=90)  # 09:30 + 2 hours, not 09:30 + 90 min
    # while an emergency filed now counts the new 90 minutes
    later = file_emergency(chain.net, title="第二起", event_time=NOW)
    assert report_clock(later, "city").due_at == NOW + timedelta(minutes=90)


# --- phone reports -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("called_after", "written_due"), [
    (timedelta(minutes=40), timedelta(hours=2)),  # 10:40 + 1 hour would be 11:40: the met 12:00 stands
    (timedelta(minutes=90), timedelta(minutes=150)),  # 11:30 + 1 hour: 12:30
])
def test_a_phone_report_keeps_the_later_deadline_and_is_no_new_emergency(
    chain, duty, traveller, called_after, written_due
):
    item = file_emergency(chain.net, event_time=NOW)  # the city's deadline: 12:00
    traveller.move_to(NOW + called_after)
    started = Notification.objects.filter(verb="clock.started").count()

    written = services.phone_report(actor=duty.city_duty, clock=report_clock(item, "city"), note="东湖区值班室来电")

    assert (written.kind, written.due_at) == (Clock.Kind.WRITTEN, NOW + written_due)
    assert Notification.objects.filter(verb="clock.started").count() == started
    assert not Notification.objects.filter(text__contains=item.title, created_at__gte=NOW + called_after,
                                           recipient__in=[duty.city_duty, duty.city_duty2]).exists()


def test_a_corrected_event_time_moves_the_written_report_clock_with_the_deadline_it_met(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    traveller.move_to(NOW + timedelta(minutes=40))
    written = services.phone_report(actor=duty.city_duty, clock=report_clock(item, "city"), note="东湖区值班室来电")

    clerk_corrects(chain, item, event_time=NOW + timedelta(minutes=30))  # the city's deadline becomes 12:30

    written.refresh_from_db()
    assert (written.state, written.due_at) == (Clock.State.RUNNING, NOW + timedelta(hours=2, minutes=30))
    assert report_clock(item, "city").state == Clock.State.MET


def test_the_policy_admin_says_an_edit_applies_to_clocks_started_after_it(admin_client):
    policy = DeadlinePolicy.objects.get(level="city", event_grade="", event_type="")
    for url in (reverse("admin:alerts_deadlinepolicy_changelist"),
                reverse("admin:alerts_deadlinepolicy_change", args=[policy.pk])):
        page = admin_client.get(url).content.decode()
        assert "修改只对修改后开始的报送计时生效" in page, url
    assert "只对修改后开始的计时生效" in page  # beside the deadlines themselves
