"""The API keeps its schema (issue 17): schemathesis drives every operation of `/api/schema/` as several people.

Each operation is tried with a bounded number of generated requests, valid ones (POSITIVE) and ones the schema
says are invalid (NEGATIVE), each as one of ROLES (a token of a person of the `world`, with items, hops, clocks and
an issue of a publication in place, so path ids name real objects as well as missing ones). Every answer must pass
the five checks: no 5xx, a status the operation documents, the documented content type, a body that matches the
documented schema (errors: `{"detail", "code", "errors"}`), and every request the schema calls invalid refused
with a 4xx. Each request runs in a savepoint rolled back after it, so every example meets the same world.

`SCHEMATHESIS_EXAMPLES` (default 12) sets the examples per operation and mode.
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from publications import services as publications
from publications.models import DistributionKind, PublicationType, TypeRecipient
from reviews import services as reviews
from reviews.models import Hop
from tests.infohub.conftest import World

pytestmark = pytest.mark.django_db(transaction=False)

ROLES = ("clerk", "director", "city_editor", "city_duty", "city_leader", "anonymous")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))
RUN = Counter()  # (mode, role) → requests made, for the summary


def _schema():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(generated)
    schema.app = get_wsgi_application()
    return schema


SCHEMA = _schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI app would close the test's database connection after each request (as Django's test client
    prevents): keep it, with its transaction and the world in it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def ids(world: World, django_capture_on_commit_callbacks) -> dict:
    """Real ids for each path parameter: the world's objects, and an issue of 临江信息 with one adopted item."""
    net_city = world.hop.office
    people = world.people
    ptype = PublicationType.objects.create(name="临江信息", office=net_city, rhythm="weekly")
    TypeRecipient.objects.create(ptype=ptype, kind=DistributionKind.SEND, unit=net_city, label="市委领导同志")
    with django_capture_on_commit_callbacks(execute=True):
        reviews.review_adopt(actor=people["city_editor"], hop=world.hop, adoption=Hop.Adoption.FULL)
    issue = publications.issue_start(actor=people["city_editor"], ptype=ptype, kind="regular")
    entry = publications.issue_add_item(actor=people["city_editor"], issue=issue, item=world.item)
    return {
        "/api/items/": [world.item.pk, world.secret.pk],
        "/api/inbox/": [world.hop.pk, world.secret_hop.pk],
        "/api/alerts/clocks/": [world.clock.pk, world.secret_clock.pk],
        "/api/publications/issues/": [issue.pk],
        "/api/publications/types/": [ptype.pk],
        "entry_id": [getattr(entry, "pk", None) or issue.entries.get().pk],
        "fmt": ["docx", "pdf"],
    }


def _path_values(operation, ids: dict) -> list[dict]:
    names = [p.name for p in operation.path_parameters]
    if not names:
        return []
    prefix = next((prefix for prefix in ids if operation.path.startswith(prefix)), None)
    values = {"id": ids.get(prefix, []), "entry_id": ids["entry_id"], "fmt": ids["fmt"]}
    if any(not values.get(name) for name in names):
        return []
    return [{name: values[name][i % len(values[name])] for name in names} for i in range(2)]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_operation_keeps_its_schema(operation, world: World, ids: dict):
    tokens = {role: Token.objects.get_or_create(user=world.people[role])[0].key
              for role in ROLES if role != "anonymous"}
    paths = _path_values(operation, ids)
    # An operation that takes no path, query or body (`/api/me/`) has nothing to send that its schema calls
    # invalid: NEGATIVE cannot generate a single request there, so it is tried with POSITIVE requests only.
    takes_input = bool(operation.path_parameters or operation.query or operation.body)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes_input else (GenerationMode.POSITIVE,):
        _try(operation, mode, paths, tokens)


def _try(operation, mode: GenerationMode, paths: list[dict], tokens: dict[str, str]) -> None:
    """EXAMPLES requests of `mode`, each as one of ROLES, some with the real ids; every answer passes CHECKS.
    Without shrinking: a failing request is reported as found (each one costs a request to the app)."""
    strategies = [operation.as_strategy(generation_mode=mode)]
    strategies += [operation.as_strategy(generation_mode=mode, path_parameters=values) for values in paths]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies), role=st.sampled_from(ROLES))
    def run(case, role):
        headers = {"Authorization": f"Token {tokens[role]}"} if role in tokens else {}
        RUN[mode.value, role] += 1
        with transaction.atomic():
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            finally:
                transaction.set_rollback(True)

    run()


def test_zz_summary(capsys):
    """Prints how many requests were made per mode and role (run last, after the operations)."""
    with capsys.disabled():
        print(f"\nschemathesis: {len(OPERATIONS)} operations, {sum(RUN.values())} requests")
        for (mode, role), count in sorted(RUN.items()):
            print(f"  {mode:9} {role:12} {count}")
