"""Topic requests follow the review chain without it knowing them (the layers point down)."""

from django.dispatch import receiver

from reviews.signals import item_signed_off

from . import services


@receiver(item_signed_off, dispatch_uid="topics.item_signed_off")
def answer_sent(sender, item, actor, at, **kwargs) -> None:
    """An item that answers a topic request was signed off: the answer is sent (in the sign-off's transaction)."""
    services.item_signed_off(item=item, actor=actor, at=at)
