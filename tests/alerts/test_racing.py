"""The deadline where people act (issue 13, point 3) and the report's kind everywhere (point 2): the open clock an
item races is shown with a live countdown wherever someone can move it on, and 首报 / 续报二 / 终报 name each report
in every list and page title."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from alerts import services
from alerts.models import Clock
from reviews import services as reviews
from reviews.models import Hop
from submissions import deadlines
from submissions import services as submissions
from submissions.models import Item

from .conftest import NOW, file_emergency

pytestmark = pytest.mark.django_db

CITY_DUE, PROVINCE_DUE = NOW + timedelta(hours=2), NOW + timedelta(hours=5)


def racing(item):
    return Item.objects.annotate(due=deadlines.racing_due()).get(pk=item.pk).due


def countdowns(page: str) -> list[int]:
    return [int(due) for due in re.findall(r'data-countdown[^>]*data-due="(\d+)"|data-due="(\d+)"[^>]*data-countdown',
                                           page) for due in due if due]


def test_an_item_races_the_next_level_it_must_reach(chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    assert racing(item) == CITY_DUE == deadlines.racing_of(item).due_at
    assert deadlines.racing_of(item).office == chain.net.city.name

    reviews.signoff_approve(actor=chain.net.director, item=item)  # the city's clock stops: the province's is next
    assert racing(item) == PROVINCE_DUE
    assert Hop.objects.annotate(due=deadlines.racing_due("item__")).get(item=item).due == PROVINCE_DUE

    plain = submissions.item_create(actor=chain.net.clerk, unit=chain.net.county, data={
        "title": "一条普通信息", "body": "正文", "category": "work_progress", "contact_phone": "0571-88886666"})
    assert racing(plain) is None and deadlines.racing_of(plain) is None


def test_a_follow_up_draft_races_the_follow_up_deadline_until_filed(chain, duty, traveller):
    first = file_emergency(chain.net, event_time=NOW, event_grade="large")  # follow-ups due 17:00 and 08:00
    draft = submissions.item_follow_up(actor=chain.net.clerk, first=first)
    assert racing(draft) == NOW + timedelta(hours=7)
    submissions.item_submit(actor=chain.net.clerk, item=draft)
    assert racing(draft) is None  # filing it met the deadline


def test_a_phone_report_never_moves_the_written_deadline_earlier(chain, duty, traveller):
    # the case: due at the city at 18:38, phoned at 17:26, the written report's hour after the call is 18:26
    item = file_emergency(chain.net, event_time=NOW)  # due 12:00
    traveller.move_to(CITY_DUE - timedelta(minutes=12) - timedelta(minutes=60))  # phoned at 10:48: 11:48 < 12:00

    written = services.phone_report(actor=duty.city_duty, clock=Clock.objects.get(item=item, level="city"),
                                    note="东湖区值班室电话报告")

    assert written.due_at == CITY_DUE and racing(item) == CITY_DUE


def test_the_sign_off_list_and_page_show_the_countdown_and_the_kind(client, chain, duty, traveller):
    first = file_emergency(chain.net, event_time=NOW, event_grade="large", title="东湖区一化工厂爆炸")
    client.force_login(chain.net.director)

    page = client.get(reverse("reviews:signoff_list")).content.decode()
    assert int(CITY_DUE.timestamp()) in countdowns(page)
    assert '<span class="report-kind">首报</span>' in page

    detail = client.get(reverse("reviews:signoff_detail", args=[first.pk])).content.decode()
    assert int(CITY_DUE.timestamp()) in countdowns(detail)
    assert "<title>审核签发 · 首报 · 东湖区一化工厂爆炸 · InfoHub</title>" in detail or "首报 · 东湖区一化工厂爆炸" in detail
    assert 'data-testid="racing"' in detail and chain.net.city.name in detail

    # a follow-up: 续报一 in the list and the title, with the same event title beside it
    reviews.signoff_approve(actor=chain.net.director, item=first)
    follow = submissions.item_submit(actor=chain.net.clerk, item=submissions.item_follow_up(
        actor=chain.net.clerk, first=first))
    page = client.get(reverse("reviews:signoff_list")).content.decode()
    assert '<span class="report-kind">续报一</span>' in page
    detail = client.get(reverse("reviews:signoff_detail", args=[follow.pk])).content.decode()
    assert "续报一 · 东湖区一化工厂爆炸" in detail


def test_the_hop_page_the_inbox_and_the_forwarding_list_show_the_provinces_deadline(client, chain, duty, traveller):
    item = file_emergency(chain.net, event_time=NOW)
    reviews.signoff_approve(actor=chain.net.director, item=item)
    hop = Hop.objects.get(item=item)
    client.force_login(chain.net.city_editor)

    assert int(PROVINCE_DUE.timestamp()) in countdowns(client.get(reverse("reviews:inbox")).content.decode())
    page = client.get(reverse("reviews:hop_detail", args=[hop.pk])).content.decode()
    assert int(PROVINCE_DUE.timestamp()) in countdowns(page) and chain.net.province.name in page

    reviews.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="full")
    reviews.forward_request(actor=chain.net.city_editor, hop=hop)
    client.force_login(chain.city_director)
    page = client.get(reverse("reviews:forward_list")).content.decode()
    assert int(PROVINCE_DUE.timestamp()) in countdowns(page) and "首报" in page


def test_the_item_list_and_pages_carry_the_kind_and_the_follow_up_editor_says_which_report(client, chain, duty,
                                                                                          traveller):
    first = file_emergency(chain.net, event_time=NOW, event_grade="large", title="西岭县山体滑坡")
    one = submissions.item_submit(actor=chain.net.clerk, item=submissions.item_follow_up(actor=chain.net.clerk,
                                                                                          first=first))
    draft = submissions.item_follow_up(actor=chain.net.clerk, first=first)
    client.force_login(chain.net.clerk)

    page = client.get(reverse("submissions:item_list")).content.decode()
    kinds = re.findall(r'data-testid="report-kind">([^<]+)<', page)
    assert sorted(kinds) == sorted(["首报", "续报一", "续报"])
    assert "<title>续报一 · 西岭县山体滑坡 · InfoHub</title>" in client.get(
        reverse("submissions:item_detail", args=[one.pk])).content.decode()

    editor = client.get(reverse("submissions:item_edit", args=[draft.pk])).content.decode()
    assert re.search(r'data-testid="writing">[^<]*续报二', editor)
    assert "西岭县山体滑坡" in editor and f'href="/items/{first.pk}/"' in editor
    assert int((NOW + timedelta(hours=7)).timestamp()) in countdowns(editor)  # the follow-up it races
