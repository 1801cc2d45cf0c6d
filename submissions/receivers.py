"""Kept list rows follow the items they show (infohub.listcache)."""

from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from infohub import listcache

from .models import Item


@receiver([post_save, post_delete], sender=Item, dispatch_uid="submissions.listcache.item")
def item_changed(sender, instance, **kwargs):
    """Its unit's sign-off list, and every list of the holders of its access keys (its unit, joint units, offices
    reached: the item lists) and of the keys of the items merged into it, whose rows name it. The keys are read from
    the table: this instance may have been read before a hop added one."""
    keys = set(instance.access_keys or ())
    if instance.pk is not None:
        keys.update(key for row in Item.objects.filter(Q(pk=instance.pk) | Q(outcome_composite_id=instance.pk))
                    .values_list("access_keys", flat=True) for key in row or ())
    listcache.changed(listcache.unit(instance.source_unit_id), *listcache.holders(keys))
