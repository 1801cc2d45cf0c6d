from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessment"
    verbose_name = _("Assessment and bulletins")

    def ready(self):
        from infohub import access

        from .models import Entry, Tally

        # A unit's figures and ledger rows are seen by its own people and by the office roles of every office above
        # it (its jurisdiction, SPEC §9: "an office sees its jurisdiction"); a row naming a classified item only
        # within the reader's clearance.
        access.govern(Tally, unit="unit_id", jurisdiction="unit__path")
        access.govern(Entry, unit="unit_id", mark="item__classification", jurisdiction="unit__path")
