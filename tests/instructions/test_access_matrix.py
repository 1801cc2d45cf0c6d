"""Leader instructions through the one access rule, at every door (SPEC §6, §11), as tests/infohub/test_access_matrix.py
does for items (which takes this file's PAGE_DOORS and API_KINDS into its list of every door, so a new instruction
page or API operation fails there until it is here).

Each door is asked by each person about an instruction of the city office assigned to the county (lead) and the other
county (supporting), the county's assignment, its feedback (with an attachment) and its request for more time: the
answer is 404 exactly when the person may not see the object — written out by hand below — and never a 5xx."""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from infohub.models import Notification, Role, User
from instructions import selectors, services
from instructions.models import Assignment, Extension, Feedback, Instruction
from tests.factories import person

from .conftest import assigned

pytestmark = pytest.mark.django_db

# Page doors: URL name → (what its id names, method, extra kwargs).
PAGE_DOORS = {
    "instructions:detail": ("instruction", "get", {}),
    "instructions:assign": ("instruction", "post", {}),
    "instructions:act": ("instruction", "post", {"action": "report"}),
    "instructions:assignment": ("assignment", "get", {}),
    "instructions:assignment_act": ("assignment", "post", {"action": "sign"}),
    "instructions:feedback_act": ("feedback", "post", {"action": "signoff"}),
    "instructions:attachment": ("feedback", "get", {"attachment_pk": None}),
    "instructions:extension_act": ("extension", "post", {"action": "refuse"}),
}
# API doors: the schema's path prefix → what its {id} names (longest prefixes first).
API_KINDS = {
    "/api/instructions/assignments/{": "assignment",
    "/api/instructions/feedback/{": "feedback",
    "/api/instructions/extensions/{": "extension",
    "/api/instructions/{": "instruction",
}

PEOPLE = ("leader", "editor", "director", "city_duty", "county_clerk", "county_director", "other_clerk",
          "other_director", "foreign_editor", "public_leader")
OFFICE = {"leader", "editor", "director", "city_duty"}
SEES = {
    # the instruction: the leader's office (its leaders, editors, directors, duty officers); not the units
    "instruction": OFFICE,
    # the county's assignment, its feedback and its request: the county's people and the office; not the other county
    "assignment": OFFICE | {"county_clerk", "county_director"},
    "feedback": OFFICE | {"county_clerk", "county_director"},
    "extension": OFFICE | {"county_clerk", "county_director"},
}


@dataclass
class World:
    people: dict[str, User]
    ids: dict[str, int]
    attachment_pk: int


@pytest.fixture
def world(office, settings) -> World:
    instruction = assigned(office)
    lead = instruction.assignments.get(unit=office.county)
    feedback = services.feedback_post(
        actor=office.county_clerk, assignment=lead, kind=Feedback.Kind.PROGRESS, text="进展",
        files=[SimpleUploadedFile("进展.pdf", b"%PDF-1.4 test", content_type="application/pdf")])
    extension = services.extension_request(actor=office.county_clerk, assignment=lead, working_days=2, reason="协调")
    city = office.city
    people = {
        "leader": office.leader, "editor": office.editor, "director": office.director,
        "city_duty": person(city, Role.DUTY_OFFICER, username="lj_duty_m"),
        "county_clerk": office.county_clerk, "county_director": office.county_director,
        "other_clerk": office.other_clerk, "other_director": office.other_director,
        "foreign_editor": office.foreign_editor,
        "public_leader": person(office.chain.foreign_city, Role.LEADER, username="qs_leader"),
    }
    return World(people=people, ids={"instruction": instruction.pk, "assignment": lead.pk, "feedback": feedback.pk,
                                     "extension": extension.pk},
                 attachment_pk=feedback.attachments.get().pk)


def _url(world: World, name: str) -> str:
    kind, _method, extra = PAGE_DOORS[name]
    kwargs = {"pk": world.ids[kind], **extra}
    if "attachment_pk" in kwargs:
        kwargs["attachment_pk"] = world.attachment_pk
    return reverse(name, kwargs=kwargs)


def test_every_page_answers_404_exactly_to_those_who_may_not_see(world, client):
    for who in PEOPLE:
        client.force_login(world.people[who])
        for name, (kind, method, _extra) in PAGE_DOORS.items():
            with transaction.atomic():
                response = getattr(client, method)(_url(world, name), {} if method == "post" else None)
                transaction.set_rollback(True)
            assert response.status_code < 500, (who, name, response.status_code)
            assert (response.status_code == 404) == (who not in SEES[kind]), (who, name, response.status_code)


def test_every_api_operation_answers_404_exactly_to_those_who_may_not_see(world):
    operations = list(_api_operations())
    assert len(operations) >= 14
    for who in PEOPLE:
        api = APIClient()
        api.force_authenticate(world.people[who])
        for method, path, kind in operations:
            url = path.replace("{id}", str(world.ids[kind]))
            with transaction.atomic():
                response = getattr(api, method)(url, {}, format="json") if method != "get" else api.get(url)
                transaction.set_rollback(True)
            assert response.status_code < 500, (who, method, path, response.status_code)
            assert (response.status_code == 404) == (who not in SEES[kind]), (who, method, path, response.status_code)


def _api_operations():
    """(method, path template, kind) of every instruction operation in the OpenAPI schema whose path names an object."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        kind = next((k for prefix, k in API_KINDS.items() if path.startswith(prefix)), None)
        if kind is None or "{" not in path:
            continue
        for method in operations:
            yield method, path, kind


def test_lists_and_notifications_name_only_what_their_reader_may_see(world, client):
    titles = {"instruction": Instruction.objects.get().title}
    for who in PEOPLE:
        user = world.people[who]
        seen_instructions = set(selectors.instructions_visible(user).values_list("pk", flat=True))
        assert (world.ids["instruction"] in seen_instructions) == (who in SEES["instruction"]), who
        seen_assignments = set(selectors.assignments_visible(user).values_list("pk", flat=True))
        assert (world.ids["assignment"] in seen_assignments) == (who in SEES["assignment"]), who
        if who in ("other_clerk", "other_director"):  # they see their own part, not the county's
            assert seen_assignments == set(Assignment.objects.filter(unit__code="t-xl").values_list("pk", flat=True))
        client.force_login(user)
        page = client.get(reverse("instructions:list")).content.decode()
        assert (titles["instruction"] in page) == bool(seen_instructions or seen_assignments), who
        for note in Notification.objects.filter(recipient=user):
            if "/instructions/assignments/" in note.url:
                pk = int(note.url.rstrip("/").split("/")[-1])
                assert pk in seen_assignments, (who, note.text)
            elif "/instructions/" in note.url:
                assert int(note.url.rstrip("/").split("/")[-1]) in seen_instructions, (who, note.text)


def test_instructing_on_an_item_one_may_not_see_is_404(world, client, office):
    client.force_login(world.people["public_leader"])
    response = client.get(reverse("instructions:instruct") + f"?item={office.item.pk}")
    assert response.status_code == 404
    api = APIClient()
    api.force_authenticate(world.people["public_leader"])
    response = api.post("/api/instructions/", {"item": office.item.pk, "kind": "handle", "text": "x"}, format="json")
    assert response.status_code == 404
    assert not Extension.objects.exclude(state="pending").exists()
