"""The monthly score sheet adds up (SPEC §9 columns plus every column that contributes to the total): a reader can add
a row's shown points columns and get its month total — 西岭's lapse deduction and a department's quota deduction were
in the total and in no column (the sheet showed filing and adoption points only). Page and API alike."""
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from assessment.models import Tally
from tests.assessment.handmade import THIS

pytestmark = pytest.mark.django_db

POINT_HEADINGS = ("报送得分", "采用得分", "批示得分", "约稿得分", "迟报漏报扣分", "其他加减分")


def _columns(table: str) -> list[str]:
    """The sheet's column headings in the order of its cells: the first header row, a spanning heading replaced by
    the headings of the second row below it."""
    head = re.search(r"<thead>(.*?)</thead>", table, re.S).group(1)
    head = re.sub(r'<span class="unpriced-note"[^>]*>.*?</span>', "", head)  # "本考核办法不计分" under a heading
    first, second = re.findall(r"<tr>(.*?)</tr>", head, re.S)
    below = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", second, re.S)]
    columns = []
    for attributes, text in re.findall(r"<th([^>]*)>(.*?)</th>", first, re.S):
        span = re.search(r'colspan="(\d+)"', attributes)
        if span:
            columns += [below.pop(0) for _ in range(int(span.group(1)))]
        else:
            columns.append(re.sub(r"<[^>]+>", "", text).strip())
    return columns


def _number(cell: str) -> Decimal:
    return Decimal(re.sub(r"<[^>]+>|\s", "", unescape(cell)).split("（")[0] or "0")


def test_each_rows_month_total_is_the_sum_of_its_shown_points_columns(figures, client):
    # given: 西岭's month: filing 4 and a lapse −30 (−26); the department: filing 2 and −1.5 other (a quota deduction −3, an
    # adjustment +1.5); 东湖: filing 1, adoption 10, an instruction 20, a topic request 5
    Tally.objects.filter(unit=figures.department, month=THIS).update(
        points_other=Decimal("-1.5"), points=Decimal("0.5"), points_topic=Decimal("0"))
    Tally.objects.filter(unit=figures.net.county, month=THIS).update(
        points_instruction=Decimal("20"), points_topic=Decimal("5"), points=Decimal("36"))
    client.force_login(figures.net.city_editor)
    html = client.get(reverse("assessment:sheet", args=[figures.ruleset.pk]), {"month": f"{THIS:%Y-%m}"}).content.decode()
    table = re.search(r'<table class="[^"]*" data-testid="sheet">.*?</table>', html, re.S).group(0)
    columns = _columns(table)
    # then: every points column that adds to the total is shown
    assert all(heading in columns for heading in POINT_HEADINGS), columns
    shown = [columns.index(heading) for heading in POINT_HEADINGS]
    total = columns.index("本月合计")
    rows = re.findall(r'<tr data-unit="(\d+)">(.*?)</tr>', table, re.S)
    assert len(rows) == 3
    for unit, row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        assert len(cells) == len(columns)
        assert sum(_number(cells[i]) for i in shown) == _number(cells[total]), (unit, cells)
    assert "本月合计 = 报送得分 + 采用得分 + 批示得分 + 约稿得分 + 迟报漏报扣分 + 其他加减分" in html
    # and the API's rows, the same
    api = APIClient()
    api.force_authenticate(figures.net.city_editor)
    body = api.get(f"/api/assessment/rulesets/{figures.ruleset.pk}/sheet/", {"month": f"{THIS:%Y-%m}"}).json()
    names = ("points_filing", "points_adoption", "points_instruction", "points_topic", "points_lapse", "points_other")
    for row in body["rows"]:
        assert sum(Decimal(row[name]) for name in names) == Decimal(row["points_month"]), row
    assert {row["unit_name"]: row["points_lapse"] for row in body["rows"]}["西岭县委办公室"] == "-30.00"
