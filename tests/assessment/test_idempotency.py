"""An Idempotency-Key names one request (infohub.idempotency, shared by every endpoint): the same key again with the
same body is a retry and gets the first answer; the same key with another body is not — 422
`idempotency_key_reused`, the reason in Chinese, and nothing done. On the 通报 API: a key that asked for January's
bulletin, sent again asking for February's, used to answer January's bulletin as if February's had been asked."""
import pytest
from rest_framework.test import APIClient

from assessment.models import Bulletin
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def test_a_key_reused_with_another_body_is_refused_and_runs_nothing(world, django_capture_on_commit_callbacks):  # noqa: F811
    from rest_framework.authtoken.models import Token

    api = APIClient()  # as another system calls: a token (the key is read before the view authenticates)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=world.editor)[0].key}")
    january = {"ruleset": world.ruleset.pk, "kind": "monthly", "period": 1}
    with django_capture_on_commit_callbacks(execute=False):
        first = api.post("/api/assessment/bulletins/", january, format="json", HTTP_IDEMPOTENCY_KEY="tongbao-1")
        # a retry — the same data, its keys in another order — gets the first answer
        again = api.post("/api/assessment/bulletins/", dict(reversed(january.items())), format="json",
                         HTTP_IDEMPOTENCY_KEY="tongbao-1")
        # the same key asking for February
        february = api.post("/api/assessment/bulletins/", {**january, "period": 2}, format="json",
                            HTTP_IDEMPOTENCY_KEY="tongbao-1")
    assert first.status_code == again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert february.status_code == 422, february.content
    body = february.json()
    assert body["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in body["detail"] and "已用于另一个请求" in body["detail"] and "新的" in body["detail"]
    assert body["errors"] == {"Idempotency-Key": ["已用于另一个请求。"]}
    assert list(Bulletin.objects.values_list("first_month__month", flat=True)) == [1]  # February's never asked
    # February with its own key is asked for
    with django_capture_on_commit_callbacks(execute=False):
        own = api.post("/api/assessment/bulletins/", {**january, "period": 2}, format="json",
                       HTTP_IDEMPOTENCY_KEY="tongbao-2")
    assert own.status_code == 202 and own.json()["first_month"].endswith("-02-01")
