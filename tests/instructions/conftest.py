from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import time_machine

from infohub.models import Role, User
from instructions import services
from instructions.models import Instruction, Kind
from reviews import services as reviews
from reviews.models import Hop
from submissions.models import Item
from tests.factories import person

# 2026-09-23 (Wednesday) 10:00 Beijing time. The days after it (chinese-calendar, State Council notice of 2025):
# 09-24 Thu working · 09-25 Fri 中秋 · 26–27 weekend · 28, 29, 30 working · 10-01…10-07 国庆 ·
# 10-08 Thu, 10-09 Fri working · 10-10 Sat 调休 working day · 10-11 Sun off · 10-12 Mon …
ASSIGNED_AT = datetime(2026, 9, 23, 2, 0, tzinfo=UTC)


@dataclass
class Office:
    """The city office (leader, editor, director) instructs; the county and the other county answer."""

    chain: object
    leader: User
    editor: User
    director: User
    county_clerk: User
    county_director: User
    other_clerk: User
    other_director: User
    foreign_editor: User
    item: Item

    @property
    def city(self):
        return self.chain.net.city

    @property
    def county(self):
        return self.chain.net.county

    @property
    def other(self):
        return self.chain.net.other_county


@pytest.fixture
def traveller():
    with time_machine.travel(ASSIGNED_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def office(traveller, chain, filed_item) -> Office:
    net = chain.net
    reviews.signoff_approve(actor=net.director, item=filed_item)  # reaches the city office, which adopts it
    reviews.review_adopt(actor=net.city_editor, hop=Hop.objects.get(item=filed_item, office=net.city),
                         adoption=Hop.Adoption.FULL)
    return Office(
        chain=chain,
        leader=person(net.city, Role.LEADER, username="lj_leader", display_name="赵市长"),
        editor=net.city_editor,
        director=chain.city_director,
        county_clerk=net.clerk,
        county_director=net.director,
        other_clerk=net.other_clerk,
        other_director=person(net.other_county, Role.DIRECTOR, username="xl_director"),
        foreign_editor=chain.foreign_editor,
        item=filed_item,
    )


def instructed(office: Office, kind: str = Kind.HANDLE) -> Instruction:
    return services.instruct(actor=office.leader, item=office.item, kind=kind, text="请东湖区认真研究，抓好落实，及时反馈。")


def assigned(office: Office, *, days: int = 4, supporting: bool = True) -> Instruction:
    """Assigned at ASSIGNED_AT: 4 working days → due 2026-09-30 18:00, the last working day before 国庆."""
    instruction = instructed(office)
    return services.assign(actor=office.editor, instruction=instruction, lead=office.county,
                           supporting=[office.other] if supporting else [], asked="请牵头研究落实，报送办理情况。",
                           working_days=days)


def unit_without_people(office: Office):
    """东湖区统计局, below the county: nobody holds a role there."""
    from infohub.models import Level
    from tests.factories import UnitFactory

    office.county.refresh_from_db()  # `chain` moved the province under the centre: the path changed in the database
    return UnitFactory(name="东湖区统计局", code="t-dh-tj", level=Level.COUNTY, parent=office.county)
