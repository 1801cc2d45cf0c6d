"""Every HTML form and query string of the product, fed hostile values in every field: huge and negative numbers,
non-ASCII digits, NUL and control characters, 10,000-character strings, dates in year 1 and 9999, wrong types.
Never a 5xx, and nothing unreadable stored (issue 17). Forms are found by reading the pages as a browser does, so
a new form is tried without being named here."""

from html.parser import HTMLParser

import pytest
from django.db import connection, transaction
from django.urls import reverse

from tests.infohub.test_access_matrix import PAGE_DOORS, _ids, _page_url

pytestmark = pytest.mark.django_db

HOSTILE = ("9" * 30, "-1", "²", "١٢٣", "\x00", "a\x07b\x1b", "x" * 10_000, "0001-01-01T00:00", "9999-12-31T23:59",
           "[]", "{}", "true", "")
SINGLE = ("\x00", "9" * 30, "x" * 10_000, "0001-01-01T00:00", "²")
LISTS = ("/", "/items/", "/items/new/", "/reviews/signoff/", "/reviews/inbox/", "/reviews/forwards/", "/alerts/",
         "/alerts/chases/", "/alerts/chases/new/", "/alerts/lapses/", "/notifications/", "/me/")


class Forms(HTMLParser):
    """The forms of a page as a browser would send them: (method, action, {field: shown value})."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, dict]] = []
        self._text = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "form":
            self.forms.append(((attrs.get("method") or "get").lower(), attrs.get("action") or "", {}))
        elif not self.forms:
            return
        elif tag == "input" and name and attrs.get("type") not in ("file", "checkbox", "radio", "submit"):
            self.forms[-1][2][name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._text, self.forms[-1][2][name] = name, ""
        elif tag == "select" and name:
            self._select = name
            self.forms[-1][2].setdefault(name, "")
        elif tag == "option" and self._select and (attrs.get("selected") is not None or "selected" in attrs
                                                   or not self.forms[-1][2][self._select]):
            self.forms[-1][2][self._select] = attrs.get("value") or ""
        elif tag == "button" and name:
            self.forms[-1][2].setdefault(name, attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._text = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._text:
            self.forms[-1][2][self._text] += data


def _forms_of(html: str, page_url: str) -> list[tuple[str, str, dict]]:
    parser = Forms()
    parser.feed(html)
    return [(method, action or page_url, values) for method, action, values in parser.forms
            if not action.startswith(("/i18n/", "/logout/"))]


def _pages(world) -> list[str]:
    urls = list(LISTS)
    for name, (kind, method) in PAGE_DOORS.items():
        if method == "get":
            urls.append(_page_url(name, _ids(world, kind), world))
    return urls


def _no_control_characters_stored() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM submissions_item WHERE title ~ '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f]'"
                       " OR body ~ '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f]' OR return_reason ~ '[\\x01-\\x08\\x0e-\\x1f]'")
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("who", ["clerk", "director", "city_editor", "city_duty"])
def test_every_form_and_query_string_takes_garbage_without_a_5xx(world, client, who):
    client.force_login(world.people[who])
    tried = 0
    for url in _pages(world):
        page = client.get(url)
        assert page.status_code < 500, (who, url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        for method, action, shown in _forms_of(page.content.decode(), url):
            fields = [name for name in shown if name not in ("csrfmiddlewaretoken", "once")]
            # every field at once, then each field alone in an otherwise ordinary form
            attempts = [dict.fromkeys(fields, value) for value in HOSTILE]
            attempts += [{**shown, name: value} for name in fields for value in SINGLE]
            for data in attempts:
                data.pop("once", None)
                with transaction.atomic():
                    response = client.post(action, data) if method == "post" else client.get(action, data)
                    assert response.status_code < 500, (who, method, action, {k: v[:12] for k, v in data.items()},
                                                         response.status_code)
                    _no_control_characters_stored()
                    transaction.set_rollback(True)
                tried += 1
    assert tried > 50  # the pages had forms to try


def test_the_item_editor_keeps_what_was_typed_when_garbage_is_refused(world, client):
    client.force_login(world.people["clerk"])
    response = client.post(reverse("submissions:item_create"), {
        "source_unit": world.item.source_unit_id, "title": "完整的标题", "body": "正文照常保留。", "category": "²",
        "urgency": "\x00", "classification": "9" * 30, "contact_phone": "١٢٣", "event_time": "0001-01-01T00:00"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "完整的标题" in page and "正文照常保留。" in page
