"""Issuing a 通报 (issue 16 point 4): the director's request records the decision and answers at once; a Celery task
numbers the bulletin, makes its .docx and .xlsx again and seals them, and sends it — its progress on the page, as the
generation's. The request never builds a file nor waits on the worker; a double click or a retried call records once;
a message delivered twice issues once; a worker killed while issuing is taken up again (the generation's lock and
redelivery); a failure gives the number back and puts the bulletin back to "ready" with the reason."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from assessment import bulletin_docx, bulletin_making, bulletins
from assessment.models import Bulletin, BulletinCounter, BulletinRecipient, Pricing
from infohub.errors import IllegalTransition
from infohub.models import AuditLog
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import JAN, MAR, world  # noqa: F401  (a fixture)
from .test_bulletin_faults import other_session  # noqa: F401  (a fixture: a second database session)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(world, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = bulletins.bulletin_request(ruleset=world.ruleset, kind="quarterly", first_month=JAN, last_month=MAR,
                                              actor=world.editor)
    return Bulletin.objects.get(pk=bulletin.pk, state="ready")


def _audited(action, bulletin) -> int:
    return AuditLog.objects.filter(action=action, object_id=str(bulletin.pk)).count()


def test_the_request_records_the_decision_and_the_worker_issues_it(world, ready, client, monkeypatch,  # noqa: F811
                                                                   django_capture_on_commit_callbacks):
    built = []
    real_build = bulletin_docx.build
    monkeypatch.setattr(bulletin_docx, "build", lambda figures, **kw: built.append(figures) or real_build(figures, **kw))
    client.force_login(world.director)
    with django_capture_on_commit_callbacks() as after_commit:
        answer = client.post(f"/assessment/bulletins/{ready.pk}/issue/")
    # the request: no file made, no number taken; the decision recorded, the worker's task sent after the commit
    assert answer.status_code == 302 and built == []
    bulletin = Bulletin.objects.get(pk=ready.pk)
    assert (bulletin.state, bulletin.number, bulletin.issued_by_id) == ("issuing", None, world.director.pk)
    assert not BulletinCounter.objects.exists() and not BulletinRecipient.objects.exists()
    assert _audited("bulletin.issue_request", bulletin) == 1 and len(after_commit) == 1
    # its page polls the progress, as the generation's
    poll = client.get(f"/assessment/bulletins/{ready.pk}/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in poll.content.decode() and "正在印发" in poll.content.decode()
    assert "HX-Refresh" not in poll
    # the worker reports its steps to the page while it holds the issue's transaction
    monkeypatch.setattr(bulletin_docx, "build", lambda figures, **kw: built.append(
        bulletins.bulletin_for(world.director, ready.pk).stage) or real_build(figures, **kw))
    after_commit[0]()
    assert built == ["正在生成Word文件"]
    bulletin.refresh_from_db()
    assert (bulletin.state, bulletin.number, bulletin.progress) == ("issued", 1, 100)
    assert bulletin.docx_sha256 and bulletin.xlsx_sha256 and bulletin.figures["issued"] is True
    poll = client.get(f"/assessment/bulletins/{ready.pk}/", HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"  # done: the whole page, with its number and files


def test_a_double_click_or_a_retried_call_records_once_and_a_second_delivery_issues_once(
        world, ready, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks() as after_commit:
        first = bulletins.bulletin_issue(bulletin=ready, actor=world.director)
        again = bulletins.bulletin_issue(bulletin=ready, actor=world.director)
    assert first.state == again.state == "issuing"
    assert len(after_commit) == 1 and _audited("bulletin.issue_request", ready) == 1
    after_commit[0]()
    bulletin_making.bulletin_issue_finish(ready.pk)  # the message delivered again: nothing more
    bulletin = Bulletin.objects.get(pk=ready.pk)
    assert (bulletin.state, bulletin.number) == ("issued", 1)
    assert BulletinCounter.objects.get(office=world.city).last == 1 and _audited("bulletin.issue", ready) == 1
    with pytest.raises(IllegalTransition):  # a retry after it was issued: refused, nothing recorded
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
    assert _audited("bulletin.issue_request", ready) == 1


def test_a_worker_killed_while_issuing_is_taken_up_again(world, ready, client, other_session,  # noqa: F811
                                                         django_capture_on_commit_callbacks):
    # the state a killed worker leaves: "being issued", its transaction rolled back, nobody holding its lock
    long_ago = timezone.now() - timezone.timedelta(seconds=bulletins.REQUEUE_SECONDS + 60)
    Bulletin.objects.filter(pk=ready.pk).update(state="issuing", issued_by=world.director, queued_at=long_ago)
    bulletin = Bulletin.objects.get(pk=ready.pk)
    # while a live worker holds its lock, it is left to it: the page polls, asking again sends nothing
    other_session.execute("SELECT pg_advisory_lock(%s, %s)", [bulletin_making.LOCK_CLASS, ready.pk])
    assert not bulletins.stalled(bulletin)
    bulletin_making.bulletin_issue_finish(ready.pk)  # a second delivery while the first worker works
    assert Bulletin.objects.get(pk=ready.pk).state == "issuing"
    with django_capture_on_commit_callbacks() as after_commit:
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
    assert after_commit == []
    other_session.execute("SELECT pg_advisory_unlock(%s, %s)", [bulletin_making.LOCK_CLASS, ready.pk])
    # the worker is gone: the page says so and offers to issue again
    assert bulletins.stalled(bulletin) and bulletins.may_issue(world.director, bulletin)
    client.force_login(world.director)
    page = client.get(f"/assessment/bulletins/{ready.pk}/").content.decode()
    assert "通报印发中断" in page and 'data-testid="issue"' in page
    # the message delivered again (acks_late, rejected on the worker's loss) takes it up
    bulletin_making.bulletin_issue_finish(ready.pk)
    bulletin.refresh_from_db()
    assert (bulletin.state, bulletin.number) == ("issued", 1)


def test_asking_again_sends_a_stalled_issue_to_the_workers_again(world, ready,  # noqa: F811
                                                                 django_capture_on_commit_callbacks):
    long_ago = timezone.now() - timezone.timedelta(seconds=bulletins.REQUEUE_SECONDS + 60)
    Bulletin.objects.filter(pk=ready.pk).update(state="issuing", issued_by=world.director, queued_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_issue(bulletin=Bulletin.objects.get(pk=ready.pk), actor=world.director)
    assert Bulletin.objects.get(pk=ready.pk).number == 1
    assert _audited("bulletin.issue_request", ready) == 0  # the decision was recorded once, before


def test_a_failure_gives_the_number_back_and_says_why(world, ready, client, monkeypatch,  # noqa: F811
                                                      django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(bulletin_making.bulletin_xlsx, "build", broken)
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_issue(bulletin=ready, actor=world.director)
    bulletin = Bulletin.objects.get(pk=ready.pk)
    assert (bulletin.state, bulletin.number, bulletin.issued_by) == ("ready", None, None)
    assert "磁盘已满" in bulletin.error and _audited("bulletin.issue_failed", bulletin) == 1
    assert BulletinCounter.objects.filter(last__gt=0).count() == 0 and not BulletinRecipient.objects.exists()
    client.force_login(world.director)
    page = client.get(f"/assessment/bulletins/{ready.pk}/").content.decode()
    assert "通报未能印发" in page and "磁盘已满" in page and 'data-testid="issue"' in page
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
    bulletin.refresh_from_db()
    assert (bulletin.state, bulletin.number, bulletin.error) == ("issued", 1, "")


def test_a_period_priced_again_before_the_worker_issues_it_goes_back_to_ready(world, ready,  # noqa: F811
                                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as after_commit:
        bulletins.bulletin_issue(bulletin=ready, actor=world.director)
    Pricing.objects.create(ruleset=world.ruleset, kind=Pricing.Kind.REPRICE, first_month=JAN, last_month=JAN,
                           state=Pricing.State.DONE, finished_at=timezone.now(), added=1, superseded=1, reason="改")
    after_commit[0]()
    bulletin = Bulletin.objects.get(pk=ready.pk)
    assert (bulletin.state, bulletin.number) == ("ready", None) and "重新计分" in bulletin.error


@pytest.mark.django_db(transaction=True)
def test_the_request_never_waits_on_the_worker_holding_the_row(world, other_session):  # noqa: F811
    # committed (a transactional test): generated, then its issue asked for, the worker's task not run
    bulletin = bulletins.bulletin_request(ruleset=world.ruleset, kind="quarterly", first_month=JAN, last_month=MAR,
                                          actor=world.editor)
    bulletin = Bulletin.objects.get(pk=bulletin.pk)
    assert bulletin.state == "ready"
    Bulletin.objects.filter(pk=bulletin.pk).update(state="issuing", issued_by=world.director,
                                                   queued_at=timezone.now())
    # a worker issuing it holds its row in its transaction
    with other_session.transaction():
        other_session.execute("SELECT 1 FROM assessment_bulletin WHERE id = %s FOR UPDATE", [bulletin.pk])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")  # waiting would fail here, not hang the test
            answered = bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
        assert answered.state == "issuing"


def test_the_api_answers_202_with_the_state(world, ready, django_capture_on_commit_callbacks):  # noqa: F811
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.director)
    with django_capture_on_commit_callbacks() as after_commit:
        answer = api.post(f"/api/assessment/bulletins/{ready.pk}/issue/", {}, format="json")
        retried = api.post(f"/api/assessment/bulletins/{ready.pk}/issue/", {}, format="json")
    assert answer.status_code == retried.status_code == 202
    assert answer.json()["state"] == retried.json()["state"] == "issuing" and answer.json()["number"] is None
    assert len(after_commit) == 1
    after_commit[0]()
    assert api.get(f"/api/assessment/bulletins/{ready.pk}/").json()["state"] == "issued"


