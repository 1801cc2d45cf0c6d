"""The layout of a Chinese official document in .docx (GB/T 9704-2012 党政机关公文格式 and the usual 简报 layout), shared by
everything the application prints as one: publications' issues (publications/documents.py) and assessment's 通报
(assessment/bulletin_docx.py).

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; a grid of 22 lines of 28 characters of 3号 (16 pt);
the red masthead in large 方正小标宋简体, centred, its number line below it, the office at the left and the date at the
right above a red rule; page numbers "— N —" in 4号 at the outer edge (right on odd pages, left on even ones).

The official faces are named, with the East-Asian font (`w:eastAsia`) set on every run and every style, theme
fonts removed (they would win over the named ones) and `w:lang w:eastAsia="zh-CN"` as the default, so the file
opens right in Word and WPS; the PDF path (publications/pdf.py) maps them to free stand-ins.
"""

from __future__ import annotations

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

# The official faces (what offices have installed), by their Windows names.
XIAOBIAOSONG = "方正小标宋简体"
FANGSONG = "仿宋_GB2312"
KAITI = "楷体_GB2312"
HEITI = "黑体"
SONGTI = "宋体"

# Chinese type sizes (字号) in points.
CHUHAO, XIAOER, SANHAO, SIHAO = 42, 18, 16, 14
RED = RGBColor(0xE0, 0x00, 0x00)

# Page and grid (GB/T 9704-2012 §5.2): A4, the text block 156 × 225 mm, 22 lines of 28 characters. The lines are
# a line grid (225 mm / 22 = 579 twips); the 28 characters come from condensing the 3号 runs by a quarter point
# (28 × 15.75 pt = 156 mm). Word's character grid ("linesAndChars") would do the same in Word, but LibreOffice
# lays a CJK character over two of its cells, and the PDF must match the .docx.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
LINE_PITCH_TWIPS = 579
CONDENSE_TWENTIETHS = -5  # −0.25 pt per character of 3号


# The schema's order of a paragraph's and a run's properties: Word refuses a file whose elements are out of order.
PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
             "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
             "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
             "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
             "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline",
             "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w",
             "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl",
             "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath")

STYLE_ORDER = ("name", "aliases", "basedOn", "next", "link", "autoRedefine", "hidden", "uiPriority", "semiHidden",
               "unhideWhenUsed", "qFormat", "locked", "personal", "personalCompose", "personalReply", "rsid", "pPr",
               "rPr", "tblPr", "trPr", "tcPr", "tblStylePr")


def child(parent, name: str, order: tuple[str, ...]):
    """The child `w:name` of `parent`, made and put in its place in the schema's order when missing."""
    found = parent.find(qn(f"w:{name}"))
    if found is not None:
        return found
    child = OxmlElement(f"w:{name}")
    later = set(order[order.index(name) + 1:])
    for index, sibling in enumerate(parent):
        if sibling.tag.rpartition("}")[2] in later:
            parent.insert(index, child)
            return child
    parent.append(child)
    return child


def set_fonts(rpr, face: str) -> None:
    """Name `face` for every script on a run or style properties element, and drop theme fonts (which win)."""
    fonts = child(rpr, "rFonts", RPR_ORDER)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), face)


def set_lang(rpr) -> None:
    lang = child(rpr, "lang", RPR_ORDER)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def run(line, text: str, face: str, size: float, *, bold: bool = False, color: RGBColor | None = None):
    made = line.add_run(text)
    made.font.size = Pt(size)
    made.font.bold = bold
    if color is not None:
        made.font.color.rgb = color
    rpr = made._element.get_or_add_rPr()
    set_fonts(rpr, face)
    if size == SANHAO:  # 28 characters to the line
        child(rpr, "spacing", RPR_ORDER).set(qn("w:val"), str(CONDENSE_TWENTIETHS))
    return made


def border(paragraph, side: str, *, size_eighths: int, color: str = "000000", space: int = 1) -> None:
    borders = child(paragraph._p.get_or_add_pPr(), "pBdr", PPR_ORDER)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size_eighths))
    line.set(qn("w:space"), str(space))
    line.set(qn("w:color"), color)
    borders.append(line)


def indent_chars(paragraph, *, first_line: int = 0, left: int = 0, right: int = 0, size: float = SANHAO) -> None:
    """Indents counted in characters (Word's *Chars attributes, with the twips for readers that ignore them)."""
    ind = child(paragraph._p.get_or_add_pPr(), "ind", PPR_ORDER)
    twips_per_char = int(size * 20)
    for name, chars in (("firstLine", first_line), ("left", left), ("right", right)):
        if chars:
            ind.set(qn(f"w:{name}Chars"), str(chars * 100))
            ind.set(qn(f"w:{name}"), str(chars * twips_per_char))


def paragraph(document_or_part, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, before: float = 0, after: float = 0,
               exact: float | None = None):
    paragraph = document_or_part.add_paragraph()
    # Said explicitly: without it LibreOffice hangs a line-end comma past the margin of justified text and then
    # leaves it out of the PDF; with it, the comma takes the character before it to the next line (禁则).
    child(paragraph._p.get_or_add_pPr(), "overflowPunct", PPR_ORDER).set(qn("w:val"), "1")
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if exact:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact)
    return paragraph


def page_number(part, align) -> None:
    """— N — in 4号 宋体, one character in from the outer edge."""
    line = part.paragraphs[0] if part.paragraphs else part.add_paragraph()
    line.alignment = align
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        indent_chars(line, right=1, size=SIHAO)
    else:
        indent_chars(line, left=1, size=SIHAO)
    run(line, "— ", SONGTI, SIHAO)
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("text", "1"), ("end", None)):
        field_run = run(line, "" if kind != "text" else text, SONGTI, SIHAO)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            field_run._element.append(instr)
        elif kind != "text":
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            field_run._element.append(fld)
    run(line, " —", SONGTI, SIHAO)


def apply_defaults(document) -> None:
    """Every style names the official faces with its East-Asian font, theme fonts removed; zh-CN by default."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    set_fonts(rpr, FANGSONG)
    set_lang(rpr)
    for style in document.styles:
        element = style.element
        if element.get(qn("w:type")) not in ("paragraph", "character", "table"):
            continue
        rpr = child(element, "rPr", STYLE_ORDER)
        face = HEITI if style.name.startswith(("Heading", "Title")) else FANGSONG
        set_fonts(rpr, face)
        set_lang(rpr)
    normal = document.styles["Normal"]
    normal.font.size = Pt(SANHAO)
    normal.paragraph_format.space_after = Pt(0)


def setup_page(document) -> None:
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.header_distance, section.footer_distance = Mm(15), Mm(24)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    grid.attrib.pop(qn("w:charSpace"), None)
    document.settings.odd_and_even_pages_header_footer = True
    section.footer.is_linked_to_previous = False
    page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def masthead(document, *, marks: list[str], title: str, number_label: str, office: str, date_label: str) -> None:
    """The head of the first page: `marks` (份号, 密级, 紧急程度) at the top left in 黑体 (an empty line when none, so
    the masthead sits where it always does), `title` in large red 方正小标宋简体 centred, `number_label` (第N期, or a
    文号 such as 临办通〔2026〕3号) below it, then `office` at the left and `date_label` at the right above the red
    rule (3 pt)."""
    text_width = PAGE_WIDTH - MARGINS["left"] - MARGINS["right"]
    for mark in [m for m in marks if m] or [""]:
        line = paragraph(document, align=WD_ALIGN_PARAGRAPH.LEFT)
        run(line, mark, HEITI, SANHAO)
    head = paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=6, exact=CHUHAO + 14)
    run(head, title, XIAOBIAOSONG, CHUHAO, color=RED)
    number = paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    run(number, number_label, FANGSONG, SANHAO)
    byline = paragraph(document, align=WD_ALIGN_PARAGRAPH.LEFT, after=18)
    byline.paragraph_format.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)
    run(byline, office, FANGSONG, SANHAO)
    run(byline, "\t" + date_label, FANGSONG, SANHAO)
    border(byline, "bottom", size_eighths=24, color="E00000", space=6)  # the red rule, 3 pt


def new_document():
    """An empty A4 document with the official defaults, page, grid and page numbers (its template's empty first
    paragraph removed)."""
    document = Document()
    apply_defaults(document)
    setup_page(document)
    body = document.element.body
    for empty in list(document.paragraphs):
        body.remove(empty._p)
    return document
