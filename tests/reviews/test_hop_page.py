"""The editor's review page (issue 13, point 8): the item's attachments, downloaded through the item's own door, and
a composite item's sources with who filed each — only those the reader may open."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews import services
from reviews.models import Hop
from submissions import services as submissions
from submissions.models import Item

pytestmark = pytest.mark.django_db


def _received(chain, data, *, clerk=None, unit=None, files=()) -> Hop:
    net = chain.net
    clerk, unit = clerk or net.clerk, unit or net.county
    item = submissions.item_create(actor=clerk, unit=unit, data=data, files=files)
    item = submissions.item_submit(actor=clerk, item=item)
    services.signoff_approve(actor=net.director, item=item)
    return Hop.objects.get(item=item)


def test_the_review_page_lists_the_attachments_and_they_download_through_the_item(client, chain, good_item_data):
    # given an item filed with a scan of the original report
    hop = _received(chain, good_item_data, files=[SimpleUploadedFile("现场情况.pdf", b"%PDF-1.4 scan")])
    attachment = hop.item.attachments.get()
    url = reverse("submissions:attachment_download", args=[hop.item_id, attachment.pk])
    # when the city editor opens the review page
    client.force_login(chain.net.city_editor)
    page = client.get(reverse("reviews:hop_detail", args=[hop.pk])).content.decode()
    # then the attachment is listed with its size and a link to the item's download door, which answers
    assert "现场情况.pdf" in page and f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 scan"
    # and the same door is shut to an editor of another city (as if nothing were there)
    client.force_login(chain.foreign_editor)
    assert client.get(url).status_code == 404


def test_a_composite_lists_its_sources_and_who_filed_each(client, chain, good_item_data):
    net = chain.net
    # given two items on one event, from two units, merged at the city
    from infohub.models import Role
    from tests.factories import person

    other_director = person(net.other_county, Role.DIRECTOR, username="xl_director")
    first = _received(chain, {**good_item_data, "title": "东湖区强降雨致多处积水"})
    item = submissions.item_submit(actor=net.other_clerk, item=submissions.item_create(
        actor=net.other_clerk, unit=net.other_county, data={**good_item_data, "title": "西岭县强降雨致道路积水"}))
    services.signoff_approve(actor=other_director, item=item)
    second = Hop.objects.get(item=item)
    composite_hop = services.review_merge(actor=net.city_editor, hops=[first, second], title="全市强降雨综合情况",
                                          body="两地强降雨，多处积水。")
    # when the city editor opens the composite's review page
    client.force_login(net.city_editor)
    page = client.get(reverse("reviews:hop_detail", args=[composite_hop.pk])).content.decode()
    # then both sources are linked, with their units and who filed each
    for hop, clerk in ((first, net.clerk), (second, net.other_clerk)):
        assert reverse("submissions:item_detail", args=[hop.item_id]) in page
        assert hop.item.title in page and hop.item.source_unit.name in page and str(clerk) in page
    # and the composite's item page says the same
    page = client.get(reverse("submissions:item_detail", args=[composite_hop.item_id])).content.decode()
    assert first.item.title in page and second.item.title in page

    # when the composite is adopted and reported to the province
    services.review_adopt(actor=net.city_editor, hop=composite_hop, adoption=Hop.Adoption.FULL)
    services.forward_request(actor=net.city_editor, hop=composite_hop)
    services.forward_signoff(actor=chain.city_director, hop=composite_hop)
    at_province = Hop.objects.get(item=composite_hop.item, office=net.province)
    # then the province editor sees that it has two sources but not what they are (they never reached the province)
    client.force_login(chain.province_editor)
    for url in (reverse("reviews:hop_detail", args=[at_province.pk]),
                reverse("submissions:item_detail", args=[at_province.item_id]),
                reverse("reviews:lineage", args=[at_province.item_id])):
        page = client.get(url).content.decode()
        assert first.item.title not in page and second.item.title not in page, url
    assert "另有 2 条您无权查看的信息" in client.get(reverse("reviews:hop_detail", args=[at_province.pk])).content.decode()
    assert Item.objects.get(pk=composite_hop.item_id).merged_from.count() == 2
