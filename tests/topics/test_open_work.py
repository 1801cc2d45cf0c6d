"""Topic requests report their open work to the roster (infohub.openwork, issue 13): requests a unit has not
answered, and those its office sent that are still open."""

import pytest

from infohub import openwork

pytestmark = pytest.mark.django_db


def test_unanswered_and_open_requests_are_open_work(topics):
    topics.issue(units=[topics.county, topics.other])

    found = openwork.open_work([topics.county.pk, topics.other.pk, topics.city.pk, topics.third.pk])

    assert [str(w) for w in found[topics.county.pk]] == ["待回应的约稿 1"]
    assert [str(w) for w in found[topics.other.pk]] == ["待回应的约稿 1"]
    assert "发出且未结束的约稿 1" in [str(w) for w in found[topics.city.pk]]
    assert topics.third.pk not in found
