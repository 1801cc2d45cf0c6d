"""Topic requests' services (SPEC §7): issuing to units and groups, answering with items through the normal sign-off,
"nothing to report" signed by the director, withdrawal, the board's states and counts, and the records the shared
follow-up sweep makes — at the edges of the due time, with time-machine."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from followup.models import Shortfall
from followup.sweep import sweep_all
from infohub import access
from infohub.errors import IllegalTransition, NotPermitted
from infohub.models import AuditLog, Notification
from publications.models import PublicationType
from reviews.models import Hop
from submissions import services as submissions
from topics import selectors, services
from topics.models import Answer, Target, TopicRequest

pytestmark = pytest.mark.django_db


def _shortfalls(target, kind=None, standing=True):
    found = Shortfall.objects.filter(object_id=target.pk, content_type__model="target")
    if kind:
        found = found.filter(kind=kind)
    if standing:
        found = found.filter(withdrawn_at=None)
    return found


# --- issuing ---------------------------------------------------------------------------------------------------------


def test_a_request_goes_to_the_units_picked_and_the_groups_each_once(topics, django_capture_on_commit_callbacks):
    # given the city's counties (three) and a city department
    # when the editor picks 东湖 and the group "all counties" and "all departments"
    with django_capture_on_commit_callbacks(execute=True):
        request = topics.issue(units=[topics.county], groups=["counties", "departments"])
    # then every county once, the department, and nothing of the foreign city nor the office itself
    units = set(request.targets.values_list("unit_id", flat=True))
    assert units == {topics.county.pk, topics.other.pk, topics.third.pk, topics.department.pk}
    assert all(t.due_at == request.due_at and t.office_id == topics.city.pk for t in request.targets.all())
    # the targets' clerks and directors are told, in the app
    told = set(Notification.objects.filter(verb="topic.issued").values_list("recipient__username", flat=True))
    assert {"dh_clerk", "dh_director", "xl_clerk", "xl_director", "ns_clerk", "ns_director", "yj_clerk"} <= told
    assert "nc_clerk" not in told
    assert AuditLog.objects.filter(action="topic.issue", object_id=str(request.pk)).count() == 1


def test_issuing_refuses_what_is_wrong_naming_the_field(topics):
    now = timezone.now()
    cases = [
        ({"subject": "  "}, "subject"),
        ({"due_at": now - timedelta(minutes=1)}, "due_at"),
        ({"due_at": now.replace(year=2101)}, "due_at"),
        ({"units": [topics.foreign_county]}, "units"),
        ({"units": [topics.city]}, "units"),  # the office itself is no target
        ({"units": []}, "units"),
        ({"groups": ["planets"]}, "groups"),
    ]
    for change, field in cases:
        with pytest.raises(ValidationError) as refused:
            topics.issue(**change)
        assert field in refused.value.message_dict, (change, refused.value.message_dict)
    assert not TopicRequest.objects.exists()


def test_only_an_editor_of_the_office_issues_and_only_for_its_own_publication(topics):
    with pytest.raises(NotPermitted):
        services.request_issue(actor=topics.clerk, office=topics.city, subject="x",
                               due_at=timezone.now() + timedelta(days=1), unit_ids=[topics.county.pk])
    foreign = PublicationType.objects.create(name="青山信息", office=topics.chain.foreign_city)
    with pytest.raises(ValidationError) as refused:
        topics.issue(publication=foreign)
    assert "publication" in refused.value.message_dict
    own = PublicationType.objects.create(name="临江信息", office=topics.city)
    assert topics.issue(publication=own).publication == own


def test_reporting_priorities_are_requests_with_a_long_due_date(topics):
    request = topics.issue(kind=TopicRequest.Kind.PRIORITIES, subject="2027年上半年信息报送要点",
                           due_at=timezone.now() + timedelta(days=180))
    assert request.get_kind_display() and request.targets.count() == 3
    # reminders are planned before the due day, the "ignored" record at the due time
    target = topics.target(request, topics.county)
    steps = [key for key, _at in target.plan]
    assert steps[-1] == "overdue" and any(key.startswith("remind-") for key in steps)


# --- who sees what ---------------------------------------------------------------------------------------------------


def test_a_target_sees_the_request_a_foreign_unit_does_not_the_office_sees_its_own(topics):
    request = topics.issue(units=[topics.county])
    net = topics.net
    assert access.may_see(topics.clerk, request) and access.may_see(topics.director, request)
    assert not access.may_see(topics.other_clerk, request)  # not a target
    assert not access.may_see(topics.foreign_clerk, request)
    assert access.may_see(topics.editor, request) and access.may_see(topics.chain.city_director, request)
    assert not access.may_see(topics.chain.foreign_editor, request)
    assert not access.may_see(topics.chain.province_editor, request)
    target = topics.target(request, topics.county)
    assert access.may_see(topics.clerk, target) and not access.may_see(net.other_clerk, target)
    assert selectors.is_requesting_office(topics.editor, request)
    assert not selectors.is_requesting_office(topics.clerk, request)


def test_the_office_sees_an_answer_only_once_its_unit_signed_it_off(topics):
    request = topics.issue()
    item = topics.draft()
    services.answer_link(actor=topics.clerk, target=topics.target(request, topics.county), item=item)
    assert not access.may_see(topics.editor, item)  # a draft is the unit's own
    topics.send(item)
    assert access.may_see(topics.editor, item)
    assert not access.may_see(topics.chain.foreign_editor, item)


def test_an_answer_sent_through_the_city_reaches_the_province_that_asked_and_the_city_reads_the_request(topics):
    """A province's request to a county: the answer goes to the city (the normal chain); the province sees it at
    once; the city's editor reads in his inbox which request it answers."""
    chain = topics.chain
    request = services.request_issue(actor=chain.province_editor, office=chain.net.province, subject="全省基层减负",
                                     due_at=timezone.now() + timedelta(days=2), groups=["counties"])
    assert set(request.targets.values_list("unit_id", flat=True)) == {
        topics.county.pk, topics.other.pk, topics.third.pk, topics.foreign_county.pk}
    item = topics.draft()
    services.answer_link(actor=topics.clerk, target=topics.target(request, topics.county), item=item)
    assert not access.may_see(topics.editor, request)
    topics.send(item)
    assert Hop.objects.get(item=item).office == topics.city  # the normal chain
    assert access.may_see(chain.province_editor, item)
    assert access.may_see(topics.editor, request)  # the answer reached his office
    assert not access.may_see(chain.foreign_editor, request)


# --- answering with items --------------------------------------------------------------------------------------------


def test_an_item_answers_when_signed_off_and_the_board_shows_it(topics):
    request = topics.issue()
    target = topics.target(request, topics.county)
    item = topics.draft()
    answer = services.answer_link(actor=topics.clerk, target=target, item=item)
    assert services.answer_link(actor=topics.clerk, target=target, item=item) == answer  # once
    target.refresh_from_db()
    assert target.reply == Target.Reply.WAITING and target.is_open  # written, not sent
    topics.send(item)
    target.refresh_from_db()
    answer.refresh_from_db()
    assert target.reply == Target.Reply.ANSWERED and not target.is_open and not target.answered_late
    assert answer.sent_to == topics.city and answer.sent_at == target.answered_at
    counts = selectors.board_counts(request)
    assert counts == {"answered": 1, "late": 0, "declined": 0, "waiting": 2, "ignored": 0, "total": 3}
    rows = selectors.answers_of(topics.editor, [target])[target.pk]
    assert rows[0].item == item and [h.office for h in rows[0].hops] == [topics.city]
    assert not _shortfalls(target).exists()


def test_an_item_answers_one_request(topics):
    first, second = topics.issue(subject="甲"), topics.issue(subject="乙")
    item = topics.draft()
    services.answer_link(actor=topics.clerk, target=topics.target(first, topics.county), item=item)
    with pytest.raises(IllegalTransition, match="甲"):
        services.answer_link(actor=topics.clerk, target=topics.target(second, topics.county), item=item)


def test_only_the_units_own_clerk_links_its_own_items(topics):
    request = topics.issue()
    item = topics.draft()
    with pytest.raises(NotPermitted):
        services.answer_link(actor=topics.other_clerk, target=topics.target(request, topics.county), item=item)
    other_item = topics.draft(unit=topics.other, clerk=topics.other_clerk, title="西岭县的稿件")
    with pytest.raises(IllegalTransition):
        services.answer_link(actor=topics.clerk, target=topics.target(request, topics.county), item=other_item)
    assert not Answer.objects.exists()


def test_an_unsent_answer_can_be_taken_back_a_sent_one_cannot(topics):
    request = topics.issue()
    target = topics.target(request, topics.county)
    item = topics.draft()
    answer = services.answer_link(actor=topics.clerk, target=target, item=item)
    services.answer_unlink(actor=topics.clerk, answer=answer)
    assert not Answer.objects.exists()
    answer = services.answer_link(actor=topics.clerk, target=target, item=item)
    topics.send(item)
    with pytest.raises(IllegalTransition):
        services.answer_unlink(actor=topics.clerk, answer=answer)


def test_an_item_already_sent_answers_when_linked(topics):
    request = topics.issue()
    target = topics.target(request, topics.county)
    item = topics.send(topics.draft())
    services.answer_link(actor=topics.clerk, target=target, item=item)
    target.refresh_from_db()
    assert target.reply == Target.Reply.ANSWERED


# --- "nothing to report" ---------------------------------------------------------------------------------------------


def test_nothing_to_report_is_written_by_the_clerk_and_signed_by_the_director(topics):
    request = topics.issue()
    target = topics.target(request, topics.county)
    target = services.decline(actor=topics.clerk, target=target, note="本县本期无此类情况。")
    assert target.reply == Target.Reply.DECLINE_PENDING and target.is_open
    assert Notification.objects.filter(recipient=topics.director, verb="topic.decline_to_sign").exists()
    assert services.decline(actor=topics.clerk, target=target).reply == Target.Reply.DECLINE_PENDING  # once
    with pytest.raises(NotPermitted):
        services.decline_sign(actor=topics.other_director, target=target)
    target = services.decline_sign(actor=topics.director, target=target)
    assert target.reply == Target.Reply.DECLINED and not target.is_open and target.decline_signed_by == topics.director
    assert services.decline_sign(actor=topics.director, target=target).reply == Target.Reply.DECLINED  # once
    assert selectors.board_counts(request)["declined"] == 1
    assert Notification.objects.filter(recipient=topics.editor, verb="topic.declined").exists()


def test_the_director_may_refuse_to_sign_and_the_unit_owes_an_answer_again(topics):
    request = topics.issue()
    target = services.decline(actor=topics.clerk, target=topics.target(request, topics.county))
    with pytest.raises(ValidationError):
        services.decline_return(actor=topics.director, target=target, reason=" ")
    target = services.decline_return(actor=topics.director, target=target, reason="城东街道有典型做法，请报送。")
    assert target.reply == Target.Reply.WAITING and target.decline_return_reason
    assert Notification.objects.filter(recipient=topics.clerk, verb="topic.decline_returned").exists()


def test_a_directors_own_nothing_to_report_is_signed_as_sent(topics):
    request = topics.issue()
    target = services.decline(actor=topics.director, target=topics.target(request, topics.county), note="无此类情况")
    assert target.reply == Target.Reply.DECLINED and target.decline_signed_by == topics.director


def test_nothing_to_report_is_refused_while_an_item_answers(topics):
    request = topics.issue()
    target = topics.target(request, topics.county)
    services.answer_link(actor=topics.clerk, target=target, item=topics.draft())
    with pytest.raises(IllegalTransition):
        services.decline(actor=topics.clerk, target=target)
    # and a unit that declined answers with no item
    other = services.decline(actor=topics.other_director, target=topics.target(request, topics.other))
    with pytest.raises(IllegalTransition):
        services.answer_link(actor=topics.other_clerk, target=other,
                             item=topics.draft(unit=topics.other, clerk=topics.other_clerk))


# --- the due time, with time-machine ---------------------------------------------------------------------------------


def test_nothing_at_the_due_time_is_ignored_exactly_once(topics):
    due = timezone.now().replace(microsecond=0) + timedelta(days=2)
    request = topics.issue(due_at=due)
    answered = topics.target(request, topics.other)
    services.decline(actor=topics.other_director, target=answered)
    with time_machine.travel(due - timedelta(seconds=1), tick=False):
        sweep_all()
    assert not Shortfall.objects.filter(kind="ignored").exists()  # one second before: nothing
    with time_machine.travel(due, tick=False):
        sweep_all()
        sweep_all()
    with time_machine.travel(due + timedelta(hours=3), tick=False):
        sweep_all()
    ignored = Shortfall.objects.filter(kind="ignored", withdrawn_at=None)
    assert sorted(ignored.values_list("unit_id", flat=True)) == sorted([topics.county.pk, topics.third.pk])
    assert ignored.count() == 2  # exactly once each; the unit that replied is not there
    county = topics.target(request, topics.county)
    assert county.overdue_recorded_at is not None and county.is_open
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        counts = selectors.board_counts(request)
    assert counts == {"answered": 0, "late": 0, "declined": 1, "waiting": 0, "ignored": 2, "total": 3}
    # the office is told
    assert Notification.objects.filter(recipient=topics.editor, verb="followup.overdue").count() == 2


def test_an_answer_one_second_after_the_due_time_is_late_not_ignored(topics):
    due = timezone.now().replace(microsecond=0) + timedelta(days=1)
    request = topics.issue(due_at=due)
    target = topics.target(request, topics.county)
    item = topics.draft()
    services.answer_link(actor=topics.clerk, target=target, item=item)
    item = submissions.item_submit(actor=topics.clerk, item=item)
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        topics.sign_off(item)
        sweep_all()  # the sweep comes after the answer: nothing to record as ignored
    target.refresh_from_db()
    assert target.reply == Target.Reply.ANSWERED and target.answered_late
    assert list(_shortfalls(target).values_list("kind", flat=True)) == ["late"]
    assert selectors.board_counts(request)["late"] == 1


def test_an_answer_at_the_due_time_itself_is_on_time(topics):
    due = timezone.now().replace(microsecond=0) + timedelta(days=1)
    request = topics.issue(due_at=due)
    target = topics.target(request, topics.county)
    item = submissions.item_submit(actor=topics.clerk, item=topics.draft())
    services.answer_link(actor=topics.clerk, target=target, item=item)
    with time_machine.travel(due, tick=False):
        topics.sign_off(item)
        sweep_all()
    target.refresh_from_db()
    assert not target.answered_late and not _shortfalls(target).exists()


def test_an_answer_after_ignored_withdraws_ignored_and_records_late(topics):
    due = timezone.now().replace(microsecond=0) + timedelta(days=1)
    request = topics.issue(due_at=due)
    target = topics.target(request, topics.county)
    with time_machine.travel(due + timedelta(minutes=5), tick=False):
        sweep_all()
    assert list(_shortfalls(target).values_list("kind", flat=True)) == ["ignored"]
    with time_machine.travel(due + timedelta(days=1), tick=False):
        services.decline(actor=topics.director, target=target, note="无此类情况")
    assert list(_shortfalls(target).values_list("kind", flat=True)) == ["late"]
    withdrawn = _shortfalls(target, "ignored", standing=False).get()
    assert withdrawn.withdrawn_at and withdrawn.withdrawn_reason
    assert selectors.board_counts(request)["declined"] == 1


def test_a_clerks_nothing_to_report_unsigned_at_the_due_time_is_ignored(topics):
    due = timezone.now().replace(microsecond=0) + timedelta(days=1)
    request = topics.issue(due_at=due)
    target = services.decline(actor=topics.clerk, target=topics.target(request, topics.county))
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        sweep_all()
        assert selectors.board_counts(request)["ignored"] == 3
    assert _shortfalls(target, "ignored").count() == 1


def test_a_withdrawn_request_is_owed_by_nobody_and_records_nothing(topics):
    due = timezone.now().replace(microsecond=0) + timedelta(days=1)
    request = topics.issue(due_at=due)
    with pytest.raises(ValidationError):
        services.request_withdraw(actor=topics.editor, request=request, reason="")
    with pytest.raises(NotPermitted):
        services.request_withdraw(actor=topics.clerk, request=request, reason="误发")
    services.request_withdraw(actor=topics.editor, request=request, reason="与另一通知重复，撤回。")
    services.request_withdraw(actor=topics.editor, request=request, reason="again")  # once
    assert AuditLog.objects.filter(action="topic.withdraw").count() == 1
    assert all(not t.is_open for t in request.targets.all())
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        sweep_all()
    assert not Shortfall.objects.exists()
    with pytest.raises(IllegalTransition):
        services.decline(actor=topics.clerk, target=topics.target(request, topics.county))


# --- the board -------------------------------------------------------------------------------------------------------


def test_the_board_filters_by_state_and_group_and_sorts(topics):
    request = topics.issue(groups=["counties", "departments"])
    services.decline(actor=topics.director, target=topics.target(request, topics.county))
    declined = list(selectors.board(request, state="declined"))
    assert [t.unit for t in declined] == [topics.county] and declined[0].state == "declined"
    assert {t.unit for t in selectors.board(request, group="departments")} == {topics.department}
    assert next(t.state for t in selectors.board(request, sort="state")) == "declined"
    assert len(list(selectors.board(request, state="waiting"))) == 3


def test_the_start_page_lists_what_my_unit_owes_and_what_awaits_my_signature(topics):
    request = topics.issue()
    assert [t.request for t in selectors.start_page(topics.clerk)["topics_owed"]] == [request]
    services.decline(actor=topics.clerk, target=topics.target(request, topics.county))
    assert [t.request for t in selectors.start_page(topics.director)["topics_to_sign"]] == [request]
    issued = selectors.start_page(topics.editor)["topics_issued"]
    assert issued == [request] and issued[0].n_targets == 3 and issued[0].n_replied == 0
    assert "topics_owed" not in selectors.start_page(topics.chain.foreign_editor)


def test_item_notes_name_the_request(topics):
    from submissions.extensions import item_notes

    request = topics.issue(subject="基层减负")
    item = topics.draft()
    services.answer_link(actor=topics.clerk, target=topics.target(request, topics.county), item=item)
    other = topics.draft(title="别的稿件")
    notes = item_notes([item.pk, other.pk])
    assert list(notes) == [item.pk] and "基层减负" in notes[item.pk][0]


def test_an_urgent_requests_reminders_go_by_sms_too(topics, caplog, django_capture_on_commit_callbacks):
    import logging

    topics.clerk.phone = "13800000012"
    topics.clerk.save()
    due = timezone.now() + timedelta(days=10)
    urgent = topics.issue(units=[topics.county], urgent=True, due_at=due, subject="紧急约稿")
    topics.issue(units=[topics.county], due_at=due, subject="平常约稿")
    remind_at = min(t.next_at for t in Target.objects.all())
    assert Target.objects.get(request=urgent).next_step.startswith("remind-")
    caplog.set_level(logging.INFO, logger="infohub.sms")
    with time_machine.travel(remind_at + timedelta(seconds=1), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        sweep_all()
    texts = [r.getMessage() for r in caplog.records if r.name == "infohub.sms"]
    assert any("紧急约稿" in t for t in texts) and not any("平常约稿" in t for t in texts)
    assert Notification.objects.filter(recipient=topics.clerk, verb="followup.reminder").count() == 2
