"""The pages: compiling an issue (add, order, retitle, editor's note, distribution), review and signature, the reader's
view, the item's lineage and the unit's adopted items with where they were published."""

import json
import re

import pytest
from django.urls import reverse

from infohub.models import Role, User
from project.demo import load_demo
from publications.models import Entry, Issue, PublicationType
from reviews import services as reviews
from reviews.models import Hop
from tests.factories import person

from .conftest import adopted_item, compiled, signed

pytestmark = pytest.mark.django_db


def _revision(issue) -> int:
    return Issue.objects.get(pk=issue.pk).revision


def test_an_editor_compiles_on_the_page_and_the_director_signs(pubs, client):
    chain = pubs.chain
    a, b, c = (adopted_item(chain, title) for title in ("甲条信息", "乙条信息", "丙条信息"))
    client.force_login(pubs.editor)
    response = client.post(reverse("publications:issue_start"), {"type": pubs.weekly.pk, "kind": "regular"})
    issue = Issue.objects.get()
    assert response.url == reverse("publications:issue_detail", args=[issue.pk])
    page = client.get(response.url).content.decode()
    assert page.count('data-testid="candidate"') == 3
    for item in (a, b, c):
        client.post(reverse("publications:entry_add", args=[issue.pk]), {"item": item.pk, "revision": _revision(issue)})
    page = client.get(response.url).content.decode()
    assert page.count('data-testid="entry"') == 3 and 'data-testid="candidate"' not in page
    entries = list(Entry.objects.filter(issue=issue).order_by("position"))
    client.post(reverse("publications:entry_change", args=[issue.pk, entries[2].pk]),
                {"op": "up", "revision": _revision(issue)})
    client.post(reverse("publications:issue_order", args=[issue.pk]),
                {"entries": [entries[2].pk, entries[0].pk, entries[1].pk], "revision": _revision(issue)},
                HTTP_ACCEPT="application/json")
    client.post(reverse("publications:entry_change", args=[issue.pk, entries[0].pk]),
                {"op": "title", "title": "甲条信息（本期）", "revision": _revision(issue)})
    client.post(reverse("publications:issue_edit", args=[issue.pk]),
                {"editor_note": "现将有关情况编发。", "copies": "40", "revision": _revision(issue)})
    distribution = json.dumps([{"kind": "report", "unit": chain.net.province.pk, "label": ""}])
    client.post(reverse("publications:issue_edit", args=[issue.pk]),
                {"distribution": distribution, "add_kind": "issue", "add_unit": chain.net.other_county.pk,
                 "revision": _revision(issue)})
    issue.refresh_from_db()
    assert [e.shown_title for e in issue.entries.order_by("position")] == ["丙条信息", "甲条信息（本期）", "乙条信息"]
    assert (issue.editor_note, issue.copies) == ("现将有关情况编发。", 40)
    assert sorted(issue.recipients.values_list("kind", flat=True)) == ["issue", "report"]
    client.post(reverse("publications:issue_act", args=[issue.pk, "submit"]), {"revision": _revision(issue)})
    # the director reviews and signs it from his list
    client.force_login(pubs.director)
    assert Issue.objects.get(pk=issue.pk).title_label in client.get("/publications/?tab=to_review").content.decode()
    client.post(reverse("publications:issue_act", args=[issue.pk, "review"]), {"revision": _revision(issue)})
    client.post(reverse("publications:issue_act", args=[issue.pk, "sign"]), {"revision": _revision(issue)})
    issue.refresh_from_db()
    assert (issue.status, issue.number) == ("signed", 1)
    page = client.get(reverse("publications:issue_detail", args=[issue.pk])).content.decode()
    assert "第1期（总第345期）" in page and 'data-testid="credits"' in page


def test_a_stale_form_is_refused_with_a_message_not_applied(pubs, client):
    issue = compiled(pubs, [adopted_item(pubs.chain, "甲条信息")])
    client.force_login(pubs.editor)
    response = client.post(reverse("publications:issue_edit", args=[issue.pk]),
                           {"editor_note": "旧页面上写的", "revision": 1}, follow=True)
    assert "已有他人修改" in response.content.decode()
    assert Issue.objects.get(pk=issue.pk).editor_note == ""


def test_the_issue_page_names_the_items_that_block_the_signature(pubs, client):
    chain = pubs.chain
    item = adopted_item(chain, "被撤回重报的信息")
    issue = compiled(pubs, [item])
    hop = Hop.objects.get(item=item, office=chain.net.city)
    reviews.forward_request(actor=pubs.editor, hop=hop)
    reviews.forward_signoff(actor=person(chain.net.city, Role.DIRECTOR, username="lj_d2"), hop=hop)
    reviews.review_return(actor=chain.province_editor, hop=Hop.objects.get(item=item, office=chain.net.province),
                          reason="核实数据")
    client.force_login(pubs.editor)
    page = client.get(reverse("publications:issue_detail", args=[issue.pk])).content.decode()
    problems = re.search(r'data-testid="problems">(.*?)</div>', page, re.S).group(1)
    assert "被撤回重报的信息" in problems and "核实数据" in problems


def test_a_recipient_reads_the_issue_and_the_item_shows_where_it_was_published(pubs, client):
    chain = pubs.chain
    item = adopted_item(chain, "甲条信息")
    issue = signed(pubs, compiled(pubs, [item]))
    client.force_login(pubs.city_leader)
    assert issue.title_label in client.get("/").content.decode()  # on the leader's start page
    page = client.get(reverse("publications:issue_detail", args=[issue.pk])).content.decode()
    assert 'data-testid="bulletin"' in page and "甲条信息" in page and 'data-testid="entry"' not in page
    client.force_login(chain.net.clerk)
    lineage = client.get(reverse("reviews:lineage", args=[item.pk])).content.decode()
    assert issue.title_label in lineage and 'data-testid="credit"' in lineage
    adopted = client.get(reverse("publications:adopted")).content.decode()
    assert "甲条信息" in adopted and issue.title_label in adopted


def test_the_demo_has_the_citys_and_the_provinces_publications_and_a_signed_issue(client):
    assert load_demo() is True
    assert set(PublicationType.objects.values_list("name", "office__code", "rhythm")) == {
        ("临江信息", "lj", "weekly"), ("每日要情", "lj", "daily"), ("重要信息", "lj", "as_needed"),
        ("江南信息", "jn", "weekly"), ("信息专报", "jn", "as_needed")}
    issue = Issue.objects.get(status="signed")
    assert (issue.ptype.name, issue.number, issue.total_number, issue.entries.count()) == ("临江信息", 1, 513, 3)
    client.force_login(User.objects.get(username="lj_leader"))
    assert issue.title_label in client.get("/publications/?tab=received").content.decode()
    client.force_login(User.objects.get(username="lj_editor"))
    page = client.get(reverse("publications:issue_start"))  # GET is not allowed; the list offers the form
    assert page.status_code == 405
    assert "新编一期" in client.get("/publications/").content.decode()


def test_a_signature_posted_twice_signs_once_and_says_so_once(pubs, client):
    issue = compiled(pubs, [adopted_item(pubs.chain, "甲条信息")])
    client.force_login(pubs.editor)
    client.post(reverse("publications:issue_act", args=[issue.pk, "submit"]), {"revision": _revision(issue)})
    client.force_login(pubs.director)
    client.post(reverse("publications:issue_act", args=[issue.pk, "review"]), {"revision": _revision(issue)})
    form = {"revision": _revision(issue), "once": "double-click-token"}
    first = client.post(reverse("publications:issue_act", args=[issue.pk, "sign"]), form)
    again = client.post(reverse("publications:issue_act", args=[issue.pk, "sign"]), form, follow=True)
    assert first.status_code == 302 and again.status_code == 200
    assert "只有审核通过的刊物可以签发" not in again.content.decode()  # the second click is the first's answer
    assert Issue.objects.get(pk=issue.pk).number == 1
