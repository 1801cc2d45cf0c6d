"""Third-party apps named in the reader's language (their own AppConfig names nothing, so the admin's index showed
their package names)."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes (failed-login throttling): the admin's index read "Axes". In INSTALLED_APPS in place of "axes"."""

    verbose_name = _("Login attempts")
