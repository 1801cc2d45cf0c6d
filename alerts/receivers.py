"""The emergency rules follow the review chain through its signals; submissions and reviews never import us."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from infohub import listcache
from reviews.signals import item_received, items_merged
from submissions.models import Item
from submissions.signals import item_filed, item_revised

from . import services
from .models import Chase, Clock


@receiver(item_filed, dispatch_uid="alerts.item_filed")
def start_or_meet_clocks(sender, item, at, **kwargs):
    services.on_item_filed(item, at)


@receiver(item_received, dispatch_uid="alerts.item_received")
def stop_clocks(sender, item, office, at, **kwargs):
    services.on_item_received(item, office, at)


@receiver(items_merged, dispatch_uid="alerts.items_merged")
def hand_clocks_to_composite(sender, composite, sources, office, at, **kwargs):
    services.on_items_merged(composite, sources, office, at)


@receiver(item_revised, dispatch_uid="alerts.item_revised")
def follow_correction(sender, item, actor, at, before, **kwargs):
    services.on_item_revised(item, actor=actor, at=at, before=before)


# Kept urgent-queue rows follow the clocks, items and chases they show (infohub.listcache).

@receiver([post_save, post_delete], sender=Clock, dispatch_uid="alerts.listcache.clock")
def clock_changed(sender, instance, **kwargs):
    """The waiting office's queue, and the sign-off list of the unit that owes the report: it shows the deadline an item
    races (submissions.deadlines). The inboxes that show it too change with the hops and the item in every case but a
    phone report, which marks them itself (alerts.services.phone_report): no query here, the sweep saves every
    clock it moves."""
    listcache.changed(listcache.office(instance.office_id), listcache.unit(instance.unit_id))


@receiver([post_save, post_delete], sender=Item, dispatch_uid="alerts.listcache.item")
def item_changed(sender, instance, **kwargs):
    offices = Clock.objects.filter(item_id=instance.pk).values_list("office_id", flat=True).distinct()
    listcache.changed(*map(listcache.office, offices))


@receiver(post_save, sender=Chase, dispatch_uid="alerts.listcache.chase")
def chase_changed(sender, instance, **kwargs):
    offices = Clock.objects.filter(chase_id=instance.pk).values_list("office_id", flat=True).distinct()
    listcache.changed(*map(listcache.office, offices))
