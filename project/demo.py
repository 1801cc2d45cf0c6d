"""Demo data for `make run`: a province with three cities, counties, townships, departments, a
direct-reporting point, and a person for each role. Loaded once; later runs leave it alone."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from infohub.models import Level, Role, RoleAssignment, Unit, User

DEMO_PASSWORD = "infohub-demo"

K = Unit.Kind

# (code, name, level, kind, parent code, upstream code or None for "the parent")
UNITS = [
    ("central", "中央办公厅信息局", Level.CENTRAL, K.COMMITTEE_OFFICE, None, None),
    ("jn", "江南省委办公厅", Level.PROVINCE, K.COMMITTEE_OFFICE, "central", None),
    ("jn-gov", "江南省人民政府办公厅", Level.PROVINCE, K.GOVERNMENT_OFFICE, "jn", None),
    ("jn-yj", "江南省应急管理厅", Level.PROVINCE, K.DEPARTMENT, "jn", None),
    ("lj", "临江市委办公室", Level.CITY, K.COMMITTEE_OFFICE, "jn", None),
    ("lj-yj", "临江市应急管理局", Level.CITY, K.DEPARTMENT, "lj", None),
    ("lj-dh", "东湖区委办公室", Level.COUNTY, K.COMMITTEE_OFFICE, "lj", None),
    ("lj-dh-hb", "湖滨街道党工委办公室", Level.TOWNSHIP, K.COMMITTEE_OFFICE, "lj-dh", None),
    ("lj-xl", "西岭县委办公室", Level.COUNTY, K.COMMITTEE_OFFICE, "lj", None),
    ("lj-xl-sq", "石桥镇党委办公室", Level.TOWNSHIP, K.COMMITTEE_OFFICE, "lj-xl", None),
    ("lj-xl-yj", "西岭县应急管理局", Level.COUNTY, K.DEPARTMENT, "lj-xl", None),
    # Sits in 西岭县 but reports straight to the province, skipping the city.
    ("jn-park", "江南化工园区（直报点）", Level.COUNTY, K.DIRECT_POINT, "lj-xl", "jn"),
    ("qs", "青山市委办公室", Level.CITY, K.COMMITTEE_OFFICE, "jn", None),
    ("qs-nc", "南城区委办公室", Level.COUNTY, K.COMMITTEE_OFFICE, "qs", None),
    ("qs-bx", "北溪县委办公室", Level.COUNTY, K.COMMITTEE_OFFICE, "qs", None),
    ("qs-bx-ht", "河塘乡党委办公室", Level.TOWNSHIP, K.COMMITTEE_OFFICE, "qs-bx", None),
    ("yz", "云州市委办公室", Level.CITY, K.COMMITTEE_OFFICE, "jn", None),
    ("yz-fs", "凤山县委办公室", Level.COUNTY, K.COMMITTEE_OFFICE, "yz", None),
]

# (username, display name, [(unit code, role), ...])
PEOPLE = [
    ("dh_clerk", "王小明（东湖区信息员）", [("lj-dh", Role.CLERK)]),
    ("dh_director", "李主任（东湖区委办）", [("lj-dh", Role.DIRECTOR)]),
    ("xl_clerk", "赵敏（西岭县信息员）", [("lj-xl", Role.CLERK)]),
    ("xl_director", "孙主任（西岭县委办）", [("lj-xl", Role.DIRECTOR)]),
    ("sq_clerk", "周晓（石桥镇信息员）", [("lj-xl-sq", Role.CLERK)]),
    ("park_clerk", "吴工（化工园区直报员）", [("jn-park", Role.CLERK)]),
    ("park_director", "郑主任（化工园区）", [("jn-park", Role.DIRECTOR)]),
    ("lj_editor", "陈编辑（临江市委信息科）", [("lj", Role.EDITOR)]),
    ("lj_director", "刘主任（临江市委办）", [("lj", Role.DIRECTOR)]),
    ("lj_duty", "黄值班（临江市委值班室）", [("lj", Role.DUTY_OFFICER)]),
    ("lj_clerk", "何丽（临江市委办信息员）", [("lj", Role.CLERK)]),
    ("qs_editor", "林编辑（青山市委信息科）", [("qs", Role.EDITOR)]),
    ("nc_clerk", "马可（南城区信息员）", [("qs-nc", Role.CLERK)]),
    ("jn_editor", "高编辑（省委信息处）", [("jn", Role.EDITOR)]),
    ("jn_director", "罗处长（省委办公厅）", [("jn", Role.DIRECTOR)]),
    ("jn_duty", "谢值班（省委值班室）", [("jn", Role.DUTY_OFFICER)]),
    ("jn_leader", "钱领导（省领导）", [("jn", Role.LEADER)]),
    ("central_editor", "冯编辑（中央信息局）", [("central", Role.EDITOR)]),
    ("admin", "系统管理员", [("jn", Role.ADMIN)]),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    roles: str


def demo_logins() -> list[DemoLogin]:
    units = {code: name for code, name, *_ in UNITS}
    return [
        DemoLogin(username, name, "、".join(f"{units[code]}·{Role(role).label}" for code, role in roles))
        for username, name, roles in PEOPLE
    ]


@transaction.atomic
def load_demo() -> bool:
    """Load the demo network and people; False (and nothing written) if they are already there."""
    if Unit.objects.filter(code="central").exists():
        return False
    units: dict[str, Unit] = {}
    for code, name, level, kind, parent, upstream in UNITS:
        parent_unit = units.get(parent) if parent else None
        units[code] = Unit.objects.create(
            code=code,
            name=name,
            level=level,
            kind=kind,
            parent=parent_unit,
            upstream=units[upstream] if upstream else parent_unit,
        )
    for username, display_name, roles in PEOPLE:
        user = User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            display_name=display_name,
            email=f"{username}@infohub.invalid",
            is_staff=username == "admin",
            is_superuser=username == "admin",
        )
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=user, unit=units[code], role=role) for code, role in roles]
        )
    _file_demo_emergency(units["lj-dh"])
    return True


def _file_demo_emergency(unit: Unit) -> None:
    """One emergency filed forty minutes after its event, so the duty officers' queue has a clock running."""
    from datetime import timedelta

    from django.utils import timezone

    from submissions import services

    clerk = User.objects.get(username="dh_clerk")
    item = services.item_create(actor=clerk, unit=unit, data={
        "title": "东湖区湖滨街道一居民楼发生火情", "category": "emergency", "urgency": "extra_urgent",
        "body": "今日凌晨，湖滨街道一居民楼三层发生火情，消防救援力量已到场处置，疏散居民四十余人，暂无人员伤亡报告。",
        "contact_phone": "0571-88886666", "event_time": timezone.now() - timedelta(minutes=40),
        "event_place": "东湖区湖滨街道", "event_grade": "large", "event_type": "accident", "injuries": 1,
        "measures": "已疏散居民，街道、社区工作人员在现场安置。",
    })
    services.item_submit(actor=clerk, item=item)
