"""Merging emergencies (综合): the composite races its sources' deadlines, and only it does (issue 13).

Two counties report one event; the city merges their reports into a composite and sends that up. The province and
the centre wait for the composite now: its clocks are due by the earliest of the sources', the sources' clocks there
stop (stopped_by "merged"), so a late composite is one 迟报, and a composite on time none.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from alerts import services
from alerts.models import Clock, Escalation, Lapse
from alerts.sweep import sweep_all
from infohub.models import AuditLog, Notification, Role
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from tests.factories import person

from .conftest import NOW, emergency_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_director(chain):
    return person(chain.net.other_county, Role.DIRECTOR, username="xl_director")


def at_city(chain, other_director, *, other=False, **overrides):
    """An emergency filed by a county and signed off: received by the city (its city clock met)."""
    net = chain.net
    clerk, unit, director = ((net.other_clerk, net.other_county, other_director) if other
                             else (net.clerk, net.county, net.director))
    item = submissions.item_create(actor=clerk, unit=unit, data=emergency_data(**overrides))
    submissions.item_submit(actor=clerk, item=item)
    reviews.signoff_approve(actor=director, item=item)
    return Hop.objects.get(item=item, office=net.city)


def merge(chain, hops):
    return reviews.review_merge(actor=chain.net.city_editor, hops=hops, title="东湖、西岭两地化工厂火灾情况综合",
                                body="两地化工厂先后起火，均已处置。")


def send_up(chain, hop):
    reviews.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="combined")
    reviews.forward_request(actor=chain.net.city_editor, hop=hop)
    return reviews.forward_signoff(actor=chain.city_director, hop=hop)


def clock(item, level, **filters):
    return Clock.objects.get(item=item, level=level, **filters)


def test_the_composite_races_the_earliest_deadline_of_its_sources_and_theirs_stop(chain, duty, other_director,
                                                                                   traveller):
    # given two reports of one event at the city, the second one's event earlier (its deadlines come first)
    a = at_city(chain, other_director, event_time=NOW - timedelta(minutes=10))
    b = at_city(chain, other_director, other=True, title="西岭县一化工厂发生火灾", event_time=NOW - timedelta(minutes=40))
    traveller.move_to(NOW + timedelta(minutes=5))

    # when the city merges them
    composite = merge(chain, [a, b]).item

    # then the composite waits at the province and the centre, due by the earlier source's deadline there
    for level, hours in (("province", 5), ("central", 6)):
        mine = clock(composite, level)
        assert (mine.state, mine.kind, mine.office) == (Clock.State.RUNNING, Clock.Kind.REPORT,
                                                        chain.net.province if level == "province" else chain.central)
        assert mine.due_at == NOW - timedelta(minutes=40) + timedelta(hours=hours)
        assert mine.started_at == NOW - timedelta(minutes=40)
        for source in (a.item, b.item):  # and the sources' clocks there no longer race
            theirs = clock(source, level)
            assert (theirs.state, theirs.stopped_by) == (Clock.State.CANCELLED, "merged")
            assert theirs.stopped_at == NOW + timedelta(minutes=5) and theirs.remind_at is None
    assert not Clock.objects.filter(item=composite, level="city").exists()  # it is the city's own item
    # the duty officers above are told the event continues as the composite, not of a new emergency
    merged = Notification.objects.get(verb="clock.merged", recipient=duty.province_duty)
    assert "东湖、西岭两地化工厂火灾情况综合" in merged.text and merged.url == reverse(
        "alerts:clock_detail", args=[clock(composite, "province").pk])
    assert not Notification.objects.filter(verb="clock.started", recipient=duty.province_duty,
                                           url=merged.url).exists()
    assert AuditLog.objects.filter(action="clock.merge").count() == 4


def test_a_composite_that_arrives_in_time_leaves_no_lapse(chain, duty, other_director, traveller):
    a = at_city(chain, other_director, event_time=NOW - timedelta(minutes=10))
    b = at_city(chain, other_director, other=True, event_time=NOW - timedelta(minutes=40))
    hop = merge(chain, [a, b])
    traveller.move_to(NOW + timedelta(hours=1))

    send_up(chain, hop)  # the province receives the composite in time

    assert (clock(hop.item, "province").state, clock(hop.item, "province").stopped_by) == (Clock.State.MET, "received")
    traveller.move_to(NOW + timedelta(hours=5, minutes=1))  # past every source's province deadline
    sweep_all()
    assert not Lapse.objects.filter(clock__level="province").exists()
    assert clock(hop.item, "central").state == Clock.State.RUNNING  # the centre still waits for the composite


def test_a_composite_held_past_the_deadline_is_one_lapse_against_its_holder(chain, duty, other_director, traveller):
    a = at_city(chain, other_director, event_time=NOW - timedelta(minutes=10))
    b = at_city(chain, other_director, other=True, event_time=NOW - timedelta(minutes=40))
    hop = merge(chain, [a, b])

    traveller.move_to(NOW - timedelta(minutes=40) + timedelta(hours=5, seconds=1))  # the earlier deadline passed
    sweep_all()

    # one event, one 迟报: the composite's, against the city office holding it (awaiting its review: its director)
    lapse = Lapse.objects.get(clock__level="province")
    assert (lapse.item, lapse.unit, lapse.person) == (hop.item, chain.net.city, chain.city_director)
    traveller.move_to(NOW + timedelta(hours=5, seconds=1))  # the later source's deadline too
    sweep_all()
    assert Lapse.objects.filter(clock__level="province").count() == 1


def test_a_source_already_late_keeps_its_lapse_until_the_composite_arrives(chain, duty, other_director, traveller):
    # given a report that missed the province's deadline before the city merged it with a later one
    late = at_city(chain, other_director, event_time=NOW - timedelta(hours=5, minutes=1))
    sweep_all()
    assert clock(late.item, "province").state == Clock.State.BREACHED
    b = at_city(chain, other_director, other=True, event_time=NOW - timedelta(minutes=10))

    hop = merge(chain, [late, b])

    # the composite races the deadline still running (the later report's); the missed one stays open and on record
    assert clock(hop.item, "province").due_at == NOW - timedelta(minutes=10) + timedelta(hours=5)
    missed = clock(late.item, "province")
    assert (missed.state, missed.stopped_at) == (Clock.State.BREACHED, None)
    # when the composite reaches the province, it stops there too, as arrived in the composite
    traveller.move_to(NOW + timedelta(minutes=30))
    send_up(chain, hop)
    missed.refresh_from_db()
    assert (missed.stopped_by, missed.stopped_at) == ("composite", NOW + timedelta(minutes=30))
    assert Lapse.objects.filter(clock=missed).count() == 1  # recorded once, before
    assert not Lapse.objects.filter(item=hop.item).exists()


def test_a_source_clock_left_running_stops_when_the_composite_arrives(chain, duty, other_director, traveller):
    """Composites merged before the hand-over was kept (or non-emergency ones): their arrival stops the sources'."""
    a = at_city(chain, other_director, event_time=NOW - timedelta(minutes=10))
    b = at_city(chain, other_director, other=True, event_time=NOW - timedelta(minutes=40))
    hop = merge(chain, [a, b])
    Clock.objects.filter(item__in=[a.item, b.item], stopped_by="merged").update(  # as before the fix
        state=Clock.State.RUNNING, stopped_at=None, stopped_by="")
    traveller.move_to(NOW + timedelta(hours=1))

    send_up(chain, hop)

    for source in (a.item, b.item):
        theirs = clock(source, "province")
        assert (theirs.state, theirs.stopped_by, theirs.stopped_at) == (Clock.State.MET, "composite",
                                                                        NOW + timedelta(hours=1))
        assert clock(source, "central").stopped_at is None  # the composite has not reached the centre


def test_the_composite_is_acknowledged_where_a_source_was_and_sends_no_reminder_twice(chain, duty, other_director,
                                                                                      traveller):
    a = at_city(chain, other_director, event_time=NOW - timedelta(minutes=10))
    b = at_city(chain, other_director, other=True, event_time=NOW - timedelta(minutes=40))
    services.acknowledge(actor=duty.province_duty, clock=clock(b.item, "province"))
    # the half-time reminder of the earlier source's province deadline went out
    traveller.move_to(NOW - timedelta(minutes=40) + timedelta(hours=2, minutes=31))
    sweep_all()
    assert Escalation.objects.filter(clock=clock(b.item, "province"), key="half").exists()

    composite = merge(chain, [a, b]).item

    mine = clock(composite, "province")
    assert (mine.acknowledged_by, mine.acknowledge_due_at) == (duty.province_duty, None)
    assert [key for key, _at in mine.reminder_plan] == ["before-30"]
    traveller.move_to(NOW - timedelta(minutes=40) + timedelta(hours=4, minutes=31))
    sweep_all()
    assert list(Escalation.objects.filter(clock=mine).values_list("key", flat=True)) == ["before-30"]
    assert not Escalation.objects.filter(clock__item__in=[a.item, b.item], key="before-30",
                                         clock__level="province").exists()


def test_the_source_clock_page_says_it_was_merged_and_links_the_composite(chain, duty, other_director, traveller,
                                                                         client):
    a = at_city(chain, other_director, event_time=NOW - timedelta(minutes=10))
    b = at_city(chain, other_director, other=True, event_time=NOW - timedelta(minutes=40))
    composite = merge(chain, [a, b]).item
    client.force_login(duty.province_duty)

    page = client.get(reverse("alerts:clock_detail", args=[clock(a.item, "province").pk])).content.decode()

    assert "已合并为综合信息" in page
    assert reverse("submissions:item_detail", args=[composite.pk]) in page
