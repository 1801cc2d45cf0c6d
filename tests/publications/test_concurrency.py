"""Numbers are given by the database under real concurrency: twenty issues of one publication signed at the same moment
by twenty transactions in twenty threads (each its own Postgres connection) get twenty consecutive numbers, and one
that fails after taking its number gives it back."""

import threading

import pytest
from django.db import connection

from publications import services
from publications.models import Delivery, Issue, IssueCounter

from .conftest import adopted_item, compiled

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = 20


def _reviewed_issues(pubs, count: int) -> list[Issue]:
    issues = []
    for n in range(count):
        issue = compiled(pubs, [adopted_item(pubs.chain, f"并发签发测试第{n + 1}条")])
        services.issue_submit(actor=pubs.editor, issue=issue)
        issues.append(services.issue_review(actor=pubs.director, issue=issue))
    return issues


def _sign_all_at_once(pubs, issues: list[Issue]) -> dict[int, Exception | None]:
    barrier = threading.Barrier(len(issues))
    outcome: dict[int, Exception | None] = {}

    def sign(issue: Issue) -> None:
        try:
            barrier.wait(timeout=30)
            services.issue_sign(actor=pubs.director, issue=issue)
            outcome[issue.pk] = None
        except Exception as error:  # recorded, asserted below
            outcome[issue.pk] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(issue,)) for issue in issues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcome


def test_twenty_issues_signed_at_the_same_moment_get_twenty_consecutive_numbers(pubs):
    issues = _reviewed_issues(pubs, COUNT)
    outcome = _sign_all_at_once(pubs, issues)
    assert outcome == {issue.pk: None for issue in issues}
    signed = Issue.objects.filter(pk__in=[i.pk for i in issues])
    assert sorted(signed.values_list("number", flat=True)) == list(range(1, COUNT + 1))
    assert sorted(signed.values_list("total_number", flat=True)) == list(range(345, 345 + COUNT))
    # each number went with the cumulative number taken in the same transaction: they rise together
    pairs = sorted(signed.values_list("number", "total_number"))
    assert all(total - number == 344 for number, total in pairs)
    assert IssueCounter.objects.get(ptype=pubs.weekly, kind="regular").last == COUNT


def test_a_signature_that_fails_after_taking_its_number_leaves_no_gap(pubs, monkeypatch):
    issues = _reviewed_issues(pubs, 6)
    doomed = issues[2]
    manager = Delivery.objects  # the same manager instance every time it is asked for
    original = manager.bulk_create

    def failing_bulk_create(rows, *args, **kwargs):
        if any(row.issue_id == doomed.pk for row in rows):
            raise RuntimeError("the delivery failed")  # after the number was taken
        return original(rows, *args, **kwargs)

    monkeypatch.setattr(manager, "bulk_create", failing_bulk_create)
    outcome = _sign_all_at_once(pubs, issues)
    assert isinstance(outcome[doomed.pk], RuntimeError)
    assert [outcome[i.pk] for i in issues if i.pk != doomed.pk] == [None] * 5
    numbers = sorted(Issue.objects.filter(status="signed").values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5]
    assert Issue.objects.get(pk=doomed.pk).number is None
