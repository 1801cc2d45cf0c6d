"""Review pages: every page × role, own office and foreign office; the flows a director and an editor use."""

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Hop
from submissions import services as submissions
from submissions.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def hop(chain, filed_item) -> Hop:
    services.signoff_approve(actor=chain.net.director, item=filed_item)
    return Hop.objects.get(item=filed_item)


def page_urls(item, hop):
    return [
        ("get", reverse("reviews:signoff_detail", args=[item.pk])),
        ("post", reverse("reviews:signoff_approve", args=[item.pk])),
        ("post", reverse("reviews:signoff_return", args=[item.pk])),
        ("get", reverse("reviews:hop_detail", args=[hop.pk])),
        ("get", reverse("reviews:hop_edit", args=[hop.pk])),
        ("post", reverse("reviews:hop_edit", args=[hop.pk])),
        *[("post", reverse("reviews:hop_act", args=[hop.pk, a]))
          for a in ("adopt", "not_adopt", "return", "forward", "forward_sign", "forward_decline")],
        ("get", reverse("reviews:lineage", args=[item.pk])),
    ]


@pytest.mark.parametrize("outsider", ["other_clerk", "foreign_editor", "foreign_director", "province_editor"])
def test_foreign_people_get_404_on_every_review_page(client, chain, hop, outsider):
    user = getattr(chain.net, outsider, None) or getattr(chain, outsider)
    client.force_login(user)
    for method, url in page_urls(hop.item, hop):
        response = getattr(client, method)(url, {"reason": "x", "adoption": "full"})
        assert response.status_code == 404, (outsider, method, url)
    hop.refresh_from_db()
    assert (hop.status, hop.forward) == ("received", "")


def test_the_clerk_cannot_open_the_offices_workspace_but_sees_the_lineage(client, chain, hop):
    client.force_login(chain.net.clerk)
    assert client.get(reverse("reviews:hop_detail", args=[hop.pk])).status_code == 404
    page = client.get(reverse("reviews:lineage", args=[hop.item_id])).content.decode()
    assert chain.net.city.name in page


def test_lists_show_only_my_units_work(client, chain, hop, good_item_data):
    client.force_login(chain.foreign_director)
    assert hop.item.title not in client.get(reverse("reviews:signoff_list")).content.decode()
    client.force_login(chain.foreign_editor)
    assert client.get(reverse("reviews:inbox")).context["page"].paginator.count == 0
    client.force_login(chain.net.city_editor)
    assert client.get(reverse("reviews:inbox")).context["page"].paginator.count == 1


def test_director_batch_signs_off_from_the_list(client, chain, filed_item, good_item_data):
    net = chain.net
    second = submissions.item_submit(actor=net.clerk, item=submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data))
    client.force_login(net.director)
    page = client.get(reverse("reviews:signoff_list")).content.decode()
    assert filed_item.title in page
    response = client.post(reverse("reviews:signoff_batch"), {"items": [filed_item.pk, second.pk]}, follow=True)
    assert "2" in response.content.decode()
    assert set(Item.objects.values_list("status", flat=True)) == {"signed_off"}


def test_list_rows_escape_what_people_typed(client, chain, good_item_data):
    net = chain.net
    data = {**good_item_data, "title": '<b>"粗体"</b>', "body": good_item_data["body"] + "<script>x</script>"}
    item = submissions.item_submit(actor=net.clerk, item=submissions.item_create(actor=net.clerk, unit=net.county, data=data))
    client.force_login(net.director)
    page = client.get(reverse("reviews:signoff_list")).content.decode()
    assert "<b>" not in page and "<script>x" not in page
    assert 'aria-label="&lt;b&gt;&quot;粗体&quot;&lt;/b&gt;"' in page and "&lt;script&gt;x" in page
    services.signoff_approve(actor=net.director, item=item)
    client.force_login(net.city_editor)
    page = client.get(reverse("reviews:inbox")).content.decode()
    assert "<b>" not in page and f'<a href="{reverse("reviews:hop_detail", args=[item.hops.get().pk])}">&lt;b&gt;' in page


def test_inbox_filters_keep_what_was_chosen(client, chain, hop):
    county = chain.net.county
    client.force_login(chain.net.city_editor)
    page = client.get(reverse("reviews:inbox"), {"sender": county.pk, "urgency": "urgent"}).content.decode()
    assert f'<option value="{county.pk}" selected>{county.name}</option>' in page
    assert '<option value="urgent" selected>' in page and '<option value="normal">' in page


def test_a_searched_inbox_pages_and_counts_only_what_matches(client, chain, good_item_data):
    net = chain.net
    _file_and_sign(chain, good_item_data, 27)  # titles 第0条 … 第26条, all "网格" in the body
    item = submissions.item_create(actor=net.clerk, unit=net.county,
                                   data={**good_item_data, "title": "防汛物资储备情况", "body": "全县储备防汛沙袋五万条。"})
    services.signoff_approve(actor=net.director, item=submissions.item_submit(actor=net.clerk, item=item))
    client.force_login(net.city_editor)
    found = client.get(reverse("reviews:inbox"), {"q": "防汛", "older_than_hours": "0"}).content.decode()
    assert "防汛物资储备情况" in found and "第0条" not in found and 'class="pagination"' not in found
    # 28 received: two pages of 25, the second with three rows, and a page past the end shows that one
    for number in ("2", "9"):
        second = client.get(reverse("reviews:inbox"), {"page": number}).content.decode()
        assert second.count('name="hops"') == 3 and "第 2 页，共 2 页 · 共 28 条" in second


def test_return_without_reason_is_refused_with_a_message(client, chain, filed_item):
    client.force_login(chain.net.director)
    response = client.post(reverse("reviews:signoff_return", args=[filed_item.pk]), {"reason": ""}, follow=True)
    assert "理由" in response.content.decode()
    assert Item.objects.get(pk=filed_item.pk).status == "pending_signoff"


def test_editor_adopts_and_forwards_through_the_pages(client, chain, hop):
    client.force_login(chain.net.city_editor)
    client.post(reverse("reviews:hop_act", args=[hop.pk, "adopt"]), {"adoption": "full"})
    client.post(reverse("reviews:hop_act", args=[hop.pk, "forward"]))
    client.force_login(chain.city_director)
    assert hop.item.title in client.get(reverse("reviews:forward_list")).content.decode()
    client.post(reverse("reviews:hop_act", args=[hop.pk, "forward_sign"]))
    assert Hop.objects.filter(item=hop.item, office=chain.net.province).exists()


def test_acting_twice_shows_why(client, chain, hop):
    client.force_login(chain.net.city_editor)
    client.post(reverse("reviews:hop_act", args=[hop.pk, "adopt"]), {"adoption": "full"})
    response = client.post(reverse("reviews:hop_act", args=[hop.pk, "not_adopt"]), {"reason": "重复"}, follow=True)
    assert "已" in response.content.decode() and "采用" in response.content.decode()


def test_editor_edit_keeps_a_version_and_shows_the_diff(client, chain, hop):
    client.force_login(chain.net.city_editor)
    item = hop.item
    form = {name: getattr(item, name) or "" for name in ("title", "body", "category", "urgency", "classification",
                                                         "authors", "contact_phone", "keywords")}
    form.update(title="临江市东湖区“网格+警格”化解矛盾", revision=Item.objects.get(pk=item.pk).revision)
    response = client.post(reverse("reviews:hop_edit", args=[hop.pk]), form)
    assert response.status_code == 302
    page = client.get(reverse("reviews:hop_detail", args=[hop.pk])).content.decode()
    assert "<ins>" in page and Item.objects.get(pk=item.pk).versions.count() == 2


def test_merge_page_writes_a_composite(client, chain, hop, good_item_data):
    net = chain.net
    second = submissions.item_submit(actor=net.clerk, item=submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data))
    services.signoff_approve(actor=net.director, item=second)
    other = Hop.objects.get(item=second)
    client.force_login(net.city_editor)
    form = client.post(reverse("reviews:merge"), {"hops": [hop.pk, other.pk]})
    assert form.status_code == 200
    response = client.post(reverse("reviews:merge"), {"hops": [hop.pk, other.pk], "title": "综合", "body": "综合正文"})
    assert response.status_code == 302
    assert Item.objects.get(title="综合").merged_from.count() == 2


def _file_and_sign(chain, good_item_data, n):
    net = chain.net
    for i in range(n):
        item = submissions.item_create(actor=net.clerk, unit=net.county, data={**good_item_data, "title": f"第{i}条"})
        item = submissions.item_submit(actor=net.clerk, item=item)
        services.signoff_approve(actor=net.director, item=item)


def _queries(client, django_assert_max_num_queries, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from infohub.tree import forget_units

    forget_units()  # each page as the first after a change to a unit: with its unit names and senders list
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_inbox_and_signoff_list_cost_the_same_queries_for_one_row_or_thirty(client, chain, good_item_data,
                                                                             django_assert_max_num_queries):
    net = chain.net
    _file_and_sign(chain, good_item_data, 1)
    client.force_login(net.city_editor)
    one = _queries(client, django_assert_max_num_queries, reverse("reviews:inbox"))
    _file_and_sign(chain, good_item_data, 29)
    thirty = _queries(client, django_assert_max_num_queries, reverse("reviews:inbox"))
    assert one == thirty
    for i in range(30):
        submissions.item_submit(actor=net.clerk, item=submissions.item_create(
            actor=net.clerk, unit=net.county, data={**good_item_data, "title": f"待签{i}"}))
    client.force_login(net.director)
    # the sign-off list has no senders list and no notes of other apps beside its items (submissions.extensions)
    assert _queries(client, django_assert_max_num_queries, reverse("reviews:signoff_list")) == one - 2


def test_an_arrival_is_notified_in_the_app_and_by_e_mail(client, chain, filed_item, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.signoff_approve(actor=chain.net.director, item=filed_item)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([chain.net.city_editor.email, chain.city_editor2.email])
    assert filed_item.title in mailoutbox[0].body and "http://" in mailoutbox[0].body
    client.force_login(chain.net.city_editor)
    page = client.get(reverse("notifications")).content.decode()
    assert filed_item.title in page


def test_start_pages_show_each_role_its_queue(client, chain, filed_item):
    client.force_login(chain.net.director)
    assert filed_item.title in client.get(reverse("home")).content.decode()
    services.signoff_approve(actor=chain.net.director, item=filed_item)
    client.force_login(chain.net.city_editor)
    assert filed_item.title in client.get(reverse("home")).content.decode()
    client.force_login(chain.foreign_editor)
    assert filed_item.title not in client.get(reverse("home")).content.decode()
