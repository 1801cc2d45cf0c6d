"""The roster as a workbook of the import's own shape (SPEC §10): importing an export unchanged changes nothing.

Reads three queries (units by tree order, people by username, role rows by unit and role) and streams them into
openpyxl's write-only workbook. The template is the same workbook without rows, with the 说明 sheet.
"""

from __future__ import annotations

from ..models import RoleAssignment, Unit, User
from .layout import label as word
from .layout import write_workbook

NOTES = [
    "InfoHub 名册：一个工作簿三张表——单位、人员、角色。可以只带其中一两张表：没有的表不改动任何数据。本“说明”表导入时不读。",
    "表头带 * 的列必须有、每行必填；列的顺序随意，按表头识别。全角字母数字、零宽空格等不可见字符会自动规范。",
    "【单位】单位代码是单位的唯一标识（字母、数字、-、_，最多 40 位）：改名、调整上级、停用都按代码找到原单位。",
    "  上级单位代码：留空为顶层单位。报送至单位代码：留空即报送上级单位；直报点、特约信息员填其指定报送的上级机关代码（级别不能低于本单位）。",
    "  层级：中央、省、市、县（区）、乡镇（街道），不能高于上级单位。类型：党委办公室、政府办公室、部门、直报点、特约信息员。启用：是、否。",
    "  上级和报送关系不能绕成一圈；在用的单位不能报送到停用的单位。单位只停用、不删除（已报送的信息仍指向它）。",
    "【人员】用户名是人员的唯一标识。电话：11 位手机（13800000000）或带区号的座机（0571-88886666，可加分机 -123）。",
    "  密级：公开、内部、秘密、机密（本人可阅的最高密级）。启用：是、否。新建的人员没有密码，由管理员在后台为其设置。",
    "【角色】每行一人在一个单位的一个角色：信息员、单位负责人（签发人）、信息编辑、值班员、领导、管理员。",
    "  表中出现的人员，其角色以本表为准（本表没有的角色会删除）；本表没有出现的人员，角色不变。“（仅供查看）”的列导入时不读。",
    "【留空】简称、上级单位代码、报送至单位代码、电话、邮箱留空即为空；类型、启用、密级留空则保持原值（新建时为 部门、是、内部）。",
    "【导入】后台“单位”页的“导入名册”：先预览新增、修改、不变、停用/删除各多少行和每一处错误（表名、行号、原因），有任何错误则一行也不导入；"
    "确认后在一个事务里全部写入。选“同步”时，表中没有的单位和人员将停用、角色将删除（超级管理员和导入人本人除外）。",
    "【示例】单位：lj-dh | 东湖区委办公室 | 东湖区委办 | 县（区） | 党委办公室 | lj | （空） | 是",
    "  人员：dh_clerk | 王小明 | 13800000012 | wang@example.cn | 内部 | 是      角色：dh_clerk | lj-dh | 信息员",
]


def roster_rows() -> dict[str, list[list]]:
    """{sheet key: rows} of the whole roster, each row in its sheet's column order, choice columns as words."""
    codes = dict(Unit.objects.values_list("id", "code"))
    units = [
        [code, name, short, word("level", level), word("kind", kind), codes.get(parent_id, ""),
         codes.get(upstream_id, ""), word("active", active)]
        for code, name, short, level, kind, parent_id, upstream_id, active in Unit.objects.order_by("path").values_list(
            "code", "name", "short_name", "level", "kind", "parent_id", "upstream_id", "is_active")
    ]
    people = [
        [username, display, phone, email, word("clearance", clearance), word("active", active)]
        for username, display, phone, email, clearance, active in User.objects.order_by("username").values_list(
            "username", "display_name", "phone", "email", "clearance", "is_active")
    ]
    roles = [
        [username, code, word("role", role), display or username, unit_name]
        for username, display, code, unit_name, role in RoleAssignment.objects.order_by(
            "unit__path", "role", "user__username").values_list(
            "user__username", "user__display_name", "unit__code", "unit__name", "role")
    ]
    return {"units": units, "people": people, "roles": roles}


def roster_workbook() -> bytes:
    """The whole roster as .xlsx (the export)."""
    return write_workbook(roster_rows(), notes=NOTES)


def template_workbook() -> bytes:
    """The empty roster workbook with its 说明 sheet (the template to download)."""
    return write_workbook({}, notes=NOTES)
