"""Signals other apps listen to, so submissions never imports them.

`item_filed` is sent inside the filing transaction, the first time an item is filed (not on resubmission);
receivers write in the same transaction and defer side effects with transaction.on_commit.
"""

from django.dispatch import Signal

item_filed = Signal()  # kwargs: item, actor, at
