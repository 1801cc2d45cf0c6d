"""The figures' pages (issue 16 points 3 and 5; SPEC §9): each renders in Chinese with its figures, every figure
links to the ledger rows behind it and those rows sum to it, a row opens to its cause and its history, charts are
inline SVG, and a bad parameter is a 400 page that says which and why (never a 500)."""
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assessment import selectors
from assessment.models import Bulletin, BulletinRecipient
from tests.assessment.handmade import THIS

pytestmark = pytest.mark.django_db


def page(client, user, url, data=None, status=200) -> str:
    client.force_login(user)
    response = client.get(url, data or {})
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def hrefs(html: str, pattern: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]*)"', html) if pattern in href]


def test_the_index_lists_the_rule_sets_a_person_may_open(figures, client):
    html = page(client, figures.net.city_editor, reverse("assessment:index"))
    assert "考核" in html and "临江市信息工作考核办法" in html and "青山市信息工作考核办法" not in html
    html = page(client, figures.net.clerk, reverse("assessment:index"))
    assert "临江市信息工作考核办法" in html  # assessed under it
    html = page(client, figures.foreign_clerk, reverse("assessment:index"))
    assert "青山市信息工作考核办法" in html and "临江市信息工作考核办法" not in html


def test_the_office_sees_the_ranking_of_every_unit_per_group(figures, client, month_query):
    html = page(client, figures.net.city_editor, reverse("assessment:overview", args=[figures.ruleset.pk]), month_query)
    assert "县（市、区）" in html and "市直部门" in html  # the groups, in Chinese, named as the 通报 names them
    assert "东湖区委办公室" in html and "西岭县委办公室" in html and "临江市应急管理局" in html
    assert "取消评优资格" in html  # 西岭's lapse voided its eligibility
    assert html.count('<svg') >= 3 and 'role="img"' in html  # the groups' bars, adoptions, on time
    # 东湖 ranks first of the counties with 11 points; the figure links to its ledger rows
    row = re.search(rf'<tr data-unit="{figures.net.county.pk}">(.*?)</tr>', html, re.S).group(1)
    assert ">11</a>" in row and re.search(r">\s*1\s*</td>\s*$", row.strip())


def test_a_score_opens_to_the_ledger_rows_that_sum_to_it(figures, client, month_query):
    html = page(client, figures.net.city_editor, reverse("assessment:overview", args=[figures.ruleset.pk]), month_query)
    row = re.search(rf'<tr data-unit="{figures.net.county.pk}">(.*?)</tr>', html, re.S).group(1)
    [score_link] = [h for h in hrefs(row, "/ledger/") if "column=points&" in h or h.endswith("column=points")]
    ledger = page(client, figures.net.city_editor, score_link)
    assert "2 条，合计 11 分" in ledger.replace("\n", "")
    assert "报送信息" in ledger and "市委办单条采用" in ledger and "10 × 1" in ledger
    assert "东湖区推行网格化服务机制" in ledger  # the causes, linked: the item and the issue it was used in
    assert reverse("submissions:item_detail", args=[figures.item.pk]) in ledger
    assert reverse("publications:issue_detail", args=[figures.credit.issue_id]) in ledger


def test_a_ledger_row_shows_its_history_with_the_pricing_runs(figures, client):
    html = page(client, figures.net.city_editor, reverse("assessment:entry", args=[figures.adopted.pk]))
    assert "市委办采用分值调整为10分" in html  # why it was re-priced
    assert "lj_director" in html or figures.chain.city_director.display_name in html  # who asked
    assert ">5</td>" in html and ">10</td>" in html  # the old figure and the new one


def test_the_monthly_sheet_has_the_spec_columns_and_the_adoptions_by_publication(figures, client, month_query):
    html = page(client, figures.net.city_editor, reverse("assessment:sheet", args=[figures.ruleset.pk]),
                {"month": month_query["month"]})
    for heading in ("本月报送", "本年累计报送", "报送得分", "采用得分", "本月合计", "全年累计", "单条", "综合", "临江信息"):
        assert heading in html, heading
    row = re.search(rf'<tr data-unit="{figures.net.county.pk}">(.*?)</tr>', html, re.S).group(1)
    [cell] = [h for h in hrefs(row, "/ledger/") if "ptype=" in h]
    ledger = page(client, figures.net.city_editor, cell)
    assert "1 条，合计 10 分" in ledger.replace("\n", "")


def test_the_unit_page_month_by_month_with_its_people_and_charts(figures, client):
    url = reverse("assessment:unit", args=[figures.ruleset.pk, figures.net.county.pk])
    html = page(client, figures.net.clerk, url)
    assert "东湖区委办公室" in html and "逐月数据" in html
    # the unit's own people: no live group median (in a small group it is another unit's score); the office: all three
    assert html.count("<svg") == 2 and "同组中位数" not in html
    office = page(client, figures.net.city_editor, url)
    assert office.count("<svg") == 3 and "同组中位数" in office
    people = page(client, figures.net.clerk, reverse("assessment:people", args=[figures.ruleset.pk]),
                  {"unit": figures.net.county.pk})
    assert figures.net.clerk.display_name in people


def test_the_drill_down_goes_from_the_office_to_each_branch(figures, client):
    html = page(client, figures.chain.province_editor, reverse("assessment:drill", args=[figures.ruleset.pk]))
    assert "东湖区委办公室" in html and "西岭县委办公室" in html
    links = hrefs(html, "/ledger/")
    assert any(f"area={figures.net.county.pk}" in link for link in links)


def test_a_unit_with_no_branches_drills_to_its_own_figures_without_saying_there_are_none(figures, client, month_query):
    # A direct point's clerk at his drill-down read "本期无数据。" above his own row of figures.
    department = figures.department
    html = page(client, figures.net.city_editor, reverse("assessment:drill", args=[figures.ruleset.pk]),
                {**month_query, "unit": department.pk})
    assert 'data-testid="no-figures"' not in html
    assert f"{department.name}本级" in html


@pytest.mark.parametrize("query, parameter", [
    ({"period": "month", "month": f"{THIS.year}-13"}, "2026-13"),
    ({"period": "month", "month": f"{THIS.year + 1}-01"}, "month"),
    ({"period": "quarter", "quarter": "5"}, "quarter"),
    ({"period": "custom", "from": f"{THIS.year}-05", "to": f"{THIS.year}-02"}, "to"),
    ({"period": "weekly"}, "period"),
])
def test_a_bad_period_is_a_400_page_that_says_why(figures, client, query, parameter):
    html = page(client, figures.net.city_editor, reverse("assessment:overview", args=[figures.ruleset.pk]), query,
                status=400)
    assert 'data-testid="period-errors"' in html and "<svg" not in html


def test_bad_parameters_never_500(figures, client):
    client.force_login(figures.net.city_editor)
    base = reverse("assessment:ledger", args=[figures.ruleset.pk])
    for query, status in (({"column": "nonsense"}, 400), ({"fact": "x"}, 400), ({"level": "mars"}, 400),
                          ({"combined": "maybe"}, 400), ({"ptype": "²"}, 400), ({"person": "-1"}, 400),
                          ({"unit": "99999999999999999999"}, 404), ({"unit": "abc"}, 404),
                          ({"unit": figures.foreign_county.pk}, 404), ({"area": "0"}, 404),
                          ({"page": "999999"}, 200)):
        assert client.get(base, query).status_code == status, query
    assert client.get(reverse("assessment:sheet", args=[figures.ruleset.pk]), {"month": "2026-1x"}).status_code == 400
    assert client.get(reverse("assessment:overview", args=[999999999])).status_code == 404


def test_a_unit_sees_its_own_figures_and_the_ranking_only_as_issued(figures, client, month_query):
    url = reverse("assessment:overview", args=[figures.ruleset.pk])
    html = page(client, figures.net.clerk, url, month_query)
    assert "东湖区委办公室" in html and "西岭县委办公室" not in html and "临江市应急管理局" not in html
    assert 'data-testid="nothing-issued"' in html
    # when: the office issues a ranking to 东湖 (the 通报's figures as kept at issue: not today's, 西岭 first)
    issued = Bulletin.objects.create(
        ruleset=figures.ruleset, office=figures.net.city, kind=Bulletin.Kind.MONTHLY, first_month=THIS,
        last_month=THIS, title="临江市政务信息工作月度通报", state=Bulletin.State.ISSUED, issued_at=timezone.now(),
        issued_by=figures.chain.city_director, year=THIS.year, number=1, number_label=f"临办通〔{THIS.year}〕1号",
        docx_sha256="0" * 64, xlsx_sha256="0" * 64, figures={"groups": [{"group": "district", "label": "县（市、区）",
            "rows": [{"unit_id": figures.net.other_county.pk, "unit": "西岭县委办公室", "rank": 1, "score": "30.00"},
                     {"unit_id": figures.net.county.pk, "unit": "东湖区委办公室", "rank": 2, "score": "20.00"}]}]})
    BulletinRecipient.objects.create(bulletin=issued, unit=figures.net.county, delivered_at=timezone.now())
    # then 东湖's people see that ranking, their own row marked, and the chart of it; still no live rank
    html = page(client, figures.net.clerk, url, month_query)
    published = re.search(r'data-testid="published-district">(.*?)</table>', html, re.S).group(1)
    assert "西岭县委办公室" in published and '<tr class="mine"><td class="num">2</td><td>东湖区委办公室' in published
    assert "县（市、区）通报排名" in html and "临江市政务信息工作月度通报" in html
    assert reverse("assessment:bulletin_detail", args=[issued.pk]) in html
    api = APIClient()
    api.force_authenticate(figures.net.clerk)
    body = api.get(reverse("assessment-ruleset-ranking", args=[figures.ruleset.pk]), month_query).json()
    assert body["published"]["groups"][0]["rows"][0]["unit_name"] == "西岭县委办公室"
    assert [row["rank"] for row in body["rows"]] == [None]
    # 西岭, to which it was not sent, sees no ranking of others
    assert 'data-testid="nothing-issued"' in page(client, figures.net.other_clerk, url, month_query)


def test_selectors_give_what_the_pages_show(figures):
    period = selectors.Period(figures.ruleset, THIS, THIS)
    rows = selectors.adopted_by_publication(period, unit_ids=[figures.net.county.pk])
    assert [(r["ptype_name"], r["level"], r["uses"], r["points"]) for r in rows] == [("临江信息", "city", 1, Decimal("10"))]
    people = selectors.person_stats(period, unit_ids=[figures.net.county.pk])
    clerk = next(r for r in people if r["person_id"] == figures.net.clerk.pk)
    assert (clerk["filed"], clerk["adopted_city"], clerk["points"]) == (1, 1, Decimal("11"))
    director = next(r for r in people if r["person_id"] == figures.net.director.pk)
    assert (director["signed_off"], director["points"]) == (1, 0)


def test_the_ranking_as_issued_is_read_from_the_bulletins_figures():
    figures = {"groups": [
        {"group": "department", "label": "市直部门", "rows": [{"unit_id": 9, "unit": "临江市应急管理局", "rank": 1,
                                                           "score": "2.00"}]},
        {"group": "district", "label": "县（市、区）", "rows": [
            {"unit_id": 3, "unit": "东湖区委办公室", "rank": 1, "score": "11.00"},
            {"unit_id": 4, "unit": "西岭县委办公室", "rank": 2, "score": "-26.00"}, "not a row"]},
        "not a table"], "lapses": []}
    tables = selectors.figures_ranking(figures)
    assert [(t["group"], t["label"]) for t in tables] == [("district", "县（市、区）"), ("department", "市直部门")]
    assert [(r["unit_name"], r["rank"]) for r in tables[0]["rows"]] == [("东湖区委办公室", 1), ("西岭县委办公室", 2)]
    assert selectors.figures_ranking({}) == selectors.figures_ranking(None) == []


def test_a_long_group_shows_its_first_rows_and_pages_through_the_rest(figures, client, month_query, monkeypatch):
    from assessment import views

    monkeypatch.setattr(views, "GROUP_PAGE", 1)
    url = reverse("assessment:overview", args=[figures.ruleset.pk])
    html = page(client, figures.net.city_editor, url, month_query)
    assert "东湖区委办公室" in html and 'data-testid="more-district"' in html and "本组全部 2 个单位" in html
    assert f'<tr data-unit="{figures.net.other_county.pk}">' not in html
    second = page(client, figures.net.city_editor, url, {**month_query, "group": "district", "page": "2"})
    assert f'<tr data-unit="{figures.net.other_county.pk}">' in second and "临江市应急管理局" not in second


@pytest.mark.django_db(transaction=True)  # kept rows are kept only outside a transaction that changed their scopes
def test_the_sheet_is_kept_until_a_pricing_run_changes_its_figures(figures, client, month_query):
    """The sheet's table is kept (infohub.listcache) between pricing runs; a run marks it changed."""
    from assessment import pricing
    from assessment.models import Pricing, Rule, Tally

    url = reverse("assessment:sheet", args=[figures.ruleset.pk])

    def month_total() -> str:
        html = page(client, figures.net.city_editor, url, {"month": month_query["month"]})
        row = re.search(rf'<tr data-unit="{figures.net.county.pk}">(.*?)</tr>', html, re.S).group(1)
        return re.search(r"<strong><a [^>]*>([^<]*)</a></strong>", row).group(1)

    assert month_total() == "11"
    assert month_total() == "11"  # (the first request starts the scope's version, the second keeps the table)
    # a write no pricing run made (the tallies are the runs' alone): the kept table does not see it
    Tally.objects.filter(ruleset=figures.ruleset, unit=figures.net.county).update(points=99)
    assert month_total() == "11"
    # the rule changes and a run re-prices the month: 1 for the filing + 20 for the city's adoption
    Rule.objects.filter(ruleset=figures.ruleset, fact="adopted").update(points=20)
    run = Pricing.objects.create(ruleset=figures.ruleset, kind=Pricing.Kind.REPRICE, first_month=month_query_first(
        month_query), last_month=month_query_first(month_query), reason="采用分值调整")
    pricing.price(ruleset=figures.ruleset, first_month=run.first_month, last_month=run.last_month, pricing=run)
    assert month_total() == "21"


def month_query_first(month_query):
    import datetime as dt

    return dt.date.fromisoformat(month_query["month"] + "-01")
