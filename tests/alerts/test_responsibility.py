"""Who answers for a lapse (SPEC §5, issue 13 point 4): a 迟报 names whoever held the report when its deadline
passed — the clerk while a draft or returned, the director while it awaited sign-off, the office (its director, or
the editor who adopted it and did not propose it upward) while it awaited review or forwarding; a 漏报 from a chase
names the chased unit's director. And the warnings before a deadline go to whoever can move the report on."""

from datetime import timedelta

import pytest
from django.urls import reverse

from alerts import services
from alerts.models import Clock, Lapse
from alerts.sweep import sweep_all
from infohub.models import Notification
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions

from .conftest import NOW, file_emergency

pytestmark = pytest.mark.django_db


def swept_at(traveller, when):
    traveller.move_to(when)
    sweep_all()


def city_lapse(item):
    return Lapse.objects.get(clock__item=item, clock__level="city", clock__kind=Clock.Kind.REPORT)


def province_lapse(item):
    return Lapse.objects.get(clock__item=item, clock__level="province", clock__kind=Clock.Kind.REPORT)


CITY_DUE, PROVINCE_DUE = NOW + timedelta(hours=2, seconds=1), NOW + timedelta(hours=5, seconds=1)


def test_awaiting_sign_off_the_director_answers_not_the_clerk_who_filed_on_time(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)

    swept_at(traveller, CITY_DUE)

    lapse = city_lapse(item)
    assert (lapse.kind, lapse.unit, lapse.person) == (Lapse.Kind.LATE, chain.net.county, chain.net.director)
    assert "awaiting the director" in lapse.reason or "待单位负责人签发" in lapse.reason


def test_a_draft_again_the_clerk_answers(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    submissions.item_withdraw(actor=chain.net.clerk, item=item)  # back to a draft to correct it

    swept_at(traveller, CITY_DUE)

    assert (city_lapse(item).unit, city_lapse(item).person) == (chain.net.county, chain.net.clerk)


def test_returned_at_sign_off_the_clerk_answers(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    reviews.signoff_return(actor=chain.net.director, item=item, reason="伤亡数字再核实")

    swept_at(traveller, CITY_DUE)

    assert (city_lapse(item).unit, city_lapse(item).person) == (chain.net.county, chain.net.clerk)


def test_returned_by_the_city_the_clerk_answers_for_the_province(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    reviews.signoff_approve(actor=chain.net.director, item=item)
    hop = Hop.objects.get(item=item)
    reviews.review_return(actor=chain.net.city_editor, hop=hop, reason="请补充处置措施")

    swept_at(traveller, PROVINCE_DUE)

    assert (province_lapse(item).unit, province_lapse(item).person) == (chain.net.county, chain.net.clerk)


def test_awaiting_review_at_the_city_its_director_answers(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    reviews.signoff_approve(actor=chain.net.director, item=item)  # reached the city in time

    swept_at(traveller, PROVINCE_DUE)

    lapse = province_lapse(item)
    assert (lapse.unit, lapse.person) == (chain.net.city, chain.city_director)
    assert city_lapse_missing(item)


def city_lapse_missing(item):
    return not Lapse.objects.filter(clock__item=item, clock__level="city").exists()


def test_adopted_and_never_proposed_upward_the_editor_who_adopted_it_answers(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    reviews.signoff_approve(actor=chain.net.director, item=item)
    reviews.review_adopt(actor=chain.city_editor2, hop=Hop.objects.get(item=item), adoption="full")

    swept_at(traveller, PROVINCE_DUE)

    assert (province_lapse(item).unit, province_lapse(item).person) == (chain.net.city, chain.city_editor2)


def test_awaiting_the_city_directors_signature_to_go_up_the_city_director_answers(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    reviews.signoff_approve(actor=chain.net.director, item=item)
    hop = reviews.review_adopt(actor=chain.net.city_editor, hop=Hop.objects.get(item=item), adoption="full")
    reviews.forward_request(actor=chain.net.city_editor, hop=hop)

    swept_at(traveller, PROVINCE_DUE)

    assert (province_lapse(item).unit, province_lapse(item).person) == (chain.net.city, chain.city_director)


def test_signed_off_after_the_deadline_before_the_sweep_the_county_director_answers(chain, duty, traveller):
    # the report reaches the city a second late, before any sweep: late, held by whoever held it at the deadline
    item = file_emergency(chain.net, event_time=NOW)
    traveller.move_to(CITY_DUE)

    reviews.signoff_approve(actor=chain.net.director, item=item)

    lapse = city_lapse(item)
    assert (lapse.unit, lapse.person) == (chain.net.county, chain.net.director)


def test_a_missed_chase_names_the_chased_units_director_and_reads_missed_in_the_queue(chain, duty, traveller, client):
    chase = services.chase_record(actor=duty.city_duty, office=chain.net.city, unit=chain.net.county,
                                  channel="media", summary="网传东湖区一桥梁垮塌", minutes=30)

    swept_at(traveller, NOW + timedelta(minutes=31))

    lapse = Lapse.objects.get(chase=chase)
    assert (lapse.kind, lapse.unit, lapse.person) == (Lapse.Kind.MISSED, chain.net.county, chain.net.director)
    client.force_login(duty.city_duty)
    rows = client.get(reverse("alerts:queue")).content.decode().split('id="queue-rows"')[1].split("</tbody>")[0]
    assert ">漏报<" in rows and ">迟报<" not in rows
    assert Clock.objects.get(chase=chase).state_label == "漏报"


def test_warnings_before_a_deadline_go_to_who_can_move_the_report_on(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)

    # awaiting sign-off at half time: the county director is warned (and the clerk who filed it)
    swept_at(traveller, NOW + timedelta(hours=1))
    warned = set(Notification.objects.filter(verb="clock.reminder").values_list("recipient__username", flat=True))
    assert {"dh_director", "dh_clerk", "lj_duty"} <= warned

    # at the city, waiting to be adopted and sent up: the city's editors hear of the province's deadline
    reviews.signoff_approve(actor=chain.net.director, item=item)
    Notification.objects.all().delete()
    swept_at(traveller, NOW + timedelta(hours=2, minutes=30))  # the province's half time
    warned = set(Notification.objects.filter(verb="clock.reminder").values_list("recipient__username", flat=True))
    assert {"lj_editor", "lj_editor2", "lj_director", "jn_duty"} <= warned

    # awaiting the city director's signature: he is warned 30 minutes before
    hop = reviews.review_adopt(actor=chain.net.city_editor, hop=Hop.objects.get(item=item), adoption="full")
    reviews.forward_request(actor=chain.net.city_editor, hop=hop)
    Notification.objects.all().delete()
    swept_at(traveller, NOW + timedelta(hours=4, minutes=30))
    warned = set(Notification.objects.filter(verb="clock.reminder").values_list("recipient__username", flat=True))
    assert "lj_director" in warned
