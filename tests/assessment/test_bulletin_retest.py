"""A tester's faults (2026-12-01, issue 16): the 通报 list said 正在印发 · 0% of an issue its worker had died in (its page
said 印发中断); the .docx put 附件 after a paragraph holding a page break, which left a blank page when the body
filled its last page (a correction's extra paragraph did)."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone, translation
from docx import Document
from docx.oxml.ns import qn

from assessment import bulletin_docx, bulletin_making, bulletins
from assessment.models import Bulletin
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import world  # noqa: F401  (a fixture)
from .test_bulletin_truth import _ready


def test_the_list_says_an_issue_whose_worker_died_stopped(world, client,  # noqa: F811
                                                          django_capture_on_commit_callbacks):
    bulletin = _ready(world, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - dt.timedelta(seconds=bulletins.REQUEUE_SECONDS + 60)
    Bulletin.objects.filter(pk=bulletin.pk).update(state="issuing", issued_by=world.director, queued_at=long_ago,
                                                   progress=10, stage="正在编号")
    bulletin_making._issue_progress(bulletin.pk, 10, "正在编号")  # the dead worker's last word
    client.force_login(world.director)
    with translation.override("zh-hans"):
        html = client.get("/assessment/bulletins/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    state = html.split('data-testid="bulletin-row-state">')[1].split("</td>")[0]
    assert state == "印发中断"
    # one being issued now (just asked) still reads 正在印发 with its progress
    Bulletin.objects.filter(pk=bulletin.pk).update(queued_at=timezone.now())
    with translation.override("zh-hans"):
        html = client.get("/assessment/bulletins/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert html.split('data-testid="bulletin-row-state">')[1].split("</td>")[0].startswith("正在印发")


def test_the_annex_starts_its_page_without_a_paragraph_holding_a_break(world,  # noqa: F811
                                                                         django_capture_on_commit_callbacks):
    bulletin = _ready(world, django_capture_on_commit_callbacks)
    document = Document(io.BytesIO(bulletin_docx.build(bulletin.figures)))
    body = document.element.body
    assert not [br for br in body.iter(qn("w:br")) if br.get(qn("w:type")) == "page"]
    label = next(p for p in document.paragraphs if p.text == "附件")
    assert label.paragraph_format.page_break_before
