"""Who may act on a deadline clock, as a right of the one access rule (infohub.access)."""

from django.utils.translation import gettext_lazy as _

from infohub.access import Right
from infohub.models import Role

# Acknowledging (签收) and logging a phone report (电话报告): a duty officer of the office the clock waits at.
ON_DUTY = Right(
    role=Role.DUTY_OFFICER, unit="office_id",
    role_refusal=_("Only a duty officer of the waiting office can do this."),
)
