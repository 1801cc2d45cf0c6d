"""Jointly filed items (合报, SPEC §9): the units that filed an item with its source unit, chosen in the editor and the
API, normalised (each once, never the source unit), refused with the field named for a unit that may not file jointly
(outside the jurisdiction of the office the item goes to), shown on the item page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from infohub.models import AuditLog, Level
from submissions import selectors, services
from submissions.models import Item
from tests.factories import UnitFactory

from .test_api import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(network):
    """Beside the two counties of the city: a township of the other county (in the city's jurisdiction too) and a
    county of another city (foreign)."""
    township = UnitFactory(name="石桥镇党委办公室", code="t-xl-sq", level=Level.TOWNSHIP, parent=network.other_county)
    other_city = UnitFactory(name="青山市委办公室", code="t-qs", level=Level.CITY, parent=network.province)
    foreign = UnitFactory(name="南城区委办公室", code="t-qs-nc", level=Level.COUNTY, parent=other_city)
    return township, foreign


def test_choices_are_the_jurisdiction_of_the_office_the_items_go_to(network, units):
    township, _foreign = units
    # given the county reports to the city
    choices = list(selectors.joint_unit_choices([network.county]))
    # then the city's other units may file with it; not the city itself, not the county, not another city's units
    assert choices == [network.other_county, township]


def test_service_normalises_and_keeps_the_joint_units(network, units, good_item_data):
    township, _foreign = units
    # given the source unit, a unit twice and an id among the chosen
    data = {**good_item_data, "joint_units": [network.county, township, township.pk, network.other_county]}
    # when
    item = services.item_create(actor=network.clerk, unit=network.county, data=data)
    # then each once, the source unit dropped
    assert set(item.joint_units.all()) == {township, network.other_county}
    assert AuditLog.objects.get(action="item.create", object_id=str(item.pk)).data == {
        "joint_units": [network.other_county.pk, township.pk]}


def test_a_foreign_unit_is_refused_naming_the_field_and_nothing_is_written(network, units, good_item_data):
    _township, foreign = units
    with pytest.raises(ValidationError) as refused:
        services.item_create(actor=network.clerk, unit=network.county,
                             data={**good_item_data, "joint_units": [foreign]})
    assert "joint_units" in refused.value.message_dict and "南城区委办公室" in refused.value.message_dict["joint_units"][0]
    assert not Item.objects.exists()


def test_update_replaces_and_an_unchanged_list_is_no_edit(network, units, good_item_data):
    township, _foreign = units
    item = services.item_create(actor=network.clerk, unit=network.county,
                                data={**good_item_data, "joint_units": [township]})
    revision = item.revision
    # when the same list is sent again: nothing changes
    item = services.item_update(actor=network.clerk, item=item, data={"joint_units": [township]})
    assert item.revision == revision
    # when another list: replaced, an edit
    item = services.item_update(actor=network.clerk, item=item, data={"joint_units": [network.other_county]})
    assert list(item.joint_units.all()) == [network.other_county] and item.revision == revision + 1
    assert AuditLog.objects.filter(action="item.update", object_id=str(item.pk)).last().data["joint_units"] == [
        network.other_county.pk]


def test_the_editor_offers_the_units_and_saves_them_and_the_page_shows_them(client, network, units, good_item_data):
    township, foreign = units
    client.force_login(network.clerk)
    page = client.get(reverse("submissions:item_create"))
    offered = [unit.pk for unit in page.context["form"].fields["joint_units"].queryset]
    assert offered == [network.other_county.pk, township.pk]
    # when the clerk also picks the source unit itself (not offered, but posted): normalised away
    post = {**good_item_data, "source_unit": network.county.pk, "save": "1",
            "joint_units": [network.other_county.pk, township.pk]}
    response = client.post(reverse("submissions:item_create"), post)
    assert response.status_code == 302
    item = Item.objects.get()
    assert set(item.joint_units.all()) == {network.other_county, township}
    # the item page names them
    detail = client.get(reverse("submissions:item_detail", args=[item.pk])).content.decode()
    assert "西岭县委办公室" in detail and "石桥镇党委办公室" in detail
    # the edit form starts from them; saving it unchanged changes nothing
    edit = client.get(reverse("submissions:item_edit", args=[item.pk]))
    assert set(edit.context["form"]["joint_units"].value()) == {network.other_county.pk, township.pk}
    # a foreign unit posted: the form keeps what was typed and names the field
    post = {**good_item_data, "title": "改过的标题：东湖区与西岭县联合推进网格治理", "revision": item.revision,
            "save": "1", "joint_units": [foreign.pk]}
    response = client.post(reverse("submissions:item_edit", args=[item.pk]), post)
    assert response.status_code == 200 and response.context["form"].errors["joint_units"]
    assert "改过的标题" in response.content.decode()
    item.refresh_from_db()
    assert item.title == good_item_data["title"]


def test_api_writes_lists_and_refuses_unknown_or_foreign_units(network, units, good_item_data):
    township, foreign = units
    api = client_for(network.clerk)
    created = api.post("/api/items/", {**good_item_data, "source_unit": network.county.pk,
                                       "joint_units": [township.pk, network.county.pk]}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["joint_units"] == [township.pk]
    pk = created.json()["id"]
    assert api.get(f"/api/items/{pk}/").json()["joint_units"] == [township.pk]
    for bad in (foreign.pk, 999_999):
        response = api.patch(f"/api/items/{pk}/", {"joint_units": [bad]}, format="json")
        assert response.status_code == 400 and "joint_units" in response.json()["errors"], response.json()
    assert api.patch(f"/api/items/{pk}/", {"joint_units": []}, format="json").json()["joint_units"] == []
