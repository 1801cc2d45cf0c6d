"""Fixtures of the core's tests: a world of people and objects to ask the access rule about."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from alerts.models import Clock
from infohub.models import Role, User
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from submissions.models import Item
from tests.factories import person


@dataclass
class World:
    people: dict[str, User]
    item: Item
    hop: Hop
    clock: Clock
    attachment_pk: int
    secret: Item
    secret_hop: Hop
    secret_clock: Clock
    reader: User  # cleared for 秘密, at the city office


@pytest.fixture
def world(chain, settings, django_capture_on_commit_callbacks) -> World:
    settings.INFOHUB_MAX_CLASSIFICATION = "secret"
    net = chain.net
    net.clerk.clearance = "secret"
    net.clerk.save()
    people = {
        "clerk": net.clerk, "director": net.director, "other_clerk": net.other_clerk,
        "city_editor": net.city_editor, "city_director": chain.city_director,
        "city_leader": person(net.city, Role.LEADER, username="lj_leader"),
        "city_duty": person(net.city, Role.DUTY_OFFICER, username="lj_duty"),
        "public_duty": person(net.city, Role.DUTY_OFFICER, username="lj_duty_public", clearance="public"),
        "province_editor": chain.province_editor, "foreign_editor": chain.foreign_editor,
    }
    cleared_director = person(net.county, Role.DIRECTOR, username="dh_director_secret", clearance="secret")
    reader = person(net.city, Role.EDITOR, username="lj_editor_secret", clearance="secret")

    def file(title, classification, director):
        data = {
            "title": title, "body": "今日9时许，东湖区一化工厂仓库起火，消防已到场处置。", "category": "emergency",
            "urgency": "extra_urgent", "classification": classification, "contact_phone": "0571-88886666",
            "event_time": timezone.now() - timedelta(minutes=10), "event_place": "东湖区化工园区",
            "event_grade": "general", "event_type": "accident",
        }
        draft = submissions.item_create(actor=net.clerk, unit=net.county, data=data)
        if classification == "internal":
            submissions.item_update(actor=net.clerk, item=draft, data={},
                                    files=[SimpleUploadedFile("现场.pdf", b"%PDF-1.4 scene", "application/pdf")])
        with django_capture_on_commit_callbacks(execute=True):
            filed = submissions.item_submit(actor=net.clerk, item=draft)
            reviews.signoff_approve(actor=director, item=filed)
        return (Item.objects.get(pk=draft.pk), Hop.objects.get(item=draft, office=net.city),
                Clock.objects.get(item=draft, office=net.city, kind=Clock.Kind.REPORT))

    item, hop, clock = file("东湖区一化工厂发生火灾", "internal", net.director)
    secret, secret_hop, secret_clock = file("涉密：某重点工程事故", "secret", cleared_director)
    return World(people, item, hop, clock, item.attachments.get().pk, secret, secret_hop, secret_clock, reader)


