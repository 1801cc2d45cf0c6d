"""The urgent queue on a wall screen (issue 13, point 7): at 1920×1080 the duty room reads it from across the room —
full width, no navigation, large countdowns and alert colours — and it still refreshes by itself and sounds."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alerts.models import Clock
from alerts.services import acknowledge
from infohub.models import Role
from submissions import services as submissions
from tests.factories import person

from .test_clerk_files_an_item import SCREENSHOTS, log_in

pytestmark = pytest.mark.django_db(transaction=True)

# Counts the tones the page plays: a stand-in for the sound card the test machine has not got.
COUNT_BEEPS = """
window.__beeps = 0;
window.AudioContext = class {
  constructor() { this.state = "running"; this.currentTime = 0; this.destination = {}; }
  createOscillator() { return {frequency: {}, connect: (g) => g, start: () => { window.__beeps += 1; }, stop() {}}; }
  createGain() { return {gain: {}, connect: (d) => d}; }
  resume() { return Promise.resolve(); }
};
"""


@pytest.fixture
def wall(browser, browser_context_args) -> Page:
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": 1920, "height": 1080}})
    context.add_init_script(COUNT_BEEPS)
    yield context.new_page()
    context.close()


def _emergency(network, title: str, *, ago: timedelta, place: str = "东湖区"):
    item = submissions.item_create(actor=network.clerk, unit=network.county, data={
        "title": title, "body": f"{title}，现场正在处置。", "category": "emergency", "contact_phone": "0571-88886666",
        "event_place": place, "event_grade": "general", "event_time": timezone.now() - ago})
    return submissions.item_submit(actor=network.clerk, item=item)


def _px(locator, prop: str = "fontSize") -> float:
    return float(locator.evaluate(f"e => getComputedStyle(e).{prop}").removesuffix("px"))


def test_the_wall_screen_reads_across_the_room_refreshes_and_sounds(wall: Page, live_server, network, settings):
    settings.INFOHUB_QUEUE_REFRESH_SECONDS = 1
    duty_officer = person(network.city, Role.DUTY_OFFICER, username="lj_duty", display_name="黄值班")
    # given three open emergencies at the city: one with an hour and a half left, one acknowledged, one overdue
    _emergency(network, "东湖区一化工仓库起火", ago=timedelta(minutes=30))
    seen = _emergency(network, "东湖区湖滨路燃气管道泄漏", ago=timedelta(minutes=50))
    acknowledge(actor=duty_officer, clock=Clock.objects.get(item=seen, level="city"))
    _emergency(network, "东湖区一民房倒塌", ago=timedelta(hours=2, minutes=5))

    # when the duty officer opens the wall screen from the urgent queue on a 1920×1080 screen
    log_in(wall, live_server, duty_officer)
    wall.goto(f"{live_server.url}/alerts/")
    wall.get_by_test_id("wall-link").click()
    expect(wall).to_have_url(re.compile(r"/alerts/wall/$"))

    # then no navigation chrome is there and the queue spans the screen
    expect(wall.locator("header.topbar")).to_have_count(0)
    expect(wall.get_by_role("navigation")).to_have_count(0)
    expect(wall.locator("footer")).to_have_count(0)
    queue = wall.get_by_test_id("urgent-queue")
    assert queue.bounding_box()["width"] >= 1850

    # and the type is read across the room: titles ≥ 30 px, countdowns ≥ 64 px, body text ≥ 24 px
    fire = wall.locator("tr.clock-row", has_text="东湖区一化工仓库起火")
    countdown = fire.locator("[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^1:(2\d|30):\d\d$"))
    assert _px(countdown) >= 64
    assert _px(fire.get_by_role("link")) >= 30
    assert _px(fire.locator("td").nth(3)) >= 24
    assert _px(wall.get_by_test_id("wall-counts").locator("dd").first) >= 50
    expect(wall.get_by_test_id("wall-counts")).to_contain_text("未结")

    # and the overdue row is red, the one nobody acknowledged carries the amber bar, the acknowledged one not
    collapsed = wall.locator("tr.clock-row", has_text="东湖区一民房倒塌")
    expect(collapsed).to_have_class(re.compile(r"\boverdue\b"))
    red, green, blue = map(int, re.findall(r"\d+", collapsed.evaluate("r => getComputedStyle(r).backgroundColor"))[:3])
    assert red > 120 and green < 60 and blue < 60
    assert "inset" in fire.evaluate("r => getComputedStyle(r).boxShadow")
    gas = wall.locator("tr.clock-row", has_text="东湖区湖滨路燃气管道泄漏")
    expect(gas).to_contain_text("✓ 黄值班")
    assert gas.evaluate("r => getComputedStyle(r).boxShadow") == "none"
    expect(wall.get_by_test_id("wall-counts").locator("div").nth(1)).to_contain_text("1")  # overdue
    if SCREENSHOTS:
        wall.screenshot(path=f"{SCREENSHOTS}/wall-screen.png")

    # when the officer turns the sound on, and another emergency is filed meanwhile
    wall.get_by_role("button", name="声音提醒：关").click()
    expect(wall.get_by_role("button", name="声音提醒：开")).to_be_visible()
    beeps = wall.evaluate("window.__beeps")
    _emergency(network, "西岭县山体滑坡阻断省道", ago=timedelta(minutes=10), place="西岭县")

    # then it appears by itself, the banner says so in large type, and the wall sounds
    expect(wall.locator("tr.clock-row", has_text="西岭县山体滑坡阻断省道")).to_be_visible(timeout=5000)
    banner = wall.locator("[data-alert-banner]")
    expect(banner).to_contain_text("新的突发事件")
    assert _px(banner) >= 40
    assert wall.evaluate("window.__beeps") > beeps
    expect(wall.get_by_test_id("wall-counts").locator("div").first).to_contain_text("4")
    if SCREENSHOTS:
        wall.screenshot(path=f"{SCREENSHOTS}/wall-screen-new.png")


LONG_TITLES = [
    "东湖区湖滨街道一老旧小区凌晨发生燃气管道泄漏引发爆燃，造成三栋居民楼部分受损，现场正在组织疏散和搜救",
    "西岭县石桥镇连续强降雨引发山体滑坡，阻断省道二一三线并掩埋两处民房，县应急管理局已启动二级响应",
    "南城区一在建工地塔吊倒塌砸中临时工棚，初步核实三人受伤送医，施工单位负责人已被控制，事故原因正在调查",
    "江南化工园区一企业储罐区发生火灾并伴有浓烟，园区周边三公里范围内学校停课，环境监测部门正在持续监测",
    "东湖区中心医院发生多名患者食用医院食堂午餐后出现呕吐腹泻症状，疑似集体食物中毒，卫健部门已介入调查",
    "临江大桥桥面一辆运载危险化学品的槽罐车与两辆小型客车相撞，造成交通中断，消防和交警部门正在现场处置",
    "西岭县一水库泄洪期间下游河道水位快速上涨，沿岸四个行政村一千二百余名群众需紧急转移，转移工作正在进行",
    "南城区一商业综合体地下车库发生火情，部分顾客被困电梯，消防救援人员已到场，商场已暂停营业并疏散人员",
    "东湖区一小学发生学生集体出现发热咳嗽症状，已有二十余名学生就医，疾控部门正在开展流行病学调查和消杀",
    "石桥镇一处农贸市场发生踩踏事件，造成多人受伤，镇政府已组织力量维护现场秩序并救治伤员，情况正在核实",
]


def test_ten_long_titled_rows_fit_a_1080_pixel_screen_without_scrolling(wall: Page, live_server, network, settings):
    settings.INFOHUB_QUEUE_REFRESH_SECONDS = 1
    duty_officer = person(network.city, Role.DUTY_OFFICER, username="lj_duty", display_name="欧阳值班员")
    # given ten open emergencies at the city, each with a title far longer than a row, some overdue, one acknowledged
    for n, title in enumerate(LONG_TITLES):
        item = _emergency(network, title, ago=timedelta(minutes=25 + 11 * n),
                          place="东湖区湖滨街道滨江社区第三网格临江花园小区")
        if n == 3:
            acknowledge(actor=duty_officer, clock=Clock.objects.get(item=item, level="city"))

    # when the duty officer opens the wall screen at 1920×1080
    log_in(wall, live_server, duty_officer)
    wall.goto(f"{live_server.url}/alerts/wall/")
    rows = wall.locator("tr.clock-row")
    expect(rows).to_have_count(10)

    # then the page does not scroll: every row is on the screen, each title on one line, clipped with an ellipsis
    assert wall.evaluate("document.scrollingElement.scrollHeight") <= 1080
    assert wall.evaluate("document.querySelector('tr.clock-row:last-child').getBoundingClientRect().bottom") <= 1080
    # (measured in one go: htmx redraws the rows every second)
    titles = wall.evaluate("""() => [...document.querySelectorAll("tr.clock-row td.what a")].map((a) => {
      const style = getComputedStyle(a);
      return {overflow: style.textOverflow, clipped: a.scrollWidth > a.clientWidth, title: a.title,
              height: a.getBoundingClientRect().height, size: parseFloat(style.fontSize)};
    })""")
    assert len(titles) == 10
    for title in titles:
        assert title["overflow"] == "ellipsis" and title["clipped"]  # clipped, not wrapped
        assert title["height"] < 2 * title["size"]  # one line
        assert title["size"] >= 30
        assert title["title"] in LONG_TITLES  # the whole title on hover
    assert _px(rows.first.locator("[data-countdown]")) >= 64
    if SCREENSHOTS:
        wall.screenshot(path=f"{SCREENSHOTS}/wall-screen-ten-long-rows.png")

    # and a new emergency's banner does not push the rows off the screen either
    _emergency(network, "临江市区突发大面积停电，全市约三成用户供电中断，电力部门正在抢修恢复供电", ago=timedelta(hours=3))
    expect(wall.locator("[data-alert-banner]")).to_be_visible(timeout=5000)
    expect(rows).to_have_count(10)
    assert wall.evaluate("document.scrollingElement.scrollHeight") <= 1080
    if SCREENSHOTS:
        wall.screenshot(path=f"{SCREENSHOTS}/wall-screen-ten-long-rows-banner.png")
