"""Signals other apps listen to, so submissions never imports them.

`item_filed` is sent inside the filing transaction, the first time an item is filed (not on resubmission);
receivers write in the same transaction and defer side effects with transaction.on_commit.

`item_revised` is sent inside the transaction of every change to the content of a filed item — the clerk's edit of
a returned or withdrawn item before filing again (item_update), an upstream editor's edit (item_revise_filed, called
by reviews.services.review_edit) — so that what is derived from the content (an emergency's deadline clocks, counted
from its event time, grade and type) is recomputed in the same transaction.
"""

from django.dispatch import Signal

item_filed = Signal()  # kwargs: item, actor, at
item_revised = Signal()  # kwargs: item, actor, at, before ({name: value before} of the content fields that changed)
