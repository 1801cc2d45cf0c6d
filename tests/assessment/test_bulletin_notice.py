"""A 通报 issued is told to the people of every unit it reached (BulletinRecipient) — leaders, directors, editors and
information officers — through the product's notifications (in the app, and by e-mail): once each, whatever roles and
units they hold there, with a link to the bulletin that the access rule lets them open; nobody of a unit it does not
name; nobody twice when the message is delivered again or the issue asked for again."""

from __future__ import annotations

import pytest
from django.core import mail

from assessment import bulletin_making, bulletins
from assessment.models import Bulletin
from infohub.errors import IllegalTransition
from infohub.models import Notification, Role, RoleAssignment
from tests.factories import person
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import JAN, MAR, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(world, django_capture_on_commit_callbacks):  # noqa: F811
    # beside the world's people: the county's leader and editor, a department's director, someone who holds roles in
    # two units it names, one who left (inactive), and the county's duty officer (a 通报 is no emergency)
    extra = {
        "leader": person(world.county, Role.LEADER, username="dh_leader", email="dh_leader@example.invalid"),
        "editor": person(world.county, Role.EDITOR, username="dh_editor"),
        "dept_director": person(world.department, Role.DIRECTOR, username="yj_director"),
        "both": person(world.county, Role.CLERK, username="both_clerk"),
        "gone": person(world.third_county, Role.DIRECTOR, username="ns_gone", is_active=False),
        "duty": person(world.county, Role.DUTY_OFFICER, username="dh_duty"),
    }
    RoleAssignment.objects.create(user=extra["both"], unit=world.third_county, role=Role.DIRECTOR)
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = bulletins.bulletin_request(ruleset=world.ruleset, kind="quarterly", first_month=JAN, last_month=MAR,
                                              actor=world.editor)
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_issue(bulletin=Bulletin.objects.get(pk=bulletin.pk), actor=world.director)
    return Bulletin.objects.get(pk=bulletin.pk, state="issued"), extra


def told(bulletin) -> dict[int, int]:
    counts: dict[int, int] = {}
    for recipient_id in Notification.objects.filter(verb="bulletin.issued", url=f"/assessment/bulletins/{bulletin.pk}/"
                                                    ).values_list("recipient_id", flat=True):
        counts[recipient_id] = counts.get(recipient_id, 0) + 1
    return counts


def test_every_recipient_units_people_are_told_once_and_nobody_else(world, issued, client):  # noqa: F811
    bulletin, extra = issued
    # the units it reached: 东湖区, 西岭县, 南山县 and 应急管理局 (every unit ranked in it)
    units = [world.county, world.other_county, world.third_county, world.department]
    assert set(bulletin.recipients.values_list("unit_id", flat=True)) == {u.pk for u in units}
    expected = set(RoleAssignment.objects.filter(unit__in=units, user__is_active=True).exclude(
        role=Role.DUTY_OFFICER).values_list("user_id", flat=True))
    assert {world.clerk.pk, world.third_clerk.pk, extra["leader"].pk, extra["editor"].pk, extra["dept_director"].pk,
            extra["both"].pk} <= expected
    assert told(bulletin) == dict.fromkeys(expected, 1)  # one each, the one holding two roles in two units too
    # not: a unit it does not name, a foreign office, the office that issued it, one who left, the duty officer
    for nobody in (world.unnamed_clerk, world.foreign_director, world.editor, world.director, extra["gone"],
                   extra["duty"]):
        assert nobody.pk not in told(bulletin)
    notice = Notification.objects.get(recipient=world.clerk, verb="bulletin.issued")
    assert bulletin.number_label in notice.text and bulletin.title in notice.text and "已印发" in notice.text
    # the link opens for each of them (the access rule lets them)
    for person_told in type(world.clerk).objects.filter(pk__in=expected):
        client.force_login(person_told)
        assert client.get(notice.url).status_code == 200, person_told.username
    # and by e-mail, to those who have an address
    assert any(extra["leader"].email in message.to for message in mail.outbox)


def test_a_retried_issue_or_a_second_delivery_tells_nobody_twice(world, issued,  # noqa: F811
                                                                 django_capture_on_commit_callbacks):
    bulletin, _extra = issued
    before = told(bulletin)
    bulletin_making.bulletin_issue_finish(bulletin.pk)  # the message delivered again
    with pytest.raises(IllegalTransition), django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)  # the director's call retried
    assert told(bulletin) == before and Notification.objects.filter(verb="bulletin.issued").count() == len(before)


def test_nobody_is_told_of_an_issue_that_failed(world, monkeypatch,  # noqa: F811
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = bulletins.bulletin_request(ruleset=world.ruleset, kind="quarterly", first_month=JAN, last_month=MAR,
                                              actor=world.editor)

    def broken(*args, **kwargs):
        raise RuntimeError("断电")

    monkeypatch.setattr(bulletin_making.bulletin_xlsx, "build", broken)
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_issue(bulletin=Bulletin.objects.get(pk=bulletin.pk), actor=world.director)
    assert Bulletin.objects.get(pk=bulletin.pk).state == "ready"
    assert not Notification.objects.filter(verb="bulletin.issued").exists()
