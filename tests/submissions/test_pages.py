"""The item pages: scoping (a foreign item is a 404), forms that keep what was typed, the flow to filing."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from infohub.models import AuditLog
from submissions import services
from submissions.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_clerk(client, network):
    client.force_login(network.clerk)
    return client


@pytest.fixture
def foreign_item(network, good_item_data):
    item = services.item_create(actor=network.other_clerk, unit=network.other_county, data=good_item_data)
    doc = SimpleUploadedFile("附件.pdf", b"%PDF-1.4 data")
    return services.item_update(actor=network.other_clerk, item=item, data={}, files=[doc])


def test_pages_require_login(client):
    response = client.get(reverse("submissions:item_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "name, method",
    [
        ("submissions:item_detail", "get"),
        ("submissions:item_edit", "get"),
        ("submissions:item_edit", "post"),
        ("submissions:item_print", "get"),
        ("submissions:item_submit", "post"),
        ("submissions:item_withdraw", "post"),
    ],
)
def test_a_foreign_item_is_not_found(as_clerk, foreign_item, name, method):
    response = getattr(as_clerk, method)(reverse(name, args=[foreign_item.pk]))
    assert response.status_code == 404
    assert Item.objects.get(pk=foreign_item.pk).status == Item.Status.DRAFT


def test_a_foreign_attachment_is_not_found(as_clerk, foreign_item):
    attachment = foreign_item.attachments.get()
    for name in ("submissions:attachment_download", "submissions:attachment_delete"):
        method = as_clerk.get if name.endswith("download") else as_clerk.post
        assert method(reverse(name, args=[foreign_item.pk, attachment.pk])).status_code == 404
    assert foreign_item.attachments.exists()


def test_a_foreign_item_is_not_listed(as_clerk, foreign_item):
    response = as_clerk.get(reverse("submissions:item_list"), {"q": foreign_item.title})
    assert reverse("submissions:item_detail", args=[foreign_item.pk]) not in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_own_attachment_downloads_with_its_name(as_clerk, network, good_item_data):
    item = services.item_create(
        actor=network.clerk, unit=network.county, data=good_item_data,
        files=[SimpleUploadedFile("情况.pdf", b"%PDF-1.4 own")],
    )
    attachment = item.attachments.get()
    response = as_clerk.get(reverse("submissions:attachment_download", args=[item.pk, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 own"
    assert "attachment" in response["Content-Disposition"]


def test_an_incomplete_draft_saves_and_filing_it_names_each_missing_field(as_clerk, network, good_item_data):
    # given an emergency without its place and grade, nor a phone, and a body the clerk typed with care
    typed = {
        **good_item_data,
        "source_unit": network.county.pk,
        "category": "emergency",
        "contact_phone": "",
        "body": "今日凌晨三时，湖滨街道一处老旧小区发生火情，已疏散居民。",
        "event_time": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "injuries": "3",
    }
    # when the clerk saves it as a draft
    response = as_clerk.post(reverse("submissions:item_create"), {**typed, "save": "1"})
    # then it is saved with everything it has (issue 13, point 10)
    item = Item.objects.get()
    assert response.status_code == 302 and response.url == reverse("submissions:item_edit", args=[item.pk])
    assert (item.status, item.body, item.injuries, item.contact_phone) == (Item.Status.DRAFT, typed["body"], 3, "")

    # when the clerk files it as it is
    response = as_clerk.post(reverse("submissions:item_edit", args=[item.pk]),
                             {**typed, "revision": item.revision, "submit": "1"}, follow=True)
    # then it stays a draft, and the form names each missing field in Chinese beside everything typed
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("submissions:item_edit", args=[item.pk]) + "?file=1"
    assert "草稿已保存。报送前请补全标出的内容。" in page
    assert "突发事件须填写事发地点" in page and "突发事件须选择事件等级" in page and "报送前须填写联系电话" in page
    assert typed["body"] in page and typed["title"] in page and 'value="3"' in page
    assert set(response.context["form"].errors) == {"event_place", "event_grade", "contact_phone"}
    item.refresh_from_db()
    assert item.status == Item.Status.DRAFT and not item.versions.exists()


def test_an_empty_draft_saves_and_the_item_page_button_leads_to_what_is_missing(as_clerk, network):
    # (what a browser sends of an empty form: its selects' first options)
    response = as_clerk.post(reverse("submissions:item_create"), {"source_unit": network.county.pk, "category": "",
                                                                  "urgency": "normal", "classification": "internal",
                                                                  "save": "1"})
    item = Item.objects.get()
    assert response.status_code == 302 and (item.title, item.category, item.status) == ("", "", Item.Status.DRAFT)
    response = as_clerk.post(reverse("submissions:item_submit", args=[item.pk]), follow=True)
    assert set(response.context["form"].errors) == {"title", "body", "category", "contact_phone"}
    assert Item.objects.get().status == Item.Status.DRAFT


def test_a_malformed_phone_in_a_draft_is_refused_keeping_the_text(as_clerk, network, good_item_data):
    response = as_clerk.post(reverse("submissions:item_create"),
                             {**good_item_data, "source_unit": network.county.pk, "contact_phone": "12345", "save": "1"})
    page = response.content.decode()
    assert response.status_code == 200 and "12345" in page and good_item_data["body"] in page
    assert "不是有效的电话号码" in page
    assert not Item.objects.exists()


def test_classification_above_accreditation_is_refused_on_the_page(as_clerk, network, good_item_data):
    response = as_clerk.post(
        reverse("submissions:item_create"),
        {**good_item_data, "source_unit": network.county.pk, "classification": "confidential"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "不得在本网络存储" in page or "must never be stored" in page
    assert good_item_data["title"] in page
    assert not Item.objects.exists()


def test_forbidden_attachment_is_refused_with_reason_keeping_the_text(as_clerk, network, good_item_data):
    response = as_clerk.post(
        reverse("submissions:item_create"),
        {**good_item_data, "source_unit": network.county.pk, "attachments": SimpleUploadedFile("病毒.exe", b"MZ")},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "病毒.exe" in page and good_item_data["body"] in page
    assert not Item.objects.exists()


def test_clerk_drafts_saves_and_submits(as_clerk, network, good_item_data):
    response = as_clerk.post(
        reverse("submissions:item_create"), {**good_item_data, "source_unit": network.county.pk, "save": "1"}
    )
    item = Item.objects.get()
    assert response.status_code == 302 and response.url == reverse("submissions:item_edit", args=[item.pk])
    response = as_clerk.post(
        reverse("submissions:item_edit", args=[item.pk]),
        {**good_item_data, "title": "修改后的标题", "revision": item.revision, "submit": "1"},
    )
    item.refresh_from_db()
    assert response.status_code == 302
    assert (item.title, item.status) == ("修改后的标题", Item.Status.PENDING_SIGNOFF)


def test_stale_form_is_refused_and_keeps_the_typed_text(as_clerk, network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    stale = item.revision
    services.item_update(actor=network.clerk, item=item, data={"title": "别人先改了"})
    response = as_clerk.post(
        reverse("submissions:item_edit", args=[item.pk]), {**good_item_data, "title": "我的修改", "revision": stale}
    )
    assert response.status_code == 200 and "我的修改" in response.content.decode()
    assert Item.objects.get(pk=item.pk).title == "别人先改了"


def test_start_page_lists_my_drafts(as_clerk, network, good_item_data):
    services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    response = as_clerk.get(reverse("home"))
    assert good_item_data["title"] in response.content.decode()


def test_item_page_shows_marks_history_and_diff(as_clerk, network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    item = services.item_submit(actor=network.clerk, item=item)
    item = services.item_withdraw(actor=network.clerk, item=item)
    services.item_update(actor=network.clerk, item=item, data={"title": "新标题"})
    page = as_clerk.get(reverse("submissions:item_detail", args=[item.pk])).content.decode()
    assert 'data-testid="marks"' in page and "内部" in page
    assert "<ins>新标题</ins>" in page or "<ins>新</ins>" in page or "<ins>" in page
    assert "退回修改" not in page  # never returned


def test_print_view_carries_the_marks(as_clerk, network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data={**good_item_data, "urgency": "urgent"})
    page = as_clerk.get(reverse("submissions:item_print", args=[item.pk])).content.decode()
    heading = page.index("<h1>")
    assert page.index("内部") < heading and page.index("加急") < heading


def test_opening_a_classified_item_is_audited(client, network, good_item_data, settings):
    settings.INFOHUB_MAX_CLASSIFICATION = "secret"
    network.clerk.clearance = "secret"
    network.clerk.save()
    item = services.item_create(actor=network.clerk, unit=network.county, data={**good_item_data, "classification": "secret"})
    client.force_login(network.clerk)
    client.get(reverse("submissions:item_detail", args=[item.pk]))
    assert AuditLog.objects.filter(action="item.view", object_id=str(item.pk), actor=network.clerk).count() == 1


def test_english_is_available(as_clerk):
    as_clerk.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = as_clerk.get(reverse("home")).content.decode()
    assert "New item" in page
