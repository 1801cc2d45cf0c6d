from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "pricing.request": _("asked for a pricing of the assessment ledger"),
    "pricing.done": _("priced the assessment ledger"),
    "pricing.failed": _("failed to price the assessment ledger"),
    "assessment.adjust": _("adjusted a unit's points"),
    "assessment.rewrite": _("marked an item as rewritten by the office"),
    "ruleset.activate": _("put a rule set in force"),
    "bulletin.request": _("asked for a bulletin"),
    "bulletin.regenerate": _("had a bulletin generated again"),
    "bulletin.issue": _("issued and numbered a bulletin"),
    "bulletin.issue_request": _("asked for a bulletin to be issued"),
    "bulletin.issue_failed": _("could not issue a bulletin"),
}


class AssessmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessment"
    verbose_name = _("Assessment and bulletins")

    def ready(self):
        from infohub import access
        from infohub.models import register_audit_actions, register_audit_states

        from . import tasks  # noqa: F401  (registers the tasks services schedule by name)
        from .models import Bulletin, Entry, Pricing, RuleSet, Tally

        # A unit's figures and ledger rows are seen by its own people and by the office roles of every office above
        # it (its jurisdiction, SPEC §9: "an office sees its jurisdiction"); a row naming a classified item only
        # within the reader's clearance.
        access.govern(Tally, unit="unit_id", jurisdiction="unit__path")
        access.govern(Entry, unit="unit_id", mark="item__classification", jurisdiction="unit__path")
        # A rule set's live figures — every unit's, ranked — are seen by the office roles of its assessing office and
        # of the offices above it; a unit's own people see their units' figures (Tally) and the ranking only as the
        # office issued it (a 通报's figures).
        access.govern(RuleSet, jurisdiction="office__path")
        # A bulletin (通报) is seen by the office roles of its assessing office, issued or not; once issued, by everyone
        # holding a role in a unit it names (its recipients, written at issue).
        access.govern(Bulletin, unit="recipients__unit_id", reached=("office_id", "recipients__unit_id"))
        register_audit_actions(AUDIT_ACTIONS)
        register_audit_states(Pricing, Pricing.State.choices)
        register_audit_states(RuleSet, [("inactive", _("not in force")), ("active", _("in force"))])
        register_audit_states(Bulletin, Bulletin.State.choices)
