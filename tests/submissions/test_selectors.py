"""Reads shared by pages and the API: scoping and Chinese full-text search."""

import pytest

from submissions import services
from submissions.selectors import item_search, items_visible_to

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query, found",
    [("网格", True), ("矛盾纠纷", True), ("东湖区", True), ("民警 网格", True), ("防汛", False), ("", True)],
)
def test_chinese_full_text_search_finds_words_inside_the_text(network, good_item_data, query, found):
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    results = item_search(items_visible_to(network.clerk), query)
    assert (item in results) is found


def test_search_follows_edits(network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    services.item_update(actor=network.clerk, item=item, data={"body": "石桥镇开展防汛应急演练。"})
    assert list(item_search(items_visible_to(network.clerk), "防汛")) == [item]
    assert list(item_search(items_visible_to(network.clerk), "网格员")) == []


def test_search_never_reaches_beyond_what_the_user_may_see(network, good_item_data):
    services.item_create(actor=network.other_clerk, unit=network.other_county, data=good_item_data)
    assert list(item_search(items_visible_to(network.clerk), "网格")) == []
