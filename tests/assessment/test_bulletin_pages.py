"""The 通报 pages and API in use (issue 16 point 4): ask on the list page (a refusal shows the form again with the
reason and the choice kept), follow the progress on the bulletin's page (htmx), download the files, issue; the API's
request, status, issue and download, and its answers to bad input (400 naming the field). In Chinese."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from rest_framework.test import APIClient

from assessment.models import Bulletin
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import YEAR, world  # noqa: F401  (a fixture)
from .test_bulletin_faults import other_session  # noqa: F401  (a fixture: a second database session)

pytestmark = pytest.mark.django_db

ALLOWED = {"InfoHub", "Word", "Excel", "docx", "xlsx"}


def _english(html: str) -> list[str]:
    """The English words (three letters or more, not a file format) of the text a page shows in its <main>."""
    text = " ".join(re.findall(r">([^<]+)<", _visible(html)))
    return [word for word in re.findall(r"[A-Za-z]{3,}", text) if word not in ALLOWED]


def _visible(html: str) -> str:
    """The page's own part (<main>), without scripts, styles and code (checksums)."""
    html = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"<script.*?</script>|<style.*?</style>|<code>.*?</code>", "", html, flags=re.S)


def test_asking_following_downloading_and_issuing_on_the_pages(world, client,  # noqa: F811
                                                               django_capture_on_commit_callbacks):
    client.force_login(world.editor)
    page = client.get("/assessment/bulletins/")
    html = page.content.decode()
    assert page.status_code == 200 and "生成通报" in html and "第一季度" in html
    assert _english(html) == []
    # a period not begun: the form again, with the reason and the choice kept
    refused = client.post("/assessment/bulletins/new/", {"ruleset": world.ruleset.pk, "period": "monthly-13"})
    assert refused.status_code == 400 and "monthly-13" not in Bulletin.objects.values_list("kind", flat=True)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/assessment/bulletins/new/", {"ruleset": world.ruleset.pk, "period": "quarterly-1"})
    bulletin = Bulletin.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/assessment/bulletins/{bulletin.pk}/"
    detail = client.get(done["Location"]).content.decode()
    assert bulletin.title in detail and "待印发稿" in detail and "东湖区委办公室" in detail
    assert _english(detail) == []
    assert 'data-testid="issue"' not in detail  # an editor asks; the director issues
    download = client.get(f"/assessment/bulletins/{bulletin.pk}/download/docx/")
    assert download.status_code == 200
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    # a client that cannot read filename* saves the draft by its period, not as "2026().docx"
    assert f'filename="tongbao-{bulletin.first_month.year}-Q1-draft.docx"' in download["Content-Disposition"]
    assert Document(io.BytesIO(b"".join(download.streaming_content))).paragraphs
    client.force_login(world.director)
    assert 'data-testid="issue"' in client.get(done["Location"]).content.decode()
    with django_capture_on_commit_callbacks() as worker:  # the worker's task, sent after the commit
        issuing = client.post(f"/assessment/bulletins/{bulletin.pk}/issue/", follow=True)
    page = issuing.content.decode()
    # the request answers at once: being issued, its progress polled, nothing numbered yet
    assert issuing.status_code == 200 and "通报正在印发" in page and "正在印发" in page
    assert 'hx-trigger="every 1s"' in page and "临办通〔" not in page and _english(page) == []
    assert Bulletin.objects.get(pk=bulletin.pk).state == "issuing"
    for task in worker:
        task()
    page = client.get(f"/assessment/bulletins/{bulletin.pk}/").content.decode()
    assert f"临办通〔{YEAR}〕1号" in page
    bulletin.refresh_from_db()
    assert bulletin.state == "issued" and bulletin.docx_sha256 in page
    # the county's clerk now finds it in their list, and reads it
    client.force_login(world.clerk)
    assert bulletin.title in client.get("/assessment/bulletins/").content.decode()
    assert client.get(f"/assessment/bulletins/{bulletin.pk}/download/xlsx/").status_code == 200


def test_the_progress_part_polls_while_a_worker_makes_it(world, client, other_session):  # noqa: F811
    from assessment import bulletin_making, bulletins

    bulletin = bulletins.bulletin_request(ruleset=world.ruleset, kind="quarterly",  # no commit: nothing runs it
                                          first_month=bulletins.bulletin_figures.dt.date(YEAR, 1, 1),
                                          last_month=bulletins.bulletin_figures.dt.date(YEAR, 3, 1), actor=world.editor)
    Bulletin.objects.filter(pk=bulletin.pk).update(state="running", progress=35, stage="正在生成Word文件（总体情况）")
    # a worker making it holds its generation lock (without one, the bulletin was left by a worker that died)
    other_session.execute("SELECT pg_advisory_lock(%s, %s)", [bulletin_making.LOCK_CLASS, bulletin.pk])
    client.force_login(world.editor)
    part = client.get(f"/assessment/bulletins/{bulletin.pk}/", HTTP_HX_REQUEST="true")
    html = part.content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="35"' in html and "正在生成Word文件（总体情况）" in html
    assert "HX-Refresh" not in part
    Bulletin.objects.filter(pk=bulletin.pk).update(state="ready", progress=100, stage="已生成")
    part = client.get(f"/assessment/bulletins/{bulletin.pk}/", HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in part.content.decode() and part["HX-Refresh"] == "true"  # done: the whole page


def test_the_api_asks_reports_progress_issues_and_downloads(world, django_capture_on_commit_callbacks):  # noqa: F811
    api = APIClient()
    api.force_authenticate(world.editor)
    for body, field in (({"ruleset": world.ruleset.pk, "kind": "quarterly"}, "period"),
                        ({"ruleset": world.ruleset.pk, "kind": "quarterly", "period": 5}, "period"),
                        ({"ruleset": world.ruleset.pk, "kind": "yearly", "period": 1}, "period"),
                        ({"ruleset": world.ruleset.pk, "kind": "weekly"}, "kind"),
                        ({"kind": "monthly", "period": 1}, "ruleset")):
        response = api.post("/api/assessment/bulletins/", body, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], (body, response.json())
    with django_capture_on_commit_callbacks(execute=True):
        asked = api.post("/api/assessment/bulletins/", {"ruleset": world.ruleset.pk, "kind": "quarterly", "period": 1},
                         format="json")
    assert asked.status_code == 202
    again = api.post("/api/assessment/bulletins/", {"ruleset": world.ruleset.pk, "kind": "quarterly", "period": 1},
                     format="json")
    assert again.json()["id"] == asked.json()["id"]
    pk = asked.json()["id"]
    status = api.get(f"/api/assessment/bulletins/{pk}/").json()
    assert (status["state"], status["progress"], status["number_label"]) == ("ready", 100, "")
    assert set(status["downloads"]) == {"docx", "xlsx"}
    assert status["figures"]["groups"][0]["rows"][0]["unit"] == "东湖区委办公室"
    refused = api.post(f"/api/assessment/bulletins/{pk}/issue/", {}, format="json")
    assert refused.status_code == 403 and refused.json()["detail"]
    api.force_authenticate(world.director)
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs after the answer
        issuing = api.post(f"/api/assessment/bulletins/{pk}/issue/", {}, format="json")
        assert issuing.status_code == 202 and issuing.json()["state"] == "issuing" and not issuing.json()["number"]
        retried = api.post(f"/api/assessment/bulletins/{pk}/issue/", {}, format="json")  # a retry: the same answer
        assert retried.status_code == 202 and retried.json()["state"] == "issuing"
    issued = api.get(f"/api/assessment/bulletins/{pk}/").json()
    assert issued["state"] == "issued" and issued["number_label"] == f"临办通〔{issued['year']}〕1号"
    again = api.post(f"/api/assessment/bulletins/{pk}/issue/", {}, format="json")
    assert again.status_code == 409
    assert api.post(f"/api/assessment/bulletins/{pk}/regenerate/", {}, format="json").status_code == 409
    xlsx = api.get(f"/api/assessment/bulletins/{pk}/download/xlsx/")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].endswith("spreadsheetml.sheet")
    assert api.get("/api/assessment/bulletins/?kind=weekly").status_code == 400
