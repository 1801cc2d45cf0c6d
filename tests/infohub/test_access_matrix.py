"""The one access rule, tried at every door (SPEC §11; issue 11).

Every page and API operation that shows or acts on an item, a hop or a clock is enumerated from the URL patterns
and from the OpenAPI schema: a new one that this file does not know fails `test_every_door_is_in_the_matrix`.
Each door is then asked by each person about their own, a foreign and an above-clearance object: the answer is
404 exactly when the person may not see the object (written out by hand below, not derived from the rule), and
never a 5xx. Every read of a classified item is audited exactly once, whichever door it came through.
"""


import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from infohub import access
from infohub.models import AuditLog, Notification, Role
from submissions import services as submissions
from tests.assessment.test_access_matrix import API_KINDS as ASSESSMENT_API_KINDS
from tests.assessment.test_access_matrix import PAGE_DOORS as ASSESSMENT_PAGE_DOORS
from tests.assessment.test_bulletin_access import API_KINDS as BULLETIN_API_KINDS
from tests.assessment.test_bulletin_access import PAGE_DOORS as BULLETIN_PAGE_DOORS
from tests.infohub.conftest import World
from tests.instructions.test_access_matrix import API_KINDS as INSTRUCTION_API_KINDS
from tests.instructions.test_access_matrix import PAGE_DOORS as INSTRUCTION_PAGE_DOORS
from tests.publications.test_access_matrix import API_KINDS as PUBLICATION_API_KINDS
from tests.publications.test_access_matrix import PAGE_DOORS as PUBLICATION_PAGE_DOORS
from tests.topics.test_access_matrix import API_KINDS as TOPIC_API_KINDS
from tests.topics.test_access_matrix import PAGE_DOORS as TOPIC_PAGE_DOORS

pytestmark = pytest.mark.django_db

# Page doors: URL name → (what its id names, method). Lists carry no id and are checked for leaks instead.
PAGE_DOORS = {
    "submissions:item_detail": ("item", "get"),
    "submissions:item_edit": ("item", "get"),
    "submissions:item_print": ("item", "get"),
    "submissions:item_submit": ("item", "post"),
    "submissions:item_withdraw": ("item", "post"),
    "submissions:item_follow_up": ("item", "post"),
    "submissions:attachment_download": ("item", "get"),
    "submissions:attachment_delete": ("item", "post"),
    "reviews:signoff_detail": ("item", "get"),
    "reviews:signoff_approve": ("item", "post"),
    "reviews:signoff_return": ("item", "post"),
    "reviews:lineage": ("item", "get"),
    "reviews:item_duplicates": ("item", "get"),
    "reviews:same_event": ("item", "post"),
    "reviews:hop_detail": ("hop", "get"),
    "reviews:hop_edit": ("hop", "get"),
    "reviews:hop_act": ("hop", "post"),
    "alerts:clock_detail": ("clock", "get"),
    "alerts:acknowledge": ("clock", "post"),
    "alerts:phone_report": ("clock", "post"),
    "alerts:lapse_create": ("item", "get"),
}
# API doors: the schema's path prefix → what its {id} names.
API_KINDS = {"/api/items/{": "item", "/api/inbox/{": "hop", "/api/alerts/clocks/{": "clock"}
# Doors that show the object (GET): a classified read through them is audited, exactly once per request.
# (Likely duplicates name other items, as a list does, not the item's content: no read of it.)
READ_DOORS = {name for name, (_kind, method) in PAGE_DOORS.items() if method == "get"} - {
    "alerts:lapse_create", "reviews:item_duplicates"}

PEOPLE = ("clerk", "director", "other_clerk", "city_editor", "city_director", "city_leader", "city_duty",
          "public_duty", "province_editor", "foreign_editor")
# Who may see what, written out by hand from SPEC §11 (✓ sees, anything else 404).
SEES = {
    # the emergency: its unit's people; every office it reached (the city by its hop, the province and centre by
    # their deadline clocks); not a foreign unit, a foreign city, or a duty officer cleared only for 公开
    "item": {"clerk", "director", "city_editor", "city_director", "city_leader", "city_duty", "province_editor"},
    # the city's hop: the city office's people only
    "hop": {"city_editor", "city_director", "city_leader", "city_duty"},
    # the city's clock: the reporting unit, the waiting city office and the offices above it
    "clock": {"clerk", "director", "city_editor", "city_director", "city_leader", "city_duty", "province_editor"},
}


def _ids(world: World, kind: str, secret: bool = False) -> dict:
    if secret:
        return {"item": world.secret.pk, "hop": world.secret_hop.pk, "clock": world.secret_clock.pk}[kind]
    return {"item": world.item.pk, "hop": world.hop.pk, "clock": world.clock.pk}[kind]


def _page_url(name: str, pk: int, world: World) -> str:
    from django.urls import reverse

    kwargs = {"item_pk": pk} if name == "alerts:lapse_create" else {"pk": pk}
    if name.startswith("submissions:attachment"):
        kwargs["attachment_pk"] = world.attachment_pk
    if name == "reviews:hop_act":
        kwargs["action"] = "adopt"
    return reverse(name, kwargs=kwargs)


def _patterns(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", str(entry.pattern)


def _api_operations():
    """(method, path template, kind) of every operation in the OpenAPI schema whose path names an object."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        if "{" not in path:
            continue
        kind = next((k for prefix, k in API_KINDS.items() if path.startswith(prefix)), None)
        for method in operations:
            yield method, path, kind


def test_every_door_is_in_the_matrix():
    """A URL or API operation that names an object by id must be in this file's matrix: a new endpoint cannot be
    forgotten."""
    item_showing = [name for name, route in _patterns() if "<" in route and not name.startswith("admin:")
                    and "(?P<" not in route and not name.startswith(("api-", "item-", "hop-", "clock-"))]
    # Publications', leader instructions', topic requests', the figures' and the bulletins' doors are asked in their own
    # matrices (tests/publications/, tests/instructions/, tests/topics/, tests/assessment/test_access_matrix.py and
    # test_bulletin_access.py), the same way.
    known = (set(PAGE_DOORS) | set(PUBLICATION_PAGE_DOORS) | set(INSTRUCTION_PAGE_DOORS) | set(TOPIC_PAGE_DOORS)
             | set(ASSESSMENT_PAGE_DOORS) | set(BULLETIN_PAGE_DOORS))
    assert sorted(set(item_showing) - known) == [], "pages missing from the access matrix"
    assert sorted(known - set(item_showing)) == [], "the matrix names pages that no longer exist"
    unknown = [(method, path) for method, path, kind in _api_operations()
               if kind is None and not path.startswith((*PUBLICATION_API_KINDS, *INSTRUCTION_API_KINDS,
                                                        *TOPIC_API_KINDS, *ASSESSMENT_API_KINDS,
                                                        *BULLETIN_API_KINDS))]
    assert unknown == [], "API operations missing from the access matrix (API_KINDS)"


def _request(client, method: str, url: str):
    """One request whose effects are rolled back, so every person meets the same world."""
    with transaction.atomic():
        response = getattr(client, method)(url, {} if method != "get" else None)
        transaction.set_rollback(True)
    return response


def test_every_page_answers_404_exactly_to_those_who_may_not_see(world, client):
    for who in PEOPLE:
        client.force_login(world.people[who])
        for name, (kind, method) in PAGE_DOORS.items():
            response = _request(client, method, _page_url(name, _ids(world, kind), world))
            seen = who in SEES[kind]
            assert response.status_code < 500, (who, name, response.status_code)
            assert (response.status_code == 404) == (not seen), (who, name, response.status_code)


def test_every_api_operation_answers_404_exactly_to_those_who_may_not_see(world):
    operations = [(method, path, kind) for method, path, kind in _api_operations() if kind in SEES]
    assert len(operations) >= 20
    for who in PEOPLE:
        api = APIClient()
        api.force_authenticate(world.people[who])
        for method, path, kind in operations:
            url = path.replace("{id}", str(_ids(world, kind))).replace("{pk}", str(_ids(world, kind)))
            with transaction.atomic():
                response = getattr(api, method)(url, {}, format="json") if method != "get" else api.get(url)
                transaction.set_rollback(True)
            seen = who in SEES[kind]
            assert response.status_code < 500, (who, method, path, response.status_code)
            assert (response.status_code == 404) == (not seen), (who, method, path, response.status_code)
            if response.status_code == 404:
                assert response.json()["detail"]  # the error shape, and nothing about the object


def test_above_clearance_is_404_at_every_door_and_audits_nothing(world, client):
    """The city editor is cleared for 内部, not for 秘密: the secret item, its hop and its clock do not exist for him."""
    client.force_login(world.people["city_editor"])
    before = AuditLog.objects.filter(action__in=["item.view", "item.print"]).count()
    for name, (kind, method) in PAGE_DOORS.items():
        if name.startswith("submissions:attachment"):
            continue  # the secret item has no attachment
        assert _request(client, method, _page_url(name, _ids(world, kind, secret=True), world)).status_code == 404, name
    assert AuditLog.objects.filter(action__in=["item.view", "item.print"]).count() == before


def test_a_classified_read_is_audited_exactly_once_at_every_door(world, client):
    client.force_login(world.reader)
    reads = AuditLog.objects.filter(object_id=str(world.secret.pk), action__in=["item.view", "item.print"])
    for name in sorted(READ_DOORS - {"submissions:attachment_download"}):
        kind = PAGE_DOORS[name][0]
        before = reads.count()
        response = client.get(_page_url(name, _ids(world, kind, secret=True), world))
        assert response.status_code in (200, 302), (name, response.status_code)
        assert reads.count() == before + 1, name
        assert reads.first().data["door"]
    api = APIClient()
    api.force_authenticate(world.reader)
    for url in (f"/api/items/{world.secret.pk}/", f"/api/items/{world.secret.pk}/versions/",
                f"/api/items/{world.secret.pk}/lineage/", f"/api/inbox/{world.secret_hop.pk}/",
                f"/api/alerts/clocks/{world.secret_clock.pk}/"):
        before = reads.count()
        assert api.get(url).status_code == 200, url
        assert reads.count() == before + 1, url
    # acting is not reading: an action's answer writes its own audit row, no read
    before = reads.count()
    api.post(f"/api/inbox/{world.secret_hop.pk}/adopt/", {"adoption": "full"}, format="json")
    assert reads.count() == before


LIST_PAGES = ("/", "/items/", "/reviews/signoff/", "/reviews/inbox/", "/reviews/inbox/duplicates/",
              "/reviews/forwards/", "/alerts/", "/alerts/wall/", "/alerts/chases/", "/alerts/lapses/", "/notifications/")
LIST_APIS = ("/api/items/", "/api/signoff/", "/api/inbox/", "/api/forwards/", "/api/alerts/clocks/",
             "/api/alerts/chases/", "/api/alerts/lapses/")


def test_no_list_queue_or_notification_names_what_its_reader_may_not_see(world, client):
    titles = {"item": world.item.title, "secret": world.secret.title}
    for who in (*PEOPLE, "reader"):
        user = world.reader if who == "reader" else world.people[who]
        hidden = [titles["item"]] if who not in {*SEES["item"], "reader"} else []  # the reader: a city editor
        if not user.may_open("secret"):
            hidden.append(titles["secret"])
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


def test_the_rule_answers_alike_for_one_object_a_list_and_an_audience(world):
    """may_see (one object), visible (a queryset) and audience (the people told) are the same rule."""
    everyone = [*world.people.values(), world.reader]
    for obj in (world.item, world.hop, world.clock, world.secret, world.secret_hop, world.secret_clock):
        told = {user.pk for user in access.who_may_see(everyone, obj)}
        for user in everyone:
            listed = access.visible(user, type(obj).objects.all()).filter(pk=obj.pk).exists()
            assert access.may_see(user, obj) == listed == (user.pk in told), (user.username, obj)


def test_a_sign_off_list_offers_only_what_the_director_may_sign(chain, good_item_data, client):
    """A director who also drafts: his own item is not in his sign-off list, as the action would refuse it."""
    net = chain.net
    net.director.roles.create(unit=net.county, role=Role.CLERK)
    own = submissions.item_create(actor=net.director, unit=net.county, data={**good_item_data, "title": "本人撰写"})
    own = submissions.item_submit(actor=net.director, item=own)
    theirs = submissions.item_create(actor=net.clerk, unit=net.county, data={**good_item_data, "title": "信息员撰写"})
    theirs = submissions.item_submit(actor=net.clerk, item=theirs)
    client.force_login(net.director)
    page = client.get("/reviews/signoff/").content.decode()
    assert "信息员撰写" in page and "本人撰写" not in page
    from reviews.permissions import SIGN_OFF
    from reviews.selectors import signoff_queue

    assert [i.pk for i in signoff_queue(net.director)] == [theirs.pk]
    assert SIGN_OFF.allows(net.director, theirs) and not SIGN_OFF.allows(net.director, own)
