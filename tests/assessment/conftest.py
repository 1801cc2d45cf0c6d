"""Hand-made scenarios for the pricing engine (SPEC §9): a small network and the facts the other apps record, made
row by row (an item signed off and sent, its use in a signed issue, a leader's instruction, a topic request answered
or ignored, a lapse), at the times the scenario names, so the totals can be worked out by hand."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum
from django.utils import timezone

from alerts.models import Lapse
from assessment import pricing
from assessment.models import Entry, Pricing, RuleSet, Tally
from followup.models import Shortfall
from infohub.models import Level, Role, Unit, User
from instructions.models import Instruction, Kind
from publications.models import Credit, Issue, PublicationType
from publications.models import Entry as IssueEntry
from reviews.models import Hop
from submissions.models import Item
from tests.factories import UnitFactory, person
from topics.models import Target, TopicRequest

YEAR = 2026
_numbers = itertools.count(1)
K = Unit.Kind


def at(month: int, day: int = 10, hour: int = 10, minute: int = 0) -> datetime:
    """A time of YEAR in Beijing time."""
    return timezone.make_aware(datetime(YEAR, month, day, hour, minute))


def m(month: int) -> date:
    return date(YEAR, month, 1)


@dataclass
class Net:
    central: Unit
    guoban: Unit          # 国务院办公厅 (a second central office)
    province: Unit
    city: Unit
    dh: Unit              # 东湖区 (county office)
    xl: Unit              # 西岭县 (county office)
    sq: Unit              # 石桥镇 (township of 西岭县)
    yj: Unit              # 临江市应急管理局 (a city department)
    park: Unit            # 江南化工园区 (direct-reporting point in 西岭县, reports to the province)
    other_city: Unit
    nc: Unit              # 南城区 (a county of the other city)
    clerk: User           # 东湖区 information officer
    editor: User          # 临江市委办 editor
    admin: User
    leaders: dict         # level → leader (a User with the leader role at that level's office)
    types: dict           # name → PublicationType


@pytest.fixture
def net(db) -> Net:
    central = UnitFactory(name="中央办公厅", code="a-zb", level=Level.CENTRAL, parent=None)
    guoban = UnitFactory(name="国务院办公厅", code="a-gb", level=Level.CENTRAL, parent=None)
    province = UnitFactory(name="江南省委办公厅", code="a-jn", level=Level.PROVINCE, parent=central)
    city = UnitFactory(name="临江市委办公室", code="a-lj", level=Level.CITY, parent=province)
    dh = UnitFactory(name="东湖区委办公室", code="a-dh", level=Level.COUNTY, parent=city)
    xl = UnitFactory(name="西岭县委办公室", code="a-xl", level=Level.COUNTY, parent=city)
    sq = UnitFactory(name="石桥镇党委办公室", code="a-sq", level=Level.TOWNSHIP, parent=xl)
    yj = UnitFactory(name="临江市应急管理局", code="a-yj", level=Level.CITY, kind=K.DEPARTMENT, parent=city)
    park = UnitFactory(name="江南化工园区（直报点）", code="a-park", level=Level.COUNTY, kind=K.DIRECT_POINT,
                       parent=xl, upstream=province)
    other_city = UnitFactory(name="青山市委办公室", code="a-qs", level=Level.CITY, parent=province)
    nc = UnitFactory(name="南城区委办公室", code="a-nc", level=Level.COUNTY, parent=other_city)
    leaders = {
        Level.COUNTY: person(dh, Role.LEADER, username="a-dh-leader"),
        Level.CITY: person(city, Role.LEADER, username="a-lj-leader"),
        Level.PROVINCE: person(province, Role.LEADER, username="a-jn-leader"),
        Level.CENTRAL: person(central, Role.LEADER, username="a-zb-leader"),
    }
    editor = person(city, Role.EDITOR, username="a-editor")
    types = {
        "西岭信息": PublicationType.objects.create(name="西岭信息", office=xl),
        "东湖信息": PublicationType.objects.create(name="东湖信息", office=dh),
        "临江信息": PublicationType.objects.create(name="临江信息", office=city),
        "江南信息": PublicationType.objects.create(name="江南信息", office=province),
        "中办信息": PublicationType.objects.create(name="中办信息", office=central),
        "国办信息": PublicationType.objects.create(name="国办信息", office=guoban),
    }
    net = Net(central=central, guoban=guoban, province=province, city=city, dh=dh, xl=xl, sq=sq, yj=yj, park=park,
              other_city=other_city, nc=nc, clerk=person(dh, Role.CLERK, username="a-dh-clerk"), editor=editor,
              admin=person(province, Role.ADMIN, username="a-admin", is_staff=True, is_superuser=True),
              leaders=leaders, types=types)
    return net


# --- facts ---------------------------------------------------------------------------------------------------------


def filed(unit: Unit, when: datetime, *, joint=(), by: User | None = None, title: str = "") -> Item:
    """An item of `unit` signed off and sent at `when` (filed and signed off then), with its joint units."""
    n = next(_numbers)
    item = Item.objects.create(
        title=title or f"考核测试信息{n}", body="正文。", category="work_progress", contact_phone="0571-88886666",
        source_unit=unit, created_by=by or person(unit, Role.CLERK, username=f"a-clerk-{n}"),
        status=Item.Status.SIGNED_OFF, submitted_at=when)
    item.joint_units.set(joint)
    office = unit.upstream or unit.parent
    if office is not None:
        Hop.objects.create(item=item, office=office, level=office.level, sender=unit, received_at=when)
    return item


def composite(office: Unit, sources: list[Item], when: datetime) -> Item:
    """A composite item (综合) an office wrote from several."""
    item = Item.objects.create(title=f"综合信息{next(_numbers)}", body="综合。", category="work_progress",
                               contact_phone="0571-88886666", source_unit=office,
                               created_by=person(office, Role.EDITOR, username=f"a-ed-{next(_numbers)}"),
                               status=Item.Status.SIGNED_OFF, submitted_at=when)
    item.merged_from.set(sources)
    return item


def forward(item: Item, office: Unit, when: datetime) -> Hop:
    """`office` adopted the item and reported it upward (a forwarded hop there)."""
    return Hop.objects.create(item=item, office=office, level=office.level, sender=item.source_unit,
                              received_at=when, status=Hop.Status.ADOPTED, adoption=Hop.Adoption.FULL,
                              forward=Hop.Forward.FORWARDED, forwarded_at=when)


def use(item: Item, ptype: PublicationType, when: datetime, *, adoption: str = Hop.Adoption.FULL) -> list[Credit]:
    """The item used in a signed issue of `ptype` at `when`: one credit per source unit, as publications.issue_sign
    makes them (a composite's sources share it: 1/n to four places, the last the remainder)."""
    office = ptype.office
    signer = User.objects.filter(username="a-admin").first()
    hop = Hop.objects.create(item=item, office=office, level=office.level, sender=item.source_unit, received_at=when,
                             status=Hop.Status.ADOPTED, adoption=adoption, acted_at=when)
    number = next(_numbers)
    issue = Issue.objects.create(ptype=ptype, office=office, created_by=signer)
    entry = IssueEntry.objects.create(issue=issue, item=item, hop=hop, position=1, added_by=signer)
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SIGNED, year=YEAR, number=number,
                                             issue_date=timezone.localdate(when), signed_by=signer, signed_at=when)
    sources = sorted(item.merged_from.all(), key=lambda s: s.pk) or [item]
    n = len(sources)
    share = (Decimal(1) / n).quantize(Decimal("0.0001"), rounding="ROUND_DOWN")
    shares = [share] * (n - 1) + [Decimal(1) - share * (n - 1)]
    return Credit.objects.bulk_create([
        Credit(issue=issue, entry=entry, item=item, source_item=source, unit_id=source.source_unit_id, share=s,
               ptype=ptype, office=office, office_level=office.level, adoption=adoption, combined=n > 1,
               issue_kind="regular", year=YEAR, signed_at=when)
        for source, s in zip(sources, shares, strict=True)])


def instruct(item: Item, level: str, when: datetime, leader: User, *, issue: Issue | None = None) -> Instruction:
    office = leader.roles.first().unit
    return Instruction.objects.create(leader=leader, office=office, level=level, item=None if issue else item,
                                      issue=issue, title="批示", kind=Kind.REFER, text="阅。", written_at=when,
                                      state=Instruction.State.NOTED)


def request_to(office: Unit, due: datetime) -> TopicRequest:
    return TopicRequest.objects.create(office=office, subject=f"约稿{next(_numbers)}", due_at=due,
                                       created_by=User.objects.get(username="a-admin"))


def answered(request: TopicRequest, unit: Unit, when: datetime) -> Target:
    return Target.objects.create(request=request, unit=unit, office=request.office, due_at=request.due_at,
                                 reply=Target.Reply.ANSWERED, answered_at=when)


def ignored(request: TopicRequest, unit: Unit) -> Shortfall:
    target = Target.objects.create(request=request, unit=unit, office=request.office, due_at=request.due_at)
    return Shortfall.objects.create(kind=Shortfall.Kind.IGNORED, unit=unit, office=request.office,
                                    content_type=ContentType.objects.get_for_model(Target), object_id=target.pk,
                                    subject=request.subject, due_at=request.due_at, occurred_at=request.due_at)


def lapse(unit: Unit, kind: str, when: datetime, *, item: Item | None = None, who: User | None = None) -> Lapse:
    row = Lapse.objects.create(kind=kind, unit=unit, person=who, item=item, reason="测试")
    Lapse.objects.filter(pk=row.pk).update(created_at=when)
    row.refresh_from_db()
    return row


# --- pricing and reading -----------------------------------------------------------------------------------------


def run(ruleset: RuleSet, first: int, last: int | None = None, *, kind=Pricing.Kind.ROUTINE, reason="") -> Pricing:
    """Price months first..last of YEAR now, in the test's transaction (the service's body, without the task)."""
    ruleset.refresh_from_db()
    pricing_run = Pricing.objects.create(ruleset=ruleset, kind=kind, first_month=m(first),
                                         last_month=m(last or first), reason=reason)
    pricing_run.added, pricing_run.superseded = pricing.price(
        ruleset=ruleset, first_month=m(first), last_month=m(last or first), pricing=pricing_run)
    pricing_run.state, pricing_run.started_at = Pricing.State.DONE, timezone.now()
    pricing_run.save()
    return pricing_run


def current(ruleset: RuleSet, **filters):
    return Entry.objects.filter(ruleset=ruleset, superseded_by__isnull=True, **filters)


def points(ruleset: RuleSet, unit: Unit, month: int | None = None, **filters) -> Decimal:
    """The current ledger's total for a unit (in a month, or the year)."""
    rows = current(ruleset, unit=unit, **filters)
    if month is not None:
        rows = rows.filter(month=m(month))
    return rows.aggregate(total=Sum("points"))["total"] or Decimal("0")


def tally(ruleset: RuleSet, unit: Unit, month: int) -> Tally:
    return Tally.objects.get(ruleset=ruleset, unit=unit, month=m(month))


# The figures' pages and API are tested on hand-made tallies and ledger rows (no pricing run needed to show them).
from tests.assessment.handmade import figures, month_query  # noqa: E402, F401
