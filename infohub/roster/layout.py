"""The roster workbook's shape: three sheets (单位, 人员, 角色), their columns, and the words a cell may hold.

One workbook, because an administrator keeps a province's roster as one file: the units, the people, and the
rows that give each person a role in a unit, each on its own sheet and cross-referenced by unit code and
username. A workbook may carry any of the three sheets (a sheet that is absent changes nothing); other sheets
(the template's 说明) are ignored. Columns are found by their header, in any order; a header may carry a "*"
(the template marks required columns so). Headers and choice words are Chinese in the file whatever language the
administrator reads the site in, so that a file exported by one administrator imports the same for any other.

Cells are read as text: numbers as their digits (a phone typed as a number), booleans as 是/否; every text is
normalised as typed input is (infohub.text.clean_text: full-width letters and digits to half-width, invisible and
control characters removed), then trimmed (U+3000 included).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook as XlsxWorkbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from ..models import Classification, Level, Role, Unit
from ..text import clean_text

# A province has ~10,000 units and ~30,000 people; a sheet far beyond that is a mistake (or a zip bomb).
MAX_ROWS = 200_000


class WorkbookUnreadable(ValueError):
    """The upload is no workbook we can read; the message says why, for the person who sent it."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # as the export writes it
    aliases: tuple[str, ...] = ()
    required: bool = False  # the column must be there, and its cells filled
    reference: bool = False  # written for the reader's sake, never read back
    width: int = 14
    choices: str | None = None  # name of a vocabulary (below): the template offers it as a drop-down
    text: bool = False  # formatted as text, so that Excel keeps what is typed (a leading zero, a long number)


@dataclass(frozen=True)
class Sheet:
    key: str
    title: str
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


UNITS = Sheet("units", "单位", ("units", "unit", "单位表"), (
    Column("code", "单位代码", ("代码", "code"), required=True, text=True, width=16),
    Column("name", "单位名称", ("名称", "name"), required=True, width=30),
    Column("short_name", "简称", ("short_name", "short name"), width=14),
    Column("level", "层级", ("级别", "level"), required=True, width=12, choices="level"),
    Column("kind", "类型", ("单位类型", "kind"), width=14, choices="kind"),
    Column("parent", "上级单位代码", ("上级代码", "上级单位", "parent"), text=True, width=16),
    Column("upstream", "报送至单位代码", ("报送至", "报送单位代码", "upstream"), text=True, width=16),
    Column("active", "启用", ("在用", "是否启用", "是否在用", "active"), width=8, choices="active"),
))

PEOPLE = Sheet("people", "人员", ("people", "users", "user", "人员表", "用户"), (
    Column("username", "用户名", ("账号", "登录名", "username"), required=True, text=True, width=18),
    Column("display_name", "姓名", ("显示名", "display_name", "name"), width=16),
    Column("phone", "电话", ("手机", "联系电话", "phone"), text=True, width=18),
    Column("email", "邮箱", ("电子邮箱", "e-mail", "email"), width=28),
    Column("clearance", "密级", ("可阅密级", "clearance"), width=8, choices="clearance"),
    Column("active", "启用", ("在用", "是否启用", "是否在用", "active"), width=8, choices="active"),
))

ROLES = Sheet("roles", "角色", ("roles", "role", "角色表"), (
    Column("username", "用户名", ("账号", "登录名", "username"), required=True, width=18),
    Column("unit", "单位代码", ("代码", "unit", "unit code"), required=True, text=True, width=16),
    Column("role", "角色", ("role",), required=True, width=18, choices="role"),
    Column("person_name", "姓名（仅供查看）", (), reference=True, width=16),
    Column("unit_name", "单位名称（仅供查看）", (), reference=True, width=30),
))

SHEETS = (UNITS, PEOPLE, ROLES)


# The words a choice cell may hold. The export writes the Chinese label; the import also takes the stored value
# ("city"), the English label and the synonyms below. Matching ignores width, case, spaces and the kind of
# parentheses: 县（区）, 县(区) and 县 (区) are one word.
_SYNONYMS = {
    "level": {Level.CENTRAL: ["中央级"], Level.PROVINCE: ["省级"], Level.CITY: ["市级", "地市", "地级"],
              Level.COUNTY: ["县", "区", "县区", "县级", "县(市、区)"], Level.TOWNSHIP: ["乡镇", "街道", "乡", "镇"]},
    "kind": {Unit.Kind.COMMITTEE_OFFICE: ["党委办", "党办"], Unit.Kind.GOVERNMENT_OFFICE: ["政府办"],
             Unit.Kind.DIRECT_POINT: ["直报单位"]},
    "role": {Role.DIRECTOR: ["签发人", "负责人", "主任"], Role.EDITOR: ["编辑"]},
    "clearance": {},
    "active": {True: ["是", "启用", "在用", "y", "yes", "true", "1", "√", "✓"],
               False: ["否", "停用", "n", "no", "false", "0", "×"]},
}


def _choices(name: str) -> list[tuple[object, object]]:
    if name == "active":
        return [(True, "是"), (False, "否")]
    return {"level": Level.choices, "kind": Unit.Kind.choices, "role": Role.choices,
            "clearance": Classification.choices}[name]


_words: dict[str, dict] = {}


def _words_of(name: str) -> dict:
    words = _words.get(name)
    if words is None:
        with translation.override("zh-hans"):
            words = _words[name] = {value: str(english) for value, english in _choices(name)}
    return words


def label(name: str, value) -> str:
    """The word the workbook writes for a stored value ("city" → "市"), always in Chinese (computed once: the
    export and the preview ask it for every row)."""
    return _words_of(name)[value]


def labels(name: str) -> list[str]:
    """Every word the workbook writes for a vocabulary, in its order (what an error message lists)."""
    return list(_words_of(name).values())


def _fold(word: str) -> str:
    return "".join(clean_text(word).lower().replace("（", "(").replace("）", ")").split())


_vocabularies: dict[str, dict[str, object]] = {}


_understood: dict[tuple[str, str], object] = {}


def choice(name: str, typed: str):
    """The stored value a cell's word means, or None when it means none of them."""
    key = (name, typed)
    if key in _understood:  # a sheet repeats a handful of words tens of thousands of times
        return _understood[key]
    value = _understood[key] = _choice(name, typed)
    if len(_understood) > 10_000:
        _understood.clear()
    return value


def _choice(name: str, typed: str):
    vocabulary = _vocabularies.get(name)
    if vocabulary is None:
        vocabulary = {}
        for value, english in _choices(name):
            words = [str(value), str(english), label(name, value), *_SYNONYMS[name].get(value, [])]
            with translation.override("en"):
                words.append(str(dict(_choices(name))[value]))
            vocabulary.update((_fold(word), value) for word in words)
        _vocabularies[name] = vocabulary
    return vocabulary.get(_fold(typed))


def cell_text(value) -> str:
    """A cell as the text its row is checked by: digits for numbers (13800000000, not 1.38e10), 是/否 for booleans,
    the date for dates; normalised and trimmed."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return clean_text(str(value)).strip()


@dataclass
class Row:
    number: int  # the row's number in the sheet, as Excel shows it (the header is row 1)
    values: dict[str, str]


@dataclass
class SheetRows:
    sheet: Sheet
    title: str  # the worksheet's own title
    rows: list[Row] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # headers of required columns that are not there
    ignored: list[str] = field(default_factory=list)  # headers we do not know (their cells are not read)


@dataclass
class Workbook:
    """What an uploaded workbook holds: the rows of each of our sheets it has, by sheet key."""

    sheets: dict[str, SheetRows]
    ignored_sheets: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sheets)

    def __len__(self) -> int:
        return sum(len(s.rows) for s in self.sheets.values())

    def get(self, sheet: Sheet) -> SheetRows | None:
        return self.sheets.get(sheet.key)


def _sheet_for(title: str) -> Sheet | None:
    folded = _fold(title)
    return next((s for s in SHEETS if folded in {_fold(s.title), *map(_fold, s.aliases)}), None)


def _column_for(sheet: Sheet, header: str) -> Column | None:
    folded = _fold(header).replace("*", "")
    return next((c for c in sheet.columns if folded in {_fold(c.header), *map(_fold, c.aliases)}), None)


def read_workbook(data: bytes) -> Workbook:
    """The rows of an .xlsx upload (also .xls and .ods, which the same reader takes). Raises WorkbookUnreadable
    when it is no workbook, has none of our sheets, or holds more rows than a province has.

    Read with python-calamine (Rust): ~0.7 s for a province's 73,000 rows where openpyxl's read-only mode takes
    ~10 s on the same machine; the import reads the upload twice (preview, then confirmation)."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, OSError, ValueError, TypeError):
        raise WorkbookUnreadable(_("The file cannot be read as an Excel workbook (.xlsx). Save it from Excel or WPS "
                                   "as .xlsx, or start from the template.")) from None
    found: dict[str, SheetRows] = {}
    ignored_sheets = []
    try:
        with book:
            for meta in book.sheets_metadata:
                sheet = _sheet_for(meta.name) if meta.typ == SheetTypeEnum.WorkSheet else None
                if sheet is None or sheet.key in found:
                    ignored_sheets.append(meta.name)
                    continue
                worksheet = book.get_sheet_by_name(meta.name)
                if worksheet.height > MAX_ROWS + 1:
                    raise WorkbookUnreadable(_("The sheet “%(sheet)s” has more than %(rows)s rows; split it.")
                                             % {"sheet": meta.name, "rows": MAX_ROWS})
                found[sheet.key] = _read_sheet(sheet, meta.name, worksheet.to_python(skip_empty_area=False))
    except (CalamineError, OSError, ValueError, TypeError) as error:
        if isinstance(error, WorkbookUnreadable):
            raise
        raise WorkbookUnreadable(_("The workbook is damaged and cannot be read; save it again as .xlsx.")) from None
    if not found:
        raise WorkbookUnreadable(_("The workbook has none of the sheets 单位, 人员 or 角色. Name the sheets so (the "
                                   "template shows how), or start from the template."))
    return Workbook(found, ignored_sheets)


def _read_sheet(sheet: Sheet, title: str, cells_by_row: list[list]) -> SheetRows:
    result = SheetRows(sheet, title)
    columns: list[tuple[int, Column]] | None = None
    for number, cells in enumerate(cells_by_row, start=1):
        if columns is None:
            headers = [cell_text(c) for c in cells]
            if not any(headers):
                continue  # blank lines above the header
            columns = []
            for index, header in enumerate(headers):
                column = _column_for(sheet, header) if header else None
                if column is None:
                    if header:
                        result.ignored.append(header)
                elif not column.reference and all(column is not c for _i, c in columns):
                    columns.append((index, column))
            present = {c.field for _i, c in columns}
            result.missing = [c.header for c in sheet.columns if c.required and c.field not in present]
            continue
        values = {c.field: cell_text(cells[i]) if i < len(cells) else "" for i, c in columns}
        if any(values.values()):
            result.rows.append(Row(number, values))
    return result


# Writing ---------------------------------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FDE9D9")
_REFERENCE_FONT = Font(color="808080", italic=True)


def write_workbook(rows: dict[str, Iterable[Iterable]], *, notes: list[str] | None = None) -> bytes:
    """An .xlsx with our three sheets: `rows[sheet.key]` are its rows, cells in the sheet's column order (labels
    already applied). Columns carry their widths, required headers are marked "*", choice columns offer their
    words as a drop-down, code and phone columns are text (so that Excel keeps a leading zero). `notes` adds a
    说明 sheet first. Streams with openpyxl's write-only mode: memory stays flat for a province."""
    book = XlsxWorkbook(write_only=True)
    if notes:
        help_sheet = book.create_sheet("说明")
        help_sheet.column_dimensions["A"].width = 110
        for line in notes:
            help_sheet.append([line])
    for sheet in SHEETS:
        worksheet = book.create_sheet(sheet.title)
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            worksheet.column_dimensions[letter].width = column.width
            if column.text:
                worksheet.column_dimensions[letter].number_format = "@"
            if column.choices:
                words = labels(column.choices)
                validation = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                                            showErrorMessage=True, errorTitle="请从列表中选择",
                                            error="可填：" + "、".join(words))
                validation.add(f"{letter}2:{letter}{MAX_ROWS}")
                worksheet.data_validations.append(validation)
        worksheet.freeze_panes = "A2"
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(worksheet, column.header + ("*" if column.required else ""))
            cell.font = _REFERENCE_FONT if column.reference else _HEADER_FONT
            if column.required:
                cell.fill = _REQUIRED_FILL
            header.append(cell)
        worksheet.append(header)
        for row in rows.get(sheet.key, ()):
            worksheet.append([None if value == "" else value for value in row])  # an empty cell, not ""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
