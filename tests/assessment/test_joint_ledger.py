"""A jointly filed item (合报) credits its joint units (SPEC §9); their people read the ledger rows of that credit
with their cause open to them (assessment.selectors.causes_of through the one access rule): the item filed, and its
use in an issue — linked to the item when the issue is not theirs to open. A unit that filed nothing with it sees
neither."""

from urllib.parse import urlparse

import pytest
import time_machine
from django.urls import reverse

from assessment import examples, selectors
from assessment.models import Fact
from infohub.models import Role
from tests.factories import person

from .conftest import at, current, filed, run, use

pytestmark = pytest.mark.django_db


def test_the_joint_units_ledger_rows_open_the_item(client, net):
    with time_machine.travel(at(3, 28), tick=False):
        rules = examples.city_committee_rules(office=net.city, year=2026)
        item = filed(net.dh, at(3, 2), joint=[net.xl], title="东湖区与西岭县联合整治跨界河道")
        use(item, net.types["临江信息"], at(3, 5))
        run(rules, 3)
    xl_clerk = person(net.xl, Role.CLERK, username="a-xl-clerk")
    rows = list(current(rules, unit=net.xl, fact__in=[Fact.FILED, Fact.ADOPTED]).order_by("fact"))
    assert [row.fact for row in rows] == [Fact.ADOPTED, Fact.FILED]
    causes = selectors.causes_of(xl_clerk, rows)
    page = reverse("submissions:item_detail", args=[item.pk])
    assert [causes[row.pk].url for row in rows] == [page, page]
    assert causes[rows[1].pk].label == "东湖区与西岭县联合整治跨界河道"
    assert "东湖区与西岭县联合整治跨界河道" in causes[rows[0].pk].label  # the issue · the item
    client.force_login(xl_clerk)
    assert client.get(urlparse(page).path).status_code == 200
    # the township's clerk, in no part of it, reads no cause: the kind of fact alone, no link
    stranger = person(net.sq, Role.CLERK, username="a-sq-clerk")
    theirs = selectors.causes_of(stranger, rows).values()
    assert all(c.url is None and "联合整治" not in c.label for c in theirs)
