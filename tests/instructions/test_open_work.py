"""Instructions report their open work to the roster (infohub.openwork, issue 13): assignments a unit has not
answered, and what the leader's office still follows up."""

import pytest

from infohub import openwork

from .conftest import assigned, instructed

pytestmark = pytest.mark.django_db


def work(*units):
    return {unit.pk: sorted(map(str, found)) for unit, found in
            ((unit, openwork.open_work([unit.pk]).get(unit.pk, [])) for unit in units)}


def test_assignments_and_instructions_in_hand_are_open_work(office):
    assigned(office)
    instructed(office)  # a second one, not yet assigned

    found = work(office.county, office.other, office.city)

    assert found[office.county.pk] == ["待反馈的交办事项 1"]
    assert found[office.other.pk] == ["待反馈的交办事项 1"]
    assert found[office.city.pk] == ["办理中的领导批示 2", "督办中的交办事项 2"]
