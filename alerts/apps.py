from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"
    verbose_name = _("Emergency deadlines")

    def ready(self):
        from . import receivers  # noqa: F401  (connects the signal receivers)
