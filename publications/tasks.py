"""Celery tasks of publications: exports are made here, never in a web request."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .documents import build_docx
from .models import Issue, IssueExport
from .pdf import ConversionFailed, docx_to_pdf
from .selectors import entries_of, printable

logger = logging.getLogger(__name__)


def _progress(export_id: int, progress: int, stage: str) -> None:
    # Outside any transaction: the page that polls sees each step at once.
    IssueExport.objects.filter(pk=export_id).update(progress=progress, stage=stage[:60])


@shared_task(soft_time_limit=150, time_limit=180, acks_late=True)
def make_export(export_id: int) -> None:
    """Make the .docx (and from it the PDF) of the issue's revision the export names. Returns quietly when the
    export is gone, done, or being made by another worker; an issue changed since the request is exported as it
    stands (its revision moved on: the export then belongs to an older revision and is marked failed)."""
    with transaction.atomic():
        export = (IssueExport.objects.select_for_update(skip_locked=True)
                  .filter(pk=export_id, state__in=[IssueExport.State.QUEUED, IssueExport.State.FAILED]).first())
        if export is None:
            return
        export.state, export.started_at, export.progress, export.stage = (
            IssueExport.State.RUNNING, timezone.now(), 5, "正在排版")
        export.save(update_fields=["state", "started_at", "progress", "stage"])
    try:
        issue = Issue.objects.select_related("ptype", "office", "created_by", "reviewed_by", "signed_by").get(
            pk=export.issue_id)
        if issue.revision != export.revision:
            raise ConversionFailed("the issue changed after the export was asked for; ask again")
        entries = entries_of(issue)
        doc = printable(issue, entries=entries)
        share = 40 if export.format == IssueExport.Format.PDF else 90
        total = max(len(entries), 1)
        data = build_docx(doc, progress=lambda done: _progress(
            export.pk, 5 + share * done // total, f"正在排版（{done}/{total}）"))
        name = f"{doc.file_stem}.docx"
        if export.format == IssueExport.Format.PDF:
            _progress(export.pk, 50, "正在生成PDF")
            data = docx_to_pdf(data)
            name = f"{doc.file_stem}.pdf"
        export.file.save(name, ContentFile(data), save=False)
        export.filename = name
        export.size, export.state, export.progress, export.stage = len(data), IssueExport.State.DONE, 100, "完成"
        export.finished_at = timezone.now()
        export.save(update_fields=["file", "filename", "size", "state", "progress", "stage", "finished_at"])
    except Exception as error:  # the page says it failed and offers to try again; the log has the detail
        logger.exception("export %s of issue %s failed", export.pk, export.issue_id)
        IssueExport.objects.filter(pk=export.pk).update(
            state=IssueExport.State.FAILED, error=str(error)[:2000], stage="失败", finished_at=timezone.now())
