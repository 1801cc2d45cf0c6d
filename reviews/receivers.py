"""Kept inbox rows follow the hops and items they show (infohub.listcache)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from infohub import listcache
from submissions.models import Item

from .models import Hop


@receiver([post_save, post_delete], sender=Hop, dispatch_uid="reviews.listcache.hop")
def hop_changed(sender, instance, **kwargs):
    listcache.changed(listcache.office(instance.office_id))


@receiver([post_save, post_delete], sender=Item, dispatch_uid="reviews.listcache.item")
def item_changed(sender, instance, **kwargs):
    """An item's title or marks show in the inbox of every office it reached."""
    offices = Hop.objects.filter(item_id=instance.pk).values_list("office_id", flat=True).distinct()
    listcache.changed(*map(listcache.office, offices))
