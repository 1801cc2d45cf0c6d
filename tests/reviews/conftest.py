from dataclasses import dataclass

import pytest

from infohub.models import Level, Role, Unit, User
from submissions import services as submissions
from submissions.models import Item
from tests.factories import UnitFactory, person


@dataclass
class Chain:
    """The shared `network` plus the people of the offices above it and a foreign city."""

    net: object
    city_director: User
    city_editor2: User
    province_editor: User
    province_director: User
    central: Unit
    central_editor: User
    foreign_city: Unit
    foreign_editor: User
    foreign_director: User


@pytest.fixture
def chain(network) -> Chain:
    central = UnitFactory(name="中央办公厅", code="t-central", level=Level.CENTRAL, parent=None)
    network.province.parent = central
    network.province.upstream = central
    network.province.save()
    foreign = UnitFactory(name="青山市委办公室", code="t-qs", level=Level.CITY, parent=network.province)
    return Chain(
        net=network,
        city_director=person(network.city, Role.DIRECTOR, username="lj_director"),
        city_editor2=person(network.city, Role.EDITOR, username="lj_editor2"),
        province_editor=person(network.province, Role.EDITOR, username="jn_editor"),
        province_director=person(network.province, Role.DIRECTOR, username="jn_director"),
        central=central,
        central_editor=person(central, Role.EDITOR, username="central_editor"),
        foreign_city=foreign,
        foreign_editor=person(foreign, Role.EDITOR, username="qs_editor"),
        foreign_director=person(foreign, Role.DIRECTOR, username="qs_director"),
    )


@pytest.fixture
def filed_item(chain, good_item_data) -> Item:
    """An item filed by the county clerk, awaiting the county director's sign-off."""
    net = chain.net
    item = submissions.item_create(actor=net.clerk, unit=net.county, data=good_item_data)
    return submissions.item_submit(actor=net.clerk, item=item)
