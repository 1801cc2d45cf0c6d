"""Where each item stands along the chain (issue 13, point 1): kept on the item in the transaction of every hop
change (Item.outcome…, reviews.selectors.outcome_of), shown and filtered in every list, and the kept inbox rows
follow it."""

import importlib

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Hop
from reviews.selectors import outcome_of
from submissions import services as submissions
from submissions.models import Item

pytestmark = pytest.mark.django_db


def file(chain, data, title):
    net = chain.net
    item = submissions.item_create(actor=net.clerk, unit=net.county, data={**data, "title": title})
    return submissions.item_submit(actor=net.clerk, item=item)


def at_city(chain, data, title) -> Hop:
    item = services.signoff_approve(actor=chain.net.director, item=file(chain, data, title))
    return Hop.objects.get(item=item, office=chain.net.city)


def fields(item):
    item = Item.objects.get(pk=item.pk)
    return item.outcome, item.adopted_level, item.outcome_trail, item.outcome_reason, item.outcome_composite_id


def test_each_step_of_the_chain_is_kept_on_the_item(chain, good_item_data):
    hop = at_city(chain, good_item_data, "一路向上")
    assert fields(hop.item) == ("in_review", "", "city:in_review", "", None)

    services.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="full")
    assert fields(hop.item) == ("adopted", "city", "city:adopted", "", None)

    services.forward_request(actor=chain.net.city_editor, hop=hop)
    assert fields(hop.item)[2] == "city:forwarding"
    services.forward_decline(actor=chain.city_director, hop=hop, reason="不必上报")
    assert fields(hop.item)[2] == "city:adopted"

    services.forward_request(actor=chain.net.city_editor, hop=hop)
    up = services.forward_signoff(actor=chain.city_director, hop=hop)
    assert fields(hop.item) == ("in_review", "city", "city:adopted province:in_review", "", None)

    services.review_adopt(actor=chain.province_editor, hop=up, adoption="summary")
    item = Item.objects.get(pk=hop.item_id)
    assert fields(item) == ("adopted", "province", "city:adopted province:adopted", "", None)
    assert [label for _step, label in item.outcome_steps] == ["市采用", "省采用"]


def test_not_adopted_keeps_the_reason_and_returned_starts_again(chain, good_item_data):
    hop = at_city(chain, good_item_data, "不采用的一条")
    services.review_not_adopt(actor=chain.net.city_editor, hop=hop, reason="信息价值不高")
    assert fields(hop.item) == ("not_adopted", "", "city:not_adopted", "信息价值不高", None)

    other = at_city(chain, good_item_data, "退回的一条")
    services.review_return(actor=chain.net.city_editor, hop=other, reason="请补充数据")
    assert fields(other.item)[:4] == ("returned", "", "city:returned", "请补充数据")
    item = Item.objects.get(pk=other.item_id)
    submissions.item_submit(actor=chain.net.clerk, item=item)
    services.signoff_approve(actor=chain.net.director, item=item)
    assert fields(item)[:3] == ("in_review", "", "city:in_review")  # the new lineage, not the returned one


def test_merged_names_the_composite(chain, good_item_data):
    hops = [at_city(chain, good_item_data, f"同一事件{n}") for n in range(2)]
    new_hop = services.review_merge(actor=chain.net.city_editor, hops=hops, title="综合：同一事件", body="两地报告。")
    for hop in hops:
        assert fields(hop.item) == ("merged", "", "city:merged", "", new_hop.item_id)
    assert fields(new_hop.item)[:3] == ("in_review", "", "city:in_review")


def test_the_migration_computes_what_the_service_keeps(chain, good_item_data):
    # given items at every step, their outcome kept by the services
    a = at_city(chain, good_item_data, "甲")
    services.review_adopt(actor=chain.net.city_editor, hop=a, adoption="full")
    services.forward_request(actor=chain.net.city_editor, hop=a)
    up = services.forward_signoff(actor=chain.city_director, hop=a)
    services.review_not_adopt(actor=chain.province_editor, hop=up, reason="省里不用")
    b = at_city(chain, good_item_data, "乙")
    services.review_return(actor=chain.net.city_editor, hop=b, reason="改")
    merged = [at_city(chain, good_item_data, f"丙{n}") for n in range(2)]
    services.review_merge(actor=chain.net.city_editor, hops=merged, title="综合丙", body="综合。")
    c = at_city(chain, good_item_data, "丁")
    services.review_adopt(actor=chain.net.city_editor, hop=c, adoption="full")
    services.forward_request(actor=chain.net.city_editor, hop=c)
    kept = {item.pk: fields(item) for item in Item.objects.all()}

    # when the fields are wiped and the migration's statement runs
    Item.objects.update(outcome="", adopted_level="", outcome_trail="", outcome_reason="", outcome_composite=None)
    importlib.import_module("reviews.migrations.0002_item_outcome").compute_outcomes(None, None)

    # then it writes exactly what the services kept, and what outcome_of says
    assert {item.pk: fields(item) for item in Item.objects.all()} == kept
    for item in Item.objects.all():
        expected = outcome_of(Hop.objects.filter(item=item))
        assert fields(item) == tuple(expected[k] for k in ("outcome", "adopted_level", "outcome_trail",
                                                            "outcome_reason", "outcome_composite_id"))
    assert kept[up.item_id][:4] == ("not_adopted", "city", "city:adopted province:not_adopted", "省里不用")


def test_every_list_shows_where_an_item_stands_and_the_item_list_filters_by_it(client, chain, good_item_data):
    net = chain.net
    adopted = at_city(chain, good_item_data, "采用的一条")
    services.review_adopt(actor=net.city_editor, hop=adopted, adoption="full")
    refused = at_city(chain, good_item_data, "未采用的一条")
    services.review_not_adopt(actor=net.city_editor, hop=refused, reason="与前报重复")
    merged = [at_city(chain, good_item_data, f"合并的一条{n}") for n in range(2)]
    composite = services.review_merge(actor=net.city_editor, hops=merged, title="综合：合并", body="综合。")

    # the clerk's item list: 市采用, 未采用 with the reason on hover, 已合并 (the composite is the city's: not named)
    client.force_login(net.clerk)
    page = client.get(reverse("submissions:item_list")).content.decode()
    assert "市采用" in page and 'title="理由：与前报重复"' in page and "市已合并" in page
    assert "综合：合并" not in page
    only = client.get(reverse("submissions:item_list"), {"outcome": "not_adopted"}).content.decode()
    assert "未采用的一条" in only and ">采用的一条</a>" not in only
    adopted_only = client.get(reverse("submissions:item_list"), {"outcome": "adopted_city"}).content.decode()
    assert ">采用的一条</a>" in adopted_only and "未采用的一条" not in adopted_only

    # the city editor's item list names the composite it wrote, with a link
    client.force_login(net.city_editor)
    page = client.get(reverse("submissions:item_list")).content.decode()
    assert f'href="/items/{composite.item_id}/">→《综合：合并》' in page

    # the inbox's tabs: adopted and not adopted, each with where the item stands
    page = client.get(reverse("reviews:inbox"), {"tab": "not_adopted"}).content.decode()
    assert "市未采用" in page and "与前报重复" in page
    page = client.get(reverse("reviews:inbox"), {"tab": "merged"}).content.decode()
    assert "市已合并" in page and f'/items/{composite.item_id}/' in page


def test_the_sign_off_list_says_an_item_was_returned_upstream_before(client, chain, good_item_data):
    hop = at_city(chain, good_item_data, "被市里退回的一条")
    services.review_return(actor=chain.net.city_editor, hop=hop, reason="请核实数据")
    submissions.item_submit(actor=chain.net.clerk, item=Item.objects.get(pk=hop.item_id))
    client.force_login(chain.net.director)
    page = client.get(reverse("reviews:signoff_list")).content.decode()
    assert "市退回修改" in page and "请核实数据" in page
    detail = client.get(reverse("reviews:signoff_detail", args=[hop.item_id])).content.decode()
    assert 'data-testid="outcome-reason"' in detail and "请核实数据" in detail


@pytest.mark.django_db(transaction=True)
def test_kept_inbox_rows_follow_an_outcome_decided_above(client, chain, good_item_data):
    # given the city editor's adopted tab, kept (infohub.listcache)
    hop = at_city(chain, good_item_data, "上报省里的一条")
    services.review_adopt(actor=chain.net.city_editor, hop=hop, adoption="full")
    services.forward_request(actor=chain.net.city_editor, hop=hop)
    up = services.forward_signoff(actor=chain.city_director, hop=hop)
    client.force_login(chain.net.city_editor)
    for _ in range(2):
        before = client.get(reverse("reviews:inbox"), {"tab": "adopted"}).content.decode()
    assert "省审核中" in before

    # when the province adopts it (nothing changes at the city's own hop)
    services.review_adopt(actor=chain.province_editor, hop=up, adoption="full")

    # then the city's kept rows say so at once
    after = client.get(reverse("reviews:inbox"), {"tab": "adopted"}).content.decode()
    assert "省采用" in after and "省审核中" not in after
