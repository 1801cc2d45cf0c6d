"""Third-party apps named in the reader's language (their own AppConfig names nothing, so the admin's index showed
their package names)."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes (failed-login throttling): the admin's index read "Axes". In INSTALLED_APPS in place of "axes"."""

    verbose_name = _("Login attempts")

    def ready(self):
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
        from django.utils import timezone

        # axes names its rows in English ("Access Log for admin @ …"), which the admin shows beside each row.
        def named(label):
            def __str__(row):
                when = getattr(row, "attempt_time", None)
                return f"{label} · {row.username} · {timezone.localtime(when):%Y-%m-%d %H:%M:%S}" if when else str(label)
            return __str__

        AccessAttempt.__str__ = named(_("access attempt"))
        AccessLog.__str__ = named(_("access log"))
        AccessFailureLog.__str__ = named(_("access failure"))
