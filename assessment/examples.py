"""Two example rule sets (SPEC §9), in the shape of real offices' published rules and different in shape, not only in
numbers. The demo loads them (project.demo) and the tests price hand-made scenarios under them. Each is named for the
office it is given to (`name_for`: 江南省委办公厅信息工作考核办法（示例 B）), whatever office its shape was taken from —
the demo gives B to the province's committee office, and a rule set named for a government office sat on it.

* `city_committee_rules` — a city committee office's 计分办法 (A): every publication counts; points for filing;
  adoptions by level, standalone or combined; instruction bonuses by the leader's level, no repeat for one level;
  topic requests answered and ignored; lapses, the false and concealed ones losing award eligibility; monthly quotas
  for counties and the city's departments; the office's share of an item it rewrote. Late facts land in the first
  month whose 通报 is not issued yet.
* `provincial_government_rules` — in the shape of a provincial government office's 考核办法 (B): only the highest
  publication counts (a later higher one is topped up); no points for filing; items reported upward through the office are multiplied
  (province ×2, centre ×5); jointly filed items split evenly (合报均分); a direct-reporting point's points counted half
  for its county (挂钩分); two ignored topic requests zero the year; a cap on the year's total. Facts land in the
  month their item was filed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from django.db import transaction

from infohub.models import Level, Unit, User
from publications.models import PublicationType

from .models import Fact, Group, Rule, RuleSet

A_SOURCE = ("参照某市委办公室政务信息工作考核计分办法：每条被采用信息均计分（按刊物级别和单条、综合采用分档），报送信息"
            "每条 0.5 分、每月上限 10 分；领导批示按批示领导级别加分，同一级别多次批示不重复加分；约稿按时报送加分、"
            "未报送扣分；迟报、漏报、瞒报、误报扣分，瞒报、误报取消当年评先资格；区县每月报送不少于 20 条、市直部门"
            "不少于 3 条，每少 1 条扣 1 分；经市委办公室大幅改写的信息，报送单位按七成计分。")
B_SOURCE = ("参照某省人民政府办公厅政务信息工作考核办法：同一信息被多级刊物采用的，按最高级别计分（后被更高级别采用的"
            "补足差额）；经省政府办公厅报送、被省级和国家级采用的，分别按 2 倍、5 倍计分；联合报送的信息由各报送单位"
            "平均分配分值；直报点得分按 50% 计入所在县（市、区）；全年两次未按要求报送约稿的，全年考核得分计零；单位全年"
            "得分不超过 300 分。")


def name_for(office: Unit, kind: str, letter: str) -> str:
    """An example rule set's name, fitting the office that assesses under it: its name, 政务信息工作 for a government
    office (信息工作 for a committee office and others), the kind of rules, the example's letter — 临江市委办公室信息工作
    考核计分办法（示例 A）, 江南省人民政府办公厅政务信息工作考核办法（示例 B）. Within RuleSet.name's 100 characters."""
    field = "政务信息工作" if office.kind == Unit.Kind.GOVERNMENT_OFFICE else "信息工作"
    tail = f"{field}{kind}（示例 {letter}）"
    return office.name[: 100 - len(tail)] + tail


def rule(*, label: str, fact: str, points: D, **terms) -> dict:
    """One rule's fields: what it is printed as, the fact it prices, its points, and its conditions and terms (level,
    ptype, combined, forwarded, kind, group; multiplier, monthly_cap, quota, voids_award)."""
    return {"label": label, "fact": fact, "points": points, **terms}


def _rules(ruleset: RuleSet, rows: list[dict]) -> list[Rule]:
    return Rule.objects.bulk_create([Rule(ruleset=ruleset, position=n, **row) for n, row in enumerate(rows, 1)])


@transaction.atomic
def city_committee_rules(*, office: Unit, year: int, actor: User | None = None, central_types: dict | None = None,
                         active: bool = True, effective_from: date | None = None) -> RuleSet:
    """Rule set A for `office` (a city committee office) and `year`. `central_types`: {"中办": PublicationType,
    "国办": PublicationType} when the central publications are known (中办 50/30, 国办 30/15); without them a central
    adoption is 30 (单条) or 15 (综合)."""
    ruleset = RuleSet.objects.create(
        office=office, year=year, name=name_for(office, "考核计分办法", "A"), is_active=active,
        counting=RuleSet.Counting.EVERY, placing=RuleSet.Placing.OPEN, joint_split=False,
        direct_share=D("0"), rewrite_share=D("0.3"), zero_after_ignored=0, year_cap=None, source=A_SOURCE,
        created_by=actor, effective_from=effective_from)
    ADOPTED, L = Fact.ADOPTED, Level
    rows = [
        rule(label="报送信息", fact=Fact.FILED, points=D("0.5"), monthly_cap=D("10")),
        rule(label="县级刊物采用", fact=ADOPTED, level=L.COUNTY, points=D("2")),
        rule(label="市委办单条采用", fact=ADOPTED, level=L.CITY, combined=False, points=D("10")),
        rule(label="市委办综合采用", fact=ADOPTED, level=L.CITY, combined=True, points=D("5")),
        rule(label="省级单条采用", fact=ADOPTED, level=L.PROVINCE, combined=False, points=D("20")),
        rule(label="省级综合采用", fact=ADOPTED, level=L.PROVINCE, combined=True, points=D("10")),
        rule(label="中央单条采用", fact=ADOPTED, level=L.CENTRAL, combined=False, points=D("30")),
        rule(label="中央综合采用", fact=ADOPTED, level=L.CENTRAL, combined=True, points=D("15")),
    ]
    for name, (standalone, combined) in (("中办", (D("50"), D("30"))), ("国办", (D("30"), D("15")))):
        ptype = (central_types or {}).get(name)
        if ptype is not None:
            rows += [rule(label=f"{name}单条采用", fact=ADOPTED, level=L.CENTRAL, ptype=ptype, combined=False,
                          points=standalone),
                     rule(label=f"{name}综合采用", fact=ADOPTED, level=L.CENTRAL, ptype=ptype, combined=True,
                          points=combined)]
    rows += [
        rule(label="县级领导批示", fact=Fact.INSTRUCTION, level=L.COUNTY, points=D("10")),
        rule(label="市级领导批示", fact=Fact.INSTRUCTION, level=L.CITY, points=D("20")),
        rule(label="省级领导批示", fact=Fact.INSTRUCTION, level=L.PROVINCE, points=D("30")),
        rule(label="中央领导批示", fact=Fact.INSTRUCTION, level=L.CENTRAL, points=D("50")),
        rule(label="约稿按时报送", fact=Fact.TOPIC_ANSWERED, points=D("5")),
        rule(label="约稿未报送", fact=Fact.TOPIC_IGNORED, points=D("-10")),
        rule(label="迟报", fact=Fact.LAPSE, kind="late", points=D("-5")),
        rule(label="漏报", fact=Fact.LAPSE, kind="missed", points=D("-10")),
        rule(label="瞒报", fact=Fact.LAPSE, kind="concealed", points=D("-30"), voids_award=True),
        rule(label="误报", fact=Fact.LAPSE, kind="false", points=D("-30"), voids_award=True),
        rule(label="区县月度报送定额", fact=Fact.QUOTA, group=Group.DISTRICT, level=L.COUNTY, quota=20, points=D("-1")),
        rule(label="市直部门月度报送定额", fact=Fact.QUOTA, group=Group.DEPARTMENT, level=L.CITY, quota=3,
             points=D("-1")),
    ]
    _rules(ruleset, rows)
    return ruleset


@transaction.atomic
def provincial_government_rules(*, office: Unit, year: int, actor: User | None = None, active: bool = True,
                                province_type: PublicationType | None = None,
                                effective_from: date | None = None) -> RuleSet:
    """Rule set B for `office` (a provincial office) and `year`. `province_type`: the office's own publication, whose
    adoptions count 10 (单条) or 5 (综合), others of the province 8 / 4; reported upward through the office ×2 at the
    province, ×5 at the centre (10 × 5 = 50); a central adoption that did not come through the office counts 30."""
    ruleset = RuleSet.objects.create(
        office=office, year=year, name=name_for(office, "考核办法", "B"), is_active=active,
        counting=RuleSet.Counting.HIGHEST, placing=RuleSet.Placing.FILED, joint_split=True,
        direct_share=D("0.5"), rewrite_share=D("0"), zero_after_ignored=2, year_cap=D("300"), source=B_SOURCE,
        created_by=actor, effective_from=effective_from)
    ADOPTED, L = Fact.ADOPTED, Level
    rows = [
        rule(label="市级刊物采用", fact=ADOPTED, level=L.CITY, points=D("2")),
        rule(label="省级单条采用", fact=ADOPTED, level=L.PROVINCE, combined=False, points=D("8")),
        rule(label="省级综合采用", fact=ADOPTED, level=L.PROVINCE, combined=True, points=D("4")),
        rule(label="省级单条采用（经本厅上报）", fact=ADOPTED, level=L.PROVINCE, combined=False, forwarded=True,
             points=D("10"), multiplier=D("2")),
        rule(label="国家级采用", fact=ADOPTED, level=L.CENTRAL, points=D("30")),
        rule(label="国家级采用（经本厅上报）", fact=ADOPTED, level=L.CENTRAL, forwarded=True, points=D("10"),
             multiplier=D("5")),
        rule(label="省领导批示", fact=Fact.INSTRUCTION, level=L.PROVINCE, points=D("20")),
        rule(label="中央领导批示", fact=Fact.INSTRUCTION, level=L.CENTRAL, points=D("50")),
        rule(label="约稿按时报送", fact=Fact.TOPIC_ANSWERED, points=D("2")),
        rule(label="约稿未报送", fact=Fact.TOPIC_IGNORED, points=D("-10")),
        rule(label="督办反馈逾期", fact=Fact.OVERDUE, points=D("-5")),
        rule(label="迟报", fact=Fact.LAPSE, kind="late", points=D("-5")),
        rule(label="漏报", fact=Fact.LAPSE, kind="missed", points=D("-10")),
        rule(label="误报", fact=Fact.LAPSE, kind="false", points=D("-20"), voids_award=True),
        rule(label="瞒报", fact=Fact.LAPSE, kind="concealed", points=D("-20"), voids_award=True),
    ]
    if province_type is not None:
        rows += [
            rule(label=f"《{province_type.name}》单条采用", fact=ADOPTED, level=L.PROVINCE, ptype=province_type,
                 combined=False, points=D("10")),
            rule(label=f"《{province_type.name}》综合采用", fact=ADOPTED, level=L.PROVINCE, ptype=province_type,
                 combined=True, points=D("5")),
        ]
    _rules(ruleset, rows)
    return ruleset
