"""A figure links to the ledger rows behind it only when there are rows behind it (issue 16): a count of a fact the
rule set does not price — rule set B gives no points for filing, nor for a county-level adoption — opened "0 条", an
empty ledger. Such a count is a plain number now, its column headed "本考核办法不计分"; a 0 is a plain 0. Every link on
the figures' pages of the demo (both example rule sets, priced by the engine) opens at least one row."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment.models import RuleSet
from infohub.models import User
from project.demo import load_demo, price_demo

pytestmark = pytest.mark.django_db


def _get(client, url: str, data=None) -> str:
    response = client.get(url, data or {})
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _ledger_links(html: str) -> set[str]:
    return {href.replace("&amp;", "&") for href in re.findall(r'href="([^"]*/ledger/\?[^"]*)"', html)}


def _rows_behind(client, link: str) -> int:
    ledger = _get(client, link)
    return int(re.search(r'data-testid="ledger-total">\D*(\d+) 条', ledger).group(1))  # 共 N 条，合计 …


@pytest.fixture
def demo():
    assert load_demo() is True
    price_demo()
    return {ruleset.office.code: ruleset for ruleset in RuleSet.objects.select_related("office")}


def test_every_figure_link_opens_rows_and_unpriced_counts_are_plain(demo, client):
    month = {"period": "month", "month": f"{timezone.localdate():%Y-%m}"}
    b, a = demo["jn"], demo["lj"]
    client.force_login(User.objects.get(username="jn_editor"))  # the province's office sees B live
    overview = _get(client, reverse("assessment:overview", args=[b.pk]), month)
    # then: B prices no filing: the 报送 column says so and its counts are plain numbers, not links
    row = re.search(r'<tr data-unit="\d+">(.*?)</tr>', overview, re.S).group(1)
    filed = re.findall(r'<td class="num">(.*?)</td>', row, re.S)[0]
    assert "<a " not in filed and 'class="unpriced"' in filed and 'title="本考核办法不计分"' in filed
    heading = re.search(r"<th[^>]*>报送(.*?)</th>", overview, re.S).group(1)
    assert "本考核办法不计分" in heading
    assert not any("fact=filed" in link for link in _ledger_links(overview))
    assert not any("level=county" in link for link in _ledger_links(overview))  # B prices no county adoption
    # and every link left on B's and A's pages opens rows (the ranking, the sheet, a unit's page, the drill-down)
    links = set()
    for ruleset, who in ((b, "jn_editor"), (a, "lj_editor")):
        client.force_login(User.objects.get(username=who))
        links |= _ledger_links(_get(client, reverse("assessment:overview", args=[ruleset.pk]), month))
        links |= _ledger_links(_get(client, reverse("assessment:sheet", args=[ruleset.pk]), {"month": month["month"]}))
        links |= _ledger_links(_get(client, reverse("assessment:drill", args=[ruleset.pk]), month))
        links |= _ledger_links(_get(client, reverse("assessment:people", args=[ruleset.pk]), month))
        dh = User.objects.get(username="dh_clerk").roles.first().unit
        links |= _ledger_links(_get(client, reverse("assessment:unit", args=[ruleset.pk, dh.pk]), month))
        figures = [link for link in links if "unit=" in link or "area=" in link]
        assert len(figures) > 10, ruleset
        for link in sorted(figures):
            ruleset_pk = int(link.split("/assessment/")[1].split("/")[0])
            client.force_login(User.objects.get(username="jn_editor" if ruleset_pk == b.pk else "lj_editor"))
            assert _rows_behind(client, link) > 0, (link, parse_qs(urlsplit(link).query))
        links.clear()


def test_a_nought_is_not_a_link_and_a_priced_count_is(figures, client, month_query):
    from assessment.models import Tally

    # given: the hand-made city rule set prices filing, city adoptions and lapses — not instructions
    Tally.objects.filter(unit=figures.net.county).update(instructions=2)
    client.force_login(figures.net.city_editor)
    html = _get(client, reverse("assessment:overview", args=[figures.ruleset.pk]), month_query)
    row = re.search(rf'<tr data-unit="{figures.net.county.pk}">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
    filed, city, lapses = cells[0], cells[3], cells[-3]
    assert "fact=filed" in filed and "<a " in city  # priced and not 0: links
    assert lapses.strip() == "0"  # a priced fact, none this month: a plain 0, no link to an empty ledger
    instructions = [c for c in cells if 'class="unpriced"' in c and ">2<" in c]
    assert instructions and "本考核办法不计分" in instructions[0]
    assert 'class="unpriced"' in cells[2] and "<a " not in cells[2]  # county adoptions: no rule prices them
