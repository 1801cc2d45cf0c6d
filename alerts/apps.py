from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "clock.start": _("started a deadline clock"),
    "clock.stop": _("stopped a deadline clock"),
    "clock.breach": _("marked the report late"),
    "clock.acknowledge": _("acknowledged the emergency"),
    "clock.phone_report": _("logged a phone report"),
    "clock.move": _("moved a deadline after a correction"),
    "clock.cancel": _("cancelled a deadline after a correction"),
    "clock.merge": _("handed a deadline over to the composite item"),
    "lapse.withdraw": _("withdrew a late report after a correction"),
    "chase.record": _("chased a unit for a report"),
    "lapse.false": _("recorded a false report"),
    "lapse.concealed": _("recorded a concealed report"),
    "clock.quarantine": _("set a deadline clock aside after an error"),
    "clock.release": _("released a deadline clock set aside"),
    "chase.repair": _("repaired a chase's time out of range"),
}


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"
    verbose_name = _("Emergency deadlines")

    def ready(self):
        from infohub import access, openwork
        from infohub.models import register_audit_actions, register_audit_states
        from submissions import deadlines
        from submissions.models import Item

        from . import (
            receivers,  # noqa: F401  (connects the signal receivers)
            selectors,
            sweep,  # noqa: F401  (registers the sweep's health with infohub.periodic, for /healthz/)
        )
        from .models import Chase, Clock, Lapse

        # An emergency reaches every office whose deadline clock waits for it (its duty officers watch it before
        # it arrives). A clock is seen by the unit that owes the report and by the waiting office and every office
        # above it (a breach escalates to the duty officers above, SPEC §5); acting on it stays with the waiting
        # office (alerts.permissions.ON_DUTY). A chase is seen by the chased unit and the chasing office; a lapse by
        # its unit and every office above it.
        access.reaches(Item, "clocks__office_id")
        access.govern(Clock, unit="unit_id", mark="item__classification", jurisdiction="office__path", audited="item")
        access.govern(Chase, unit="unit_id", reached=("office_id",))
        access.govern(Lapse, unit="unit_id", mark="item__classification", jurisdiction="unit__path")
        # The lists and pages below this layer show the deadline an item races (submissions.deadlines).
        deadlines.register(expression=selectors.racing_due_expression, racing=selectors.racing_of,
                           first_reports=selectors.first_reports_racing)
        register_audit_actions(AUDIT_ACTIONS)
        register_audit_states(Clock, Clock.State.choices)
        register_audit_states(Chase, Chase.State.choices)
        register_audit_states(Lapse, [*Lapse.Kind.choices, ("withdrawn", _("Withdrawn"))])  # a 迟报 withdrawn
        openwork.register(selectors.open_work)  # what the roster must not switch off unseen
