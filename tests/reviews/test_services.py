import threading

import pytest
from django.db import connection

from infohub.errors import ActionRefused, IllegalTransition, NotPermitted, StaleRevision
from infohub.models import AuditLog, Notification, Role, RoleAssignment
from reviews import services
from reviews.models import Hop
from reviews.selectors import credited_units, holder_of, inbox_for, lineage_of, signoff_queue
from submissions import services as submissions
from submissions.models import Item

pytestmark = pytest.mark.django_db


def signed_off(chain, item) -> Hop:
    services.signoff_approve(actor=chain.net.director, item=item)
    return Hop.objects.get(item=item, office=chain.net.city)


# --- unit sign-off ---------------------------------------------------------------------------------------------


def test_director_signs_off_and_the_item_reaches_the_city_office(chain, filed_item):
    # when
    item = services.signoff_approve(actor=chain.net.director, item=filed_item)
    # then
    hop = Hop.objects.get(item=item)
    assert item.status == Item.Status.SIGNED_OFF
    assert (hop.office, hop.sender, hop.level, hop.status) == (chain.net.city, chain.net.county, "city", "received")
    assert holder_of(item) == chain.net.city
    assert Notification.objects.filter(recipient=chain.net.city_editor, verb="item.arrived").exists()
    assert AuditLog.objects.filter(action="item.signoff", object_id=str(item.pk), actor=chain.net.director).exists()


def test_nobody_signs_off_their_own_item(chain, good_item_data):
    # given a clerk who is also the unit's director
    net = chain.net
    RoleAssignment.objects.create(user=net.clerk, unit=net.county, role=Role.DIRECTOR)
    item = submissions.item_submit(
        actor=net.clerk, item=submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data)
    )
    with pytest.raises(NotPermitted) as refused:
        services.signoff_approve(actor=net.clerk, item=item)
    assert "自己" in str(refused.value.message) or "own" in str(refused.value.message)


def test_only_the_units_director_signs_off(chain, filed_item):
    for outsider in (chain.net.clerk, chain.city_director, chain.net.city_editor):
        with pytest.raises(NotPermitted):
            services.signoff_approve(actor=outsider, item=filed_item)
    assert Item.objects.get(pk=filed_item.pk).status == Item.Status.PENDING_SIGNOFF


def test_signing_off_twice_is_refused(chain, filed_item):
    services.signoff_approve(actor=chain.net.director, item=filed_item)
    with pytest.raises(IllegalTransition):
        services.signoff_approve(actor=chain.net.director, item=filed_item)
    assert Hop.objects.filter(item=filed_item).count() == 1


def test_sign_off_of_a_stale_revision_is_refused(chain, filed_item):
    stale = filed_item.revision
    submissions.item_withdraw(actor=chain.net.clerk, item=filed_item)
    submissions.item_submit(actor=chain.net.clerk, item=filed_item)
    with pytest.raises(StaleRevision):
        services.signoff_approve(actor=chain.net.director, item=filed_item, expected_revision=stale)


def test_director_returns_with_a_reason_and_the_clerk_sees_it(chain, filed_item):
    with pytest.raises(ActionRefused):
        services.signoff_return(actor=chain.net.director, item=filed_item, reason="  ")
    item = services.signoff_return(actor=chain.net.director, item=filed_item, reason="数据需核实")
    assert (item.status, item.return_reason) == (Item.Status.RETURNED, "数据需核实")
    assert Notification.objects.filter(recipient=chain.net.clerk, verb="item.returned").exists()
    # the clerk revises and resubmits; history is kept
    item = submissions.item_update(actor=chain.net.clerk, item=item, data={"body": item.body + "经核实无误。"})
    item = submissions.item_submit(actor=chain.net.clerk, item=item)
    assert item.status == Item.Status.PENDING_SIGNOFF and item.versions.count() == 2


def test_batch_sign_off_reports_each_result(chain, filed_item, good_item_data):
    net = chain.net
    second = submissions.item_submit(
        actor=net.clerk, item=submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data)
    )
    draft = submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data)
    foreign = submissions.item_submit(actor=net.other_clerk, item=submissions.item_create(
        actor=net.other_clerk, unit=net.other_county, data=good_item_data))
    results = services.signoff_batch(actor=net.director, item_ids=[filed_item.pk, second.pk, draft.pk, 10**9, foreign.pk])
    assert [r.ok for r in results] == [True, True, False, False, False]
    assert results[3].message == results[4].message  # a foreign item reads like a missing one
    assert Hop.objects.filter(office=net.city).count() == 2


def test_signoff_queue_is_most_urgent_then_oldest_first(chain, good_item_data):
    net = chain.net
    made = []
    for urgency in ("normal", "extra_urgent", "urgent", "normal"):
        item = submissions.item_create(actor=net.clerk, unit=net.county, data={**good_item_data, "urgency": urgency})
        made.append(submissions.item_submit(actor=net.clerk, item=item))
    assert list(signoff_queue(net.director)) == [made[1], made[2], made[0], made[3]]
    assert list(signoff_queue(chain.foreign_director)) == []


def test_a_direct_reporting_point_skips_the_city(chain, good_item_data):
    from tests.factories import UnitFactory, person

    net = chain.net
    point = UnitFactory(name="化工园区直报点", code="t-park", level="county", kind="direct_point",
                        parent=net.other_county, upstream=net.province)
    clerk, director = person(point, Role.CLERK), person(point, Role.DIRECTOR)
    item = submissions.item_submit(actor=clerk, item=submissions.item_create(actor=clerk, unit=point, data=good_item_data))
    services.signoff_approve(actor=director, item=item)
    assert list(Hop.objects.filter(item=item).values_list("office__code", flat=True)) == ["t-jn"]


# --- upstream review ---------------------------------------------------------------------------------------------


def test_editor_adopts_and_the_unit_is_told(chain, filed_item):
    hop = signed_off(chain, filed_item)
    hop = services.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="full")
    assert (hop.status, hop.adoption, hop.acted_by) == ("adopted", "full", chain.net.city_editor)
    assert Notification.objects.filter(recipient=chain.net.clerk, verb="hop.adopted").exists()
    assert credited_units(filed_item) == [chain.net.county]


def test_adoption_needs_a_kind(chain, filed_item):
    hop = signed_off(chain, filed_item)
    with pytest.raises(ActionRefused):
        services.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="")


def test_not_adopted_needs_a_reason_and_the_unit_sees_it(chain, filed_item):
    hop = signed_off(chain, filed_item)
    with pytest.raises(ActionRefused):
        services.review_not_adopt(actor=chain.net.city_editor, hop=hop, reason="")
    services.review_not_adopt(actor=chain.net.city_editor, hop=hop, reason="内容与上期重复")
    note = Notification.objects.get(recipient=chain.net.clerk, verb="hop.not_adopted")
    assert "内容与上期重复" in note.text


def test_return_from_the_city_goes_back_to_the_clerk_and_travels_again(chain, filed_item):
    hop = signed_off(chain, filed_item)
    services.review_return(actor=chain.net.city_editor, hop=hop, reason="请补充数据来源")
    item = Item.objects.get(pk=filed_item.pk)
    assert (item.status, item.return_reason) == (Item.Status.RETURNED, "请补充数据来源")
    assert holder_of(item) == chain.net.county
    item = submissions.item_update(actor=chain.net.clerk, item=item, data={"body": item.body + "（数据来源：区统计局）"})
    item = submissions.item_submit(actor=chain.net.clerk, item=item)
    services.signoff_approve(actor=chain.net.director, item=item)
    assert Hop.objects.filter(item=item, office=chain.net.city).count() == 2


def test_acting_twice_is_refused_naming_who_acted(chain, filed_item):
    hop = signed_off(chain, filed_item)
    services.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="summary")
    with pytest.raises(IllegalTransition) as refused:
        services.review_not_adopt(actor=chain.city_editor2, hop=hop, reason="不用")
    assert str(chain.net.city_editor) in str(refused.value.message)


def test_a_foreign_office_cannot_act(chain, filed_item):
    hop = signed_off(chain, filed_item)
    for outsider in (chain.foreign_editor, chain.province_editor, chain.net.clerk, chain.city_director):
        with pytest.raises(NotPermitted):
            services.review_adopt(actor=outsider, hop=hop, adoption="full")


def test_editor_edits_the_text_as_a_new_version_and_a_stale_edit_is_refused(chain, filed_item):
    hop = signed_off(chain, filed_item)
    read = Item.objects.get(pk=filed_item.pk).revision
    item = services.review_edit(actor=chain.net.city_editor, hop=hop, data={"title": "东湖区“网格+警格”化解矛盾四百余起"},
                                expected_revision=read)
    assert [v.note for v in item.versions.all()][-1].startswith(("经", "Edited by")) or item.versions.count() == 2
    assert item.versions.count() == 2
    with pytest.raises(StaleRevision):
        services.review_adopt(actor=chain.city_editor2, hop=hop, adoption="full", expected_revision=read)


def test_merge_makes_a_composite_that_credits_every_source(chain, good_item_data):
    net = chain.net
    from tests.factories import person

    other_director = person(net.other_county, Role.DIRECTOR)
    a = submissions.item_submit(actor=net.clerk, item=submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data))
    b = submissions.item_submit(actor=net.other_clerk, item=submissions.item_create(
        actor=net.other_clerk, unit=net.other_county, data={**good_item_data, "urgency": "urgent"}))
    services.signoff_approve(actor=net.director, item=a)
    services.signoff_approve(actor=other_director, item=b)
    hops = list(Hop.objects.filter(office=net.city))
    # when
    composite_hop = services.review_merge(actor=net.city_editor, hops=hops, title="全市推进基层治理综述", body="两区县做法……")
    # then
    composite = composite_hop.item
    assert set(composite.merged_from.all()) == {a, b}
    assert composite.urgency == "urgent"
    assert {h.status for h in Hop.objects.filter(pk__in=[h.pk for h in hops])} == {"merged"}
    assert {u.pk for u in credited_units(composite)} == {net.county.pk, net.other_county.pk}
    services.review_adopt(actor=net.city_editor, hop=composite_hop, adoption="combined")
    assert lineage_of(net.clerk, a.pk).hops[0].composite == composite


def test_forwarding_needs_adoption_and_the_office_directors_signature(chain, filed_item):
    net = chain.net
    hop = signed_off(chain, filed_item)
    with pytest.raises(IllegalTransition):
        services.forward_request(actor=net.city_editor, hop=hop)
    services.review_adopt(actor=net.city_editor, hop=hop, adoption="full")
    hop = services.forward_request(actor=net.city_editor, hop=hop)
    assert hop.forward == "awaiting_signoff" and holder_of(Item.objects.get(pk=filed_item.pk)) == net.city
    with pytest.raises(NotPermitted):
        services.forward_signoff(actor=net.city_editor, hop=hop)  # an editor is not the director
    next_hop = services.forward_signoff(actor=chain.city_director, hop=hop)
    assert (next_hop.office, next_hop.sender, next_hop.previous) == (net.province, net.city, hop)
    assert holder_of(Item.objects.get(pk=filed_item.pk)) == net.province
    with pytest.raises(IllegalTransition):
        services.forward_signoff(actor=chain.city_director, hop=hop)


def test_the_whole_chain_to_the_centre_credits_the_county_at_every_level(chain, filed_item):
    net = chain.net
    hop = signed_off(chain, filed_item)
    for editor, director in ((net.city_editor, chain.city_director), (chain.province_editor, chain.province_director)):
        services.review_adopt(actor=editor, hop=hop, adoption="full")
        services.forward_request(actor=editor, hop=hop)
        hop = services.forward_signoff(actor=director, hop=hop)
    services.review_adopt(actor=chain.central_editor, hop=hop, adoption="summary")
    lineage = lineage_of(net.clerk, filed_item.pk)
    assert [h.level for h in lineage.hops] == ["city", "province", "central"]
    assert [h.office.code for h in lineage.adopted_at] == ["t-lj", "t-jn", "t-central"]
    assert lineage.credited == [net.county]
    with pytest.raises(IllegalTransition):
        services.forward_request(actor=chain.central_editor, hop=hop)  # the top of the chain


def test_forward_decline_keeps_it_adopted_here(chain, filed_item):
    hop = signed_off(chain, filed_item)
    services.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="full")
    services.forward_request(actor=chain.net.city_editor, hop=hop)
    hop = services.forward_decline(actor=chain.city_director, hop=hop, reason="本地事项，不必上报")
    assert (hop.status, hop.forward) == ("adopted", "")


def test_inbox_scopes_to_my_office_and_sorts_by_urgency_then_age(chain, good_item_data):
    net = chain.net
    made = []
    for urgency in ("normal", "extra_urgent", "normal"):
        item = submissions.item_submit(actor=net.clerk, item=submissions.item_create(
            actor=net.clerk, unit=net.county, data={**good_item_data, "urgency": urgency}))
        services.signoff_approve(actor=net.director, item=item)
        made.append(item)
    assert [h.item for h in inbox_for(net.city_editor)] == [made[1], made[0], made[2]]
    assert list(inbox_for(chain.foreign_editor)) == []
    assert list(inbox_for(net.city_editor, filters={"urgency": "extra_urgent"}).values_list("item", flat=True)) == [made[1].pk]


# --- concurrency -------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_editors_acting_at_once_exactly_one_wins(chain, filed_item):
    """Two real transactions on two connections race to decide the same hop: one wins, one is refused."""
    hop = signed_off(chain, filed_item)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(editor, action):
        try:
            barrier.wait()
            action(editor)
            outcomes.append("won")
        except IllegalTransition:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(chain.net.city_editor,
                                           lambda e: services.review_adopt(actor=e, hop=hop, adoption="full"))),
        threading.Thread(target=act, args=(chain.city_editor2,
                                           lambda e: services.review_not_adopt(actor=e, hop=hop, reason="不采用"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["refused", "won"]
    hop.refresh_from_db()
    assert hop.status in ("adopted", "not_adopted")
    decided = AuditLog.objects.filter(object_id=str(filed_item.pk), action__in=["hop.adopted", "hop.not_adopted"])
    assert decided.count() == 1
