"""Two follow-up sweeps at once (two workers, or a slow pass overlapping the next) split the work: each 催办 once."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from followup.models import Notice
from followup.sweep import sweep_all
from infohub.models import Notification, Role
from tests.factories import person
from tests.instructions.test_faults import make_assignments

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_sweeps_at_once_chase_each_assignment_once(chain):
    leader = person(chain.net.city, Role.LEADER, username="lj_leader_c")
    now = timezone.now()
    ids = make_assignments(chain, leader, [[("chase", now - timedelta(seconds=n)), ("overdue", now + timedelta(days=9))]
                                           for n in range(300)])
    start = threading.Barrier(2)
    counts, errors = [], []

    def sweep():
        try:
            start.wait()
            counts.append(sweep_all(batch_size=10)["instructions.assignment"])
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(counts) == 300
    assert Notice.objects.filter(object_id__in=ids, key="1:chase").count() == 300
    assert Notification.objects.filter(verb="followup.chase").count() == 2 * 300  # the county's clerk and director
