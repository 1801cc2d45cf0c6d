"""The charts (assessment.charts, issue 16 point 5): each SVG parses as XML, is an accessible image, keeps its Chinese
labels as text (not glyph paths), carries ids that cannot collide with another chart's on the same page; each PNG
opens as an image of the size asked; printable: the series differ by pattern, not only by colour."""
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation
from PIL import Image

from assessment import charts

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [dt.date(2026, month, 1) for month in (1, 2, 3)]


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def texts(svg: str) -> str:
    root = ET.fromstring(svg)
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def adoptions():
    return charts.adoptions_per_month([
        {"month": month, "adopted_county": 3, "adopted_city": 2, "adopted_province": index, "adopted_central": 0}
        for index, month in enumerate(MONTHS)])


def ranking():
    rows = [{"unit_id": n, "unit_name": f"第{n}区委办公室", "score": Decimal(100 - 5 * n), "rank": n}
            for n in range(1, 21)]
    return charts.ranking_bars(rows, highlight=18, top=5)


def on_time():
    return charts.on_time_rate([{"month": "2026-01", "on_time": 4, "late": 1}, {"month": "2026-02", "on_time": 0,
                                                                                "late": 0}])


def median():
    return charts.against_median([{"month": month, "points": Decimal(10 * n), "median": Decimal("15")}
                                  for n, month in enumerate(MONTHS, 1)], unit_name="东湖区委办公室")


ALL = {"adoptions": adoptions, "ranking": ranking, "on_time": on_time, "median": median}


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_the_svg_is_an_accessible_image_with_its_text_as_text(make):
    chart = make()
    svg = chart.svg()
    root = ET.fromstring(svg)  # parses: no prologue, well-formed
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("viewBox") and root.get("width") is None
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == chart.title
    assert root.get("aria-labelledby") == title.get("id")
    assert root.find(f".//{SVG}path[@class='glyph']") is None and "<defs>\n  <path id=\"DejaVu" not in svg
    assert re.search(r"[\u4e00-\u9fff]", texts(svg)), "the Chinese labels are <text>"


def test_each_chart_names_its_figures_in_chinese():
    assert {"各级采用情况（按月）", "县级", "市级", "省级", "1月", "3月"} <= set(texts(adoptions().svg()).split())
    ranked = texts(ranking().svg())
    assert "1. 第1区委办公室" in ranked and "18. 第18区委办公室" in ranked  # the top five and the viewer's unit
    assert "6. 第6区委办公室" not in ranked and "得分" in ranked
    timely = texts(on_time().svg())
    assert "按时报送" in timely and "迟报" in timely and "80%" in timely and "按时报送率" in timely
    compared = texts(median().svg())
    assert "东湖区委办公室与同组中位数对比" in compared and "同组中位数" in compared and "30" in compared


def test_two_charts_on_one_page_share_no_id():
    first, second = ranking().svg(), ranking().svg()
    ids = re.findall(r'\bid="([^"]+)"', first)
    assert ids and not set(ids) & set(re.findall(r'\bid="([^"]+)"', second))
    for reference in re.findall(r"url\(#([^)]+)\)|href=\"#([^\"]+)\"", first):
        assert next(filter(None, reference)) in ids  # every reference points inside its own chart


def test_the_viewers_unit_is_marked_by_pattern_and_weight_not_only_colour():
    svg = ranking().svg()
    root = ET.fromstring(svg)
    [pattern] = root.iter(f"{SVG}pattern")  # one hatched bar: the viewer's
    assert f"url(#{pattern.get('id')})" in svg
    [bold] = [node for node in root.iter(f"{SVG}text") if "第18区委办公室" in "".join(node.itertext())]
    assert "font-weight: 700" in bold.get("style", "")


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_the_png_opens_at_print_resolution(make):
    png = make().png(dpi=180)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    image.verify()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width >= 1200  # 7.2 in × 180 dpi ≈ 1296 px
    assert image.info.get("dpi", (180, 180))[0] == pytest.approx(180, abs=1)


def test_empty_data_draws_a_chart_that_says_so():
    assert "本期无采用。" in texts(charts.adoptions_per_month([]).svg())
    assert "本期无排名单位。" in texts(charts.ranking_bars([]).svg())
    assert "本期无应报的紧急信息。" in texts(charts.on_time_rate([]).svg())
    assert "本期无数据。" in texts(charts.against_median([], unit_name="东湖区委办公室").svg())
    assert charts.adoptions_per_month([]).png()[:4] == b"\x89PNG"


def test_text_in_the_data_is_escaped():
    chart = charts.ranking_bars([{"unit_id": 1, "unit_name": "<b>&单位</b>", "score": 1, "rank": 1}],
                                title="A <script> & B")
    svg = chart.svg()
    ET.fromstring(svg)
    assert "<script>" not in svg and "<b>" not in svg


def _months(count: int, first: int = 1) -> list[dt.date]:
    return [dt.date(2026, month, 1) for month in range(first, first + count)]


def _bar_widths(chart) -> list[float]:
    """The widths of a chart's bars as a share of the axis' width (what the page shows)."""
    axes = chart.figure.axes[0]
    low, high = axes.get_xlim()
    return [round(bar.get_width() / (high - low), 4) for bar in axes.patches]


@pytest.mark.parametrize("count, first", [(3, 4), (1, 3), (12, 1)], ids=["quarter", "month", "year"])
def test_a_period_chart_draws_the_periods_months_only_across_the_whole_width(count, first):
    # given: a quarter (April to June), a month or the year, each month with something to draw
    months = _months(count, first)
    adoptions = charts.adoptions_per_month([{"month": month, "adopted_county": 2, "adopted_city": 1}
                                            for month in months])
    on_time = charts.on_time_rate([{"month": month, "on_time": 3, "late": 1} for month in months])
    median = charts.against_median([{"month": month, "points": Decimal(5), "median": Decimal(4)} for month in months],
                                   unit_name="东湖区委办公室")
    for chart in (adoptions, on_time, median):
        axes = chart.figure.axes[0]
        # then: the axis holds the period's months and no empty month beside them (a quarter was drawn on six slots)
        assert axes.get_xlim() == pytest.approx((-0.6, count - 0.4))
        assert [tick.get_text() for tick in axes.get_xticklabels()] == [f"{month.month}月" for month in months]


def test_a_quarters_bars_keep_a_months_width():
    # a quarter's bars are no wider on the page than a half year's: the months spread out, the bars do not swell
    quarter = charts.adoptions_per_month([{"month": m, "adopted_county": 1} for m in _months(3)])
    half = charts.adoptions_per_month([{"month": m, "adopted_county": 1} for m in _months(6)])
    year = charts.adoptions_per_month([{"month": m, "adopted_county": 1} for m in _months(12)])
    assert set(_bar_widths(quarter)) == set(_bar_widths(half))
    assert max(_bar_widths(year)) < max(_bar_widths(half))
