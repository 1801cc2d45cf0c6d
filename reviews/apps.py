from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'reviews'

    def ready(self):
        from infohub import access
        from submissions.models import Item

        from . import receivers  # noqa: F401  (connects the signal receivers)
        from .models import Hop

        # An item reaches every office it was sent to; a hop is seen by the people of its office.
        access.reaches(Item, "hops__office_id")
        access.govern(Hop, mark="item__classification", reached=("office_id",), audited="item")
