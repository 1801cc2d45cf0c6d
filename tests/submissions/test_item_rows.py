"""The item list's rows, drawn by Jinja2 from values() rows (templates/jinja2/submissions/item_rows.html), say what
the item's own page says with Django's includes: where it stands (includes/standing.html: the state and the reason on
hover, the outcome trail, the composite named and linked only for a reader who may open it) and the deadline it
races (includes/countdown.html: the attributes static/js/countdown.js reads). Compared tag by tag, attributes as a
set, so markup that means the same passes and any other difference fails. The rest of a row — the mark, the report
kind, the heading, the unit, category, urgency and the time it changed — is checked as it reads."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from infohub import access
from reviews import services as reviews
from reviews.models import Hop
from submissions import deadlines, selectors
from submissions import services as submissions
from submissions.models import Item
from tests.alerts.conftest import NOW, file_emergency

pytestmark = pytest.mark.django_db

ITEMS = reverse("submissions:item_list")


class _Parts(HTMLParser):
    """HTML as [(tag, {attributes}) | ("/tag",) | text]: what it means, whatever the order of attributes or the
    whitespace between tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        self.parts.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        self.parts.append((f"/{tag}",))

    def handle_data(self, data):
        if data.strip():
            self.parts.append(data.strip())


def parts(html: str) -> list:
    parser = _Parts()
    parser.feed(html)
    return parser.parts


def rows(client, **params) -> dict[int, list[str]]:
    """{item id: [the HTML of each cell]} of the item list's rows."""
    page = client.get(ITEMS, params).content.decode()
    found = {}
    for row in re.findall(r'<tr data-testid="item-row">(.*?)</tr>', page, re.S):
        pk = int(re.search(r'<a href="/items/(\d+)/">', row).group(1))
        found[pk] = re.findall(r"<td>(.*?)</td>", row, re.S)
    return found


def as_the_item_page_draws(user, pk: int) -> tuple[list, list]:
    """Where the item stands and its countdown, as Django's includes draw them for `user`."""
    item = Item.objects.annotate(racing_due=deadlines.racing_due()).get(pk=pk)
    selectors.name_composites(user, [item])
    standing = render_to_string("includes/standing.html", {"item": item})
    countdown = render_to_string("includes/countdown.html", {"due": item.racing_due}) if item.racing_due else ""
    return parts(standing), parts(countdown)


@pytest.fixture
def items(chain, good_item_data):
    """An item at every place it can stand, all changed at NOW (10:00 in Shanghai)."""
    net = chain.net

    def filed(title):
        item = submissions.item_create(actor=net.clerk, unit=net.county, data={**good_item_data, "title": title})
        return submissions.item_submit(actor=net.clerk, item=item)

    def at_city(title) -> Hop:
        return Hop.objects.get(item=reviews.signoff_approve(actor=net.director, item=filed(title)), office=net.city)

    with time_machine.travel(NOW, tick=False):
        first = file_emergency(net, event_time=NOW, event_grade="large", title="西岭县<b>山体滑坡</b> & “续报”'s")
        follow_up = submissions.item_submit(actor=net.clerk, item=submissions.item_follow_up(actor=net.clerk,
                                                                                             first=first))
        draft = submissions.item_follow_up(actor=net.clerk, first=first)  # races the follow-up deadline
        untitled = submissions.item_create(actor=net.clerk, unit=net.county, data={"body": "还没有标题"})
        returned = reviews.signoff_return(actor=net.director, item=filed("县里退回的"), reason="请补充<数据>")
        adopted = at_city("市采用的")
        reviews.review_adopt(actor=net.city_editor, hop=adopted, adoption="full")
        refused = at_city("市未采用的")
        reviews.review_not_adopt(actor=net.city_editor, hop=refused, reason="与前报“重复”")
        merged = [at_city(f"合并的{n}") for n in range(2)]
        composite = reviews.review_merge(actor=net.city_editor, hops=merged, title="综合：两地<合并>", body="综合。")
    return {"first": first, "follow_up": follow_up, "draft": draft, "untitled": untitled, "returned": returned,
            "adopted": adopted.item, "refused": refused.item, "merged": merged[0].item, "composite": composite.item}


@pytest.mark.parametrize("reader", ["clerk", "city_editor"])
def test_each_row_says_where_the_item_stands_and_its_deadline_as_the_item_page_does(client, chain, items, reader):
    # given the county clerk (the composite is the city's: not theirs to open) or the city editor (who wrote it)
    user = getattr(chain.net, reader)
    client.force_login(user)

    # when the item list is drawn
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        listed = rows(client)

    # then every item the reader may see has its row, whose standing and countdown mean what the includes draw
    assert set(listed) == set(access.visible(user, Item.objects.all()).values_list("pk", flat=True))
    assert items["merged"].pk in listed and (items["composite"].pk in listed) == (reader == "city_editor")
    with translation.override("zh-hans"):
        for pk, cells in listed.items():
            standing, countdown = as_the_item_page_draws(user, pk)
            assert parts(cells[4]) == standing, pk
            assert parts(cells[5]) == countdown, pk
            assert cells[6] == "2026-11-20 10:00"


def test_a_row_names_the_composite_only_to_who_may_open_it(client, chain, items):
    composite, merged = items["composite"], items["merged"]
    link = f'<a class="muted" href="/items/{composite.pk}/">→《综合：两地&lt;合并&gt;》</a>'

    client.force_login(chain.net.clerk)
    row = rows(client)[merged.pk]
    assert "市已合并" in row[4] and "并入综合信息" in row[4] and "综合：两地" not in "".join(row)

    client.force_login(chain.net.city_editor)
    row = rows(client)[merged.pk]
    assert link in row[4] and "并入综合信息" not in row[4]


def test_a_row_carries_the_mark_the_report_kind_and_the_heading_escaped_as_django_escapes(client, chain, items):
    client.force_login(chain.net.clerk)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        listed = rows(client)

    first, follow_up, draft = (listed[items[key].pk] for key in ("first", "follow_up", "draft"))
    assert '<span class="report-kind" data-testid="report-kind">首报</span>' in first[0]
    assert '<span class="report-kind" data-testid="report-kind">续报一</span>' in follow_up[0]
    assert '<span class="report-kind" data-testid="report-kind">续报</span>' in draft[0]  # numbered when filed
    assert f'<a href="/items/{items["first"].pk}/">西岭县&lt;b&gt;山体滑坡&lt;/b&gt; &amp; “续报”&#x27;s</a>' in first[0]
    assert '<span class="mark-inline mark-internal">内部</span>' in listed[items["adopted"].pk][0]
    assert "report-kind" not in listed[items["adopted"].pk][0]
    assert "（未命名草稿）</a>" in listed[items["untitled"].pk][0]  # a draft without a title yet
    assert listed[items["returned"].pk][4].count('title="理由：请补充&lt;数据&gt;"') == 1
    assert listed[items["adopted"].pk][1:4] == [
        chain.net.county.name, "工作动态", '<span class="urgency-normal">平件</span>']
    # the countdowns carry what static/js/countdown.js reads
    for cells in (first, draft):
        assert re.fullmatch(r'<span class="countdown" data-due="\d+" data-countdown data-left="剩余 \{t\}" '
                            r'data-late="超时 \{t\}" title="截止时间 \d\d-\d\d \d\d:\d\d">截止时间 \d\d-\d\d \d\d:\d\d</span>',
                            cells[5].strip()), cells[5]


def test_no_rows_say_so(client, chain):
    client.force_login(chain.net.clerk)
    page = client.get(ITEMS, {"q": "没有这样的信息"}).content.decode()
    assert 'data-testid="item-row"' not in page and '<td colspan="7" class="muted">没有符合条件的信息。</td>' in page
