"""Kept list rows follow the items they show (infohub.listcache)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from infohub import listcache

from .models import Item


@receiver([post_save, post_delete], sender=Item, dispatch_uid="submissions.listcache.item")
def item_changed(sender, instance, **kwargs):
    listcache.changed(listcache.unit(instance.source_unit_id))  # its unit's sign-off list
