"""Start pages as SPEC §10 lists them (issue 13, point 6): per role, what to act on now, most urgent first, and the
unit's standing."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alerts import services as alerts
from alerts.sweep import sweep_all
from infohub.models import Role
from project import start
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from tests.alerts.conftest import NOW, Duty, file_emergency
from tests.factories import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def duty(chain) -> Duty:
    return Duty(
        city_duty=person(chain.net.city, Role.DUTY_OFFICER, username="lj_duty"),
        city_duty2=person(chain.net.city, Role.DUTY_OFFICER, username="lj_duty2"),
        province_duty=person(chain.net.province, Role.DUTY_OFFICER, username="jn_duty"),
        foreign_duty=person(chain.foreign_city, Role.DUTY_OFFICER, username="qs_duty"),
    )


@pytest.fixture
def traveller():
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def home(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def section(page: str, testid: str) -> str:
    start_at = page.index(f'data-testid="{testid}"')
    return page[start_at:page.index("</section>", start_at)]


def test_the_clerk_sees_the_chase_first_with_its_countdown_then_returned_and_drafts(client, chain, duty, traveller,
                                                                                   good_item_data):
    net = chain.net
    draft = submissions.item_create(actor=net.clerk, unit=net.county, data={**good_item_data, "title": "一份草稿"})
    returned = submissions.item_submit(actor=net.clerk, item=submissions.item_create(
        actor=net.clerk, unit=net.county, data={**good_item_data, "title": "被退回的一条"}))
    reviews.signoff_return(actor=net.director, item=returned, reason="数字要核实")
    chase = alerts.chase_record(actor=duty.city_duty, office=net.city, unit=net.county, channel="media",
                                summary="网传东湖区一桥梁垮塌", minutes=5)

    tasks = section(home(client, net.clerk), "tasks")

    assert tasks.index("网传东湖区一桥梁垮塌") < tasks.index("被退回的一条") < tasks.index("一份草稿")
    assert f'data-due="{int(chase.due_at.timestamp())}"' in tasks
    assert "数字要核实" in tasks
    assert draft.title in tasks


def test_the_clerk_sees_where_sent_items_stand_the_units_month_and_a_link_to_its_lapses(client, chain, duty,
                                                                                       traveller, good_item_data):
    net = chain.net
    item = submissions.item_submit(actor=net.clerk, item=submissions.item_create(
        actor=net.clerk, unit=net.county, data={**good_item_data, "title": "已采用的一条"}))
    reviews.signoff_approve(actor=net.director, item=item)
    reviews.review_adopt(actor=net.city_editor, hop=Hop.objects.get(item=item), adoption="full")
    late = file_emergency(net, event_time=NOW)
    traveller.move_to(NOW + timedelta(hours=2, seconds=1))
    sweep_all()

    page = home(client, net.clerk)

    assert "市采用" in section(page, "sent")
    standing = section(page, "unit-standing")
    assert 'href="/alerts/lapses/"' in standing and late.title in standing
    assert "2 条" in standing or "2 items filed" in standing
    assert net.director.display_name in standing  # the director answers: it was awaiting his signature


def test_the_director_sees_the_emergency_racing_a_deadline_first_and_the_units_month(client, chain, duty, traveller,
                                                                                    good_item_data):
    net = chain.net
    older = submissions.item_submit(actor=net.clerk, item=submissions.item_create(
        actor=net.clerk, unit=net.county, data={**good_item_data, "title": "早些的普通信息", "urgency": "extra_urgent"}))
    traveller.move_to(NOW + timedelta(minutes=5))
    fire = file_emergency(net, event_time=NOW)
    adopted = submissions.item_submit(actor=net.clerk, item=submissions.item_create(
        actor=net.clerk, unit=net.county, data={**good_item_data, "title": "本月采用的"}))
    reviews.signoff_approve(actor=net.director, item=adopted)
    reviews.review_adopt(actor=net.city_editor, hop=Hop.objects.get(item=adopted), adoption="full")

    page = home(client, net.director)

    to_sign = section(page, "to-sign")
    assert to_sign.index(fire.title) < to_sign.index(older.title)
    assert f'data-due="{int((NOW + timedelta(hours=2)).timestamp())}"' in to_sign and "首报" in to_sign
    standing = section(page, "unit-standing")
    assert re.search(r'data-testid="adopted-total">(采用 1 次|1 adoption)<', standing) and "市 1" in standing
    assert "本月采用的" in standing


def test_the_editor_sees_the_inbox_summary_and_what_races_a_deadline(client, chain, duty, traveller, good_item_data):
    net = chain.net
    fire = file_emergency(net, event_time=NOW)
    reviews.signoff_approve(actor=net.director, item=fire)
    hop = reviews.review_adopt(actor=net.city_editor, hop=Hop.objects.get(item=fire), adoption="full")
    plain = submissions.item_submit(actor=net.clerk, item=submissions.item_create(
        actor=net.clerk, unit=net.county, data=good_item_data))
    reviews.signoff_approve(actor=net.director, item=plain)

    page = home(client, net.city_editor)

    assert plain.title in section(page, "start-inbox")
    racing = section(page, "start-racing")
    assert fire.title in racing and f'data-due="{int((NOW + timedelta(hours=5)).timestamp())}"' in racing
    assert hop.forward == ""


def test_the_duty_officer_sees_the_queue_counts_and_the_chases(client, chain, duty, traveller):
    net = chain.net
    file_emergency(net, event_time=NOW - timedelta(hours=3))  # already past the city's deadline
    alerts.chase_record(actor=duty.city_duty, office=net.city, unit=net.other_county, channel="police",
                        summary="西岭县一工地塌方", minutes=30)
    sweep_all()

    page = home(client, duty.city_duty)

    assert re.search(r'data-testid="urgent">.*?<span class="badge">2</span>', page, re.S)
    assert "西岭县一工地塌方" in section(page, "start-chases")
    assert "迟报" in section(page, "urgent")


def test_a_leader_with_no_section_yet_still_gets_a_page(client, chain):
    leader = person(chain.net.city, Role.LEADER, username="lj_leader")
    assert client.get(reverse("home")).status_code == 302
    assert "InfoHub" in home(client, leader)


def test_the_start_page_costs_the_same_queries_whatever_the_lists_hold(client, chain, duty, traveller,
                                                                       good_item_data):
    net = chain.net
    user = person(net.county, Role.CLERK, Role.DIRECTOR, username="both")
    client.force_login(user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    file_emergency(net, event_time=NOW)
    queries()  # what a process reads once (the names of units, a calendar) is read here
    one = queries()
    for n in range(4):
        file_emergency(net, event_time=NOW, title=f"又一起{n}")
        submissions.item_create(actor=user, unit=net.county, data={**good_item_data, "title": f"草稿{n}"})
    assert queries() == one


def test_sections_are_per_role(chain):
    names = {shown.section.name for shown in start.start_page(chain.net.clerk)}
    assert names == {"clerk"}
    names = {shown.section.name for shown in start.start_page(chain.net.director)}
    assert names == {"director"}
