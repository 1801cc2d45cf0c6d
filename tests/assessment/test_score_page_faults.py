"""A tester's faults on the score pages (issue 16): the sheet's 分刊物、分层级采用 columns are the whole sheet's, not
each page's; the ranking as issued is shown for exactly the period it was issued for, by the page and the API alike
(one selector); a group whose scores are all 0 gets no bar chart with a 0.00–0.12 axis."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assessment import charts, selectors
from assessment.models import Bulletin, BulletinRecipient, Tally
from tests.assessment.handmade import THIS

pytestmark = pytest.mark.django_db


def page(client, user, url, data=None) -> str:
    client.force_login(user)
    response = client.get(url, data or {})
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def sheet_header(html: str) -> str:
    return re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)


# --- 2. the sheet's columns are decided for the whole sheet ------------------------------------------------------


def test_the_sheets_publication_columns_are_the_same_on_every_page(figures, client, monkeypatch):
    from assessment import views

    monkeypatch.setattr(views, "SHEET_PAGE", 1)  # one unit a page: only 东湖's page has a publication use
    url = reverse("assessment:sheet", args=[figures.ruleset.pk])
    pages = [page(client, figures.net.city_editor, url, {"month": f"{THIS:%Y-%m}", "page": n}) for n in (1, 2, 3)]
    headers = [sheet_header(html) for html in pages]
    assert all("临江信息" in header for header in headers), [("临江信息" in h) for h in headers]
    assert headers[0] == headers[1] == headers[2]
    # every row has a cell under each of the sheet's columns (a unit with no use there: 0)
    for html in pages:
        row = re.search(r'<tr data-unit="\d+">(.*?)</tr>', html, re.S).group(1)
        assert row.count("<td") == 13 + 1, row


def test_the_api_sheet_names_the_whole_sheets_publication_columns_on_every_page(figures, monkeypatch):
    from assessment import apis

    monkeypatch.setattr(apis.SheetPagination, "page_size", 1)
    api = api_for(figures.net.city_editor)
    url = f"/api/assessment/rulesets/{figures.ruleset.pk}/sheet/"
    bodies = [api.get(url, {"month": f"{THIS:%Y-%m}", "page": n}).json() for n in (1, 2, 3)]
    columns = [body["columns"] for body in bodies]
    assert columns[0] == columns[1] == columns[2]
    assert [(c["ptype_name"], c["level"], c["level_label"]) for c in columns[0]] == [("临江信息", "city", "市")]


def test_the_sheets_columns_are_those_of_the_units_the_reader_sees(figures):
    period = selectors.Period(figures.ruleset, THIS, THIS)
    assert [c["ptype_name"] for c in selectors.sheet_publication_columns(period, unit_ids=None)] == ["临江信息"]
    assert selectors.sheet_publication_columns(period, unit_ids=[figures.net.other_county.pk]) == []
    assert selectors.sheet_publication_columns(period, unit_ids=[]) == []


# --- 3. the ranking as issued: for exactly its period, page and API alike ------------------------------------------


def issue(figures, first: dt.date, last: dt.date, kind=Bulletin.Kind.MONTHLY) -> Bulletin:
    bulletin = Bulletin.objects.create(
        ruleset=figures.ruleset, office=figures.net.city, kind=kind, first_month=first, last_month=last,
        title="临江市政务信息工作通报（测试）", state=Bulletin.State.ISSUED, issued_at=timezone.now(),
        issued_by=figures.chain.city_director, year=THIS.year, number=Bulletin.objects.count() + 1,
        number_label="临办通〔2026〕1号", docx_sha256="0" * 64, xlsx_sha256="0" * 64,
        figures={"groups": [{"group": "district", "label": "县（市、区）", "rows": [
            {"unit_id": figures.net.other_county.pk, "unit": "西岭县委办公室", "rank": 1, "score": "30.00"},
            {"unit_id": figures.net.county.pk, "unit": "东湖区委办公室", "rank": 2, "score": "20.00"}]}]})
    BulletinRecipient.objects.create(bulletin=bulletin, unit=figures.net.county, delivered_at=timezone.now())
    return bulletin


def test_the_ranking_as_issued_is_shown_for_its_own_period_only(figures, client):
    issued = issue(figures, THIS, THIS)
    clerk = figures.net.clerk
    url = reverse("assessment:overview", args=[figures.ruleset.pk])
    api = api_for(clerk)
    ranking = f"/api/assessment/rulesets/{figures.ruleset.pk}/ranking/"
    month = {"period": "month", "month": f"{THIS:%Y-%m}"}
    quarter = {"period": "quarter", "quarter": str((THIS.month + 2) // 3)}

    # its month: the page and the API show it
    html = page(client, clerk, url, month)
    assert 'data-testid="published-district"' in html and issued.title in html
    assert api.get(ranking, month).json()["published"]["bulletin"] == issued.pk
    # the year, the quarter holding the month: neither shows a month's ranking as if it were theirs
    for other in ({"period": "year"}, quarter):
        html = page(client, clerk, url, other)
        assert 'data-testid="published-district"' not in html, other
        section = re.search(r'data-testid="published">(.*?)</section>', html, re.S).group(1)
        assert 'data-testid="not-issued-for-period"' in section
        # … but says where the office did issue one, linked to that period
        assert f"period=month&amp;month={THIS:%Y-%m}" in section and issued.title in section
        assert api.get(ranking, other).json()["published"] is None, other
    # the selector the page and the API share
    assert selectors.published_ranking(clerk, selectors.Period(figures.ruleset, THIS, THIS))["bulletin"] == issued
    year = selectors.Period(figures.ruleset, dt.date(THIS.year, 1, 1), dt.date(THIS.year, 12, 1))
    assert selectors.published_ranking(clerk, year) is None


def test_the_year_end_ranking_is_shown_for_the_year_and_the_latest_of_a_period_wins(figures, client):
    first, last = dt.date(THIS.year, 1, 1), dt.date(THIS.year, 12, 1)
    issue(figures, THIS, THIS)
    yearly = issue(figures, first, last, kind=Bulletin.Kind.YEARLY)
    clerk = figures.net.clerk
    year = selectors.Period(figures.ruleset, first, last)
    assert selectors.published_ranking(clerk, year)["bulletin"] == yearly
    body = api_for(clerk).get(f"/api/assessment/rulesets/{figures.ruleset.pk}/ranking/", {"period": "year"}).json()
    assert body["published"]["bulletin"] == yearly.pk
    # a correction issued later for the same year is the one shown
    again = issue(figures, first, last, kind=Bulletin.Kind.YEARLY)
    assert selectors.published_ranking(clerk, year)["bulletin"] == again
    # the same months asked as custom months are the same period
    html = page(client, clerk, reverse("assessment:overview", args=[figures.ruleset.pk]),
                {"period": "custom", "from": f"{THIS.year}-01", "to": f"{THIS.year}-12"})
    assert 'data-testid="published-district"' in html


# --- 4. a group whose scores are all 0 -----------------------------------------------------------------------------


def test_a_group_scoring_nothing_gets_a_note_not_a_bar_chart(figures, client):
    Tally.objects.filter(ruleset=figures.ruleset, unit=figures.department).update(
        points=Decimal("0"), points_filing=Decimal("0"))
    html = page(client, figures.net.city_editor, reverse("assessment:overview", args=[figures.ruleset.pk]),
                {"period": "month", "month": f"{THIS:%Y-%m}"})
    departments = re.search(r'data-testid="ranking-department".*?</section>', html, re.S).group(0)
    assert "<svg" not in departments and 'data-testid="all-zero"' in departments and "本组得分均为0" in departments
    districts = re.search(r'data-testid="ranking-district".*?</section>', html, re.S).group(0)
    assert "<svg" in districts and 'data-testid="all-zero"' not in districts


def test_the_ranking_bars_of_all_zero_scores_draw_no_axis():
    rows = [{"unit_id": n, "unit_name": f"单位{n}", "score": Decimal("0"), "rank": n} for n in (1, 2, 3)]
    svg = charts.ranking_bars(rows, title="县（市、区）得分排名").svg()
    texts = re.sub(r"<[^>]+>", " ", svg)
    assert "本组得分均为0" in texts and "0.12" not in texts and "0.10" not in texts
    assert not charts.worth_drawing(rows) and charts.worth_drawing([*rows, {"unit_id": 9, "score": "-1"}])
