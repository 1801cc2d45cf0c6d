"""Every page in Chinese, nothing from the internet (SPEC §10; issue 13, point 11): each demo person logs in and walks
every page they can reach by following links from the start page — one page of each kind (URL pattern) — in real
Chromium. A page fails when its visible text, title, placeholders, labels or buttons hold an English word, or when
it (or anything it loads: styles, scripts, fonts, htmx fragments) asks a host other than the application itself.
The API's documentation pages are walked for the second rule only: they are for other systems' developers."""

import json
import os
import re
from collections import deque
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from alerts import services as alerts
from alerts.models import Lapse
from alerts.sweep import sweep_all
from infohub.models import Unit, User
from project.demo import DEMO_PASSWORD, PEOPLE, UNITS, load_demo
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from submissions.models import Item

from .test_clerk_files_an_item import log_in

pytestmark = pytest.mark.django_db(transaction=True)

PAGES_PER_PERSON = 90
ADMIN_PAGES = 250  # the administrator reaches every model's list, forms and filters
# Latin words a Chinese page may show: the product's name, file formats and the language switcher's "English".
ALLOWED_WORDS = {"InfoHub", "API", "PDF", "Word", "Excel", "English", "OpenAPI", "ReDoc", "Swagger", "JSON", "SMS",
                 "URL", "ID", "WPS", "OFD", "Token", "Django", "Celery", "Redis", "Postgres", "PostgreSQL", "beat"}
WORD = re.compile(r"[A-Za-z][A-Za-z'’]{2,}")
# A token with a digit, "_", "@", "/", "." or "-" inside is an identifier (a username, e-mail, file name, code, URL).
IDENTIFIER = re.compile(r"^\S*[\d_@/.\\:=-]\S*$")
SKIP_PATHS = ("/logout/", "/i18n/", "/static/", "/media/", "/admin/logout/", "/api/schema/")
# Walked for the second rule only: the API's documentation (for other systems' developers).
NETWORK_ONLY = ("/api/docs/", "/api/redoc/")
# What people typed or machines wrote, shown as data: usernames, the demo's unit codes, browsers' user agents (the
# admin's login log), JSON's literals (a read-only JSON field), and the alt text of the admin's yes/no icons, which
# Django writes in English.
DATA_WORDS = ({username for username, _name, _roles in PEOPLE} | {code for code, *_rest in UNITS}
              | {"Mozilla", "AppleWebKit", "KHTML", "like", "Gecko", "HeadlessChrome", "Chrome", "Safari", "Linux",
                 "True", "False", "None", "true", "false", "null"})
# Keys Chinese text names as they are printed on the keyboard ("按住 Control 键或 Mac 上的 Command 键").
KEY_NAMES = {"Control", "Command", "Mac", "Shift", "Enter"}
# Links that download a file rather than show a page.
DOWNLOADS = re.compile(r"/(attachments/\d+/$|export|exports?/|download|roster-template)|\.(docx|pdf|xlsx|csv)$")

# Everything a page shows as text, to a person or a screen reader: the text, and the attributes that speak.
VISIBLE_TEXT = """() => {
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest("script, style, noscript, template, pre, code, textarea, [data-raw]")) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden" || el.closest("[hidden]")) continue;
    texts.push(node.textContent);
  }
  document.querySelectorAll("[placeholder], [title], [aria-label], img[alt], input[type=submit], input[type=button]")
    .forEach((el) => {
      if (el.closest("[hidden], template, [data-raw]")) return;
      for (const name of ["placeholder", "title", "aria-label", "alt"]) if (el.getAttribute(name)) texts.push(el.getAttribute(name));
      if (el.matches("input[type=submit], input[type=button]") && el.value) texts.push(el.value);
    });
  document.querySelectorAll("select:not([hidden]) option").forEach((o) => texts.push(o.textContent));
  return texts;
}"""


def english_words(text: str) -> list[str]:
    """The English words of a text: Latin words of three letters or more that are not an identifier, an acronym
    (LDAP), data (DATA_WORDS), a key's name, a file type people may attach, nor a word of ALLOWED_WORDS."""
    found = []
    if text.strip().startswith(("{", "[")):  # a JSON field's value, shown read-only by the admin: data
        try:
            json.loads(text)
            return []
        except ValueError:
            pass
    for token in text.split():
        if IDENTIFIER.match(token.strip("（）()[]【】「」“”‘’\"'，。、；：！？,;:!?")):
            continue
        found += [w for w in WORD.findall(token) if w not in ALLOWED_WORDS and w not in DATA_WORDS and w not in KEY_NAMES
                  and not w.isupper()
                  and w.lower() not in settings.INFOHUB_ATTACHMENT_EXTENSIONS]
    return found


def _pattern(url: str) -> str:
    """One kind of page: its path with every number as N, and the names of its query's keys ("tab" with its value:
    each tab is a page of its own)."""
    parts = urlsplit(url)
    query = sorted(pair if pair.startswith("tab=") else pair.split("=")[0]
                   for pair in parts.query.split("&") if pair and not pair.startswith(("page=", "o=", "p=")))
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(query) if query else "")


def _activity() -> None:
    """What a network looks like after a day's work, beside the demo's own: a draft, a return, a refusal, a merge,
    an attachment, a follow-up, a chase, and an emergency whose city deadline passed (a 迟报 and its escalations)."""
    people = {u.username: u for u in User.objects.all()}
    units = {u.code: u for u in Unit.objects.all()}
    clerk, director, editor = people["dh_clerk"], people["dh_director"], people["lj_editor"]

    def filed(title, *, unit="lj-dh", who=clerk, boss=director, files=(), **data):
        item = submissions.item_create(actor=who, unit=units[unit], files=files, data={
            "title": title, "body": f"{title}。有关情况正在进一步核实。", "category": "work_progress",
            "contact_phone": "0571-88886666", **data})
        item = submissions.item_submit(actor=who, item=item)
        reviews.signoff_approve(actor=boss, item=item)
        return Hop.objects.get(item=item, status=Hop.Status.RECEIVED)

    submissions.item_create(actor=clerk, unit=units["lj-dh"], data={"title": "东湖区社区养老服务情况（未完）"})
    reviews.review_return(actor=editor, hop=filed("东湖区垃圾分类进展"), reason="请补充具体数字。")
    reviews.review_not_adopt(actor=editor, hop=filed("东湖区召开工作例会"), reason="一般性会议信息，不予采用。")
    one = filed("东湖区湖滨街道强降雨致道路积水", category="emergency", event_place="东湖区湖滨街道",
                event_grade="general", event_time=timezone.now() - timedelta(minutes=50),
                files=[SimpleUploadedFile("现场照片说明.pdf", b"%PDF-1.4 demo")])
    two = filed("湖滨街道强降雨积水情况", unit="lj-xl", who=people["xl_clerk"], boss=people["xl_director"],
                category="emergency", event_place="湖滨街道", event_grade="general",
                event_time=timezone.now() - timedelta(minutes=40))
    reviews.review_merge(actor=editor, hops=[one, two], title="全市强降雨积水情况综合", body="两地报告强降雨积水。")
    late = submissions.item_create(actor=clerk, unit=units["lj-dh"], data={  # awaiting sign-off past its deadline
        "title": "东湖区一仓库凌晨起火", "body": "凌晨一仓库起火，已扑灭。", "category": "emergency",
        "contact_phone": "0571-88886666", "event_place": "东湖区工业园", "event_grade": "general",
        "event_time": timezone.now() - timedelta(hours=2, minutes=30)})
    submissions.item_submit(actor=clerk, item=late)
    first = Item.objects.filter(report_kind="first", source_unit=units["lj-dh"]).order_by("pk").first()
    submissions.item_follow_up(actor=clerk, first=first)
    alerts.chase_record(actor=people["lj_duty"], office=units["lj"], unit=units["lj-xl"], channel="media",
                        summary="网传西岭县石桥镇一处山体滑坡", minutes=30)
    sweep_all()
    assert Lapse.objects.exists()


# Pages draw some parts after they load (htmx: `hx-trigger="load"`): wait until those have come or gone.
SETTLED = "() => !document.querySelector('[hx-trigger~=load]') && !document.querySelector('.htmx-request')"


def _walk(page: Page, base: str, username: str, seen: set) -> dict[str, list[str]]:
    """Log in as `username` and walk one page of each kind reachable from the start page that no one holding the
    same roles walked before (`seen`, shared between them; the start page always). {url: English words}."""
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    queue, found = deque([f"{base}/", f"{base}/api/docs/", f"{base}/api/redoc/"]), {}
    if username == "admin":
        queue.append(f"{base}/admin/")
    mine, visited, limit = set(), 0, ADMIN_PAGES if username == "admin" else PAGES_PER_PERSON
    while queue and visited < limit:
        url = queue.popleft()
        path, kind = urlsplit(url).path, _pattern(url)
        if kind in mine or (kind in seen and path != "/") or path.startswith(SKIP_PATHS) or DOWNLOADS.search(path):
            continue
        mine.add(kind)
        seen.add(kind)
        try:
            response = page.goto(url)
        except PlaywrightError as error:  # a link that downloads a file, which no pattern above foresaw
            if "Download is starting" not in str(error):
                raise
            continue
        visited += 1
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        assert response.status < 500, (username, url, response.status)
        page.wait_for_function(SETTLED, timeout=10000)
        if not urlsplit(page.url).path.startswith(NETWORK_ONLY):
            texts = [" ".join(text.split())[:80] for text in page.evaluate(VISIBLE_TEXT) if english_words(text)]
            if texts:
                found[url] = sorted(set(texts))
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urljoin(page.url, href).split("#")[0]
            if target.startswith(base) and _pattern(target) not in mine:
                queue.append(target)
    return found


def test_every_page_is_in_chinese_and_asks_nothing_of_the_internet(browser, browser_context_args, live_server):
    load_demo()
    _activity()
    base = live_server.url
    local = urlsplit(base).netloc
    outside: list[str] = []
    english: dict[str, dict[str, list[str]]] = {}
    walked: dict[frozenset, set] = {}  # roles held → kinds of page walked by someone holding them
    only = set(filter(None, os.environ.get("E2E_WALK_PEOPLE", "").split(",")))  # to walk a few while fixing
    for username, _name, roles in PEOPLE:
        if only and username not in only:
            continue
        context = browser.new_context(**browser_context_args)

        def only_here(route, request):
            if urlsplit(request.url).netloc != local and not request.url.startswith(("data:", "blob:")):
                outside.append(f"{request.url} (from {request.frame.url})")
                return route.abort()
            return route.continue_()

        context.route("**/*", only_here)
        try:
            found = _walk(context.new_page(), base, username, walked.setdefault(frozenset(r for _u, r in roles), set()))
        finally:
            context.close()
        if found:
            english[username] = found
    problems = [f"asked another host: {url}" for url in sorted(set(outside))]
    problems += [f"English for {who} at {url}: {' | '.join(texts)}" for who, pages in english.items()
                 for url, texts in pages.items()]
    assert problems == [], "\n".join(problems)


# Swagger UI's fixed labels (its chrome), which static/js/swagger-zh.js puts in Chinese; the schema's own text (paths,
# summaries, examples) is the API's and is not walked.
SWAGGER_CHROME = ["Authorize", "Available authorizations", "Parameters", "Name", "Description", "Try it out", "Cancel",
                  "Execute", "Clear", "Responses", "Request URL", "Server response", "Code", "Details",
                  "Response body", "Response headers", "Media type", "Example Value", "Schema", "Links", "No links",
                  "Close", "Value:", "Name:"]
TEXT_NODES = """() => { const out = []; const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) out.push(n.nodeValue.trim()); return out; }"""


def test_the_api_documentation_and_a_page_asked_the_wrong_way_speak_chinese(page: Page, live_server, network):
    log_in(page, live_server, network.clerk)
    # the API's documentation: an operation opened, tried and executed, and the authorization dialog
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_placeholder("按标签筛选")).to_be_visible()
    page.locator(".opblock-tag", has_text="people").click()
    page.locator("#operations-people-me_retrieve .opblock-summary").click()
    page.get_by_role("button", name="试一试").click()
    page.get_by_role("button", name="执行").click()
    expect(page.get_by_text("服务器响应")).to_be_visible()
    page.get_by_role("button", name="认证").first.click()
    expect(page.get_by_text("可用的认证方式")).to_be_visible()
    left = sorted({text for text in page.evaluate(TEXT_NODES) if text in SWAGGER_CHROME})
    assert left == [], left
    assert page.evaluate("document.documentElement.lang") == "zh-hans"

    # a form's address opened as a page (405): the site's frame, in Chinese, with the way back
    answer = page.goto(f"{live_server.url}/reviews/signoff/batch/")
    assert answer.status == 405
    expect(page.get_by_role("heading", name="无法以此方式打开")).to_be_visible()
    expect(page.locator("header.topbar").get_by_role("link", name="工作台", exact=True)).to_be_visible()
    texts = [" ".join(text.split()) for text in page.evaluate(VISIBLE_TEXT) if english_words(text)]
    assert texts == []
    page.get_by_role("link", name="返回工作台").click()
    page.wait_for_url(f"{live_server.url}/")
