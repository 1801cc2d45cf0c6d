"""Publications through the one access rule, at every door (SPEC §8, §11), the same way as
tests/infohub/test_access_matrix.py (which takes this file's PAGE_DOORS and API_KINDS into its list of every door,
so a new publication page or API operation fails there until it is here).

Each door is asked by each person about a signed issue (sent to the province, the city's own leaders and the county),
an issue being compiled, a signed issue marked 秘密, and a publication type: the answer is 404 exactly when the person
may not see the object — written out by hand below, not derived from the rule — and never a 5xx.
"""

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from infohub import access
from infohub.models import AuditLog, Notification, Role, User
from publications import services
from publications.models import Issue, PublicationType
from tests.factories import person

from .conftest import adopted_item, compiled, signed

pytestmark = pytest.mark.django_db

# Page doors: URL name → method. Every one names an issue.
PAGE_DOORS = {
    "publications:issue_detail": "get",
    "publications:issue_print": "get",
    "publications:export": "get",
    "publications:download": "get",
    "publications:entry_add": "post",
    "publications:entry_change": "post",
    "publications:issue_order": "post",
    "publications:issue_edit": "post",
    "publications:issue_act": "post",
}
# API doors: the schema's path prefix → what its {id} names.
API_KINDS = {"/api/publications/issues/{": "issue", "/api/publications/types/{": "pubtype"}

PEOPLE = ("editor", "director", "city_leader", "city_duty", "public_leader", "province_leader", "province_editor",
          "county_director", "county_clerk", "other_clerk", "foreign_editor", "foreign_director")
# Who may see what, by hand from SPEC §8 and §11 (anything else is 404).
SEES = {
    # the signed issue: its office's editor and director; every recipient unit's office roles (the city's own leader
    # and duty officer — the city sends it to its leaders —, the province's leader and editor, the county's director);
    # not a county clerk (no office role), not a foreign office, not a leader cleared only for 公开
    "signed": {"editor", "director", "city_leader", "city_duty", "province_leader", "province_editor",
               "county_director"},
    # being compiled: only its office's own editor and director; it has reached nobody
    "draft": {"editor", "director"},
    # signed and marked 秘密: of the above, only those cleared for it
    "secret": {"editor", "director", "province_leader"},
    # the type: its office, and the units it is sent to by default
    "pubtype": {"editor", "director", "city_leader", "city_duty", "public_leader", "province_leader",
                "province_editor", "county_director"},
}


@dataclass
class World:
    people: dict[str, User]
    issues: dict[str, Issue]
    ptype: PublicationType
    titles: dict[str, str]


@pytest.fixture
def world(pubs, settings) -> World:
    settings.INFOHUB_MAX_CLASSIFICATION = "secret"
    chain = pubs.chain
    net = chain.net
    people = {
        "editor": pubs.editor, "director": pubs.director, "city_leader": pubs.city_leader,
        "city_duty": person(net.city, Role.DUTY_OFFICER, username="lj_duty"),
        "public_leader": person(net.city, Role.LEADER, username="lj_leader_public", clearance="public"),
        "province_leader": pubs.province_leader, "province_editor": chain.province_editor,
        "county_director": net.director, "county_clerk": net.clerk, "other_clerk": net.other_clerk,
        "foreign_editor": chain.foreign_editor, "foreign_director": chain.foreign_director,
    }
    for who in ("editor", "director", "province_leader"):
        people[who].clearance = "secret"
        people[who].save()
    net.clerk.clearance = "secret"
    net.clerk.save()
    cleared_director = person(net.county, Role.DIRECTOR, username="dh_director_secret", clearance="secret")
    titles = {"signed": "东湖区化解矛盾纠纷四百余起", "draft": "东湖区老旧小区改造提速", "secret": "涉密：某重点工程进展"}
    issues = {
        "signed": signed(pubs, compiled(pubs, [adopted_item(chain, titles["signed"])])),
        "draft": compiled(pubs, [adopted_item(chain, titles["draft"])], ptype=pubs.daily),
        "secret": signed(pubs, compiled(pubs, [adopted_item(chain, titles["secret"], classification="secret",
                                                            director=cleared_director)])),
    }
    return World(people, issues, pubs.weekly, titles)


def _page_url(name: str, issue: Issue) -> str:
    kwargs = {"pk": issue.pk}
    if name == "publications:entry_change":
        kwargs["entry_pk"] = issue.entries.first().pk
    if name in ("publications:export", "publications:download"):
        kwargs["fmt"] = "docx"
    if name == "publications:issue_act":
        kwargs["action"] = "submit"
    return reverse(name, kwargs=kwargs)


def _request(client, method: str, url: str, data=None, **extra):
    """One request whose effects are rolled back, so every person meets the same world."""
    with transaction.atomic():
        response = getattr(client, method)(url, data if method != "get" else None, **extra)
        transaction.set_rollback(True)
    return response


def test_every_page_answers_404_exactly_to_those_who_may_not_see(world, client):
    for who in PEOPLE:
        client.force_login(world.people[who])
        for key, issue in world.issues.items():
            for name, method in PAGE_DOORS.items():
                response = _request(client, method, _page_url(name, issue), {})
                seen = who in SEES[key]
                assert response.status_code < 500, (who, key, name, response.status_code)
                assert (response.status_code == 404) == (not seen), (who, key, name, response.status_code)


def _api_operations():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        kind = next((k for prefix, k in API_KINDS.items() if path.startswith(prefix)), None)
        if kind:
            for method in operations:
                yield method, path, kind


def test_every_api_operation_answers_404_exactly_to_those_who_may_not_see(world):
    operations = list(_api_operations())
    assert len(operations) >= 18
    objects = {"issue": ("signed", "draft", "secret"), "pubtype": ("pubtype",)}
    for who in PEOPLE:
        api = APIClient()
        api.force_authenticate(world.people[who])
        for method, path, kind in operations:
            for key in objects[kind]:
                issue = world.issues.get(key)
                pk = world.ptype.pk if kind == "pubtype" else issue.pk
                url = path.replace("{id}", str(pk)).replace("{fmt}", "docx")
                if "{entry_id}" in url:
                    url = url.replace("{entry_id}", str(issue.entries.first().pk))
                with transaction.atomic():
                    response = getattr(api, method)(url, {}, format="json") if method != "get" else api.get(url)
                    transaction.set_rollback(True)
                seen = who in SEES[key]
                if path.endswith("/download/{fmt}/") and seen:  # seen, but no file made yet: 404 with its reason
                    assert response.json()["code"] == "not_ready", (who, key, path)
                    continue
                assert response.status_code < 500, (who, method, path, key, response.status_code)
                assert (response.status_code == 404) == (not seen), (who, method, path, key, response.status_code)
                if response.status_code == 404:
                    assert response.json()["detail"]


def test_starting_an_issue_of_a_type_one_may_not_see_is_404(world, client):
    for who in PEOPLE:
        client.force_login(world.people[who])
        response = _request(client, "post", reverse("publications:issue_start"), {"type": world.ptype.pk})
        assert (response.status_code == 404) == (who not in SEES["pubtype"]), who
        api = APIClient()
        api.force_authenticate(world.people[who])
        with transaction.atomic():
            response = api.post("/api/publications/issues/", {"ptype": world.ptype.pk}, format="json")
            transaction.set_rollback(True)
        expected = 201 if who == "editor" else (403 if who in SEES["pubtype"] else 404)
        assert response.status_code == expected, (who, response.status_code)


def test_a_classified_issue_read_is_audited_exactly_once_at_every_door(world, client):
    reader = world.people["province_leader"]
    issue = world.issues["secret"]
    reads = AuditLog.objects.filter(object_type="publications.issue", object_id=str(issue.pk),
                                    action__in=["item.view", "item.print"])
    client.force_login(reader)
    for name in ("publications:issue_detail", "publications:issue_print", "publications:download"):
        before = reads.count()
        assert client.get(_page_url(name, issue)).status_code in (200, 302), name
        assert reads.count() == before + 1, name
    api = APIClient()
    api.force_authenticate(reader)
    before = reads.count()
    assert api.get(f"/api/publications/issues/{issue.pk}/").status_code == 200
    assert reads.count() == before + 1
    # the unclassified one is not audited
    client.get(_page_url("publications:issue_detail", world.issues["signed"]))
    assert not AuditLog.objects.filter(object_id=str(world.issues["signed"].pk), action="item.view").exists()


# The county's people see their own items' titles (the items, not the issues): in their adopted items' list. The city's
# leader sees the items adopted at the city office (the rule: they reached the office) on the start page, awaiting
# reading and instruction (instructions.selectors.leader_start_page) — not the secret one, above their clearance.
OWN_ITEMS = {"county_clerk": {"signed", "draft", "secret"}, "county_director": {"signed", "draft"},
             "city_leader": {"draft"}}
LIST_PAGES = ("/publications/", "/publications/?tab=received", "/publications/?tab=office",
              "/publications/?tab=to_sign", "/publications/adopted/", "/")
LIST_APIS = ("/api/publications/issues/", "/api/publications/issues/?tab=received", "/api/publications/credits/",
             "/api/publications/types/")


def test_no_list_or_notification_names_what_its_reader_may_not_see(world, client):
    for who in PEOPLE:
        user = world.people[who]
        hidden = [title for key, title in world.titles.items()
                  if who not in SEES[key] and key not in OWN_ITEMS.get(who, ())]
        client.force_login(user)
        for url in LIST_PAGES:
            page = client.get(url).content.decode()
            assert not [t for t in hidden if t in page], (who, url)
        api = APIClient()
        api.force_authenticate(user)
        for url in LIST_APIS:
            body = api.get(url).content.decode()
            assert not [t for t in hidden if t in body], (who, url)
        told = " ".join(Notification.objects.filter(recipient=user).values_list("text", flat=True))
        assert not [t for t in hidden if t in told], (who, "notifications")


def test_the_recipients_find_the_signed_issue_in_their_list(world, client):
    issue = world.issues["signed"]
    for who in ("city_leader", "province_leader", "province_editor", "county_director"):
        client.force_login(world.people[who])
        assert issue.title_label in client.get("/publications/?tab=received").content.decode(), who
        assert Notification.objects.filter(recipient=world.people[who], verb="issue.signed").exists(), who


def test_the_rule_answers_alike_for_one_object_a_list_and_an_audience(world):
    everyone = list(world.people.values())
    for obj in (*world.issues.values(), world.ptype):
        told = {user.pk for user in access.who_may_see(everyone, obj)}
        for user in everyone:
            listed = access.visible(user, type(obj).objects.all()).filter(pk=obj.pk).exists()
            assert access.may_see(user, obj) == listed == (user.pk in told), (user.username, obj)


def test_what_a_person_may_do_is_what_the_lists_offer(world):
    """The rights build the lists: the director's "to sign" holds what he may sign, and nobody else's does."""
    pubs_editor, director = world.people["editor"], world.people["director"]
    draft = world.issues["draft"]
    services.issue_submit(actor=pubs_editor, issue=draft)
    services.issue_review(actor=director, issue=draft)
    from publications.selectors import issue_list

    for who in PEOPLE:
        listed = list(issue_list(world.people[who], tab="to_sign"))
        assert listed == ([Issue.objects.get(pk=draft.pk)] if who == "director" else []), who
