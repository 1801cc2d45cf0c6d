"""The monthly score sheet in a browser (issue 16 point 3; a tester's fault): at 1400 px the table ran past its card —
全年累计 hidden to the right — and the unit column wrapped every four characters. It now scrolls inside its card, its
unit column kept in view and on one line; the same on a tablet (1024 px)."""

import pytest
from playwright.sync_api import Page

from infohub.models import Unit
from tests.assessment.handmade import THIS, figures  # noqa: F401  (the fixture)

from .test_clerk_files_an_item import log_in

pytestmark = pytest.mark.django_db(transaction=True)

MEASURE = """() => {
  const card = document.querySelector('[data-testid=sheet]').closest('.card');
  const scroller = document.querySelector('[data-testid=sheet-scroll]') || card;
  const box = e => e.getBoundingClientRect();
  const row = document.querySelector('[data-testid=sheet] tbody tr[data-unit]');
  const unit = row.querySelector('td');
  const name = unit.querySelector('a');
  const year = [...document.querySelectorAll('[data-testid=sheet] thead th')].find(th => th.innerText.trim() === '全年累计');
  return {
    card: [box(card).left, box(card).right], scroller: [box(scroller).left, box(scroller).right],
    scrollable: scroller.scrollWidth - scroller.clientWidth, scrollBar: scroller.offsetHeight - scroller.clientHeight,
    scrollerBottom: box(scroller).bottom, viewport: window.innerHeight,
    doc: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    unit: [box(unit).left, box(unit).right], nameHeight: box(name).height,
    line: parseFloat(getComputedStyle(name).lineHeight) || 24,
    year: [box(year).left, box(year).right],
  };
}"""


@pytest.mark.parametrize("width", [1400, 1024])
def test_the_sheet_scrolls_inside_its_card_with_the_unit_column_in_view(page: Page, live_server, figures,  # noqa: F811
                                                                       width, tmp_path):
    # a unit with a long name (as the province's 江南省人民政府办公厅), and enough columns to be wider than the card
    Unit.objects.filter(pk=figures.department.pk).update(name="临江市应急管理局安全生产监督管理综合办公室")
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, live_server, figures.net.city_editor)
    page.goto(f"{live_server.url}/assessment/{figures.ruleset.pk}/sheet/?month={THIS:%Y-%m}")

    before = page.evaluate(MEASURE)
    page.screenshot(path=str(tmp_path / f"sheet-{width}.png"), full_page=True)
    # a unit's name is one line (it wrapped every four characters)
    assert before["nameHeight"] < 1.6 * before["line"], before
    # the page itself does not scroll sideways; the table scrolls inside the card, within its edges, and its scroll
    # bar is in the window (not below a hundred rows)
    assert before["doc"] <= 0, before
    assert before["scrollable"] > 0, before
    assert before["card"][0] <= before["scroller"][0] and before["scroller"][1] <= before["card"][1] + 0.5, before
    assert before["scrollerBottom"] <= before["viewport"] or before["scrollBar"] == 0, before
    # scrolled to the far right: 全年累计 is inside the card's view, the unit column still at its left edge
    page.locator("[data-testid=sheet]").evaluate(
        "t => { const s = t.closest('[data-testid=sheet-scroll]') || t.closest('.card'); s.scrollLeft = s.scrollWidth; }")
    after = page.evaluate(MEASURE)
    assert after["year"][1] <= after["scroller"][1] + 0.5 and after["year"][0] >= after["unit"][1] - 0.5, after
    assert abs(after["unit"][0] - before["unit"][0]) <= 1.5, (before, after)  # (the table's 1 px border scrolls away)
    page.screenshot(path=str(tmp_path / f"sheet-{width}-scrolled.png"), full_page=True)
    assert "{#" not in page.locator("[data-testid=sheet]").locator("xpath=ancestor::section").inner_text()
