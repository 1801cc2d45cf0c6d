"""The status board as an Excel workbook (SPEC §7: "counts, filters and Excel export"): the same rows, filters and
access rule as the page, written by openpyxl in write-only mode (real numbers and times, one row per target unit)."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from infohub.models import User

from . import selectors
from .models import TopicRequest


def _local(at):
    return timezone.localtime(at).replace(tzinfo=None) if at else None


def what_became(row: selectors.AnswerRow) -> str:
    """One answer as a line of text: its title, where it stands, each office it reached and what that office did,
    the publications it appeared in ("" when the reader may not see the item)."""
    if row.item is None:
        return _("(an item not visible to you)")
    parts = [f"《{row.item.title}》", row.item.get_status_display()]
    for hop in row.hops:
        decision = hop.get_status_display() + (f"（{hop.get_adoption_display()}）" if hop.adoption else "")
        parts.append(f"{hop.office.name}：{decision}")
    for credit in row.credits:
        parts.append(_("published in %(issue)s") % {"issue": credit.issue.title_label})
    return " · ".join(parts)


def board_workbook(user: User, request: TopicRequest, *, state: str = "", group: str = "") -> bytes:
    """The board of `request` (filtered as the page) as .xlsx bytes: a heading block (subject, office, due time, the
    counts of every state) and a table — unit, state, reply time (local), late (yes/no), working days late, items,
    what became of them, note. The caller has checked the reader is of the requesting office."""
    counts = selectors.board_counts(request)
    targets = list(selectors.board(request, state=state, group=group))
    answers = selectors.answers_of(user, targets)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Status board"))
    bold = Font(bold=True)

    def heading(*values):
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = bold
            cells.append(cell)
        return cells

    sheet.append(heading(_("Topic request"), request.subject))
    sheet.append([_("Requesting office"), request.office.name])
    sheet.append([_("Due"), _local(request.due_at)])
    sheet.append([_("Status"), request.get_status_display()])
    sheet.append([_("Exported"), _local(timezone.now())])
    sheet.append([])
    sheet.append(heading(*[str(selectors.BoardState.LABELS[s]) for s in selectors.BoardState.ORDER], _("Total")))
    sheet.append([counts[s] for s in selectors.BoardState.ORDER] + [counts["total"]])
    sheet.append([])
    sheet.append(heading(_("Unit"), _("State"), _("Replied"), _("Past the due time"), _("Items"), _("What became of them"),
                         _("Note")))
    for target in targets:
        rows = answers.get(target.pk, [])
        note = target.decline_note if target.reply in ("declined", "decline_pending") else ""
        sheet.append([
            target.unit.name,
            str(selectors.BoardState.LABELS[target.state]),
            _local(target.answered_at),
            _("yes") if target.answered_late else _("no"),
            len(rows),
            "\n".join(what_became(row) for row in rows),
            note,
        ])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filename(request: TopicRequest) -> str:
    return f"约稿情况-{request.pk}-{timezone.localtime():%Y%m%d}.xlsx"


def ascii_filename(request: TopicRequest) -> str:
    """The export's name for clients that cannot read a Chinese one: topic-request-12-20261130.xlsx."""
    return f"topic-request-{request.pk}-{timezone.localtime():%Y%m%d}.xlsx"
