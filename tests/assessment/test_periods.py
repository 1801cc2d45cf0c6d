"""One parser for the period a figures' page or API call asks for (assessment.periods): the pages and the API accept
and refuse the same months the same way — 2026-3 as 2026-03, full-width digits as digits — and a month that is none
(other scripts' digits, nonsense) is a 400 naming the parameter, never a month guessed."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from assessment import periods
from tests.assessment.handmade import THIS

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def asked(figures, client, api, query: dict) -> tuple[int, int, object]:
    """(the overview page's status, the API ranking's status, the API's body) for one query."""
    client.force_login(figures.net.city_editor)
    page = client.get(reverse("assessment:overview", args=[figures.ruleset.pk]), query)
    answer = api.get(f"/api/assessment/rulesets/{figures.ruleset.pk}/ranking/", query)
    return page.status_code, answer.status_code, answer.json()


@pytest.fixture
def api(figures):
    client = APIClient()
    client.force_authenticate(figures.net.city_editor)
    return client


@pytest.mark.parametrize("typed", [f"{THIS.year}-3", f"{THIS.year}-03", f"{THIS.year}-3".translate(FULL_WIDTH),
                                   f" {THIS.year}-03\u200b"])
def test_a_month_typed_either_way_is_the_same_month_for_the_pages_and_the_api(figures, client, api, typed):
    page, status, body = asked(figures, client, api, {"period": "month", "month": typed})
    assert (page, status) == (200, 200), body
    assert body["period"]["first_month"] == body["period"]["last_month"] == f"{THIS.year}-03-01"


def test_the_sheet_takes_a_month_without_its_leading_zero_too(figures, client, api):
    client.force_login(figures.net.city_editor)
    assert client.get(reverse("assessment:sheet", args=[figures.ruleset.pk]), {"month": f"{THIS.year}-3"}
                      ).status_code == 200
    answer = api.get(f"/api/assessment/rulesets/{figures.ruleset.pk}/sheet/", {"month": f"{THIS.year}-3"})
    assert answer.status_code == 200 and answer.json()["period"]["first_month"] == f"{THIS.year}-03-01"


@pytest.mark.parametrize("query, field", [
    ({"period": "month", "month": f"{THIS.year}-3".translate(ARABIC_INDIC)}, "month"),  # "٣".isdigit() is True
    ({"period": "month", "month": f"{THIS.year}-13"}, "month"),
    ({"period": "month", "month": "三月"}, "month"),
    ({"period": "quarter", "quarter": "٢"}, "quarter"),  # int("٢") == 2 in Python: no quarter here
    ({"period": "quarter", "quarter": "5"}, "quarter"),
    ({"period": "custom", "from": f"{THIS.year}-1", "to": f"{THIS.year}-0"}, "to"),
])
def test_a_month_or_quarter_that_is_none_is_refused_by_both_naming_the_parameter(figures, client, api, query, field):
    page, status, body = asked(figures, client, api, query)
    assert (page, status) == (400, 400)
    assert list(body["errors"]) == [field] and body["errors"][field][0]


def test_a_quarter_typed_full_width_is_that_quarter(figures, client, api):
    page, status, body = asked(figures, client, api, {"period": "quarter", "quarter": "２"})
    assert (page, status) == (200, 200) and body["period"]["first_month"] == f"{THIS.year}-04-01"


def test_the_parser_itself_reads_full_width_digits_when_called_directly(figures):
    period = periods.period_from(figures.ruleset, {"period": "custom", "from": f"{THIS.year}-１", "to": f"{THIS.year}-０３"})
    assert (period.first_month.month, period.last_month.month) == (1, 3)
