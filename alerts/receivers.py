"""The emergency rules follow the review chain through its signals; submissions and reviews never import us."""

from django.dispatch import receiver

from reviews.signals import item_received
from submissions.signals import item_filed

from . import services


@receiver(item_filed, dispatch_uid="alerts.item_filed")
def start_or_meet_clocks(sender, item, at, **kwargs):
    services.on_item_filed(item, at)


@receiver(item_received, dispatch_uid="alerts.item_received")
def stop_clocks(sender, item, office, at, **kwargs):
    services.on_item_received(item, office, at)
