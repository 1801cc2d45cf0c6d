"""Faults a tester found in the 通报 (issue 16 point 4), each held by a test that failed before its fix."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext

from assessment import bulletin_figures, bulletin_making, bulletins
from assessment.models import Bulletin
from infohub.errors import ActionRefused
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import FEB, JAN, MAR, world  # noqa: F401  (a fixture)


def _row(unit_id, score, rank, *, voids_award=False):
    return {"unit_id": unit_id, "unit": f"单位{unit_id}", "score": score, "rank": rank, "voids_award": voids_award,
            "zeroed": False}


def test_a_unit_tied_with_one_above_the_foot_is_not_criticised_as_at_the_back():
    # The demo's year-end ranking: two townships 0 points (ranked 1st, tied), two counties below quota. The second of
    # the tied units sits in the last three rows, but it shares the first place: "排名靠后（第1名）" was printed.
    group = {"label": "县（市、区）", "rows": [_row(1, "0.00", 1), _row(2, "0.00", 1), _row(3, "-168.50", 3),
                                               _row(4, "-216.50", 4, voids_award=True)]}
    named = bulletin_figures._praise_and_criticism([group])
    assert named["praised"] == []  # nobody with points
    assert [(r["unit_id"], r["reason"]) for r in named["criticised"]] == [
        (3, "得分排名靠后（第3名，共4家）"),
        (4, "得分排名靠后（第4名，共4家）；紧急信息报送出现问题，取消评先评优资格")]  # no lapse named: none said


def test_ties_at_the_foot_are_criticised_together():
    group = {"label": "县（市、区）", "rows": [_row(1, "51.50", 1), _row(2, "3.50", 2), _row(3, "0.00", 3),
                                               _row(4, "0.00", 3), _row(5, "0.00", 3)]}
    named = bulletin_figures._praise_and_criticism([group])
    assert [r["unit_id"] for r in named["praised"]] == [1, 2]
    assert [(r["unit_id"], r["reason"]) for r in named["criticised"]] == [
        (3, "得分排名靠后（第3名，共5家）"), (4, "得分排名靠后（第3名，共5家）"), (5, "得分排名靠后（第3名，共5家）")]


def test_every_unit_tied_for_the_last_place_is_criticised_and_none_when_all_share_the_first():
    group = {"label": "市直部门", "rows": [_row(1, "9.00", 1), _row(2, "4.00", 2), *[_row(n, "0.00", 3) for n in (3, 4, 5, 6)]]}
    named = bulletin_figures._praise_and_criticism([group])
    assert [r["unit_id"] for r in named["criticised"]] == [3, 4, 5, 6]
    group = {"label": "市直部门", "rows": [_row(n, "0.00", 1) for n in (1, 2, 3, 4)]}
    assert bulletin_figures._praise_and_criticism([group]) == {"praised": [], "criticised": []}


def test_an_issued_bulletins_state_reads_issued_not_the_time_of_issue():
    # "Issued" alone is the column of the time it was issued (发布时间); the state said "状态：发布时间" and the refusal to
    # issue twice "这份通报的状态是“发布时间”".
    with translation.override("zh-hans"):
        assert str(Bulletin.State.ISSUED.label) == "已印发"
        assert Bulletin(state=Bulletin.State.ISSUED).get_state_display() == "已印发"
        assert dict(Bulletin.State.choices)["issued"] == "已印发"
        assert gettext("Issued") == "发布时间"  # the time's label stays


def test_the_apis_refusal_of_a_period_speaks_the_readers_language():
    # POST /api/assessment/bulletins/ {"kind": "quarterly", "period": 5} answered "A quarterly bulletin needs its
    # quarter (1–4)." to a Chinese reader.
    from assessment.bulletin_apis import BulletinRequestSerializer

    with translation.override("zh-hans"):
        for body, reason in [({"kind": "monthly"}, "月度通报须指明月份（1–12）。"),
                             ({"kind": "quarterly", "period": 5}, "季度通报须指明季度（1–4）。"),
                             ({"kind": "yearly", "period": 1}, "年终考评涵盖全年，不需指明期间。")]:
            serializer = BulletinRequestSerializer(data={"ruleset": 1, **body})
            assert not serializer.is_valid()
            assert serializer.errors["period"] == [reason]


# --- a worker that dies while it generates a bulletin ---------------------------------------------------------------


@pytest.fixture
def other_session():
    """A second database session (as another worker's), for holding a bulletin's generation lock."""
    settings = connection.settings_dict
    with psycopg.connect(dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"] or None,
                         host=settings["HOST"] or None, port=settings["PORT"] or None, autocommit=True) as session:
        yield session


def _left_running(world, kind=Bulletin.Kind.QUARTERLY, first=JAN, last=MAR):  # noqa: F811
    """The state a worker killed while generating leaves: "being generated", 30 %, and nobody generating it."""
    bulletin = Bulletin.objects.create(ruleset=world.ruleset, office=world.ruleset.office, kind=kind,
                                       first_month=first, last_month=last, title="关于……的通报", requested_by=world.editor,
                                       queued_at=timezone.now(), started_at=timezone.now(),
                                       state=Bulletin.State.RUNNING, progress=30, stage="正在生成Word文件")
    return bulletin


def test_a_bulletin_left_being_generated_by_a_dead_worker_is_taken_up_again(world):  # noqa: F811
    # The tester killed the worker's pool process at "正在生成Word文件 30%": the task came back (acks_late) but found the
    # bulletin not queued and returned, and the page said 30 % for ever — asking again answered the same bulletin and
    # "重新生成" was refused ("只有已生成或生成失败的通报可以重新生成").
    bulletin = _left_running(world)
    assert bulletins.stalled(bulletin)
    assert bulletins.may_regenerate(world.editor, bulletin)
    bulletin_making.bulletin_generate(bulletin.pk)  # the message delivered again
    bulletin.refresh_from_db()
    assert (bulletin.state, bulletin.progress) == ("ready", 100) and bulletin.docx and bulletin.xlsx
    assert not bulletins.stalled(bulletin)


def test_asking_again_or_generating_again_restarts_a_stalled_bulletin(world,  # noqa: F811
                                                                      django_capture_on_commit_callbacks):
    bulletin = _left_running(world)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs after the commit
        again = bulletins.bulletin_request(ruleset=world.ruleset, kind=Bulletin.Kind.QUARTERLY, first_month=JAN,
                                           last_month=MAR, actor=world.editor)
    assert again.pk == bulletin.pk
    assert Bulletin.objects.get(pk=bulletin.pk).state == "ready"
    stalled = _left_running(world, Bulletin.Kind.MONTHLY, FEB, FEB)
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_regenerate(bulletin=stalled, actor=world.editor)
    assert Bulletin.objects.get(pk=stalled.pk).state == "ready"


def test_a_bulletin_a_live_worker_generates_is_left_to_it(world, other_session,  # noqa: F811
                                                          django_capture_on_commit_callbacks):
    bulletin = _left_running(world)
    other_session.execute("SELECT pg_advisory_lock(%s, %s)", [bulletin_making.LOCK_CLASS, bulletin.pk])
    assert not bulletins.stalled(bulletin) and not bulletins.may_regenerate(world.editor, bulletin)
    bulletin_making.bulletin_generate(bulletin.pk)  # a second delivery while the first worker works: left alone
    assert Bulletin.objects.get(pk=bulletin.pk).progress == 30
    with pytest.raises(ActionRefused, match="正在生成"):
        bulletins.bulletin_regenerate(bulletin=bulletin, actor=world.editor)
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_request(ruleset=world.ruleset, kind=Bulletin.Kind.QUARTERLY, first_month=JAN, last_month=MAR,
                                   actor=world.editor)
    assert Bulletin.objects.get(pk=bulletin.pk).progress == 30  # not sent again


def test_the_page_of_a_stalled_bulletin_says_so_and_offers_to_generate_it_again(world, client):  # noqa: F811
    bulletin = _left_running(world)
    client.force_login(world.editor)
    with translation.override("zh-hans"):
        page = client.get(f"/assessment/bulletins/{bulletin.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        poll = client.get(f"/assessment/bulletins/{bulletin.pk}/", HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert 'data-testid="bulletin-stalled"' in html and "生成中断" in html and 'data-testid="regenerate"' in html
    assert "hx-get" not in html.split('id="bulletin-progress"')[1].split(">")[0]  # no more polling
    assert poll["HX-Refresh"] == "true"
