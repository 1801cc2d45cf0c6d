from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from infohub.models import Role, User
from reviews import services as reviews
from submissions import services as submissions
from tests.factories import person

# A fixed "now" for the rules' edges: 2026-11-20 10:00 Beijing time.
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@dataclass
class Duty:
    city_duty: User
    city_duty2: User
    province_duty: User
    foreign_duty: User


@pytest.fixture
def duty(chain) -> Duty:
    return Duty(
        city_duty=person(chain.net.city, Role.DUTY_OFFICER, username="lj_duty", phone="13800000001"),
        city_duty2=person(chain.net.city, Role.DUTY_OFFICER, username="lj_duty2"),
        province_duty=person(chain.net.province, Role.DUTY_OFFICER, username="jn_duty"),
        foreign_duty=person(chain.foreign_city, Role.DUTY_OFFICER, username="qs_duty"),
    )


@pytest.fixture
def traveller():
    """time-machine, started at NOW and stepped by the test: `traveller.move_to(...)`."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def emergency_data(**overrides) -> dict:
    data = {
        "title": "东湖区一化工厂发生火灾",
        "body": "今日9时许，东湖区一化工厂仓库起火，消防已到场处置，暂无人员伤亡报告。",
        "category": "emergency",
        "urgency": "extra_urgent",
        "classification": "internal",
        "contact_phone": "0571-88886666",
        "event_time": timezone.now() - timedelta(minutes=10),
        "event_place": "东湖区化工园区",
        "event_grade": "general",
        "event_type": "accident",
    }
    data.update(overrides)
    return data


def file_emergency(net, **overrides):
    item = submissions.item_create(actor=net.clerk, unit=net.county, data=emergency_data(**overrides))
    return submissions.item_submit(actor=net.clerk, item=item)


def sign_off(chain, item):
    other_director = chain.net.director
    return reviews.signoff_approve(actor=other_director, item=item)
