from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InfohubConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "infohub"
    verbose_name = _("Information network")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import Unit
        from .selectors import forget_units

        post_save.connect(forget_units, sender=Unit, dispatch_uid="infohub.forget_units.save")
        post_delete.connect(forget_units, sender=Unit, dispatch_uid="infohub.forget_units.delete")
