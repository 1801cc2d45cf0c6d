"""The .docx of an issue, laid out as a Chinese official bulletin (GB/T 9704-2012 and the usual 简报 layout).

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; a grid of 22 lines of 28 characters of 3号 (16 pt);
the marks at the top left in 黑体; the masthead in large red 方正小标宋简体, centred; 第N期（总第M期） below it;
the editing office at the left and the date at the right above a red rule; the editor's note in 楷体; each item's
title bold in 方正小标宋简体, its body in 3号仿宋 with a two-character indent, its source unit in 楷体; page numbers
"— N —" in 4号 at the outer edge (right on odd pages, left on even ones); at the end, between rules, the 报 / 送 /
发 lines, 共印N份 and 编辑 / 审核 / 签发.

The page, the fonts and the masthead are the shared official layout (infohub/officialdoc.py: the East-Asian font set
on every run and style, zh-CN by default). The PDF is made from this file (pdf.py), with free stand-ins for those
faces.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.shared import Pt

from infohub.officialdoc import (
    FANGSONG,
    HEITI,
    KAITI,
    MARGINS,
    PAGE_WIDTH,
    SANHAO,
    SIHAO,
    XIAOBIAOSONG,
    XIAOER,
    border,
    indent_chars,
    masthead,
    new_document,
    paragraph,
    run,
)

from .selectors import Printable


def _masthead(document, doc: Printable) -> None:
    masthead(document, marks=[doc.copy_number, doc.classification, doc.urgency], title=doc.masthead,
             number_label=doc.number_label, office=doc.office, date_label=doc.date_label)


def _editor_note(document, doc: Printable) -> None:
    if not doc.editor_note:
        return
    for index, text in enumerate(p for p in doc.editor_note.splitlines() if p.strip()):
        line = paragraph(document)
        indent_chars(line, first_line=2)
        if index == 0:
            run(line, "编者按：", HEITI, SANHAO)
        run(line, text.strip(), KAITI, SANHAO)
    paragraph(document)


def _items(document, doc: Printable, progress: Callable[[int], None]) -> None:
    for index, item in enumerate(doc.items):
        title = paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, before=6 if index else 0, after=6)
        title.paragraph_format.keep_with_next = True
        run(title, item.title, XIAOBIAOSONG, XIAOER, bold=True)
        for text in item.paragraphs:
            line = paragraph(document)
            indent_chars(line, first_line=2)
            run(line, text, FANGSONG, SANHAO)
        source = paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT)
        run(source, item.sources, KAITI, SANHAO)
        progress(index + 1)


def _end_block(document, doc: Printable) -> None:
    """The 版记: between rules, 报 / 送 / 发, then 共印N份 and 编辑 / 审核 / 签发."""
    paragraph(document)
    lines = doc.distribution or [("发", "—")]
    for index, (prefix, names) in enumerate(lines):
        line = paragraph(document, align=WD_ALIGN_PARAGRAPH.LEFT)
        indent_chars(line, left=1, right=1, size=SIHAO)
        if index == 0:
            border(line, "top", size_eighths=8, space=4)
        if index == len(lines) - 1:
            border(line, "bottom", size_eighths=4, space=4)
        run(line, f"{prefix}：{names}", FANGSONG, SIHAO)
    text_width = PAGE_WIDTH - MARGINS["left"] - MARGINS["right"]
    people = paragraph(document, align=WD_ALIGN_PARAGRAPH.LEFT)
    indent_chars(people, left=1, right=1, size=SIHAO)
    people.paragraph_format.tab_stops.add_tab_stop(text_width - Pt(SIHAO * 2), WD_TAB_ALIGNMENT.RIGHT)
    signers = f"编辑：{doc.editor or '—'}　　审核：{doc.reviewer or '—'}　　签发：{doc.signer or '—'}"
    run(people, signers, FANGSONG, SIHAO)
    run(people, f"\t共印{doc.copies}份", FANGSONG, SIHAO)
    border(people, "bottom", size_eighths=8, space=4)


def build_docx(doc: Printable, *, progress: Callable[[int], None] = lambda done: None) -> bytes:
    """The .docx of a printable issue, as bytes. `progress(n)` is called after each of its n items."""
    document = new_document()
    _masthead(document, doc)
    _editor_note(document, doc)
    _items(document, doc, progress)
    _end_block(document, doc)
    properties = document.core_properties
    properties.title = f"{doc.masthead} {doc.number_label}"
    properties.author = doc.office
    properties.language = "zh-CN"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
