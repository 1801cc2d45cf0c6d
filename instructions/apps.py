from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "instruction.write": _("wrote an instruction"),
    "instruction.register": _("registered a paper instruction"),
    "instruction.assign": _("assigned an instruction (交办)"),
    "instruction.report": _("reported back to the leader"),
    "instruction.close": _("closed an instruction (办结)"),
    "instruction.reopen": _("reopened an instruction after a check (回访)"),
    "assignment.sign": _("signed for an assignment (签收)"),
    "assignment.answer": _("answered an assignment"),
    "assignment.review": _("reviewed an assignment's feedback"),
    "feedback.post": _("wrote feedback"),
    "feedback.signoff": _("signed feedback off"),
    "feedback.redo": _("returned feedback to its writer"),
    "feedback.resubmit": _("sent feedback again"),
    "feedback.accept": _("accepted feedback"),
    "feedback.return": _("returned feedback to redo"),
    "extension.request": _("asked for more time"),
    "extension.grant": _("granted more time"),
    "extension.refuse": _("refused more time"),
    "extension.settle": _("settled a pending request for more time"),
}


class InstructionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "instructions"
    verbose_name = _("Leader instructions (批示)")

    def ready(self):
        from followup import sweep
        from infohub import access, openwork
        from infohub.models import register_audit_actions, register_audit_states

        from . import selectors
        from .models import Assignment, Extension, Feedback, Instruction

        # An instruction is its office's (the leader's office: its leaders, editors, directors, duty officers).
        # An assignment is seen by the unit it names and by that office; a unit does not see the other units'
        # parts, nor the instruction's page — its assignment page shows what it is asked. Feedback and extension
        # requests go with their assignment. All carry the mark of what the instruction was written on.
        access.govern(Instruction, mark="classification", reached=("office_id",))
        access.govern(Assignment, unit="unit_id", mark="instruction__classification", reached=("office_id",))
        for model in (Feedback, Extension):
            access.govern(model, unit="assignment__unit_id", mark="assignment__instruction__classification",
                          reached=("assignment__office_id",))
        register_audit_actions(AUDIT_ACTIONS)
        for model in (Instruction, Assignment, Feedback, Extension):
            register_audit_states(model, model.State.choices)
        sweep.register(Assignment, label=_("instruction follow-up sweep"))
        openwork.register(selectors.open_work)  # what the roster must not switch off unseen
