"""Signals of the review chain, so that other apps (alerts) follow it without reviews importing them.

All are sent inside the transaction that makes the change; receivers defer side effects with on_commit.
"""

from django.dispatch import Signal

# An item was signed off by its unit's director and left its unit (sent even when no office is above it): kwargs
# item, actor, at.
item_signed_off = Signal()
# An item reached an office (a hop was created): kwargs item, hop, office, at.
item_received = Signal()
# An item left a holder's hands upward or was decided: kwargs item, hop, actor, at.
hop_decided = Signal()
# Several received items were merged into a composite (综合) at an office: kwargs composite (the new item), sources
# (the items merged, locked), office, hop (the composite's hop at that office), at. The composite travels on in their
# place: what waits for the sources above that office waits for it (alerts.services.on_items_merged).
items_merged = Signal()
