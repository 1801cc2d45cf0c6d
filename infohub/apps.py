from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InfohubConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "infohub"
    verbose_name = _("Information network")
