"""A 通报 says only what is true (issue 16 point 4, a fresh tester's faults), each held by a test that failed before its
fix; the .docx is read back with python-docx.

1. A period the rules did not assess (wholly before 施行日期) or with no ranked unit priced is refused — request, issue,
   API (409) and page — instead of a 通报 "to 0 units" saying "各单位均……".
2. A unit that filed nothing is not praised; the quota sentence says whether quotas were assessed at all.
3. A period is issued once; a second 通报 of it only as a declared correction (更正) naming the number it corrects.
4. The bulletin page shows why it may not be issued before anyone clicks, without the 印发 button.
5. An interrupted issue's page says so in its state and shows no stale progress; the director's retry is audited.
6. The .docx: no "采用率为—", no "各月" for one month, the lapses named as they occurred."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.utils import timezone, translation
from docx import Document
from rest_framework.test import APIClient

from assessment import bulletin_docx, bulletin_figures, bulletin_making, bulletins
from assessment.models import Bulletin, Fact, PricedMonth, Pricing, Rule
from infohub.errors import ActionRefused
from infohub.models import AuditLog
from tests.factories import UnitFactory
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import FEB, JAN, MAR, YEAR, _tally, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

APR, JUN = dt.date(YEAR, 4, 1), dt.date(YEAR, 6, 1)


def _text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


def _docx(world, kind, first, last, *, charts=False) -> str:  # noqa: F811
    figures = bulletin_figures.collect(world.ruleset, kind, first, last)
    return _text(bulletin_docx.build(figures, charts=charts))


def _ready(world, capture, kind=Bulletin.Kind.MONTHLY, first=FEB, last=FEB, **kwargs) -> Bulletin:  # noqa: F811
    with capture(execute=True):
        bulletin = bulletins.bulletin_request(ruleset=world.ruleset, kind=kind, first_month=first, last_month=last,
                                              actor=world.editor, **kwargs)
    return Bulletin.objects.get(pk=bulletin.pk)


def _issue(world, bulletin, capture) -> Bulletin:  # noqa: F811
    with capture(execute=True):
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
    return Bulletin.objects.get(pk=bulletin.pk)


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


# --- 1. nothing to assess ------------------------------------------------------------------------------------------


def test_a_period_before_the_rules_came_into_force_is_refused_everywhere(world, client):  # noqa: F811
    # given: the rules in force from April 15th — the first quarter was never assessed under them
    world.ruleset.effective_from = dt.date(YEAR, 4, 15)
    world.ruleset.save()
    with translation.override("zh-hans"), pytest.raises(ActionRefused) as refused:
        bulletins.bulletin_request(ruleset=world.ruleset, kind="quarterly", first_month=JAN, last_month=MAR,
                                   actor=world.editor)
    assert "施行" in refused.value.message and "4月15日" in refused.value.message
    answer = _api(world.editor).post("/api/assessment/bulletins/", {"ruleset": world.ruleset.pk, "kind": "quarterly",
                                                                    "period": 1}, format="json")
    assert answer.status_code == 409 and "施行" in answer.json()["detail"]
    client.force_login(world.editor)
    with translation.override("zh-hans"):
        page = client.post("/assessment/bulletins/new/", {"ruleset": world.ruleset.pk, "period": "quarterly-1"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 400 and "施行" in page.content.decode()
    assert not Bulletin.objects.exists()


def test_a_period_with_no_ranked_unit_priced_is_refused_at_request_and_at_issue(world,  # noqa: F811
                                                                               django_capture_on_commit_callbacks):
    # the second quarter: nothing priced (no tally) — a bulletin would go to nobody, with no 主送 line
    with translation.override("zh-hans"), pytest.raises(ActionRefused, match=r"没有.*计分"):
        bulletins.bulletin_request(ruleset=world.ruleset, kind="quarterly", first_month=APR, last_month=JUN,
                                   actor=world.editor)
    # a draft made while units were priced, then the rules put in force later: the issue is refused too
    bulletin = _ready(world, django_capture_on_commit_callbacks)
    world.ruleset.effective_from = dt.date(YEAR, 3, 1)
    world.ruleset.save()
    with pytest.raises(ActionRefused):
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
    assert Bulletin.objects.get(pk=bulletin.pk).state == Bulletin.State.READY


def test_the_page_says_why_a_period_with_nothing_to_assess_is_refused(world, client):  # noqa: F811
    client.force_login(world.editor)
    with translation.override("zh-hans"):
        page = client.post("/assessment/bulletins/new/", {"ruleset": world.ruleset.pk, "period": "quarterly-2"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 400 and "通报将不涉及任何单位" in page.content.decode()


# --- 2. praise and quotas ------------------------------------------------------------------------------------------


def test_a_unit_that_filed_nothing_is_not_praised(world):  # noqa: F811
    # given: in February a district with points from an adjustment alone, first of its group, and nothing filed
    bonus = UnitFactory(name="北山区委办公室", code="t-bs", level=world.county.level, parent=world.city)
    _tally(world.ruleset, bonus, FEB, points_other="80")
    text = _docx(world, Bulletin.Kind.MONTHLY, FEB, FEB)
    praised = text.split("予以通报表扬：")[1].split("\n四、")[0]
    nothing = text.split("未报送信息：")[1].split("\n五、")[0]
    assert "北山区委办公室" in nothing and "北山区委办公室" not in praised
    assert "东湖区委办公室" in praised  # it filed and scored


def test_the_quota_sentence_says_whether_quotas_were_assessed(world):  # noqa: F811
    from assessment.models import Entry

    Entry.objects.filter(fact=Fact.QUOTA).delete()  # nobody below quota
    # the quota rule priced January to March after they ended: the units under a quota met it
    text = _docx(world, Bulletin.Kind.QUARTERLY, JAN, MAR)
    assert "1月、2月、3月，实行报送定额的单位均完成了规定的信息报送任务。" in text
    assert "各单位均完成了规定的信息报送任务" not in text
    # February priced only while it was under way: its quota not assessed yet
    Pricing.objects.update(finished_at=timezone.make_aware(dt.datetime(YEAR, 2, 20, 12)))
    text = _docx(world, Bulletin.Kind.MONTHLY, FEB, FEB)
    assert "信息报送定额在每月结束后考核，本期尚未考核定额完成情况。" in text
    # the rules in force from March: February owed no quota
    world.ruleset.effective_from = MAR
    world.ruleset.save()
    assert "定额自" in _docx(world, Bulletin.Kind.MONTHLY, FEB, FEB)
    # no quota rule at all
    Rule.objects.filter(fact=Fact.QUOTA).delete()
    text = _docx(world, Bulletin.Kind.MONTHLY, FEB, FEB)
    assert "本考核办法未规定信息报送定额" in text and "各单位均完成" not in text


# --- 3. a period is issued once; a correction names what it corrects ----------------------------------------------


def test_a_second_bulletin_of_an_issued_period_is_only_a_declared_correction(world, client,  # noqa: F811
                                                                           django_capture_on_commit_callbacks):
    first = _issue(world, _ready(world, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    assert first.number_label.endswith(f"〔{timezone.localdate().year}〕1号")
    # asking again without declaring a correction: refused, naming the number, on the service and the API alike
    with translation.override("zh-hans"), pytest.raises(ActionRefused) as refused:
        bulletins.bulletin_request(ruleset=world.ruleset, kind="monthly", first_month=FEB, last_month=FEB,
                                   actor=world.editor)
    assert first.number_label in refused.value.message and "更正" in refused.value.message
    body = {"ruleset": world.ruleset.pk, "kind": "monthly", "period": 2}
    api = _api(world.editor)
    assert api.post("/api/assessment/bulletins/", body, format="json").status_code == 409
    no_reason = api.post("/api/assessment/bulletins/", {**body, "correction": True}, format="json")
    assert no_reason.status_code == 400 and "correction_reason" in no_reason.json()["errors"]
    # nothing issued to correct: refused
    with pytest.raises(ActionRefused):
        bulletins.bulletin_request(ruleset=world.ruleset, kind="monthly", first_month=JAN, last_month=JAN,
                                   actor=world.editor, correction_reason="笔误")
    # declared, with the reason: made, titled （更正）, asked twice gives one
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post("/api/assessment/bulletins/", {**body, "correction": True,
                                                         "correction_reason": "东湖区报送条数统计有误"}, format="json",
                          HTTP_IDEMPOTENCY_KEY="correction-1")
        again = api.post("/api/assessment/bulletins/", {**body, "correction": True,
                                                        "correction_reason": "东湖区报送条数统计有误"}, format="json")
    assert answer.status_code == again.status_code == 202 and answer.json()["id"] == again.json()["id"]
    assert answer.json()["corrects"] == first.pk and answer.json()["corrects_number_label"] == first.number_label
    correction = Bulletin.objects.get(pk=answer.json()["id"])
    assert correction.title == first.title + "（更正）" and correction.state == Bulletin.State.READY
    assert AuditLog.objects.filter(action="bulletin.correction_request", object_id=str(correction.pk)).count() == 1
    text = _text(correction.docx.read())
    assert correction.title in text
    assert f"（{first.number_label}）的更正。更正原因：东湖区报送条数统计有误。原通报作废，以本通报为准。" in text
    # issued under its own number; the list shows it as a correction of the first
    issued = _issue(world, correction, django_capture_on_commit_callbacks)
    assert issued.state == Bulletin.State.ISSUED and issued.number == first.number + 1
    client.force_login(world.editor)
    with translation.override("zh-hans"):
        listing = client.get("/assessment/bulletins/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="correction-mark"' in listing and f"更正 {first.number_label}" in listing
    with translation.override("zh-hans"):
        page = client.get(f"/assessment/bulletins/{issued.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="bulletin-corrects"' in page and "东湖区报送条数统计有误" in page
    # the first is void now, and says by which, on its page, in the list and in the API
    with translation.override("zh-hans"):
        voided = client.get(f"/assessment/bulletins/{first.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="bulletin-superseded"' in voided and f"已由{issued.number_label}更正" in voided
    with translation.override("zh-hans"):
        listing = client.get("/assessment/bulletins/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert listing.count('data-testid="superseded-mark"') == 1 and f"已作废（由{issued.number_label}更正）" in listing
    shown = {row["id"]: row["superseded_by"] for row in api.get("/api/assessment/bulletins/").json()["results"]}
    assert shown[first.pk] == {"id": issued.pk, "number_label": issued.number_label} and shown[issued.pk] is None


# --- 4. the refusal shown before the click -------------------------------------------------------------------------


def test_the_page_shows_why_a_bulletin_cannot_be_issued_before_the_click(world, client,  # noqa: F811
                                                                         django_capture_on_commit_callbacks):
    bulletin = _ready(world, django_capture_on_commit_callbacks)
    client.force_login(world.director)

    def page():
        with translation.override("zh-hans"):
            return client.get(f"/assessment/bulletins/{bulletin.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert 'data-testid="issue"' in page() and 'data-testid="issue-refused"' not in page()
    # a re-pricing changed the period after it was generated
    run = Pricing.objects.create(ruleset=world.ruleset, first_month=FEB, last_month=FEB, state=Pricing.State.DONE,
                                 finished_at=timezone.now() + dt.timedelta(seconds=1), added=3)
    html = page()
    assert 'data-testid="issue-refused"' in html and "重新生成" in html and 'data-testid="issue"' not in html
    assert "暂不能印发" in html.split('data-testid="bulletin-state">')[1][:20]
    with translation.override("zh-hans"):  # and its row in the list reads the same
        listing = client.get("/assessment/bulletins/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "暂不能印发" in listing.split('data-testid="bulletin-row-state">')[1][:60]
    # or the rules changed after February was priced ("办法已修改，尚未重新计分")
    run.delete()
    PricedMonth.objects.create(ruleset=world.ruleset, month=FEB, rules_digest="rules as they were",
                               pricing=Pricing.objects.first(), priced_at=timezone.now())
    html = page()
    assert "尚未重新计分" in html and 'data-testid="issue"' not in html
    # the same reason as the service's
    with translation.override("zh-hans"), pytest.raises(ActionRefused) as refused:
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
    assert refused.value.message in html


# --- 5. an interrupted issue ---------------------------------------------------------------------------------------


def test_an_interrupted_issue_reads_interrupted_and_its_retry_is_audited(world, client,  # noqa: F811
                                                                         django_capture_on_commit_callbacks):
    bulletin = _ready(world, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - dt.timedelta(seconds=bulletins.REQUEUE_SECONDS + 60)
    Bulletin.objects.filter(pk=bulletin.pk).update(state="issuing", issued_by=world.director, queued_at=long_ago)
    bulletin_making._issue_progress(bulletin.pk, 30, "正在生成Word文件")  # the dead worker's last word
    client.force_login(world.director)
    with translation.override("zh-hans"):
        html = client.get(f"/assessment/bulletins/{bulletin.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "通报印发中断" in html
    state = html.split('data-testid="bulletin-state">')[1].split("</dd>")[0]
    assert state == "印发中断"
    assert "正在印发" not in html and "正在生成Word文件" not in html and "30%" not in html
    answer = _api(world.director).get(f"/api/assessment/bulletins/{bulletin.pk}/").json()
    assert answer["state"] == "issuing" and answer["stopped"] is True  # the API tells it from a live issue too
    with django_capture_on_commit_callbacks() as after_commit:
        bulletins.bulletin_issue(bulletin=Bulletin.objects.get(pk=bulletin.pk), actor=world.director)
    retries = AuditLog.objects.filter(action="bulletin.issue_retry", object_id=str(bulletin.pk))
    assert retries.count() == 1 and retries.get().actor_id == world.director.pk
    assert cache.get(bulletin_making._issue_progress_key(bulletin.pk)) is None
    after_commit[0]()
    assert Bulletin.objects.get(pk=bulletin.pk).state == Bulletin.State.ISSUED


# --- 6. the .docx's sentences --------------------------------------------------------------------------------------


def test_the_docx_reads_right_with_no_rate_one_month_and_the_lapse_that_occurred(world):  # noqa: F811
    # March: units priced, nothing filed — no rate to give
    _tally(world.ruleset, world.county, MAR, adopted=1, adopted_city=1, points_adoption="5")
    march = _docx(world, Bulletin.Kind.MONTHLY, MAR, MAR, charts=True)
    assert "采用率" not in march and "—" not in march.split("一、总体情况")[1].split("\n")[1]
    assert "共报送信息0条，被采用1条（其中市级采用1条）；信息获领导批示" in march
    # one month: its figure is not "各月"
    assert "图1　" in march and "各月" not in march and f"图1　{YEAR}年3月信息采用情况" in march
    # the quarter: its months compared, and the criticised unit named for the lapse it had (a 误报), no other
    quarter = _docx(world, Bulletin.Kind.QUARTERLY, JAN, MAR)
    assert "采用率为" in quarter
    criticism = [line for line in quarter.split("\n") if line.startswith("西岭县委办公室：")]
    assert criticism and "发生误报，取消评先评优资格" in criticism[0] and "瞒报" not in criticism[0]
