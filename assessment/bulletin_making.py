"""Generating a 通报 (run by the Celery task assessment.tasks.make_bulletin): its figures, .docx and .xlsx, with the
progress saved as it goes (SPEC §9; issue 16 point 4). Asking, issuing and the rights are in assessment.bulletins."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from . import bulletin_docx, bulletin_figures, bulletin_xlsx
from .models import Bulletin

logger = logging.getLogger(__name__)


# --- generating ----------------------------------------------------------------------------------------------------


def _progress(pk: int, progress: int, stage: str) -> None:
    # Outside any transaction: the page that polls sees each step at once.
    Bulletin.objects.filter(pk=pk, state=Bulletin.State.RUNNING).update(progress=progress, stage=stage[:60])


def stem(bulletin: Bulletin, number: int | None = None) -> str:
    """The stored files' name (ASCII; the download is named by `download_name`)."""
    return f"{bulletin.pk}-{bulletin.kind}-{bulletin.first_month:%Y%m}-{number or 'draft'}"


def bulletin_generate(bulletin_id: int) -> None:
    """Generate a queued bulletin's figures, .docx and .xlsx (run by the Celery task tasks.make_bulletin, never in a web
    request). Progress (0–100) and the stage are saved as it goes; a failure is recorded in `error` and the bulletin
    left failed (it can be generated again). Returns quietly when the bulletin is gone, not queued, or being generated
    by another worker. The figures are read in a few aggregate statements (bulletin_figures), never per unit."""
    with transaction.atomic():
        bulletin = (Bulletin.objects.select_for_update(skip_locked=True).select_related("ruleset__office")
                    .filter(pk=bulletin_id, state=Bulletin.State.QUEUED).first())
        if bulletin is None:
            return
        bulletin.state, bulletin.started_at, bulletin.progress, bulletin.stage = (
            Bulletin.State.RUNNING, timezone.now(), 5, "正在汇总数据")
        bulletin.save(update_fields=["state", "started_at", "progress", "stage"])
    pk = bulletin.pk
    try:
        figures = bulletin_figures.collect(bulletin.ruleset, bulletin.kind, bulletin.first_month, bulletin.last_month)
        _progress(pk, 30, "正在生成Word文件")
        steps = iter(range(35, 75, 5))
        docx = bulletin_docx.build(figures, progress=lambda stage: _progress(
            pk, next(steps, 75), f"正在生成Word文件（{stage}）"))
        _progress(pk, 80, "正在生成Excel表格")
        xlsx = bulletin_xlsx.build(figures)
        _progress(pk, 95, "正在保存文件")
        with transaction.atomic():
            current = Bulletin.objects.select_for_update().get(pk=pk)
            if current.state != Bulletin.State.RUNNING:
                return  # generated again meanwhile: that run's result counts
            name = stem(current)
            current.docx.save(f"{name}.docx", ContentFile(docx), save=False)
            current.xlsx.save(f"{name}.xlsx", ContentFile(xlsx), save=False)
            current.figures, current.title = figures, figures["title"][:120]
            current.state, current.progress, current.stage = Bulletin.State.READY, 100, "已生成"
            current.generated_at = timezone.now()
            current.save(update_fields=["docx", "xlsx", "figures", "title", "state", "progress", "stage",
                                        "generated_at"])
    except Exception as error:  # the page says it failed and offers to generate it again; the log has the detail
        logger.exception("bulletin %s failed", pk)
        from celery.exceptions import SoftTimeLimitExceeded

        text = "生成超时" if isinstance(error, SoftTimeLimitExceeded) else f"{type(error).__name__}: {error}"
        Bulletin.objects.filter(pk=pk, state=Bulletin.State.RUNNING).update(
            state=Bulletin.State.FAILED, error=text[:2000], stage="生成失败")


