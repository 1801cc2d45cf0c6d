"""Topic requests' pages (SPEC §7, §10): issuing (errors keep what was typed), the item editor's "answers the topic
request" field, the target unit's reply panel, the office's board and its Excel export read back, the start page and
the inbox's note; garbage in every form and query string never a 5xx."""

import io
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from infohub.models import AuditLog
from reviews.models import Hop
from submissions.models import Item
from tests.infohub.test_form_garbage import HOSTILE, SINGLE, _forms_of
from topics import services
from topics.models import Answer, Target, TopicRequest

from .conftest import ITEM

pytestmark = pytest.mark.django_db


def _due(days=3) -> str:
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_the_editor_issues_a_request_to_a_group_and_units(topics, client):
    client.force_login(topics.editor)
    page = client.get(reverse("topics:request_create"))
    assert page.status_code == 200 and "南山县委办公室" in page.content.decode()
    assert "南城区委办公室" not in page.content.decode()  # not in the city's jurisdiction
    response = client.post(reverse("topics:request_create"), {
        "office": topics.city.pk, "kind": "request", "subject": "基层减负工作进展", "guidance": "每篇不超过800字",
        "length_limit": "800", "due_at": _due(), "groups": ["counties"], "units": [topics.department.pk]})
    request = TopicRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    assert request.targets.count() == 4 and request.length_limit == 800


def test_a_refused_request_keeps_what_was_typed(topics, client):
    client.force_login(topics.editor)
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("topics:request_create"), {
        "office": topics.city.pk, "kind": "request", "subject": "汛期安全信息", "guidance": "请报送汛期隐患排查情况",
        "due_at": past, "units": [topics.county.pk]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "汛期安全信息" in page and "请报送汛期隐患排查情况" in page and past in page
    assert "at least" in page or "至少" in page
    assert not TopicRequest.objects.exists()
    response = client.post(reverse("topics:request_create"), {
        "office": topics.city.pk, "kind": "request", "subject": "汛期安全信息", "due_at": _due()})
    assert response.status_code == 200 and not TopicRequest.objects.exists()  # no target


def test_a_clerk_may_not_issue(topics, client):
    client.force_login(topics.clerk)
    assert client.get(reverse("topics:request_create")).status_code == 302


def test_the_item_editor_answers_a_request_from_the_requests_page(topics, client):
    request = topics.issue()
    target = topics.target(request, topics.county)
    client.force_login(topics.clerk)
    page = client.get(request.get_absolute_url()).content.decode()
    assert f"/items/new/?topic={target.pk}" in page
    # the editor preselects the request and shows its guidance
    editor = client.get(f"/items/new/?topic={target.pk}").content.decode()
    assert f'<option value="{target.pk}" selected>' in editor and "每篇不超过800字" in editor
    response = client.post("/items/new/?topic=" + str(target.pk), {
        **ITEM, "title": "东湖区清理考核评比事项三十余项", "source_unit": topics.county.pk, "topic_target": target.pk,
        "save": "1"})
    item = Item.objects.get()
    assert response.status_code == 302 and Answer.objects.get().item == item
    # saving the form unchanged changes nothing
    edit = client.get(reverse("submissions:item_edit", args=[item.pk])).content.decode()
    assert f'<option value="{target.pk}" selected>' in edit
    before = AuditLog.objects.count()
    client.post(reverse("submissions:item_edit", args=[item.pk]), {
        **ITEM, "title": item.title, "revision": item.revision, "topic_target": target.pk, "save": "1"})
    assert AuditLog.objects.count() == before
    # choosing "none" takes it back
    client.post(reverse("submissions:item_edit", args=[item.pk]), {
        **ITEM, "title": item.title, "revision": item.revision, "topic_target": "", "save": "1"})
    assert not Answer.objects.exists()


def test_the_item_editor_refuses_a_request_of_another_unit_keeping_everything(topics, client):
    topics.issue(units=[topics.county], subject="东湖的约稿")  # the field is shown: 东湖 has a request to answer
    request = topics.issue(units=[topics.other])
    target = topics.target(request, topics.other)
    client.force_login(topics.clerk)  # 东湖's clerk: 西岭's target is not his to answer
    response = client.post("/items/new/", {**ITEM, "title": "保留的标题", "source_unit": topics.county.pk,
                                           "topic_target": target.pk, "save": "1"})
    assert response.status_code == 200 and "保留的标题" in response.content.decode()
    assert 'name="topic_target"' in response.content.decode()
    assert not Item.objects.exists() and not Answer.objects.exists()


def test_a_link_refused_after_the_items_save_undoes_the_save(topics, client, settings):
    """Two clerks of 东湖 and 西岭 both: the field offers both units' requests; 西岭's request for a 东湖 item is
    refused by the service after the item is written — the item is not kept, the page shows the field's error."""
    from infohub.models import Role

    topics.clerk.roles.create(unit=topics.other, role=Role.CLERK)
    request = topics.issue(units=[topics.other])
    target = topics.target(request, topics.other)
    client.force_login(topics.clerk)
    response = client.post("/items/new/", {**ITEM, "title": "东湖的稿件", "source_unit": topics.county.pk,
                                           "topic_target": target.pk, "save": "1"})
    assert response.status_code == 200 and "东湖的稿件" in response.content.decode()
    assert not Item.objects.exists() and not Answer.objects.exists()


def test_the_target_unit_replies_nothing_to_report_and_the_director_signs(topics, client):
    request = topics.issue()
    target = topics.target(request, topics.county)
    client.force_login(topics.clerk)
    page = client.get(request.get_absolute_url()).content.decode()
    assert 'data-testid="my-reply"' in page and 'data-testid="board"' not in page  # no other unit's reply
    client.post(reverse("topics:target_act", args=[target.pk, "decline"]), {"note": "本期无此类情况",
                                                                            "revision": target.revision})
    assert Target.objects.get(pk=target.pk).reply == Target.Reply.DECLINE_PENDING
    client.force_login(topics.director)
    assert "topic-to-sign" in client.get("/").content.decode()
    client.post(reverse("topics:target_act", args=[target.pk, "sign"]), {})
    assert Target.objects.get(pk=target.pk).reply == Target.Reply.DECLINED


def test_the_office_board_shows_counts_filters_and_exports(topics, client):
    request = topics.issue()
    item = topics.draft()
    services.answer_link(actor=topics.clerk, target=topics.target(request, topics.county), item=item)
    topics.send(item)
    services.decline(actor=topics.other_director, target=topics.target(request, topics.other), note="无此类情况")
    client.force_login(topics.editor)
    page = client.get(request.get_absolute_url()).content.decode()
    assert 'data-testid="count-answered">1<' in page and 'data-testid="count-declined">1<' in page
    assert 'data-testid="count-waiting">1<' in page and item.title in page
    page = client.get(request.get_absolute_url() + "?state=declined").content.decode()
    assert "西岭县委办公室" in page and "南山县委办公室" not in page
    response = client.get(reverse("topics:board_export", args=[request.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "基层减负工作进展" and rows[1][1] == "临江市委办公室"
    table = rows[rows.index(next(r for r in rows if r and r[0] in ("单位", "Unit"))) + 1:]
    by_unit = {row[0]: row for row in table}
    assert set(by_unit) == {"东湖区委办公室", "西岭县委办公室", "南山县委办公室"}
    assert by_unit["东湖区委办公室"][4] == 1 and item.title in by_unit["东湖区委办公室"][5]
    assert Hop.objects.get(item=item).office.name in by_unit["东湖区委办公室"][5]
    assert by_unit["西岭县委办公室"][6] == "无此类情况"
    counts = rows[7]
    assert counts[:6] == (1, 0, 1, 1, 0, 3)
    # filtered like the page
    sheet = load_workbook(io.BytesIO(client.get(reverse("topics:board_export", args=[request.pk]) + "?state=waiting")
                                     .content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=11, values_only=True)] == ["南山县委办公室"]


def test_the_board_and_its_export_are_the_offices_alone(topics, client):
    request = topics.issue()
    client.force_login(topics.clerk)
    assert client.get(reverse("topics:board_export", args=[request.pk])).status_code == 404
    client.force_login(topics.chain.foreign_editor)
    assert client.get(request.get_absolute_url()).status_code == 404


def test_the_start_page_and_the_inbox_show_the_request(topics, client):
    request = topics.issue(subject="基层减负工作进展")
    client.force_login(topics.clerk)
    assert "基层减负工作进展" in client.get("/").content.decode()
    item = topics.draft()
    services.answer_link(actor=topics.clerk, target=topics.target(request, topics.county), item=item)
    topics.send(item)
    client.force_login(topics.editor)
    home = client.get("/").content.decode()
    assert "topic-issued" in home
    inbox = client.get("/reviews/inbox/").content.decode()
    assert "约稿" in inbox or "Topic request" in inbox
    hop = Hop.objects.get(item=item)
    assert 'data-testid="topic-summary"' in client.get(reverse("reviews:hop_detail", args=[hop.pk])).content.decode()


@pytest.mark.parametrize("who", ["editor", "clerk", "director"])
def test_every_topics_form_and_query_string_takes_garbage_without_a_5xx(topics, client, who):
    request = topics.issue()
    item = topics.draft()
    services.answer_link(actor=topics.clerk, target=topics.target(request, topics.county), item=item)
    client.force_login(getattr(topics, who))
    urls = ["/topics/", "/topics/new/", request.get_absolute_url(), reverse("topics:board_export", args=[request.pk]),
            f"/items/new/?topic={topics.target(request, topics.county).pk}", reverse("submissions:item_edit", args=[item.pk])]
    tried = 0
    for url in urls:
        page = client.get(url)
        assert page.status_code < 500, (who, url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        for method, action, shown in _forms_of(page.content.decode(), url):
            fields = [name for name in shown if name not in ("csrfmiddlewaretoken", "once")]
            attempts = [dict.fromkeys(fields, value) for value in HOSTILE]
            attempts += [{**shown, name: value} for name in fields for value in SINGLE]
            for data in attempts:
                data.pop("once", None)
                with transaction.atomic():
                    response = client.post(action, data) if method == "post" else client.get(action, data)
                    assert response.status_code < 500, (who, method, action, {k: v[:12] for k, v in data.items()})
                    transaction.set_rollback(True)
                tried += 1
    for query in ("?state=%00", "?group=" + "x" * 5000, "?sort=9" * 30, "?page=-1", "?page=" + "9" * 30):
        assert client.get(request.get_absolute_url() + query).status_code < 500
    assert tried > 10


def test_the_start_page_says_why_a_target_is_owed_and_the_office_sees_how_many_are_overdue(topics, client):
    """A clerk's 现在要办 lists a "nothing to report" the director returned, with the reason, and a request past its
    due time as such; the office's open request counts the units past the due time without a reply."""
    import time_machine

    from followup.sweep import sweep_all

    returned = topics.issue(subject="汛期安全信息")
    target = topics.target(returned, topics.county)
    services.decline(actor=topics.clerk, target=target, note="本期无此类情况")
    services.decline_return(actor=topics.director, target=topics.target(returned, topics.county),
                            reason="请核实汛期隐患排查情况")
    late = topics.issue(subject="基层减负工作进展", due_at=timezone.now() + timedelta(hours=1))
    client.force_login(topics.clerk)
    page = client.get("/").content.decode()
    tasks = page[page.index('data-testid="tasks"'):]
    assert "“无此类情况”被负责人退回：请核实汛期隐患排查情况" in tasks
    assert "尚未回应，截止" in tasks
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        sweep_all()
        page = client.get("/").content.decode()
        tasks = page[page.index('data-testid="tasks"'):]
        assert "已过截止时间" in tasks and "已记为未回应" in tasks
        client.force_login(topics.editor)
        issued = [row.split("</article>")[0] for row in client.get("/").content.decode().split(
            'data-testid="topic-issued"')[1:]]
        assert "3个单位逾期未回应" in next(row for row in issued if late.subject in row)
        assert "逾期未回应" not in next(row for row in issued if returned.subject in row)
