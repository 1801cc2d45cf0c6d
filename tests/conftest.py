import importlib
import uuid
from dataclasses import dataclass

import pytest
from django.apps import apps

from infohub.models import Level, Role, Unit, User
from submissions import services as submissions
from submissions.models import Item

from .factories import UnitFactory, person


@dataclass
class Network:
    province: Unit
    city: Unit
    county: Unit
    other_county: Unit
    clerk: User
    director: User
    other_clerk: User
    city_editor: User


@pytest.fixture(scope="session", autouse=True)
def _celery_eager():
    """Tasks queued by the code under test run in-process; the fault tests start real workers instead."""
    from infohub.celery import app

    app.conf.task_always_eager = True
    yield


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Production hashing costs ~0.4 s a password; tests create many people.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No collectstatic before tests: serve the source files (the manifest is tested by `make run`).
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    # Redis outlives a test's rolled-back data and ids may come again: each test keeps its cache to itself.
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    # The working-day calendar keeps the admin's days a minute per process; a rolled-back test's days go with it.
    from followup.calendar import forget_overrides

    forget_overrides()


@pytest.fixture(autouse=True)
def _rows_the_migrations_seed(request):
    """A transactional test empties every table after it, the rows data migrations seed included (the deadline
    policy table's defaults): put them back exactly as the migration writes them."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & set(
        request.fixturenames)
    if transactional:
        request.getfixturevalue("transactional_db")
        importlib.import_module("alerts.migrations.0002_default_policies").add_defaults(apps, None)


@pytest.fixture
def network(db) -> Network:
    """A province, a city, and two counties each with a clerk; the first county also has a director."""
    province = UnitFactory(name="江南省委办公厅", code="t-jn", level=Level.PROVINCE, parent=None)
    city = UnitFactory(name="临江市委办公室", code="t-lj", level=Level.CITY, parent=province)
    county = UnitFactory(name="东湖区委办公室", code="t-dh", level=Level.COUNTY, parent=city)
    other = UnitFactory(name="西岭县委办公室", code="t-xl", level=Level.COUNTY, parent=city)
    return Network(
        province=province,
        city=city,
        county=county,
        other_county=other,
        clerk=person(county, Role.CLERK, username="dh_clerk"),
        director=person(county, Role.DIRECTOR, username="dh_director"),
        other_clerk=person(other, Role.CLERK, username="xl_clerk"),
        city_editor=person(city, Role.EDITOR, username="lj_editor"),
    )


GOOD_ITEM = {
    "title": "东湖区推行“网格+警格”联动化解基层矛盾",
    "body": "东湖区将全区划为二百一十个网格，网格员与社区民警联动排查，今年以来化解矛盾纠纷四百余起。",
    "category": "work_progress",
    "urgency": "normal",
    "classification": "internal",
    "contact_phone": "0571-88886666",
}


@pytest.fixture
def good_item_data() -> dict:
    return dict(GOOD_ITEM)


@dataclass
class Chain:
    """The shared `network` plus the people of the offices above it and a foreign city."""

    net: Network
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
