"""Kept lists follow what they show (infohub.listcache): the compile pages' lists of adopted items not yet in a
publication change when an item goes into or out of one of its issues."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from infohub import listcache

from .models import Entry, Issue
from .selectors import publication_scope


@receiver([post_save, post_delete], sender=Entry, dispatch_uid="publications.listcache.entry")
def entry_changed(sender, instance: Entry, **kwargs) -> None:
    ptype_id = Issue.objects.filter(pk=instance.issue_id).values_list("ptype_id", flat=True).first()
    if ptype_id is not None:
        listcache.changed(publication_scope(ptype_id))
