"""The audit trail names states as the app of the row's object does (issue 13): one code, "signed", is 已签发 on an
issue and 办理中 on an instruction's assignment; labels are keyed by (object type, state), never by the code alone."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from infohub.models import AUDIT_STATE_LABELS, AuditLog, audit_state_label, register_audit_states

pytestmark = pytest.mark.django_db


def row(object_type, from_state, to_state, action="issue.sign"):
    return AuditLog.objects.create(action=action, object_type=object_type, object_id="1", from_state=from_state,
                                   to_state=to_state)


def test_one_code_reads_as_its_own_app_says():
    issue = row("publications.issue", "reviewed", "signed")
    assignment = row("instructions.assignment", "assigned", "signed", action="assignment.sign")
    item = row("submissions.item", "received", "merged", action="hop.merged")  # a hop's state, on the item's rows

    with translation.override("zh-hans"):
        assert (issue.from_label, issue.to_label) == ("已审核，待签发", "已签发")
        assert (assignment.from_label, assignment.to_label) == ("待签收", "办理中")
        assert (item.from_label, item.to_label) == ("已接收，待审核", "已综合")


def test_states_every_app_writes_have_labels():
    with translation.override("zh-hans"):
        assert audit_state_label("publications.issue", "discarded") == "已作废"
        assert audit_state_label("alerts.lapse", "withdrawn") == "已撤回"
        assert audit_state_label("alerts.lapse", "late") == "迟报"
        assert audit_state_label("alerts.clock", "breached") == "迟报"
        assert audit_state_label("followup.shortfall", "ignored") == "未回应"
        assert audit_state_label("topics.target", "declined") == "无此类情况"
        # a state no app registered for that object reads as its code, not as another app's label
        assert audit_state_label("submissions.item", "signed") == "signed"


def test_an_app_cannot_give_a_registered_state_of_the_same_rows_another_meaning():
    try:
        register_audit_states("tests.thing", [("open", _("Open")), ("", _("nothing"))])
        register_audit_states("tests.thing", [("open", _("Open"))])  # the same label again: fine
        register_audit_states("tests.other", [("open", _("Closed"))])  # another object's rows: its own label
        with pytest.raises(ValueError, match="open"):
            register_audit_states("tests.thing", [("open", _("Closed"))])
        assert ("tests.thing", "") not in AUDIT_STATE_LABELS
    finally:
        for key in [key for key in AUDIT_STATE_LABELS if key[0] in ("tests.thing", "tests.other")]:
            del AUDIT_STATE_LABELS[key]


def test_the_admin_audit_log_names_each_apps_states(client, django_user_model):
    row("publications.issue", "reviewed", "signed")
    row("publications.issue", "compiling", "discarded", action="issue.compile")
    row("instructions.assignment", "assigned", "signed", action="assignment.sign")
    admin = django_user_model.objects.create_superuser("root", "root@example.invalid", "x")
    client.force_login(admin)

    page = client.get(reverse("admin:infohub_auditlog_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "已审核，待签发 → 已签发" in page
    assert "编辑中 → 已作废" in page
    assert "待签收 → 办理中" in page
    for code in ("signed", "reviewed", "discarded", "assigned"):
        assert f"→ {code}" not in page and f"{code} →" not in page
