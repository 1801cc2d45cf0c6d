"""Publications on the shared `chain`: 《临江信息》 at the city office, sent to the province (报), the city's own
leaders (送) and the county (发), and items adopted at the city to compile from."""

from dataclasses import dataclass

import pytest

from infohub.models import Role, User
from publications import services
from publications.models import DistributionKind, Issue, PublicationType, TypeRecipient
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from submissions.models import Item
from tests.factories import person


@pytest.fixture(autouse=True)
def _no_exports_at_signing(settings):
    """Signing makes both files by default (LibreOffice, seconds each); the export tests ask for them."""
    settings.INFOHUB_PUBLICATION_PREPARE_EXPORTS = False


@dataclass
class Pubs:
    chain: object
    weekly: PublicationType
    daily: PublicationType
    city_leader: User  # a leader at the city office: 送 市委领导同志
    province_leader: User  # a leader at the province: 报

    @property
    def editor(self) -> User:
        return self.chain.net.city_editor

    @property
    def director(self) -> User:
        return self.chain.city_director


@pytest.fixture
def pubs(chain) -> Pubs:
    net = chain.net
    weekly = PublicationType.objects.create(name="临江信息", office=net.city, rhythm="weekly", total_offset=344,
                                            default_copies=60)
    daily = PublicationType.objects.create(name="每日要情", office=net.city, rhythm="daily", numbered_total=False)
    for ptype in (weekly, daily):
        TypeRecipient.objects.create(ptype=ptype, kind=DistributionKind.REPORT, unit=net.province)
        TypeRecipient.objects.create(ptype=ptype, kind=DistributionKind.SEND, unit=net.city, label="市委领导同志")
        TypeRecipient.objects.create(ptype=ptype, kind=DistributionKind.ISSUE, unit=net.county)
    return Pubs(chain=chain, weekly=weekly, daily=daily,
                city_leader=person(net.city, Role.LEADER, username="lj_leader"),
                province_leader=person(net.province, Role.LEADER, username="jn_leader"))


ITEM = {
    "body": "东湖区将全区划为二百一十个网格，网格员与社区民警联动排查，今年以来化解矛盾纠纷四百余起。",
    "category": "work_progress", "urgency": "normal", "classification": "internal", "contact_phone": "0571-88886666",
}


def adopted_item(chain, title: str, *, unit=None, clerk=None, director=None, adoption="full", **fields) -> Item:
    """An item filed by a county, signed off there and adopted at the city office."""
    net = chain.net
    unit, clerk, director = unit or net.county, clerk or net.clerk, director or net.director
    item = submissions.item_create(actor=clerk, unit=unit, data={**ITEM, "title": title, **fields})
    item = submissions.item_submit(actor=clerk, item=item)
    reviews.signoff_approve(actor=director, item=item)
    hop = Hop.objects.get(item=item, office=net.city, status=Hop.Status.RECEIVED)
    reviews.review_adopt(actor=net.city_editor, hop=hop, adoption=adoption)
    return Item.objects.get(pk=item.pk)


def compiled(pubs: Pubs, items, *, ptype=None, kind="regular") -> Issue:
    issue = services.issue_start(actor=pubs.editor, ptype=ptype or pubs.weekly, kind=kind)
    for item in items:
        services.issue_add_item(actor=pubs.editor, issue=issue, item=item)
    return Issue.objects.get(pk=issue.pk)


def signed(pubs: Pubs, issue: Issue) -> Issue:
    issue = services.issue_submit(actor=pubs.editor, issue=issue)
    issue = services.issue_review(actor=pubs.director, issue=issue)
    return services.issue_sign(actor=pubs.director, issue=issue)
