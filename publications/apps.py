from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "issue.start": _("started an issue"),
    "issue.compile": _("changed an issue being compiled"),
    "issue.submit": _("submitted an issue for review"),
    "issue.review": _("reviewed an issue"),
    "issue.return": _("returned an issue to its editor"),
    "issue.sign": _("signed and numbered an issue"),
}


class PublicationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "publications"
    verbose_name = _("Publications")

    def ready(self):
        from infohub import access, openwork
        from infohub.models import register_audit_actions, register_audit_states

        from . import (
            receivers,  # noqa: F401  (connects the signal receivers)
            selectors,
        )
        from .models import Credit, Issue, PublicationType

        # An issue is its publishing office's (its clerks, editors and directors compile, review and sign it); once
        # signed it reaches every recipient unit (a delivery row each), whose office roles — leaders among them —
        # read it. Its mark is the highest of its items'; reading a classified issue is audited.
        access.govern(Issue, unit="office_id", mark="classification", reached=("deliveries__unit_id",), audited="")
        # A type is seen by its office and by the units it is sent to by default.
        access.govern(PublicationType, unit="office_id", reached=("office_id", "default_recipients__unit_id"))
        # A credit (an item used in a signed issue) is seen by the credited unit, the units that filed its source
        # item jointly (合报: their share of it is priced), the publishing office and the offices above the credited
        # unit (who assess it); it names an item, so it carries that item's mark.
        access.govern(Credit, unit="unit_id", mark="item__classification", reached=("office_id",),
                      jurisdiction="unit__path", joint="source_item__joint_units__id")
        register_audit_actions(AUDIT_ACTIONS)
        # the audit log names an issue's states as its pages do, and an issue discarded while compiled
        register_audit_states(Issue, [*Issue.Status.choices, ("discarded", _("Discarded"))])
        openwork.register(selectors.open_work)  # what the roster must not switch off unseen
