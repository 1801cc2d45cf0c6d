"""The item list and its searches, kept in Redis (infohub.listcache) for the holders of a person's access keys
(infohub.access.keys_seen_by, listcache.holders): served while nothing the person may see changed, and after
every committed change exactly as a list drawn anew — for the source unit's clerk, a joint unit's clerk (合报) and
the receiving office's editor, and for an office the item reaches later (its keys change).

These tests commit (transaction=True): versions change on commit.
"""

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from infohub.models import Unit
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = reverse("submissions:item_list")
QUERIES = ({}, {"q": "河道"})  # the list as it opens, and a search


def listing(client, **params) -> str:
    page = client.get(ITEMS, params).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page[page.index("<table"):page.index("</main>")])


def fresh_listing(client, **params) -> str:
    with override_settings(INFOHUB_LIST_CACHE_SECONDS=0):
        return listing(client, **params)


def file_jointly(chain, data, title):
    """Filed by 东湖区 with 西岭县 (chain.net.other_county) and signed off: it reached the city."""
    net = chain.net
    county = Unit.objects.get(pk=net.county.pk)  # as stored: `chain` moved the province, and so every unit's path
    item = submissions.item_create(actor=net.clerk, unit=county,
                                   data={**data, "title": title, "joint_units": [net.other_county]})
    return reviews.signoff_approve(actor=net.director, item=submissions.item_submit(actor=net.clerk, item=item))


@pytest.fixture
def hop(chain, good_item_data) -> Hop:
    item = file_jointly(chain, good_item_data, "东湖区与西岭县建立跨界河道协作机制")
    return Hop.objects.get(item=item, office=chain.net.city)


def _merge(chain, hop, data):
    other = file_jointly(chain, data, "西岭县跨界河道协作的另一条")
    return reviews.review_merge(actor=chain.net.city_editor, hops=[hop, Hop.objects.get(item=other, office=chain.net.city)],
                                title="综合：跨界河道协作", body="两条来稿综合而成。")


def _retitle_the_composite(chain, hop, data):
    composite = _merge(chain, hop, data)
    reviews.review_edit(actor=chain.net.city_editor, hop=composite, data={
        **data, "title": "综合：跨界河道“河长+警长”协作", "body": "两条来稿综合而成。"})


def _rename(chain, hop, data):
    chain.net.county.name = "东湖新区委办公室"
    chain.net.county.save()


CHANGES = {
    "another item filed jointly": lambda chain, hop, data: file_jointly(chain, data, "新到的跨界河道信息"),
    "adopted by the city": lambda chain, hop, data: reviews.review_adopt(
        actor=chain.net.city_editor, hop=hop, adoption="full"),
    "edited by the city editor": lambda chain, hop, data: reviews.review_edit(
        actor=chain.net.city_editor, hop=hop, data={**data, "title": "跨界河道协作机制（市里改过）"}),
    "merged into a composite": _merge,
    "the composite retitled": _retitle_the_composite,
    "the source unit renamed": _rename,
}
VIEWERS = {
    "source clerk": lambda chain: chain.net.clerk,
    "joint unit's clerk": lambda chain: chain.net.other_clerk,
    "city editor": lambda chain: chain.net.city_editor,
}


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("change", CHANGES)
def test_the_kept_list_shows_every_committed_change_as_a_fresh_one(client, chain, hop, good_item_data, *, change,
                                                                   viewer):
    client.force_login(VIEWERS[viewer](chain))
    before = {}
    for params in QUERIES:
        listing(client, **params)  # starts the versions
        before[str(params)] = listing(client, **params)  # renders and keeps
        assert hop.item.title in before[str(params)]
    CHANGES[change](chain, hop, good_item_data)
    for params in QUERIES:
        after = listing(client, **params)
        assert after == fresh_listing(client, **params), (change, viewer, params)
        # Only the editor may open the composite, so only their rows name it: retitling it changes nothing else.
        if change != "the composite retitled" or viewer == "city editor":
            assert after != before[str(params)], (change, viewer, params)


def test_an_office_the_item_reaches_later_sees_it_in_its_kept_list_at_once(client, chain, hop):
    client.force_login(chain.province_editor)
    for _ in range(2):
        before = listing(client, q="河道")
    assert hop.item.title not in before
    reviews.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="full")
    reviews.forward_request(actor=chain.net.city_editor, hop=hop)
    reviews.forward_signoff(actor=chain.city_director, hop=hop)  # a hop at the province: the item's keys change
    after = listing(client, q="河道")
    assert hop.item.title in after and after == fresh_listing(client, q="河道")


def test_a_kept_search_costs_no_search_and_is_nobody_elses(client, chain, hop):
    client.force_login(chain.net.city_editor)
    for _ in range(2):
        ours = listing(client, q="河道")
    with CaptureQueriesContext(connection) as captured:
        assert listing(client, q="河道") == ours
    assert not [q for q in captured if "submissions_item" in q["sql"]]
    client.force_login(chain.foreign_editor)  # another city's office: the same words, none of our items
    assert hop.item.title not in listing(client, q="河道")
    client.force_login(chain.net.clerk)  # the source unit: its own rows, not the office's kept ones
    assert listing(client, q="河道") == fresh_listing(client, q="河道")
