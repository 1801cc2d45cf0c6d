from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "item.create": _("created the draft"),
    "item.update": _("edited"),
    "item.submit": _("filed for sign-off"),
    "item.withdraw": _("withdrew for correction"),
    "attachment.remove": _("removed an attachment"),
}


class SubmissionsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'submissions'
    verbose_name = _("Information items")

    def ready(self):
        from infohub import access, openwork
        from infohub.models import register_audit_actions, register_audit_states

        from . import receivers, selectors  # noqa: F401  (receivers: connects the signal receivers)
        from .models import Item

        # An item is its source unit's; once filed, the units that filed it jointly (合报) read it too; it is marked;
        # reads of a classified one are audited. Its unit, its joint units once filed and the offices it reached
        # (declared by the apps whose rows make it reach them) are kept on it as its access keys (`access_keys`).
        access.govern(Item, unit="source_unit_id", mark="classification", audited="",
                      joint="joint_units__id", joint_when={"submitted_at__isnull": False}, keys="access_keys")
        register_audit_actions(AUDIT_ACTIONS)
        register_audit_states(Item, Item.Status.choices)
        openwork.register(selectors.open_work)  # what the roster must not switch off unseen
