"""Kept list rows (infohub.listcache): served while nothing they show changed, never after a committed change.

These tests commit (transaction=True): versions change on commit, so a test inside one rolled-back transaction
would never see the cache at work.
"""

import re

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from infohub import listcache
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions

pytestmark = pytest.mark.django_db(transaction=True)

INBOX, SIGNOFF = reverse("reviews:inbox"), reverse("reviews:signoff_list")


def listing(client, url, **params) -> str:
    """The list part of a page (its table and what follows), without the per-request CSRF token."""
    page = client.get(url, params).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page[page.index("<table"):page.index("</main>")])


def fresh_listing(client, url, **params) -> str:
    with override_settings(INFOHUB_LIST_CACHE_SECONDS=0):
        return listing(client, url, **params)


def file_item(chain, data, title):
    net = chain.net
    return submissions.item_submit(actor=net.clerk, item=submissions.item_create(
        actor=net.clerk, unit=net.county, data={**data, "title": title}))


@pytest.fixture
def hop(chain, good_item_data) -> Hop:
    item = reviews.signoff_approve(actor=chain.net.director, item=file_item(chain, good_item_data, "第一条"))
    return Hop.objects.get(item=item, office=chain.net.city)


def test_a_kept_inbox_is_served_without_its_rows_query(client, chain, hop):
    client.force_login(chain.net.city_editor)
    first = listing(client, INBOX)  # starts the versions
    listing(client, INBOX)  # renders and keeps
    with CaptureQueriesContext(connection) as captured:
        kept = listing(client, INBOX)
    assert kept == first and hop.item.title in kept
    assert not [q for q in captured if "reviews_hop" in q["sql"]]


def _sign_off_another(chain, hop, data):
    reviews.signoff_approve(actor=chain.net.director, item=file_item(chain, data, "新到的一条"))


def _rename_the_county(chain, hop, data):
    chain.net.county.name = "东湖新区委办公室"
    chain.net.county.save()


def _merge_with_another(chain, hop, data):
    other = reviews.signoff_approve(actor=chain.net.director, item=file_item(chain, data, "同一事件的另一条"))
    reviews.review_merge(actor=chain.net.city_editor, hops=[hop, Hop.objects.get(item=other, office=chain.net.city)],
                         title="综合：同一事件", body="两条来稿综合而成。")


INBOX_CHANGES = {
    "an item arrives": _sign_off_another,
    "adopted": lambda chain, hop, data: reviews.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="full"),
    "not adopted": lambda chain, hop, data: reviews.review_not_adopt(actor=chain.net.city_editor, hop=hop, reason="重复"),
    "returned": lambda chain, hop, data: reviews.review_return(actor=chain.net.city_editor, hop=hop, reason="补充"),
    "edited": lambda chain, hop, data: reviews.review_edit(
        actor=chain.net.city_editor, hop=hop, data={**data, "title": "改过的标题"}),
    "merged": _merge_with_another,
    "the sending unit renamed": _rename_the_county,
}


@pytest.mark.parametrize("change", INBOX_CHANGES)
def test_the_inbox_shows_every_committed_change_at_once(client, chain, hop, good_item_data, change):
    client.force_login(chain.net.city_editor)
    for _ in range(2):
        before = listing(client, INBOX)
    INBOX_CHANGES[change](chain, hop, good_item_data)
    after = listing(client, INBOX)
    assert after != before  # the change shows…
    assert after == fresh_listing(client, INBOX)  # …exactly as a list rendered anew


def test_an_item_reported_upward_shows_in_the_kept_inbox_above_once_signed(client, chain, hop):
    client.force_login(chain.province_editor)
    for _ in range(2):
        before = listing(client, INBOX)
    reviews.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="full")
    reviews.forward_request(actor=chain.net.city_editor, hop=hop)
    assert listing(client, INBOX) == before  # proposed, not yet signed: nothing arrived above
    reviews.forward_signoff(actor=chain.city_director, hop=hop)
    after = listing(client, INBOX)
    assert hop.item.title in after and hop.item.title not in before
    assert after == fresh_listing(client, INBOX)


def test_kept_rows_are_never_another_offices_or_another_languages(client, chain, hop):
    client.force_login(chain.net.city_editor)
    for _ in range(2):
        ours = listing(client, INBOX)
    assert hop.item.title in ours
    client.force_login(chain.foreign_editor)
    assert hop.item.title not in listing(client, INBOX)
    client.force_login(chain.net.city_editor)
    assert "<th>标题</th>" in ours
    english = client.get(INBOX, headers={"accept-language": "en"}).content.decode()
    assert "<th>Title</th>" in english and "<th>标题</th>" not in english


def test_the_signoff_list_follows_filing_sign_off_and_an_authors_new_name(client, chain, good_item_data):
    net = chain.net
    item = file_item(chain, good_item_data, "待签的一条")
    client.force_login(net.director)
    for _ in range(2):
        shown = listing(client, SIGNOFF)
    assert item.title in shown
    file_item(chain, good_item_data, "又一条")
    assert "又一条" in listing(client, SIGNOFF)
    net.clerk.display_name = "新名字"
    net.clerk.save()
    assert "新名字" in listing(client, SIGNOFF)
    reviews.signoff_approve(actor=net.director, item=item)
    assert item.title not in listing(client, SIGNOFF)
    assert listing(client, SIGNOFF) == fresh_listing(client, SIGNOFF)


def test_a_change_inside_a_transaction_is_shown_to_it_and_kept_for_others_only_after_commit(client, chain, hop):
    from django.db import transaction

    client.force_login(chain.net.city_editor)
    for _ in range(2):
        listing(client, INBOX)
    with transaction.atomic():
        reviews.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="full")
        assert listcache._changed_here([listcache.office(chain.net.city.pk)])
        inside = listing(client, INBOX)  # the same connection: renders afresh, keeps nothing
    assert hop.item.title not in inside
    assert hop.item.title not in listing(client, INBOX)


def test_without_redis_the_lists_are_rendered_every_time(client, chain, settings, good_item_data):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    listcache.changed(listcache.NAMES)  # cannot mark: logs and goes on
    item = file_item(chain, good_item_data, "没有缓存也能看")
    client.force_login(chain.net.director)
    assert client.get(SIGNOFF).status_code == 200 and item.title in listing(client, SIGNOFF)


def test_a_unit_renamed_in_another_process_is_named_at_once(client, chain, hop):
    from infohub.models import Unit

    client.force_login(chain.net.city_editor)
    for _ in range(2):
        assert "东湖区委办公室" in listing(client, INBOX)
    # What another process does: the row changes (no signal here, so this process's name table is now stale) and
    # the names' version changes on its commit.
    Unit.objects.filter(pk=chain.net.county.pk).update(name="东湖新区委办公室")
    listcache._new_versions([listcache.NAMES])
    assert "东湖新区委办公室" in listing(client, INBOX)


def test_rows_showing_the_time_are_drawn_anew_by_one_request_while_the_others_get_the_kept_ones():
    scopes, drawn = [listcache.office(0)], []

    def draw() -> str:
        drawn.append(1)
        if len(drawn) == 3:  # another reader asks while these rows are being drawn anew
            assert listcache.rendered("clock", scopes, (), draw, renew_after=10) == "rows 2"
        return f"rows {len(drawn)}"

    with time_machine.travel(0, tick=False) as traveller:
        listcache.rendered("clock", scopes, (), draw, renew_after=10)  # starts the scope's version
        assert listcache.rendered("clock", scopes, (), draw, renew_after=10) == "rows 2"  # kept from here
        traveller.shift(9.9)
        assert listcache.rendered("clock", scopes, (), draw, renew_after=10) == "rows 2"
        traveller.shift(0.1)
        assert listcache.rendered("clock", scopes, (), draw, renew_after=10) == "rows 3"
    assert len(drawn) == 3
