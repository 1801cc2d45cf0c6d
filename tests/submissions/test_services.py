from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from infohub.errors import IllegalTransition, NotPermitted, StaleRevision
from infohub.models import AuditLog
from submissions import services
from submissions.models import Attachment, Item, ReportKind
from submissions.selectors import version_diff

pytestmark = pytest.mark.django_db


def emergency_data(**overrides) -> dict:
    data = {
        "title": "西岭县石桥镇发生一起山体滑坡",
        "body": "今日14时许，石桥镇某村发生山体滑坡，掩埋民房两间，现场已组织救援。",
        "category": "emergency",
        "urgency": "extra_urgent",
        "classification": "internal",
        "contact_phone": "0571-88886666",
        "event_time": timezone.now() - timedelta(minutes=40),
        "event_place": "石桥镇某村",
        "event_grade": "large",
        "deaths": 0,
        "injuries": 2,
        "missing": 1,
        "measures": "已疏散群众三十余人，消防、应急力量到场处置。",
    }
    data.update(overrides)
    return data


def test_clerk_creates_a_draft_and_it_is_audited(network, good_item_data):
    # when
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    # then
    assert item.status == Item.Status.DRAFT
    assert item.source_unit == network.county
    assert item.versions.count() == 0  # not filed yet
    log = AuditLog.objects.get(object_id=str(item.pk), action="item.create")
    assert (log.actor, log.to_state) == (network.clerk, "draft")


def test_only_a_clerk_of_the_unit_may_draft_for_it(network, good_item_data):
    with pytest.raises(NotPermitted):
        services.item_create(actor=network.other_clerk, unit=network.county, data=good_item_data)
    with pytest.raises(NotPermitted):
        services.item_create(actor=network.director, unit=network.county, data=good_item_data)
    assert not Item.objects.exists()


def test_classification_above_the_accreditation_is_refused_naming_the_channel(network, good_item_data, settings):
    # given a network accredited up to 内部 (the default)
    settings.INFOHUB_CONFIDENTIAL_CHANNEL = "省委机要局密码通道"
    # when / then
    with pytest.raises(ValidationError) as refused:
        services.item_create(actor=network.clerk, unit=network.county, data={**good_item_data, "classification": "secret"})
    message = " ".join(refused.value.message_dict["classification"])
    assert "省委机要局密码通道" in message
    assert not Item.objects.exists()


def test_a_deployment_accredited_for_secret_accepts_secret_only_for_cleared_people(network, good_item_data, settings):
    settings.INFOHUB_MAX_CLASSIFICATION = "secret"
    with pytest.raises(NotPermitted):
        services.item_create(actor=network.clerk, unit=network.county, data={**good_item_data, "classification": "secret"})
    network.clerk.clearance = "secret"
    network.clerk.save()
    item = services.item_create(actor=network.clerk, unit=network.county, data={**good_item_data, "classification": "secret"})
    assert item.classification == "secret"


def test_emergency_needs_its_event_fields_to_be_filed_not_to_be_drafted(network):
    draft = services.item_create(
        actor=network.clerk, unit=network.county, data=emergency_data(event_time=None, event_place="", event_grade="")
    )
    with pytest.raises(ValidationError) as refused:
        services.item_submit(actor=network.clerk, item=draft)
    assert set(refused.value.message_dict) == {"event_time", "event_place", "event_grade"}
    draft.refresh_from_db()
    assert draft.status == Item.Status.DRAFT and draft.submitted_at is None


def test_a_filed_item_stays_complete(network, good_item_data):
    item = services.item_submit(actor=network.clerk, item=services.item_create(
        actor=network.clerk, unit=network.county, data=good_item_data))
    item.body = ""
    with pytest.raises(ValidationError) as refused:
        item.full_clean()
    assert set(refused.value.message_dict) == {"body"}


def test_emergency_is_a_first_report_with_casualties(network):
    item = services.item_create(actor=network.clerk, unit=network.county, data=emergency_data())
    assert item.report_kind == ReportKind.FIRST
    assert (item.deaths, item.injuries, item.missing) == (0, 2, 1)


@pytest.mark.parametrize(
    "event_time, code",
    [(timedelta(hours=1), "event_time_future"), (-timedelta(days=400), "event_time_too_old")],
)
def test_event_time_out_of_range_is_refused(network, event_time, code):
    with pytest.raises(ValidationError) as refused:
        services.item_create(
            actor=network.clerk, unit=network.county, data=emergency_data(event_time=timezone.now() + event_time)
        )
    assert refused.value.error_dict["event_time"][0].code == code


def test_event_fields_are_cleared_when_the_item_is_not_an_emergency(network):
    item = services.item_create(actor=network.clerk, unit=network.county, data=emergency_data(category="work_progress"))
    assert item.event_time is None and item.event_place == "" and item.injuries is None


def test_attachments_of_a_forbidden_type_or_size_are_refused_and_nothing_is_written(network, good_item_data, settings):
    settings.INFOHUB_ATTACHMENT_MAX_BYTES = 1000
    exe = SimpleUploadedFile("tool.exe", b"MZ" * 10)
    big = SimpleUploadedFile("report.pdf", b"%PDF" + b"0" * 2000)
    for bad in (exe, big):
        with pytest.raises(ValidationError):
            services.item_create(actor=network.clerk, unit=network.county, data=good_item_data, files=[bad])
    assert not Item.objects.exists() and not Attachment.objects.exists()


def test_a_good_attachment_is_stored_under_the_item(network, good_item_data):
    doc = SimpleUploadedFile("情况说明.docx", b"PK\x03\x04 docx bytes", content_type="application/vnd.openxmlformats")
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data, files=[doc])
    attachment = item.attachments.get()
    assert attachment.original_name == "情况说明.docx"
    assert attachment.file.name.startswith(f"attachments/{item.pk}/")
    assert attachment.file.read() == b"PK\x03\x04 docx bytes"


def test_submit_files_the_item_with_version_one(network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    # when
    item = services.item_submit(actor=network.clerk, item=item, expected_revision=item.revision)
    # then
    assert item.status == Item.Status.PENDING_SIGNOFF
    assert item.submitted_at is not None
    assert list(item.versions.values_list("number", flat=True)) == [1]
    log = AuditLog.objects.get(object_id=str(item.pk), action="item.submit")
    assert (log.from_state, log.to_state) == ("draft", "pending_signoff")


def test_a_pending_item_cannot_be_edited_or_submitted_again(network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    services.item_submit(actor=network.clerk, item=item)
    with pytest.raises(IllegalTransition) as refused:
        services.item_update(actor=network.clerk, item=item, data={"title": "改"})
    assert "待签发" in str(refused.value.message) or "Awaiting sign-off" in str(refused.value.message)
    with pytest.raises(IllegalTransition):
        services.item_submit(actor=network.clerk, item=item)


def test_every_edit_after_filing_is_a_version_with_a_diff(network, good_item_data):
    # given a filed item, withdrawn to correct it
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    item = services.item_submit(actor=network.clerk, item=item)
    item = services.item_withdraw(actor=network.clerk, item=item)
    # when the clerk corrects the body and files again
    item = services.item_update(
        actor=network.clerk, item=item, data={"body": good_item_data["body"].replace("四百余起", "四百三十起")}
    )
    item = services.item_submit(actor=network.clerk, item=item)
    # then: v1 at filing, v2 the edit; resubmitting unchanged adds none
    versions = list(item.versions.all())
    assert [v.number for v in versions] == [1, 2]
    diff = version_diff(versions[0], versions[1])
    assert set(diff) == {"body"}
    assert [s.text for s in diff["body"] if s.op == "delete"] == ["余"]
    assert [s.text for s in diff["body"] if s.op == "insert"] == ["三十"]


def test_a_stale_revision_is_refused(network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    read_revision = item.revision
    services.item_update(actor=network.clerk, item=item, data={"title": "第一次修改"})
    with pytest.raises(StaleRevision):
        services.item_update(actor=network.clerk, item=item, data={"title": "第二次修改"}, expected_revision=read_revision)
    assert Item.objects.get(pk=item.pk).title == "第一次修改"


def test_a_foreign_clerk_cannot_edit_submit_or_withdraw(network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    with pytest.raises(NotPermitted):
        services.item_update(actor=network.other_clerk, item=item, data={"title": "越权"})
    with pytest.raises(NotPermitted):
        services.item_submit(actor=network.other_clerk, item=item)
    services.item_submit(actor=network.clerk, item=item)
    with pytest.raises(NotPermitted):
        services.item_withdraw(actor=network.other_clerk, item=item)


def test_withdraw_only_while_awaiting_sign_off(network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    with pytest.raises(IllegalTransition):
        services.item_withdraw(actor=network.clerk, item=item)
