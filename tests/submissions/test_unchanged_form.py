"""Saving a form that nobody changed changes nothing; times read in Beijing time (SPEC §3, issue 12 points 5–6)."""

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import time_machine
from django.urls import reverse

from reviews import services as reviews
from submissions import services
from submissions.models import Item, ItemVersion
from submissions.selectors import version_diff

pytestmark = pytest.mark.django_db
EVENT = datetime(2026, 11, 20, 1, 47, 30, 250000, tzinfo=UTC)  # 09:47:30.25 in Beijing


class FormValues(HTMLParser):
    """What a browser sends for the page's item form: every named field with its shown value, CRLF in textareas."""

    def __init__(self):
        super().__init__()
        self.values, self._textarea, self._select = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("file", "submit", "checkbox"):
            self.values[name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea, self.values[name] = name, ""
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [] if "multiple" in attrs else "")  # a browser sends each chosen option
        elif tag == "option" and self._select and "selected" in attrs:
            if isinstance(self.values[self._select], list):
                self.values[self._select].append(attrs.get("value", ""))
            else:
                self.values[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.replace("\n", "\r\n")


def _returned_emergency(network) -> Item:
    data = {
        "title": "东湖区一化工厂发生火灾", "body": "今日9时许，仓库起火。\n消防已到场处置。", "category": "emergency",
        "urgency": "extra_urgent", "classification": "internal", "contact_phone": "0571-88886666",
        "event_time": EVENT, "event_place": "东湖区化工园区", "event_grade": "general", "event_type": "accident",
    }
    with time_machine.travel(EVENT.replace(minute=50), tick=False):
        item = services.item_create(actor=network.clerk, unit=network.county, data=data)
        item = services.item_submit(actor=network.clerk, item=item)
        return reviews.signoff_return(actor=network.director, item=item, reason="补充伤亡情况")


def test_saving_a_returned_item_unchanged_makes_no_revision_no_version_and_keeps_the_event_time(client, network):
    item = _returned_emergency(network)
    before = (item.revision, item.versions.count(), item.event_time)
    client.force_login(network.clerk)
    page = client.get(reverse("submissions:item_edit", args=[item.pk])).content.decode()
    form = FormValues()
    form.feed(page)
    assert form.values["event_time"] == "2026-11-20T09:47:30"  # shown to the second, in Beijing time
    response = client.post(reverse("submissions:item_edit", args=[item.pk]), form.values)
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.revision, item.versions.count(), item.event_time) == before


def test_a_browser_that_drops_the_seconds_does_not_move_the_event_time(client, network):
    item = _returned_emergency(network)
    client.force_login(network.clerk)
    form = FormValues()
    form.feed(client.get(reverse("submissions:item_edit", args=[item.pk])).content.decode())
    client.post(reverse("submissions:item_edit", args=[item.pk]), {**form.values, "event_time": "2026-11-20T09:47"})
    item.refresh_from_db()
    assert item.event_time == EVENT


def test_a_corrected_event_time_reads_in_beijing_time_in_the_version_diff(network):
    item = _returned_emergency(network)
    services.item_update(actor=network.clerk, item=item,
                         data={"event_time": datetime(2026, 11, 20, 1, 40, tzinfo=UTC)})
    older, newer = ItemVersion.objects.filter(item=item).order_by("number")
    diff = version_diff(older, newer)["event_time"]
    before = "".join(s.text for s in diff if s.op != "insert")
    after = "".join(s.text for s in diff if s.op != "delete")
    assert (before, after) == ("2026-11-20 09:47:30", "2026-11-20 09:40:00")


def test_a_long_attachment_name_is_shortened_in_the_middle_and_keeps_its_extension(client, network, good_item_data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    long_name = "关于" + "东湖区防汛抗旱工作情况" * 21 + "的报告（终稿）.docx"
    assert len(long_name) > 240
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data,
                                files=[SimpleUploadedFile(long_name, b"PK\x03\x04 docx", "application/vnd.openxmlformats")])
    stored = item.attachments.get().original_name
    assert len(stored) == 200 and stored.endswith("的报告（终稿）.docx") and stored.startswith("关于东湖区") and "…" in stored
    client.force_login(network.clerk)
    response = client.get(reverse("submissions:attachment_download", args=[item.pk, item.attachments.get().pk]))
    disposition = response["Content-Disposition"]
    attachment = item.attachments.get()  # a client that cannot read filename* saves it by the item and attachment
    assert disposition.startswith(f'attachment; filename="item-{item.pk}-attachment-{attachment.pk}.docx"; '
                                  "filename*=UTF-8''")
    assert disposition.endswith("%E7%BB%88%E7%A8%BF%EF%BC%89.docx")  # 终稿）.docx


def test_an_editors_form_that_does_not_show_a_field_never_wipes_it(client, chain):
    """The editor's page shows no 类型 or authors field: correcting only the event time keeps them."""
    net = chain.net
    item = _returned_emergency(net)
    item = services.item_update(actor=net.clerk, item=item, data={"authors": "张三"})
    item = services.item_submit(actor=net.clerk, item=item)
    reviews.signoff_approve(actor=net.director, item=item)
    hop = item.hops.get(office=net.city)
    client.force_login(net.city_editor)
    form = FormValues()
    form.feed(client.get(reverse("reviews:hop_edit", args=[hop.pk])).content.decode())
    sent = {k: v for k, v in form.values.items() if k not in ("event_type", "authors")}  # as a page without them
    response = client.post(reverse("reviews:hop_edit", args=[hop.pk]), {**sent, "event_time": "2026-11-20T09:40:00"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.event_type, item.authors) == ("accident", "张三")
    assert item.event_time == datetime(2026, 11, 20, 1, 40, tzinfo=UTC)
    diff = version_diff(*item.versions.order_by("-number")[:2][::-1])
    assert set(diff) == {"event_time"}
    assert [(s.op, s.text) for s in diff["event_time"]] == [("delete", "2026-11-20 09:47:30"),
                                                           ("insert", "2026-11-20 09:40:00")]


def test_the_history_names_every_state_in_chinese(chain, good_item_data):
    from django.utils import translation

    from submissions.selectors import item_history

    net = chain.net
    item = services.item_submit(actor=net.clerk, item=services.item_create(actor=net.clerk, unit=net.county,
                                                                           data=good_item_data))
    reviews.signoff_approve(actor=net.director, item=item)
    reviews.review_adopt(actor=net.city_editor, hop=item.hops.get(), adoption="full")
    with translation.override("zh-hans"):
        rows = [(row.from_label, row.to_label) for row in item_history(item)]
    assert ("待审核", "已采用") in rows or any("采用" in to for _, to in rows), rows
    assert all(not label.isascii() for pair in rows for label in pair if label), rows
