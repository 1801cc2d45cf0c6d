from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from infohub import access
from infohub.errors import ActionRefused, IllegalTransition, NotPermitted, StaleRevision
from infohub.models import AuditLog, Notification, Role
from publications import permissions, selectors, services
from publications.models import Credit, Delivery, Entry, Issue, IssueCounter
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from submissions.models import Item
from tests.factories import person

from .conftest import adopted_item, compiled, signed

pytestmark = pytest.mark.django_db


# --- starting and compiling ------------------------------------------------------------------------------------------


def test_an_issue_starts_with_its_types_distribution_copies_and_mark(pubs):
    issue = services.issue_start(actor=pubs.editor, ptype=pubs.weekly)
    assert (issue.status, issue.office, issue.copies, issue.classification) == ("compiling", pubs.chain.net.city, 60,
                                                                                 "internal")
    assert sorted(issue.recipients.values_list("kind", "unit__name", "label")) == [
        ("issue", "东湖区委办公室", ""), ("report", "江南省委办公厅", ""), ("send", "临江市委办公室", "市委领导同志")]
    assert AuditLog.objects.filter(action="issue.start", object_id=str(issue.pk)).exists()


def test_only_the_types_editors_start_issues(pubs):
    chain = pubs.chain
    for outsider in (chain.foreign_editor, chain.province_editor, chain.net.clerk, pubs.city_leader):
        with pytest.raises(NotPermitted):
            services.issue_start(actor=outsider, ptype=pubs.weekly)
    assert set(selectors.types_to_start(pubs.editor)) == {pubs.daily, pubs.weekly}
    assert list(selectors.types_to_start(chain.foreign_editor)) == []


def test_the_editor_adds_orders_and_retitles_items_and_the_marks_follow(pubs):
    chain = pubs.chain
    a = adopted_item(chain, "东湖区化解矛盾纠纷四百余起")
    b = adopted_item(chain, "东湖区老旧小区改造提速", urgency="urgent")
    c = adopted_item(chain, "东湖区防汛准备就绪", urgency="extra_urgent")
    issue = compiled(pubs, [a, b])
    assert (issue.classification, issue.urgency) == ("internal", "urgent")
    entry_c = services.issue_add_item(actor=pubs.editor, issue=issue, item=c)
    issue.refresh_from_db()
    assert issue.urgency == "extra_urgent"
    # the order: c to the top by the arrows, then b first by a drag
    services.issue_move_entry(actor=pubs.editor, issue=issue, entry_id=entry_c.pk, offset=-1)
    services.issue_move_entry(actor=pubs.editor, issue=issue, entry_id=entry_c.pk, offset=-1)
    assert [e.item.title for e in selectors.entries_of(issue)] == [c.title, a.title, b.title]
    entries = {e.item_id: e.pk for e in selectors.entries_of(issue)}
    services.issue_reorder(actor=pubs.editor, issue=issue, entry_ids=[entries[b.pk], entries[c.pk], entries[a.pk]])
    assert [e.item_id for e in selectors.entries_of(issue)] == [b.pk, c.pk, a.pk]
    # a title for this issue only
    services.issue_retitle_entry(actor=pubs.editor, issue=issue, entry_id=entries[a.pk], title="东湖区：矛盾纠纷就地化解")
    assert Item.objects.get(pk=a.pk).title == "东湖区化解矛盾纠纷四百余起"
    assert Entry.objects.get(pk=entries[a.pk]).shown_title == "东湖区：矛盾纠纷就地化解"
    # c goes: the urgency falls back
    services.issue_remove_entry(actor=pubs.editor, issue=issue, entry_id=entries[c.pk])
    issue.refresh_from_db()
    assert issue.urgency == "urgent"
    assert list(issue.entries.order_by("position").values_list("position", flat=True)) == [1, 2]


def test_an_item_goes_once_into_an_issue_and_once_into_a_publication_but_into_several_publications(pubs):
    item = adopted_item(pubs.chain, "东湖区化解矛盾纠纷四百余起")
    weekly = compiled(pubs, [item])
    with pytest.raises(IllegalTransition, match="已在本期中"):
        services.issue_add_item(actor=pubs.editor, issue=weekly, item=item)
    other_weekly = services.issue_start(actor=pubs.editor, ptype=pubs.weekly)
    with pytest.raises(IllegalTransition):
        services.issue_add_item(actor=pubs.editor, issue=other_weekly, item=item)
    daily = compiled(pubs, [item], ptype=pubs.daily)
    assert daily.entries.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds it too
        Entry.objects.create(issue=weekly, item=item, hop=Hop.objects.get(item=item), position=9, added_by=pubs.editor)


def test_only_items_adopted_at_the_office_can_be_added(pubs, good_item_data):
    chain = pubs.chain
    issue = services.issue_start(actor=pubs.editor, ptype=pubs.weekly)
    waiting = submissions.item_submit(actor=chain.net.clerk, item=submissions.item_create(
        actor=chain.net.clerk, unit=chain.net.county, data=good_item_data))
    reviews.signoff_approve(actor=chain.net.director, item=waiting)  # received at the city, not adopted
    with pytest.raises(IllegalTransition, match="已采用"):
        services.issue_add_item(actor=pubs.editor, issue=issue, item=waiting)
    draft = submissions.item_create(actor=chain.net.clerk, unit=chain.net.county, data=good_item_data)
    with pytest.raises(NotPermitted):  # the city may not even see a county's draft
        services.issue_add_item(actor=pubs.editor, issue=issue, item=draft)


def test_candidates_are_the_adopted_items_no_issue_of_the_type_holds(pubs):
    chain = pubs.chain
    a = adopted_item(chain, "第一条")
    b = adopted_item(chain, "第二条")
    issue = compiled(pubs, [a])
    listed = [h.item_id for h in selectors.candidates(pubs.editor, issue)]
    assert listed == [b.pk]
    daily = services.issue_start(actor=pubs.editor, ptype=pubs.daily)
    assert sorted(h.item_id for h in selectors.candidates(pubs.editor, daily)) == sorted([a.pk, b.pk])
    assert [h.item_id for h in selectors.candidates(pubs.editor, issue, q="第二")] == [b.pk]


def test_a_stale_revision_is_refused(pubs):
    item = adopted_item(pubs.chain, "第一条")
    issue = compiled(pubs, [item])
    with pytest.raises(StaleRevision):
        services.issue_update(actor=pubs.editor, issue=issue, editor_note="编者按", expected_revision=1)
    services.issue_update(actor=pubs.editor, issue=issue, editor_note="编者按", copies=80,
                          expected_revision=issue.revision)
    issue.refresh_from_db()
    assert (issue.editor_note, issue.copies) == ("编者按", 80)


def test_the_distribution_is_replaced_while_compiling(pubs):
    chain = pubs.chain
    issue = services.issue_start(actor=pubs.editor, ptype=pubs.weekly)
    services.issue_set_distribution(actor=pubs.editor, issue=issue, recipients=[
        {"kind": "report", "unit": chain.net.province.pk}, {"kind": "issue", "unit": chain.net.other_county.pk},
        {"kind": "issue", "unit": chain.net.other_county.pk}])
    assert sorted(issue.recipients.values_list("kind", "unit_id")) == [
        ("issue", chain.net.other_county.pk), ("report", chain.net.province.pk)]
    with pytest.raises(ActionRefused):
        services.issue_set_distribution(actor=pubs.editor, issue=issue, recipients=[{"kind": "cc", "unit": 1}])


# --- review and signature -------------------------------------------------------------------------------------------


def test_review_and_signature_number_the_issue_and_distribute_it(pubs):
    chain = pubs.chain
    items = [adopted_item(chain, f"第{n}条") for n in (1, 2)]
    issue = compiled(pubs, items)
    issue = services.issue_submit(actor=pubs.editor, issue=issue)
    assert Notification.objects.filter(recipient=pubs.director, verb="issue.submitted").exists()
    issue = services.issue_review(actor=pubs.director, issue=issue)
    assert issue.status == "reviewed" and issue.number is None
    issue = services.issue_sign(actor=pubs.director, issue=issue)
    assert (issue.status, issue.number, issue.total_number) == ("signed", 1, 345)
    assert issue.number_label == "第1期（总第345期）"
    assert sorted(Delivery.objects.filter(issue=issue).values_list("unit_id", flat=True)) == sorted(
        [chain.net.province.pk, chain.net.city.pk, chain.net.county.pk])
    # the leaders of the recipient units are told, and see it through the access rule
    for leader in (pubs.city_leader, pubs.province_leader):
        assert Notification.objects.filter(recipient=leader, verb="issue.signed").exists()
        assert access.may_see(leader, issue)
    assert Notification.objects.filter(recipient=pubs.editor, verb="issue.signed_editor").exists()
    # frozen: what was printed stays, whatever happens to the item later
    entry = issue.entries.get(item=items[0])
    assert (entry.printed_title, entry.printed_sources) == ("第1条", "（东湖区委办公室）")
    assert AuditLog.objects.filter(action="issue.sign", object_id=str(issue.pk), actor=pubs.director).exists()


def test_the_second_issue_is_the_next_number_and_a_supplement_is_numbered_on_its_own(pubs):
    chain = pubs.chain
    first = signed(pubs, compiled(pubs, [adopted_item(chain, "一")]))
    supplement = signed(pubs, compiled(pubs, [adopted_item(chain, "二")], kind="supplement"))
    second = signed(pubs, compiled(pubs, [adopted_item(chain, "三")]))
    assert [(i.number, i.total_number) for i in (first, supplement, second)] == [(1, 345), (1, None), (2, 346)]
    assert supplement.number_label == "增刊第1期"
    daily = signed(pubs, compiled(pubs, [adopted_item(chain, "四")], ptype=pubs.daily))
    assert (daily.number, daily.total_number, daily.number_label) == (1, None, "第1期")


def test_numbers_restart_each_year_but_the_cumulative_number_goes_on(pubs):
    chain = pubs.chain
    with time_machine.travel(datetime(2026, 12, 31, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        last_of_year = signed(pubs, compiled(pubs, [adopted_item(chain, "岁末")]))
    with time_machine.travel(datetime(2027, 1, 1, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        first_of_year = signed(pubs, compiled(pubs, [adopted_item(chain, "新年")]))
    assert (last_of_year.year, last_of_year.number, last_of_year.total_number) == (2026, 1, 345)
    assert (first_of_year.year, first_of_year.number, first_of_year.total_number) == (2027, 1, 346)
    assert str(first_of_year.issue_date) == "2027-01-01"


def test_a_failed_signature_gives_no_number_away(pubs):
    chain = pubs.chain
    item = adopted_item(chain, "被退回的信息")
    issue = compiled(pubs, [item])
    services.issue_submit(actor=pubs.editor, issue=issue)
    services.issue_review(actor=pubs.director, issue=issue)
    # the province returns the item for revision: the city's issue cannot be signed, and says which item and why
    hop = Hop.objects.get(item=item, office=chain.net.city)
    reviews.forward_request(actor=pubs.editor, hop=hop)
    reviews.forward_signoff(actor=_second_director(chain), hop=hop)
    reviews.review_return(actor=chain.province_editor, hop=Hop.objects.get(item=item, office=chain.net.province),
                          reason="数据需核实")
    with pytest.raises(IllegalTransition) as refused:
        services.issue_sign(actor=pubs.director, issue=issue)
    assert "被退回的信息" in str(refused.value.message) and "数据需核实" in str(refused.value.message)
    assert not IssueCounter.objects.filter(last__gt=0).exists()
    # another issue signs with number 1: nothing was skipped
    other = signed(pubs, compiled(pubs, [adopted_item(chain, "另一条")]))
    assert other.number == 1


def _second_director(chain):
    return person(chain.net.city, Role.DIRECTOR, username="lj_director2")


def test_an_item_withdrawn_or_no_longer_adopted_blocks_the_signature_and_is_named(pubs):
    chain = pubs.chain
    item = adopted_item(chain, "需要重新采用的信息")
    issue = compiled(pubs, [item])
    services.issue_submit(actor=pubs.editor, issue=issue)
    services.issue_review(actor=pubs.director, issue=issue)
    # returned by the province, revised and filed again by the county, signed off again: it is at the city again
    # but not yet adopted there
    hop = Hop.objects.get(item=item, office=chain.net.city)
    reviews.forward_request(actor=pubs.editor, hop=hop)
    reviews.forward_signoff(actor=_second_director(chain), hop=hop)
    reviews.review_return(actor=chain.province_editor, hop=Hop.objects.get(item=item, office=chain.net.province),
                          reason="补充数据")
    submissions.item_submit(actor=chain.net.clerk, item=item)
    problems = selectors.problems_of(issue, selectors.entries_of(issue))
    assert len(problems) == 1 and "需要重新采用的信息" in str(problems[0])
    submissions.item_withdraw(actor=chain.net.clerk, item=item)
    problems = selectors.problems_of(issue, selectors.entries_of(issue))
    assert len(problems) == 1
    submissions.item_submit(actor=chain.net.clerk, item=item)
    reviews.signoff_approve(actor=chain.net.director, item=item)
    problems = selectors.problems_of(issue, selectors.entries_of(issue))
    assert len(problems) == 1 and "临江市委办公室" in problems[0].reason
    with pytest.raises(IllegalTransition, match="需要重新采用的信息"):
        services.issue_sign(actor=pubs.director, issue=issue)
    # adopted again at the city: it may be signed
    reviews.review_adopt(actor=pubs.editor, hop=Hop.objects.get(item=item, office=chain.net.city, status="received"),
                         adoption="summary")
    issue = services.issue_sign(actor=pubs.director, issue=issue)
    assert issue.number == 1
    assert Credit.objects.get(issue=issue).adoption == "summary"


def test_nobody_reviews_or_signs_an_issue_they_submitted(pubs):
    chain = pubs.chain
    chain.city_director.roles.create(unit=chain.net.city, role=Role.EDITOR)
    issue = services.issue_start(actor=chain.city_director, ptype=pubs.weekly)
    services.issue_add_item(actor=chain.city_director, issue=issue, item=adopted_item(chain, "一"))
    services.issue_submit(actor=chain.city_director, issue=issue)
    with pytest.raises(NotPermitted):
        services.issue_review(actor=chain.city_director, issue=issue)
    issue.refresh_from_db()
    assert not permissions.allows("review", chain.city_director, issue)
    assert list(selectors.issue_list(chain.city_director, tab="to_review")) == []
    other = _second_director(chain)
    assert list(selectors.issue_list(other, tab="to_review")) == [issue]
    services.issue_review(actor=other, issue=issue)
    with pytest.raises(NotPermitted):
        services.issue_sign(actor=chain.city_director, issue=issue)


def test_editors_and_outsiders_cannot_review_or_sign(pubs):
    issue = compiled(pubs, [adopted_item(pubs.chain, "一")])
    services.issue_submit(actor=pubs.editor, issue=issue)
    for outsider in (pubs.editor, pubs.chain.foreign_director, pubs.city_leader, pubs.chain.province_director):
        with pytest.raises(NotPermitted):
            services.issue_review(actor=outsider, issue=issue)
    with pytest.raises(IllegalTransition):  # not reviewed yet
        services.issue_sign(actor=pubs.director, issue=issue)


def test_a_returned_issue_goes_back_to_its_editor_with_the_reason(pubs):
    issue = compiled(pubs, [adopted_item(pubs.chain, "一")])
    services.issue_submit(actor=pubs.editor, issue=issue)
    with pytest.raises(ActionRefused):
        services.issue_return(actor=pubs.director, issue=issue, reason=" ")
    issue = services.issue_return(actor=pubs.director, issue=issue, reason="标题再精炼")
    assert (issue.status, issue.return_reason) == ("compiling", "标题再精炼")
    assert Notification.objects.filter(recipient=pubs.editor, verb="issue.returned", text__contains="标题再精炼").exists()
    # and from the signer too
    services.issue_submit(actor=pubs.editor, issue=issue)
    services.issue_review(actor=pubs.director, issue=issue)
    issue = services.issue_return(actor=pubs.director, issue=issue, reason="暂缓")
    assert issue.status == "compiling" and issue.reviewed_by is None


def test_submitting_needs_items_and_recipients(pubs):
    issue = services.issue_start(actor=pubs.editor, ptype=pubs.weekly)
    with pytest.raises(IllegalTransition):
        services.issue_submit(actor=pubs.editor, issue=issue)
    services.issue_add_item(actor=pubs.editor, issue=issue, item=adopted_item(pubs.chain, "一"))
    services.issue_set_distribution(actor=pubs.editor, issue=issue, recipients=[])
    with pytest.raises(IllegalTransition):
        services.issue_submit(actor=pubs.editor, issue=issue)


def test_a_signed_issue_never_changes_in_the_database(pubs):
    issue = signed(pubs, compiled(pubs, [adopted_item(pubs.chain, "一")]))
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.filter(pk=issue.pk).update(editor_note="改")
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(issue=issue).update(title="改")
    with pytest.raises(IntegrityError), transaction.atomic():
        issue.recipients.all().delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Credit.objects.filter(issue=issue).update(share=Decimal("0.5"))
    with pytest.raises(IllegalTransition):
        services.issue_update(actor=pubs.editor, issue=issue, editor_note="改")
    with pytest.raises(IntegrityError), transaction.atomic():  # two issues can never share a number
        Issue.objects.filter(pk=signed(pubs, compiled(pubs, [adopted_item(pubs.chain, "二")])).pk).update(number=1)


# --- credit --------------------------------------------------------------------------------------------------------


def test_every_use_is_credited_to_every_source_unit_with_its_share(pubs):
    chain = pubs.chain
    net = chain.net
    other_director = person(net.other_county, Role.DIRECTOR, username="xl_director")
    single = adopted_item(chain, "东湖区单条信息")
    # a composite from two county items and one of 西岭县, adopted at the city as combined
    sources = []
    for title, unit, clerk, director in (("东湖一", net.county, net.clerk, net.director),
                                         ("东湖二", net.county, net.clerk, net.director),
                                         ("西岭一", net.other_county, net.other_clerk, other_director)):
        item = submissions.item_submit(actor=clerk, item=submissions.item_create(
            actor=clerk, unit=unit, data={"title": title, "body": "正文。", "category": "work_progress",
                                          "contact_phone": "0571-88886666"}))
        reviews.signoff_approve(actor=director, item=item)
        sources.append(Hop.objects.get(item=item, office=net.city))
    composite_hop = reviews.review_merge(actor=pubs.editor, hops=sources, title="全市基层治理综合", body="综合正文。")
    reviews.review_adopt(actor=pubs.editor, hop=composite_hop, adoption="combined")
    issue = signed(pubs, compiled(pubs, [single, composite_hop.item]))
    rows = sorted(Credit.objects.filter(issue=issue).values_list("unit__name", "share", "combined", "office_level",
                                                                 "adoption", "ptype__name"))
    assert rows == [
        ("东湖区委办公室", Decimal("0.3333"), True, "city", "combined", "临江信息"),
        ("东湖区委办公室", Decimal("0.3333"), True, "city", "combined", "临江信息"),
        ("东湖区委办公室", Decimal("1.0000"), False, "city", "full", "临江信息"),
        ("西岭县委办公室", Decimal("0.3334"), True, "city", "combined", "临江信息"),
    ]
    composite_entry = issue.entries.get(item=composite_hop.item)
    assert composite_entry.printed_sources == "（根据东湖区委办公室、西岭县委办公室报送信息综合）"
    # each unit sees its own credits; a source item shows where its composite was published
    assert {c.unit for c in selectors.credits_visible_to(net.other_clerk)} == {net.other_county}
    source = Item.objects.get(title="西岭一")
    assert [c.issue for c in selectors.credits_of_item(net.other_clerk, source)] == [issue]
    assert list(selectors.adopted_items(net.clerk).values_list("title", flat=True)) == ["东湖二", "东湖一", "东湖区单条信息"]


def test_a_classified_issue_reaches_only_the_recipients_cleared_for_it(pubs, settings):
    settings.INFOHUB_MAX_CLASSIFICATION = "secret"
    chain = pubs.chain
    cleared_clerk = chain.net.clerk
    cleared_clerk.clearance = "secret"
    cleared_clerk.save()
    cleared_director = person(chain.net.county, Role.DIRECTOR, username="dh_director_secret", clearance="secret")
    for user in (pubs.editor, pubs.director, pubs.province_leader):
        user.clearance = "secret"
        user.save()
    secret = adopted_item(chain, "涉密信息", classification="secret", director=cleared_director)
    issue = signed(pubs, compiled(pubs, [secret]))
    assert issue.classification == "secret"
    assert access.may_see(pubs.province_leader, issue)
    assert not access.may_see(pubs.city_leader, issue)  # a recipient, but cleared for 内部 only
    assert Notification.objects.filter(recipient=pubs.province_leader, verb="issue.signed").exists()
    assert not Notification.objects.filter(recipient=pubs.city_leader).exists()
