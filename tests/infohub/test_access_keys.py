"""The access keys kept on each item (Item.access_keys, infohub.access `keys`): minus its source unit's id and the ids
of the offices it reached through its hops, its deadline clocks and the request it answers. The access rule reads them
instead of joining those rows, so they must stay exactly what the rows say whatever happens to the item: it travels up
the chain, is withdrawn, returned and filed again, merged, raced by clocks, sent as an answer; a hop is deleted; an
instance read before a hop was written is saved; the migrations fill them from the rows alone. After each step: the
keys are the expected ones, recomputing them changes nothing, and the rule over the keys lets every person see
exactly what the rule over the relations does."""

import importlib
from datetime import timedelta

import pytest
from django.utils import timezone

from infohub import access
from infohub.models import Role, User
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from submissions.models import Item
from tests.alerts.conftest import emergency_data
from tests.factories import person
from topics import services as topics
from topics.models import Target

pytestmark = pytest.mark.django_db


def keys(item) -> list[int]:
    return Item.objects.values_list("access_keys", flat=True).get(pk=item.pk)


def by_relations(user) -> set[int]:
    """What `user` sees under the same rule read through the relations (hops, clocks, answers), not the keys."""
    facts = access.facts_of(Item)
    saved, facts.keys = facts.keys, None
    try:
        return set(access.visible(user, Item.objects.all()).values_list("pk", flat=True))
    finally:
        facts.keys = saved


def assert_kept() -> None:
    ids = list(Item.objects.values_list("pk", flat=True))
    assert access.keep_keys(Item, ids) == 0  # every item's keys already what its rows say
    for user in User.objects.all():
        assert set(access.visible(user, Item.objects.all()).values_list("pk", flat=True)) == by_relations(user), user


def test_keys_follow_an_item_up_the_chain_and_back(chain, good_item_data):
    net = chain.net
    item = submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data)
    assert keys(item) == [-net.county.pk]
    item = submissions.item_submit(actor=net.clerk, item=item)
    item = submissions.item_withdraw(actor=net.clerk, item=item)  # 撤回: still its unit's alone
    assert keys(item) == [-net.county.pk]
    item = submissions.item_submit(actor=net.clerk, item=Item.objects.get(pk=item.pk))
    reviews.signoff_approve(actor=net.director, item=item)
    assert keys(item) == sorted([-net.county.pk, net.city.pk])
    assert_kept()

    hop = Hop.objects.get(item=item, office=net.city)
    reviews.review_return(actor=net.city_editor, hop=hop, reason="请补充数据")
    assert keys(item) == sorted([-net.county.pk, net.city.pk])  # the office keeps what reached it
    item = submissions.item_submit(actor=net.clerk, item=Item.objects.get(pk=item.pk))
    reviews.signoff_approve(actor=net.director, item=item)
    hop = Hop.objects.filter(item=item, office=net.city).latest("received_at", "id")
    reviews.review_adopt(actor=net.city_editor, hop=hop, adoption="full")
    reviews.forward_request(actor=net.city_editor, hop=hop)
    up = reviews.forward_signoff(actor=chain.city_director, hop=hop)
    assert up.office_id == net.province.pk
    assert keys(item) == sorted([-net.county.pk, net.city.pk, net.province.pk])
    assert_kept()
    assert item.pk in set(access.visible(chain.province_editor, Item.objects.all()).values_list("pk", flat=True))
    assert item.pk not in set(access.visible(chain.foreign_editor, Item.objects.all()).values_list("pk", flat=True))


def test_a_merge_gives_the_composite_its_office_and_leaves_the_sources_theirs(chain, good_item_data):
    net = chain.net
    hops = []
    for n in range(2):
        item = submissions.item_create(actor=net.clerk, unit=net.county, data={**good_item_data, "title": f"同一事件{n}"})
        item = reviews.signoff_approve(actor=net.director, item=submissions.item_submit(actor=net.clerk, item=item))
        hops.append(Hop.objects.get(item=item, office=net.city))
    composite = reviews.review_merge(actor=net.city_editor, hops=hops, title="综合：同一事件", body="两地报告。").item
    assert keys(composite) == sorted([-composite.source_unit_id, net.city.pk])
    for hop in hops:
        assert keys(hop.item) == sorted([-net.county.pk, net.city.pk])
    assert_kept()


def test_an_emergency_reaches_the_offices_whose_clocks_wait_for_it(chain):
    net = chain.net
    item = submissions.item_create(actor=net.clerk, unit=net.county, data=emergency_data())
    item = submissions.item_submit(actor=net.clerk, item=item)
    waiting = set(item.clocks.values_list("office_id", flat=True))
    assert waiting  # the offices above watch it before it is signed off
    assert keys(item) == sorted({-net.county.pk} | waiting)
    assert_kept()


def test_an_answer_reaches_the_requesting_office_once_sent(chain, good_item_data):
    net = chain.net
    # the province asks the county directly; the item's own chain goes to the city
    editor = person(net.province, Role.EDITOR, username="jn_topic_editor")
    request = topics.request_issue(actor=editor, office=net.province, subject="基层减负工作进展",
                                   due_at=timezone.now() + timedelta(days=3), unit_ids=[net.county.pk])
    target = Target.objects.get(request=request, unit=net.county)
    item = submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data)
    answer = topics.answer_link(actor=net.clerk, target=target, item=item)
    assert keys(item) == [-net.county.pk]  # linked, not sent: nothing reached the province yet
    topics.answer_unlink(actor=net.clerk, answer=answer)
    topics.answer_link(actor=net.clerk, target=Target.objects.get(pk=target.pk), item=item)
    reviews.signoff_approve(actor=net.director, item=submissions.item_submit(actor=net.clerk, item=item))
    assert keys(item) == sorted([-net.county.pk, net.city.pk, net.province.pk])
    assert_kept()


def test_a_stale_instance_saved_keeps_the_keys_and_a_deleted_hop_takes_its_office(chain, good_item_data):
    net = chain.net
    item = submissions.item_submit(
        actor=net.clerk, item=submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data))
    stale = Item.objects.get(pk=item.pk)  # read before the hop is written
    reviews.signoff_approve(actor=net.director, item=item)
    stale.title = "改过的标题"
    stale.save()
    assert keys(item) == sorted([-net.county.pk, net.city.pk])

    Hop.objects.get(item=item, office=net.city).delete()
    assert keys(item) == [-net.county.pk]

    moved = Item.objects.get(pk=item.pk)
    moved.source_unit = net.other_county
    moved.save()
    assert keys(item) == [-net.other_county.pk]
    assert_kept()


def test_the_migrations_fill_the_keys_the_rule_keeps(chain, good_item_data):
    # given items at several steps, their keys kept as they went
    net = chain.net
    for n in range(3):
        item = submissions.item_create(actor=net.clerk, unit=net.county, data={**good_item_data, "title": f"第{n}条"})
        item = submissions.item_submit(actor=net.clerk, item=item)
        if n:
            item = reviews.signoff_approve(actor=net.director, item=item)
        if n == 2:
            hop = Hop.objects.get(item=item, office=net.city)
            reviews.review_adopt(actor=net.city_editor, hop=hop, adoption="full")
            reviews.forward_request(actor=net.city_editor, hop=hop)
            reviews.forward_signoff(actor=chain.city_director, hop=hop)
    emergency = submissions.item_submit(
        actor=net.clerk, item=submissions.item_create(actor=net.clerk, unit=net.county, data=emergency_data()))
    kept = dict(Item.objects.values_list("pk", "access_keys"))
    assert len(kept[emergency.pk]) > 1

    # when the keys are wiped and the migrations' statements run
    Item.objects.update(access_keys=[])

    class Editor:
        from django.db import connection

    for module in ("submissions.migrations.0011_item_access_keys", "reviews.migrations.0004_item_access_keys",
                   "alerts.migrations.0010_item_access_keys", "topics.migrations.0003_item_access_keys"):
        migration = importlib.import_module(module)
        (migration.unit_keys if hasattr(migration, "unit_keys") else migration.keep)(None, Editor)

    # then they write exactly what was kept
    assert dict(Item.objects.values_list("pk", "access_keys")) == kept
    assert_kept()
