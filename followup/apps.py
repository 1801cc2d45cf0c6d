from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "followup.remind": _("sent a follow-up reminder"),
    "followup.chase": _("sent a 催办 notice"),
    "followup.overdue": _("put an overdue obligation on record"),
    "shortfall.record": _("put a shortfall on record"),
    "shortfall.withdraw": _("withdrew a shortfall"),
}


class FollowupConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "followup"
    verbose_name = _("Follow-up (督办)")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from infohub import access
        from infohub.models import register_audit_actions, register_audit_states

        from .calendar import forget_overrides
        from .models import CalendarDay, Shortfall

        # A shortfall is seen by its unit, the office it failed, and every office above the unit (who assess it).
        access.govern(Shortfall, unit="unit_id", reached=("office_id",), jurisdiction="unit__path")
        register_audit_actions(AUDIT_ACTIONS)
        register_audit_states(Shortfall, Shortfall.Kind.choices)
        post_save.connect(forget_overrides, sender=CalendarDay, dispatch_uid="followup.forget_overrides.save")
        post_delete.connect(forget_overrides, sender=CalendarDay, dispatch_uid="followup.forget_overrides.delete")
