"""A jointly filed item (合报, submissions.Item.joint_units) is read by the people of its joint units through the one
access rule (infohub.access: the `joint` branch of Item's facts) — at every door: the item page, the API, the print
view, the list, the search, the attachment and the people a notification names — once filed, and only to read:
every right still names the source unit. A unit that filed nothing with it still gets 404, and the joint branch is
read from the through table's index on the unit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from infohub import access
from infohub.models import Level, Role
from submissions import selectors, services
from submissions.models import Item
from tests.factories import UnitFactory, person

from .test_api import client_for

pytestmark = pytest.mark.django_db

TITLE = "东湖区与西岭县联合建立跨界河道“河长+警长”协作机制"


@pytest.fixture
def people(network):
    """西岭县 files jointly with 东湖区 (its clerk `network.other_clerk`, and a director); 南城区 (another city) and
    北湖区 (the same city, not a joint unit) do not."""
    other_city = UnitFactory(name="青山市委办公室", code="j-qs", level=Level.CITY, parent=network.province)
    foreign = UnitFactory(name="南城区委办公室", code="j-nc", level=Level.COUNTY, parent=other_city)
    beside = UnitFactory(name="北湖区委办公室", code="j-bh", level=Level.COUNTY, parent=network.city)
    return {
        "joint_clerk": network.other_clerk,
        "joint_director": person(network.other_county, Role.DIRECTOR, username="xl_director"),
        "foreign_clerk": person(foreign, Role.CLERK, username="nc_clerk"),
        "beside_clerk": person(beside, Role.CLERK, username="bh_clerk"),
    }


@pytest.fixture
def joint_item(network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data={
        **good_item_data, "title": TITLE, "joint_units": [network.other_county]},
        files=[SimpleUploadedFile("河长制.txt", "跨界河道协作协议".encode(), content_type="text/plain")])
    return item


def _file(network, item):
    return services.item_submit(actor=network.clerk, item=item)


def test_a_draft_is_its_source_units_alone(client, network, people, joint_item):
    client.force_login(people["joint_clerk"])
    assert client.get(reverse("submissions:item_detail", args=[joint_item.pk])).status_code == 404
    assert client_for(people["joint_clerk"]).get(f"/api/items/{joint_item.pk}/").status_code == 404
    assert not selectors.items_visible_to(people["joint_clerk"]).filter(pk=joint_item.pk).exists()


def test_once_filed_the_joint_unit_reads_it_at_every_door(client, network, people, joint_item):
    item = _file(network, joint_item)
    attachment = item.attachments.get()
    for who in ("joint_clerk", "joint_director"):
        client.force_login(people[who])
        page = client.get(reverse("submissions:item_detail", args=[item.pk]))
        assert page.status_code == 200 and TITLE in page.content.decode()
        assert page.context["can_edit"] is False and page.context["can_withdraw"] is False
        printed = client.get(reverse("submissions:item_print", args=[item.pk]))
        assert printed.status_code == 200 and TITLE in printed.content.decode()
        download = client.get(reverse("submissions:attachment_download", args=[item.pk, attachment.pk]))
        assert download.status_code == 200
        listed = client.get(reverse("submissions:item_list"))
        assert item.pk in [row["id"] for row in listed.context["page"].object_list]
        found = client.get(reverse("submissions:item_list"), {"q": "河长"})
        assert [row["id"] for row in found.context["page"].object_list] == [item.pk]
        api = client_for(people[who])
        assert api.get(f"/api/items/{item.pk}/").json()["title"] == TITLE
        assert api.get(f"/api/items/{item.pk}/versions/").status_code == 200
        assert [row["id"] for row in api.get("/api/items/").json()["results"]] == [item.pk]
        assert [row["id"] for row in api.get("/api/items/", {"q": "河长"}).json()["results"]] == [item.pk]


def test_the_joint_unit_only_reads(client, network, people, joint_item):
    item = _file(network, joint_item)
    api = client_for(people["joint_clerk"])
    # withdrawing, editing, following up: the rights name the source unit's clerk
    assert api.post(f"/api/items/{item.pk}/withdraw/", {"revision": item.revision}, format="json").status_code == 403
    assert api.patch(f"/api/items/{item.pk}/", {"title": "改了"}, format="json").status_code in (403, 409)
    client.force_login(people["joint_clerk"])
    client.post(reverse("submissions:item_withdraw", args=[item.pk]), {"revision": item.revision})
    item.refresh_from_db()
    assert (item.title, item.status) == (TITLE, Item.Status.PENDING_SIGNOFF)


def test_a_unit_that_did_not_file_it_still_gets_404_everywhere(client, network, people, joint_item):
    item = _file(network, joint_item)
    for who in ("foreign_clerk", "beside_clerk"):
        client.force_login(people[who])
        for url in (reverse("submissions:item_detail", args=[item.pk]), reverse("submissions:item_print", args=[item.pk]),
                    reverse("submissions:attachment_download", args=[item.pk, item.attachments.get().pk])):
            assert client.get(url).status_code == 404, (who, url)
        assert not client.get(reverse("submissions:item_list"), {"q": "河长"}).context["page"].object_list
        api = client_for(people[who])
        assert api.get(f"/api/items/{item.pk}/").status_code == 404
        assert api.get("/api/items/").json()["results"] == []


def test_a_notification_about_it_may_name_the_joint_units_people(network, people, joint_item):
    everyone = [network.clerk, people["joint_clerk"], people["joint_director"], people["foreign_clerk"],
                people["beside_clerk"]]
    assert access.who_may_see(everyone, joint_item) == [network.clerk]  # a draft
    item = _file(network, joint_item)
    assert access.who_may_see(everyone, item) == [network.clerk, people["joint_clerk"], people["joint_director"]]


def test_the_joint_branch_is_one_of_the_items_access_keys_read_by_their_index(network, people, joint_item):
    # the joint unit is among the item's access keys once it is filed (infohub.access `keys`), not before
    keys = lambda: Item.objects.values_list("access_keys", flat=True).get(pk=joint_item.pk)  # noqa: E731
    assert keys() == [-network.county.pk]
    _file(network, joint_item)
    assert sorted(keys()) == sorted([-network.county.pk, -network.other_county.pk])
    with CaptureQueriesContext(connection) as sent:
        list(selectors.items_visible_to(people["joint_clerk"]).order_by("-updated_at")[:25])
    statement = sent.captured_queries[-1]["sql"]
    assert Item.joint_units.through._meta.db_table not in statement  # no join: the keys say it
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {statement}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "item_search_access" in plan or "item_recent" in plan, plan
    # the joint units changed, from either side: the keys follow
    item = Item.objects.get(pk=joint_item.pk)
    item.joint_units.remove(network.other_county)
    assert keys() == [-network.county.pk]
    network.other_county.joint_items.add(item)
    assert sorted(keys()) == sorted([-network.county.pk, -network.other_county.pk])
    network.other_county.joint_items.clear()
    assert keys() == [-network.county.pk]
