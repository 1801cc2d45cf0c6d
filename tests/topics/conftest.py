"""Topic requests on the shared `chain`: the city office (临江) asks its counties — 东湖 (a clerk and a director),
西岭 (a clerk and a director) and a third, 南山 (a clerk and a director) — and a city department; 青山, a foreign city,
has a county of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from infohub.models import Level, Role, Unit, User
from reviews import services as reviews
from submissions import services as submissions
from submissions.models import Item
from tests.factories import UnitFactory, person
from topics import services
from topics.models import Target, TopicRequest

ITEM = {
    "body": "东湖区围绕基层减负开展专项整治，清理各类考核评比事项三十余项，村社区干部用于填表报数的时间减少一半。",
    "category": "work_progress", "urgency": "normal", "classification": "internal", "contact_phone": "0571-88886666",
}


@dataclass
class Topics:
    chain: object
    county: Unit  # 东湖
    other: Unit  # 西岭
    third: Unit  # 南山
    department: Unit  # 临江市应急管理局, a city department
    foreign_county: Unit  # 南城 under 青山
    other_director: User
    third_clerk: User
    third_director: User
    department_clerk: User
    foreign_clerk: User

    @property
    def net(self):
        return self.chain.net

    @property
    def city(self) -> Unit:
        return self.chain.net.city

    @property
    def editor(self) -> User:
        return self.chain.net.city_editor

    @property
    def clerk(self) -> User:
        return self.chain.net.clerk

    @property
    def director(self) -> User:
        return self.chain.net.director

    @property
    def other_clerk(self) -> User:
        return self.chain.net.other_clerk

    def issue(self, *, units=None, groups=(), due_at: datetime | None = None, subject="基层减负工作进展", **fields
              ) -> TopicRequest:
        units = [self.county, self.other, self.third] if units is None and not groups else (units or [])
        return services.request_issue(
            actor=self.editor, office=self.city, subject=subject, due_at=due_at or timezone.now() + timedelta(days=3),
            guidance=fields.pop("guidance", "请报送本地区基层减负的做法、成效和问题，每篇不超过800字。"),
            unit_ids=[u.pk for u in units], groups=groups, **fields)

    def target(self, request: TopicRequest, unit: Unit) -> Target:
        return Target.objects.get(request=request, unit=unit)

    def draft(self, unit: Unit | None = None, clerk: User | None = None, title="东湖区清理考核评比事项三十余项") -> Item:
        return submissions.item_create(actor=clerk or self.clerk, unit=unit or self.county, data={**ITEM, "title": title})

    def send(self, item: Item, director: User | None = None) -> Item:
        """File the item and have its director sign it off (it leaves its unit)."""
        item = submissions.item_submit(actor=item.created_by, item=item)
        return self.sign_off(item, director)

    def sign_off(self, item: Item, director: User | None = None) -> Item:
        director = director or {self.county.pk: self.director, self.other.pk: self.other_director,
                                 self.third.pk: self.third_director}[item.source_unit_id]
        reviews.signoff_approve(actor=director, item=item)
        return Item.objects.get(pk=item.pk)


@pytest.fixture
def topics(chain) -> Topics:
    net = chain.net
    net.city.refresh_from_db()  # `chain` moved the province under the centre: the city's path changed in the database
    third = UnitFactory(name="南山县委办公室", code="t-ns", level=Level.COUNTY, parent=net.city)
    department = UnitFactory(name="临江市应急管理局", code="t-lj-yj", level=Level.CITY, kind=Unit.Kind.DEPARTMENT,
                             parent=net.city)
    foreign_county = UnitFactory(name="南城区委办公室", code="t-nc", level=Level.COUNTY, parent=chain.foreign_city)
    return Topics(
        chain=chain, county=net.county, other=net.other_county, third=third, department=department,
        foreign_county=foreign_county,
        other_director=person(net.other_county, Role.DIRECTOR, username="xl_director"),
        third_clerk=person(third, Role.CLERK, username="ns_clerk"),
        third_director=person(third, Role.DIRECTOR, username="ns_director"),
        department_clerk=person(department, Role.CLERK, username="yj_clerk"),
        foreign_clerk=person(foreign_county, Role.CLERK, username="nc_clerk"),
    )
