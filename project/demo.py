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
    ("lj_leader", "赵领导（市领导）", [("lj", Role.LEADER)]),
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
    adopted, issue = _demo_publications(units)
    _demo_instructions(units, adopted, issue)
    _demo_topics(units)
    _demo_assessment(units, adopted)
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


# (name, office, rhythm, cumulative number since, [(distribution, unit code, printed as)], copies)
PUBLICATIONS = [
    ("临江信息", "lj", "weekly", 512, [("report", "jn", ""), ("send", "lj", "市委领导同志"),
                                     ("issue", "lj-dh", "各县（市、区）委办公室"), ("issue", "lj-xl", "各县（市、区）委办公室"),
                                     ("issue", "lj-yj", "市直有关部门")], 60),
    ("每日要情", "lj", "daily", None, [("report", "jn", ""), ("send", "lj", "市委领导同志")], 20),
    ("重要信息", "lj", "as_needed", None, [("report", "jn", ""), ("send", "lj", "市委主要领导同志")], 10),
    ("江南信息", "jn", "weekly", 2360, [("report", "central", ""), ("send", "jn", "省委领导同志"),
                                      ("issue", "lj", "各市委办公室"), ("issue", "qs", "各市委办公室"),
                                      ("issue", "yz", "各市委办公室")], 120),
    ("信息专报", "jn", "as_needed", None, [("report", "central", ""), ("send", "jn", "省委主要领导同志")], 15),
]

# (unit code, clerk, director, title, body)
ADOPTED_AT_LINJIANG = [
    ("lj-dh", "dh_clerk", "dh_director", "东湖区“网格+警格”联动今年化解矛盾纠纷四百余起",
     "东湖区将全区划为二百一十个网格，每个网格配备一名专职网格员，与社区民警结对联动，每周共同走访排查。今年以来，"
     "全区通过网格发现并就地化解矛盾纠纷四百余起，信访总量同比下降百分之十八。\n下一步，该区将把联动机制延伸到"
     "物业、调解等力量，推动矛盾纠纷在基层化解。"),
    ("lj-xl", "xl_clerk", "xl_director", "西岭县老旧小区改造提速，年内惠及居民三千余户",
     "西岭县把老旧小区改造列为今年民生实事，统筹资金一点二亿元，对四十二个小区的管网、道路、照明和加装电梯同步改造，"
     "目前已完工二十八个，年内可惠及居民三千余户。该县实行“居民点单、部门接单”，改造方案均经居民议事会讨论通过。"),
    ("lj-dh", "dh_clerk", "dh_director", "东湖区推行“一窗通办”，企业开办压缩至一个工作日",
     "东湖区整合市场监管、税务、社保等七个部门的窗口，推行企业开办“一窗受理、一次告知、一日办结”。改革以来，"
     "新开办企业一千一百余户，平均办理时间由三个工作日压缩至一个工作日，群众满意率达百分之九十九。"),
    ("lj-xl", "xl_clerk", "xl_director", "西岭县石桥镇发展特色农业带动村集体增收",
     "石桥镇依托山地资源发展高山茶叶和中药材种植，采取“村集体+合作社+农户”模式，今年全镇十二个村集体经营性收入"
     "全部超过二十万元，带动农户户均增收八千余元。"),
    ("lj-dh", "dh_clerk", "dh_director", "东湖区湖滨街道探索“小区议事会”破解物业纠纷",
     "湖滨街道在辖区三十六个小区成立议事会，由居民代表、物业企业和社区干部共同协商停车、维修资金使用等难题，"
     "半年来协商解决物业纠纷一百二十余件，相关投诉下降四成。"),
]


def _demo_publications(units: dict[str, Unit]) -> None:
    """The city's and the province's publications, five items adopted at the city, and one issue of 《临江信息》
    compiled, reviewed and signed, so its leaders have something to read (the other two wait to be compiled)."""
    from publications import services as publications
    from publications.models import PublicationType, TypeRecipient
    from reviews import services as reviews
    from reviews.models import Hop
    from submissions import services as submissions

    types = {}
    for name, office, rhythm, total_since, recipients, copies in PUBLICATIONS:
        ptype = PublicationType.objects.create(
            name=name, office=units[office], rhythm=rhythm, numbered_total=total_since is not None,
            total_offset=total_since or 0, default_copies=copies)
        TypeRecipient.objects.bulk_create([
            TypeRecipient(ptype=ptype, kind=kind, unit=units[code], label=label, position=index)
            for index, (kind, code, label) in enumerate(recipients)])
        types[name] = ptype
    people = {user.username: user for user in User.objects.all()}
    adopted = []
    for code, clerk, director, title, body in ADOPTED_AT_LINJIANG:
        item = submissions.item_create(actor=people[clerk], unit=units[code], data={
            "title": title, "body": body, "category": "work_progress", "contact_phone": "0571-88886666"})
        item = submissions.item_submit(actor=people[clerk], item=item)
        reviews.signoff_approve(actor=people[director], item=item)
        hop = Hop.objects.get(item=item, office=units["lj"], status=Hop.Status.RECEIVED)
        reviews.review_adopt(actor=people["lj_editor"], hop=hop, adoption=Hop.Adoption.FULL)
        adopted.append(item)
    issue = publications.issue_start(actor=people["lj_editor"], ptype=types["临江信息"])
    for item in adopted[:3]:
        publications.issue_add_item(actor=people["lj_editor"], issue=issue, item=item)
    publications.issue_update(actor=people["lj_editor"], issue=issue,
                              editor_note="今年以来，各地聚焦群众急难愁盼，在基层治理、民生改善和营商环境上探索了一批好做法。"
                                          "现将有关情况编发，供参阅。")
    publications.issue_submit(actor=people["lj_editor"], issue=issue)
    publications.issue_review(actor=people["lj_director"], issue=issue)
    publications.issue_sign(actor=people["lj_director"], issue=issue)
    return adopted, issue


def _demo_instructions(units: dict[str, Unit], adopted: list, issue) -> None:
    """The city leader's instructions in several states, so `make run` shows the follow-up (SPEC §6): one assigned to
    two counties (东湖区 answered and accepted, 西岭县 still handling it), one awaiting assignment, one for reference on
    the signed issue, and a paper one whose due time has passed (西岭县 chased: red on its start page)."""
    from datetime import timedelta

    from django.utils import timezone

    from followup import services as followup
    from followup.sweep import sweep_all
    from instructions import services as instructions
    from instructions.models import Feedback, Kind

    people = {user.username: user for user in User.objects.all()}
    leader, editor = people["lj_leader"], people["lj_editor"]
    first = instructions.instruct(actor=leader, item=adopted[0], kind=Kind.HANDLE,
                                  text="“网格+警格”做法很好，请东湖区总结经验，西岭县借鉴推广，及时报告进展。")
    instructions.assign(actor=editor, instruction=first, lead=units["lj-dh"], supporting=[units["lj-xl"]],
                        asked="请东湖区牵头总结经验做法，西岭县结合实际借鉴推广，5个工作日内报送办理情况。")
    lead = first.assignments.get(unit=units["lj-dh"])
    instructions.sign_for(actor=people["dh_clerk"], assignment=lead)
    feedback = instructions.feedback_post(
        actor=people["dh_clerk"], assignment=lead, kind=Feedback.Kind.FINAL,
        text="东湖区已召开专题会议总结“网格+警格”联动经验，形成工作规范，在全区二百一十个网格全面推行。")
    instructions.feedback_signoff(actor=people["dh_director"], feedback=feedback)
    instructions.feedback_review(actor=editor, feedback=feedback, accept=True)
    instructions.sign_for(actor=people["xl_clerk"], assignment=first.assignments.get(unit=units["lj-xl"]))
    instructions.instruct(actor=leader, item=adopted[1], kind=Kind.GUIDE,
                          text="老旧小区改造要充分听取群众意见，请市住建局加强指导。")
    signed = type(issue).objects.get(pk=issue.pk)  # as signed: its number is in its title
    instructions.instruct(actor=leader, issue=signed, kind=Kind.REFER, text="阅。请各地参阅。")
    paper = instructions.register_paper(
        actor=editor, office=units["lj"], leader=leader, kind=Kind.HANDLE, title="关于石桥镇特色农业发展情况的报告",
        text="请西岭县进一步做好特色农业文章，带动更多农户增收。", written_at=timezone.now() - timedelta(days=9))
    instructions.assign(actor=editor, instruction=paper, lead=units["lj-xl"], asked="请报送推进措施和成效。",
                        working_days=3)
    late = paper.assignments.get()
    followup.schedule(late, due_at=timezone.now() - timedelta(hours=2))  # as if assigned a week ago
    sweep_all()


def _demo_topics(units: dict[str, Unit]) -> None:
    """Two topic requests (约稿): the city asks its counties and departments about cutting red tape for 《临江信息》 —
    东湖 has answered with an item its director signed off, 西岭's clerk wrote "nothing to report" for the director to
    sign, 市应急管理局 owes an answer —, and the province's reporting priorities for the half-year (报送要点) to its
    cities and its direct-reporting point."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from publications.models import PublicationType
    from reviews import services as reviews
    from submissions import services as submissions
    from topics import services as topics
    from topics.models import Target

    people = {user.username: user for user in User.objects.all()}
    today = timezone.localdate()
    due = timezone.make_aware(datetime.combine(today + timedelta(days=3), time(17, 30)))
    request = topics.request_issue(
        actor=people["lj_editor"], office=units["lj"], subject="基层减负工作进展和成效", due_at=due,
        guidance="请各地报送整治形式主义为基层减负的做法和成效：清理了哪些考核评比和填表报数事项，基层干部的时间用到了"
                 "哪里，还有哪些问题和建议。用数字说话，一事一报。",
        length_limit=800, groups=["counties", "departments"],
        publication=PublicationType.objects.get(office=units["lj"], name="临江信息"))
    item = submissions.item_create(actor=people["dh_clerk"], unit=units["lj-dh"], data={
        "title": "东湖区清理考核评比事项三十余项，村社区干部填表报数时间减半",
        "body": "东湖区对区级部门面向村社区的考核评比、台账报表开展专项清理，取消考核评比事项三十二项，合并报表四十余张，"
                "建立“一表通”数据共享机制。村社区干部用于填表报数的时间比去年减少一半，走访群众的时间明显增加。",
        "category": "work_progress", "contact_phone": "0571-88886666"})
    topics.answer_link(actor=people["dh_clerk"], target=Target.objects.get(request=request, unit=units["lj-dh"]),
                       item=item)
    item = submissions.item_submit(actor=people["dh_clerk"], item=item)
    reviews.signoff_approve(actor=people["dh_director"], item=item)
    topics.decline(actor=people["xl_clerk"], target=Target.objects.get(request=request, unit=units["lj-xl"]),
                   note="本县本期无新的典型做法，下期报送。")
    topics.request_issue(
        actor=people["jn_editor"], office=units["jn"], kind="priorities", subject="2027年上半年全省信息报送要点",
        due_at=timezone.make_aware(datetime.combine(today + timedelta(days=180), time(18, 0))),
        guidance="一、重大决策部署落实情况；二、经济运行中的新情况新问题；三、基层治理创新做法；四、安全生产和防灾减灾；"
                 "五、社情民意和苗头性倾向性问题。请结合实际常态化报送。",
        unit_ids=[units["lj"].pk, units["qs"].pk, units["yz"].pk], groups=["direct_points"])


def _demo_assessment(units: dict[str, Unit], adopted: list) -> None:
    """The two example rule sets (SPEC §9, assessment.examples) in force for this year — the city's 计分办法 (A) at
    临江市委办公室, the provincial rules (B) at 江南省委办公厅 — and a few more facts for them to price: an item 东湖区
    filed jointly with 西岭县 (合报), one of the chemical park (a direct-reporting point: its points count half for
    西岭县 under B), both adopted, and a false report (误报) the city recorded against 西岭县's item on 石桥镇, which
    costs it its award eligibility; the province's leader instructs on the park's item. `price_demo` prices them once the
    demo is committed."""
    from django.utils import timezone

    from alerts import services as alerts
    from assessment import examples
    from instructions import services as instructions
    from instructions.models import Kind
    from publications.models import PublicationType
    from reviews import services as reviews
    from reviews.models import Hop
    from submissions import services as submissions

    people = {user.username: user for user in User.objects.all()}
    year = timezone.localdate().year
    examples.city_committee_rules(office=units["lj"], year=year, actor=people["admin"])
    examples.provincial_government_rules(office=units["jn"], year=year, actor=people["admin"],
                                         province_type=PublicationType.objects.get(office=units["jn"], name="江南信息"))
    joint = submissions.item_create(actor=people["dh_clerk"], unit=units["lj-dh"], data={
        "title": "东湖区与西岭县联合建立跨界河道“河长+警长”协作机制",
        "body": "东湖区与西岭县签订跨界河道联防联治协议，两地河长、警长每月联合巡河，共享水质监测数据，今年以来联合查处"
                "非法捕捞、倾倒垃圾等问题二十余起，跨界断面水质稳定达到三类标准。",
        "category": "experience", "contact_phone": "0571-88886666", "joint_units": [units["lj-xl"]]})
    joint = submissions.item_submit(actor=people["dh_clerk"], item=joint)
    reviews.signoff_approve(actor=people["dh_director"], item=joint)
    reviews.review_adopt(actor=people["lj_editor"], hop=Hop.objects.get(item=joint, office=units["lj"]),
                         adoption=Hop.Adoption.FULL)
    park = submissions.item_create(actor=people["park_clerk"], unit=units["jn-park"], data={
        "title": "江南化工园区完成危化品企业安全风险“一企一策”全覆盖评估",
        "body": "园区对四十七家危险化学品企业逐一开展安全风险评估，制定“一企一策”管控方案，整改重大隐患十二项，"
                "建成园区级危化品运输车辆实时监控平台。",
        "category": "work_progress", "contact_phone": "0571-88886666"})
    park = submissions.item_submit(actor=people["park_clerk"], item=park)
    reviews.signoff_approve(actor=people["park_director"], item=park)
    reviews.review_adopt(actor=people["jn_editor"], hop=Hop.objects.get(item=park, office=units["jn"]),
                         adoption=Hop.Adoption.FULL)
    instructions.instruct(actor=people["jn_leader"], item=park, kind=Kind.REFER,
                          text="园区这个做法好，请省应急管理厅总结推广。")
    alerts.lapse_record(actor=people["lj_editor"], item=adopted[3], kind="false",
                        reason="经核实，文中“村集体经营性收入全部超过二十万元”与统计数据不符。")


def price_demo() -> list:
    """Price this month of every rule set in force, at once (as the routine pricing does every 15 minutes), so the
    figures show on the first page. Returns the runs."""
    from django.utils import timezone

    from assessment import services as assessment
    from assessment.models import RuleSet

    month = timezone.localdate().replace(day=1)
    runs = []
    for ruleset in RuleSet.objects.filter(is_active=True, year=month.year):
        run = assessment.pricing_request(ruleset=ruleset, first_month=month, last_month=month, actor=None)
        assessment.pricing_run(run.pk)  # here and now (a worker given the task after commit finds it done)
        run.refresh_from_db()
        runs.append(run)
    return runs
