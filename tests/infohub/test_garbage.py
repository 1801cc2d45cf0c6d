"""Garbage in, a clear 4xx (or the value ignored) out — never a 500, nothing unreadable stored (issue 17, the kinds
found: numbers parsed by hand, NUL bytes, lengths). Every parameter is parsed by a form or serializer field with
its type and bounds (infohub.params, the inbox's InboxFilters, the serializers)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from submissions.models import Item

pytestmark = pytest.mark.django_db

HUGE = "9" * 30
NUMBERS = (HUGE, "-1", "0", "²", "١٢", "1e9", "0x10", "", " ", "\x00", "1\x00", "x" * 10_000)


@pytest.fixture
def received(chain, good_item_data) -> Hop:
    net = chain.net
    item = submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data)
    item = submissions.item_submit(actor=net.clerk, item=item)
    reviews.signoff_approve(actor=net.director, item=item)
    return Hop.objects.get(item=item, office=net.city)


def test_query_string_numbers_of_every_list(client, chain, received):
    pages = {chain.net.city_editor: ("/reviews/inbox/", "/items/"), chain.net.director: ("/reviews/signoff/",)}
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            for value in NUMBERS:
                for name in ("page", "sender", "older_than_hours", "q", "category", "urgency", "tab", "sort"):
                    response = client.get(url, {name: value})
                    assert response.status_code == 200, (url, name, value[:20], response.status_code)


def test_the_api_answers_400_with_the_field_for_bad_filters(chain, received):
    api = APIClient()
    api.force_authenticate(chain.net.city_editor)
    for name in ("sender", "older_than_hours"):
        for value in (HUGE, "²", "abc", "-3"):
            response = api.get("/api/inbox/", {name: value})
            assert response.status_code == 400 and name in response.json()["errors"], (name, value)
    for name in ("unit", "person"):
        response = api.get("/api/alerts/lapses/", {name: "²"})
        assert response.status_code == 400 and name in response.json()["errors"]
    assert api.get("/api/inbox/", {"page": HUGE}).status_code == 404  # DRF: an invalid page is a 404


def test_revisions_that_are_no_number_refuse_the_action_with_a_message(client, chain, good_item_data, received):
    net = chain.net
    pending = submissions.item_submit(actor=net.clerk, item=submissions.item_create(
        actor=net.clerk, unit=net.county, data=good_item_data))
    for value in ("abc", "²", HUGE, "-1"):
        client.force_login(net.director)
        for name in ("reviews:signoff_approve", "reviews:signoff_return"):
            response = client.post(reverse(name, args=[pending.pk]), {"revision": value, "reason": "补充"})
            assert response.status_code == 302, (name, value)
        client.force_login(net.city_editor)
        for action in ("adopt", "not_adopt", "return", "forward"):
            response = client.post(reverse("reviews:hop_act", args=[received.pk, action]),
                                   {"revision": value, "adoption": "full", "reason": "x"})
            assert response.status_code == 302, (action, value)
        client.force_login(net.clerk)
        assert client.post(reverse("submissions:item_withdraw", args=[pending.pk]), {"revision": value}).status_code == 302
    pending.refresh_from_db()
    received.refresh_from_db()
    assert pending.status == Item.Status.PENDING_SIGNOFF and received.status == Hop.Status.RECEIVED  # nothing ran


def test_ids_that_are_no_ids_in_batch_sign_off_and_merge(client, chain, received):
    client.force_login(chain.net.director)
    assert client.post(reverse("reviews:signoff_batch"), {"items": ["²", HUGE, "-1", "abc"]}).status_code == 302
    client.force_login(chain.net.city_editor)
    assert client.post(reverse("reviews:merge"), {"hops": ["²", HUGE, str(received.pk)]}).status_code == 302
    api = APIClient()
    api.force_authenticate(chain.net.director)
    response = api.post("/api/signoff/batch/", {"items": [int(HUGE)]}, format="json")
    assert response.status_code == 400 and "items.0" in response.json()["errors"]  # a list's element by its path


def test_lengths_are_checked_before_the_database_sees_them(client, chain, received):
    assert client.post(reverse("login"), {"username": "x" * 300, "password": "y"}).status_code == 200
    api = APIClient()
    api.force_authenticate(chain.net.city_editor)
    response = api.post("/api/inbox/merge/", {"hops": [received.pk, received.pk + 1], "title": "题" * 200, "body": "正文"},
                        format="json")
    assert response.status_code == 400 and "title" in response.json()["errors"]


def test_nul_and_control_characters_never_reach_the_database(client, chain, received):
    client.force_login(chain.net.director)
    pending = submissions.item_submit(actor=chain.net.clerk, item=submissions.item_create(
        actor=chain.net.clerk, unit=chain.net.county, data={
            "title": "标题", "body": "正文", "category": "work_progress", "contact_phone": "0571-88886666"}))
    response = client.post(reverse("reviews:signoff_return", args=[pending.pk]), {"reason": "请补充\x00数据\x07"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.return_reason == "请补充数据"
    client.force_login(chain.net.city_editor)
    assert client.get("/reviews/inbox/", {"q": "\x00网格\x00"}).status_code == 200
