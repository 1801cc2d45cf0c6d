"""Publications report their open work to the roster (infohub.openwork, issue 13): issues an office has not signed."""

import pytest

from infohub import openwork

from .conftest import adopted_item, compiled, signed

pytestmark = pytest.mark.django_db


def test_issues_not_yet_signed_are_open_work(pubs, chain):
    signed(pubs, compiled(pubs, [adopted_item(chain, "已签发一期的稿件")]))
    compiled(pubs, [adopted_item(chain, "编辑中一期的稿件")], ptype=pubs.daily)

    found = openwork.open_work([chain.net.city.pk])

    assert "未签发的刊物 1" in [str(w) for w in found[chain.net.city.pk]]
