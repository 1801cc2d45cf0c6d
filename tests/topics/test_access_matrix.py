"""Topic requests through the one access rule, at every door (SPEC §7, §11), the same way as
tests/infohub/test_access_matrix.py (which takes this file's PAGE_DOORS and API_KINDS into its list of every door, so a
new topics page or API operation fails there until it is here).

The city office asks 东湖 and 南山; 西岭 (a county of the same city) is not asked; 青山 is a foreign city. Each door is
asked by each person about the request, its board and 东湖's target: the answer is 404 exactly when the person may not
see the object — written out by hand below, not derived from the rule — and never a 5xx.
"""

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from infohub import access
from infohub.models import Notification, Role, User
from tests.factories import person
from topics import services
from topics.models import Answer, Target, TopicRequest

pytestmark = pytest.mark.django_db

# Page doors: URL name → (what its id names, method).
PAGE_DOORS = {
    "topics:request_detail": ("request", "get"),
    "topics:board_export": ("board", "get"),
    "topics:request_withdraw": ("request", "post"),
    "topics:target_act": ("target", "post"),
}
# API doors: the schema's path prefix → what its {id} names (the board's operations: see `_kind`).
API_KINDS = {"/api/topics/requests/{": "request", "/api/topics/targets/{": "target"}
BOARD_OPERATIONS = ("/board/", "/counts/", "/export/")

PEOPLE = ("editor", "city_director", "city_leader", "city_duty", "clerk", "director", "third_clerk", "other_clerk",
          "foreign_editor", "foreign_clerk", "province_editor")
# Who may see what, by hand from SPEC §7 and §11 (anything else is 404).
SEES = {
    # the request: the requesting office's people, and the people of each target unit (东湖, 南山)
    "request": {"editor", "city_director", "city_leader", "city_duty", "clerk", "director", "third_clerk"},
    # its board (every unit's reply) and export: the requesting office's people only
    "board": {"editor", "city_director", "city_leader", "city_duty"},
    # 东湖's target: 东湖's people and the requesting office's
    "target": {"editor", "city_director", "city_leader", "city_duty", "clerk", "director"},
}


@dataclass
class World:
    people: dict[str, User]
    request: TopicRequest
    target: Target
    answer: Answer


@pytest.fixture
def world(topics) -> World:
    chain = topics.chain
    people = {
        "editor": topics.editor, "city_director": chain.city_director,
        "city_leader": person(topics.city, Role.LEADER, username="lj_leader"),
        "city_duty": person(topics.city, Role.DUTY_OFFICER, username="lj_duty"),
        "clerk": topics.clerk, "director": topics.director, "third_clerk": topics.third_clerk,
        "other_clerk": topics.other_clerk, "foreign_editor": chain.foreign_editor,
        "foreign_clerk": topics.foreign_clerk, "province_editor": chain.province_editor,
    }
    request = topics.issue(units=[topics.county, topics.third], subject="基层减负工作进展")
    target = topics.target(request, topics.county)
    answer = services.answer_link(actor=topics.clerk, target=target, item=topics.draft(title="东湖区的回应稿件"))
    return World(people, request, target, answer)


def _ids(world: World, kind: str) -> int:
    return world.target.pk if kind == "target" else world.request.pk


def _page_url(name: str, world: World) -> str:
    kind = PAGE_DOORS[name][0]
    kwargs = {"pk": _ids(world, kind)}
    if name == "topics:target_act":
        kwargs["action"] = "decline"
    return reverse(name, kwargs=kwargs)


def _request(client, method: str, url: str):
    with transaction.atomic():
        response = getattr(client, method)(url, {} if method != "get" else None)
        transaction.set_rollback(True)
    return response


def test_every_page_answers_404_exactly_to_those_who_may_not_see(world, client):
    for who in PEOPLE:
        client.force_login(world.people[who])
        for name, (kind, method) in PAGE_DOORS.items():
            response = _request(client, method, _page_url(name, world))
            seen = who in SEES[kind]
            assert response.status_code < 500, (who, name, response.status_code)
            assert (response.status_code == 404) == (not seen), (who, name, response.status_code)


def _kind(path: str) -> str | None:
    kind = next((k for prefix, k in API_KINDS.items() if path.startswith(prefix)), None)
    if kind == "request" and path.endswith(BOARD_OPERATIONS):
        return "board"
    return kind


def _api_operations():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        kind = _kind(path)
        if kind:
            for method in operations:
                yield method, path, kind


def test_every_api_operation_answers_404_exactly_to_those_who_may_not_see(world):
    operations = list(_api_operations())
    assert len(operations) >= 12
    for who in PEOPLE:
        api = APIClient()
        api.force_authenticate(world.people[who])
        for method, path, kind in operations:
            url = path.replace("{id}", str(_ids(world, kind))).replace("{answer_id}", str(world.answer.pk))
            with transaction.atomic():
                response = getattr(api, method)(url, {}, format="json") if method != "get" else api.get(url)
                transaction.set_rollback(True)
            seen = who in SEES[kind]
            assert response.status_code < 500, (who, method, path, response.status_code)
            assert (response.status_code == 404) == (not seen), (who, method, path, response.status_code)
            if response.status_code == 404:
                assert response.json()["detail"]


LIST_PAGES = ("/", "/topics/", "/topics/?tab=received", "/topics/?tab=office", "/notifications/")
LIST_APIS = ("/api/topics/requests/", "/api/topics/requests/?tab=office", "/api/topics/targets/")


def test_no_list_or_notification_names_what_its_reader_may_not_see(world, client):
    subject = world.request.subject
    for who in PEOPLE:
        user = world.people[who]
        client.force_login(user)
        for url in LIST_PAGES:
            page = client.get(url).content.decode()
            assert (subject in page) <= (who in SEES["request"]), (who, url)
        api = APIClient()
        api.force_authenticate(user)
        for url in LIST_APIS:
            body = api.get(url).content.decode()
            assert (subject in body) <= (who in SEES["request"]), (who, url)
        told = " ".join(Notification.objects.filter(recipient=user).values_list("text", flat=True))
        assert (subject in told) <= (who in SEES["request"]), (who, "notifications")
        # the answer item, a draft, is nobody's but 东湖's
        assert ("东湖区的回应稿件" in client.get(world.request.get_absolute_url()).content.decode()) <= (
            who in {"clerk", "director"}), who


def test_the_rule_answers_alike_for_one_object_a_list_and_an_audience(world):
    everyone = list(world.people.values())
    for obj in (world.request, world.target):
        told = {user.pk for user in access.who_may_see(everyone, obj)}
        for user in everyone:
            listed = access.visible(user, type(obj).objects.all()).filter(pk=obj.pk).exists()
            assert access.may_see(user, obj) == listed == (user.pk in told), (user.username, obj)
