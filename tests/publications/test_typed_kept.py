"""The issue's details form keeps what the editor typed when it is refused (found by trying it as a user): a stale
form, copies out of range or no number, a revision that is no number."""

import pytest
from django.urls import reverse

from .conftest import adopted_item, compiled

pytestmark = pytest.mark.django_db


def test_a_refused_details_form_shows_the_editors_note_again_and_changes_nothing(client, pubs):
    issue = compiled(pubs, [adopted_item(pubs.chain, "东湖区开展冬季安全生产大检查")])
    client.force_login(pubs.editor)
    url = reverse("publications:issue_edit", args=[issue.pk])
    for data in ({"copies": "60", "revision": str(issue.revision - 1)},
                 {"copies": "99999999999999999999", "revision": str(issue.revision)},
                 {"copies": "²", "revision": str(issue.revision)},
                 {"copies": "60", "revision": "abc"}):
        response = client.post(url, {**data, "editor_note": "不能丢的编者按"})
        assert response.status_code in (400, 409), (data, response.status_code)
        page = response.content.decode()
        assert "不能丢的编者按" in page and data["copies"] in page, data
    issue.refresh_from_db()
    assert issue.editor_note == ""
