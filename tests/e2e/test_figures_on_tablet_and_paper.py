"""The figures on a tablet and on paper (issue 16 point 3; a tester's faults): at 1024×768 the navigation's links stay
one line each (they stood as columns of single characters, 工/作/台), and the ranking printed keeps every column — the
card's scrolling cut 迟报/漏报, 得分 and 排名 off the page."""

import re
import subprocess

import pytest
from playwright.sync_api import Page

from tests.assessment.handmade import THIS, figures  # noqa: F401  (the fixture)

from .test_clerk_files_an_item import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_navigation_stays_one_line_per_link_on_a_tablet(page: Page, live_server, figures):  # noqa: F811
    page.set_viewport_size({"width": 1024, "height": 768})
    log_in(page, live_server, figures.net.city_editor)
    page.goto(f"{live_server.url}/assessment/{figures.ruleset.pk}/?period=year")
    links = page.locator("nav.mainnav a")
    assert links.count() >= 8
    line = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('nav.mainnav a')).lineHeight)"
                         " || 24")
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box["height"] < 1.6 * line, (links.nth(i).inner_text(), box)
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_the_ranking_printed_keeps_every_column(page: Page, live_server, figures, tmp_path):  # noqa: F811
    log_in(page, live_server, figures.net.city_editor)
    page.goto(f"{live_server.url}/assessment/{figures.ruleset.pk}/?period=month&month={THIS:%Y-%m}")
    pdf = tmp_path / "ranking.pdf"
    page.emulate_media(media="print")
    pdf.write_bytes(page.pdf(prefer_css_page_size=True, print_background=True))
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    assert "迟报/漏报得分排名" in text, text[:600]  # the headers past the old cut, in the order they stand
