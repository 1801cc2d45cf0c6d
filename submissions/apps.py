from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'submissions'

    def ready(self):
        from infohub import access

        from . import receivers  # noqa: F401  (connects the signal receivers)
        from .models import Item

        # An item is its source unit's; it is marked; reads of a classified one are audited.
        access.govern(Item, unit="source_unit_id", mark="classification", audited="")
