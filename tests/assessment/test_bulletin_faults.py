"""Faults a tester found in the 通报 (issue 16 point 4), each held by a test that failed before its fix."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext

from assessment import bulletin_figures
from assessment.models import Bulletin


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
        (4, "得分排名靠后（第4名，共4家）；发生误报、瞒报等问题，取消评先评优资格")]


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
