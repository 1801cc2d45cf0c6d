"""Likely duplicates (SPEC §3; issue 13, point 9): two units filing one rainstorm are suggested to each other's editor
— on the review page, in the inbox and by a notification — with one-click "same event" and merge; unrelated items
are not; nobody is shown an item they may not see."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from infohub.models import AuditLog, Level, Notification, Role, Unit
from reviews import services
from reviews.models import Hop
from submissions import services as submissions
from submissions.models import Item
from submissions.selectors import likely_duplicates
from tests.factories import UnitFactory, person

pytestmark = pytest.mark.django_db

RAIN = {  # the county office's report
    "title": "东湖区湖滨街道遭遇强降雨 多处道路积水", "category": "emergency", "event_place": "东湖区湖滨街道",
    "body": "今日14时起，东湖区湖滨街道出现强降雨，小时雨量达60毫米，湖滨路等多处道路积水，区防汛办已组织抢排。",
    "event_grade": "general", "contact_phone": "0571-88886666",
}
RAIN_AGAIN = {  # the city emergency bureau's report of the same rainstorm, in its own words
    "title": "湖滨街道强降雨致多处积水 应急部门开展抢排", "category": "emergency", "event_place": "湖滨街道",
    "body": "受强降雨影响，东湖区湖滨街道湖滨路、滨江路多处积水，市应急管理局派出排涝队伍抢排，暂无人员伤亡。",
    "event_grade": "general", "contact_phone": "0571-88880000",
}


@pytest.fixture
def bureau(chain):
    """The city's emergency bureau: a department reporting to the city office, with its clerk and director."""
    unit = UnitFactory(name="临江市应急管理局", code="t-lj-yj", level=Level.CITY, kind=Unit.Kind.DEPARTMENT,
                       parent=chain.net.city)
    return unit, person(unit, Role.CLERK, username="yj_clerk"), person(unit, Role.DIRECTOR, username="yj_director")


def _received(data, *, clerk, unit, director, hours_ago=1.0, **changes) -> Hop:
    data = {**data, "event_time": timezone.now() - timedelta(hours=hours_ago), **changes}
    item = submissions.item_submit(actor=clerk, item=submissions.item_create(actor=clerk, unit=unit, data=data))
    services.signoff_approve(actor=director, item=item)
    return Hop.objects.get(item=item)


@pytest.fixture
def rain(chain, bureau):
    """(the county's rain hop, the bureau's rain hop), both awaiting review at the city office."""
    net = chain.net
    unit, clerk, director = bureau
    first = _received(RAIN, clerk=net.clerk, unit=net.county, director=net.director)
    second = _received(RAIN_AGAIN, clerk=clerk, unit=unit, director=director, hours_ago=1.5)
    return first, second


def test_two_units_filing_one_rainstorm_are_suggested_to_each_other_and_unrelated_items_are_not(chain, bureau, rain):
    net = chain.net
    unit, clerk, director = bureau
    other_director = person(net.other_county, Role.DIRECTOR, username="xl_director")
    first, second = rain
    # given, at the city as well: a fire in the same street at the same time; the same rainstorm's wording from
    # another county; the same street's rain three days ago; and a work report in the rainstorm's words
    fire = _received({**RAIN, "title": "湖滨街道一居民楼发生火情", "body": "今日15时许，东湖区湖滨街道一居民楼起火，"
                      "消防已到场处置，暂无人员伤亡报告。"}, clerk=clerk, unit=unit, director=director)
    elsewhere = _received({**RAIN, "title": "西岭县山区遭遇强降雨 多处道路积水", "event_place": "西岭县山区"},
                          clerk=net.other_clerk, unit=net.other_county, director=other_director)
    earlier = _received(RAIN, clerk=net.clerk, unit=net.county, director=net.director, hours_ago=72)
    work = _received({**RAIN, "category": "work_progress"}, clerk=net.clerk, unit=net.county, director=net.director)
    items = [hop.item for hop in (first, second, fire, elsewhere, earlier, work)]

    # when the city editor's suggestions are asked for all of them at once
    found = likely_duplicates(net.city_editor, items)

    # then the two reports of the rainstorm name each other, and nothing else is suggested
    assert [d.item for d in found[first.item_id]] == [second.item]
    assert [d.item for d in found[second.item_id]] == [first.item]
    assert all(found[hop.item_id] == [] for hop in (fire, elsewhere, earlier, work))
    assert 0.15 <= found[first.item_id][0].similarity <= 1


def test_the_editor_sees_them_on_the_review_page_and_in_the_inbox_and_marks_them_as_one_event(client, chain, rain):
    net = chain.net
    first, second = rain
    client.force_login(net.city_editor)
    # when the editor opens the first one's review page, its suggestions are drawn after it (htmx)
    page = client.get(reverse("reviews:hop_detail", args=[first.pk])).content.decode()
    fragment = reverse("reviews:item_duplicates", args=[first.item_id])
    assert f'hx-get="{fragment}"' in page
    panel = client.get(fragment).content.decode()
    # then the other unit's report is there, with who filed it, a one-click link and a merge of the two hops
    assert second.item.title in panel and "临江市应急管理局" in panel and "相似度" in panel
    assert f'name="other" value="{second.item_id}"' in panel
    assert f'name="hops" value="{first.pk}"' in panel and f'name="hops" value="{second.pk}"' in panel
    assert first.item.title in client.get(reverse("reviews:item_duplicates", args=[second.item_id])).content.decode()
    # and the inbox shows the pair once, in a panel of its own drawn after the list
    inbox = client.get(reverse("reviews:inbox")).content.decode()
    assert reverse("reviews:inbox_duplicates") in inbox
    pairs = client.get(reverse("reviews:inbox_duplicates"), {"tab": "received"})
    assert pairs.content.decode().count('data-testid="duplicate-pair"') == 1

    # when the editor marks them as the same event, by htmx
    response = client.post(reverse("reviews:same_event", args=[first.item_id]), {"other": second.item_id},
                           HTTP_HX_REQUEST="true")
    # then the button turns into the mark; both items name each other; it is audited on both
    assert "已标为同一事件" in response.content.decode()
    assert list(first.item.related_items.all()) == [second.item]
    assert AuditLog.objects.filter(action="item.same_event").count() == 2
    # and the inbox no longer suggests them, while the review page says they are marked
    assert client.get(reverse("reviews:inbox_duplicates"), {"tab": "received"}).content == b""
    assert "已标为同一事件" in client.get(fragment).content.decode()
    # marking again changes nothing
    client.post(reverse("reviews:same_event", args=[first.item_id]), {"other": second.item_id})
    assert AuditLog.objects.filter(action="item.same_event").count() == 2


def test_merging_from_a_suggestion_opens_the_composite_form_with_both(client, chain, rain):
    first, second = rain
    client.force_login(chain.net.city_editor)
    form = client.post(reverse("reviews:merge"), {"hops": [first.pk, second.pk]})
    assert form.status_code == 200
    assert first.item.title in form.content.decode() and second.item.title in form.content.decode()


def test_the_arrival_of_a_likely_duplicate_is_told_to_the_editor(chain, bureau, django_capture_on_commit_callbacks):
    net = chain.net
    unit, clerk, director = bureau
    _received(RAIN, clerk=net.clerk, unit=net.county, director=net.director)
    # when the bureau's report of the same rainstorm reaches the city
    with django_capture_on_commit_callbacks(execute=True):
        second = _received(RAIN_AGAIN, clerk=clerk, unit=unit, director=director)
    # then the city's editors are told, in the app, with a link to its review page
    told = Notification.objects.filter(verb="item.likely_duplicate")
    assert {n.recipient for n in told} == {net.city_editor, chain.city_editor2}
    assert all(n.url == reverse("reviews:hop_detail", args=[second.pk]) for n in told)
    assert "可能与“东湖区湖滨街道遭遇强降雨 多处道路积水”" in told.first().text


def test_nobody_is_shown_an_item_they_may_not_see(client, chain, rain):
    net = chain.net
    first, second = rain
    # the county's clerk filed the first report; the bureau's is not his to see: no suggestion at all
    client.force_login(net.clerk)
    assert client.get(reverse("reviews:item_duplicates", args=[first.item_id])).content == b""
    # an editor of another city may not see either: 404, as if they did not exist, and no link can be made
    client.force_login(chain.foreign_editor)
    assert client.get(reverse("reviews:item_duplicates", args=[first.item_id])).status_code == 404
    assert client.post(reverse("reviews:same_event", args=[first.item_id]), {"other": second.item_id}).status_code == 404
    assert not first.item.related_items.exists()
    # the county's clerk naming the bureau's item (which he may not see) links nothing, and is told "no such item"
    client.force_login(net.clerk)
    response = client.post(reverse("reviews:same_event", args=[first.item_id]), {"other": second.item_id},
                           follow=True)
    assert "没有这条信息" in response.content.decode()
    assert not first.item.related_items.exists()


def test_a_clerk_filing_an_event_his_unit_already_reported_is_shown_the_earlier_report(client, chain, rain):
    net = chain.net
    first, _second = rain
    colleague = person(net.county, Role.CLERK, username="dh_clerk2")
    # when a colleague files the same rainstorm a little later
    item = submissions.item_create(actor=colleague, unit=net.county, data={
        **RAIN, "title": "湖滨街道强降雨积水情况", "event_time": timezone.now() - timedelta(hours=1)})
    submissions.item_submit(actor=colleague, item=item)
    # then his item's page draws the earlier report, which he may link as the same event
    client.force_login(colleague)
    page = client.get(reverse("submissions:item_detail", args=[item.pk])).content.decode()
    assert reverse("reviews:item_duplicates", args=[item.pk]) in page
    panel = client.get(reverse("reviews:item_duplicates", args=[item.pk])).content.decode()
    assert first.item.title in panel and "标为同一事件" in panel and 'name="hops"' not in panel
    client.post(reverse("reviews:same_event", args=[item.pk]), {"other": first.item_id})
    assert Item.objects.get(pk=item.pk).related_items.get() == first.item
