"""Multi-level review: an item signed off by its unit makes hops up the chain, one per receiving office."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from infohub.models import Level, Unit, User
from submissions.models import Item


class Hop(models.Model):
    """One office's handling of an item: it arrives, an editor decides, and perhaps it goes on upward.

    The item itself travels (edits become versions); the hops, linked through `previous`, are its lineage.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, awaiting review")
        ADOPTED = "adopted", _("Adopted")
        NOT_ADOPTED = "not_adopted", _("Not adopted")
        RETURNED = "returned", _("Returned for revision")
        MERGED = "merged", _("Merged into a composite item")

    class Adoption(models.TextChoices):
        FULL = "full", _("Full adoption")
        COMBINED = "combined", _("Combined adoption")
        SUMMARY = "summary", _("Summary adoption")

    class Forward(models.TextChoices):
        NONE = "", _("Not forwarded")
        AWAITING_SIGNOFF = "awaiting_signoff", _("Forwarding, awaiting the office's sign-off")
        FORWARDED = "forwarded", _("Forwarded upward")

    OPEN = (Status.RECEIVED,)

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="hops")
    office = models.ForeignKey(Unit, verbose_name=_("receiving office"), on_delete=models.PROTECT, related_name="hops_in")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    sender = models.ForeignKey(Unit, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="hops_out")
    previous = models.OneToOneField(
        "self", verbose_name=_("previous hop"), null=True, blank=True, on_delete=models.PROTECT, related_name="next"
    )
    received_at = models.DateTimeField(_("received"), db_index=True)
    # The item's urgency rank when it arrived (0 = extra urgent), so the inbox sorts on an index.
    priority = models.PositiveSmallIntegerField(_("priority"), default=2)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    adoption = models.CharField(_("adoption"), max_length=10, choices=Adoption.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    acted_at = models.DateTimeField(_("decided"), null=True, blank=True)
    acted_by = models.ForeignKey(User, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    forward = models.CharField(_("forwarding"), max_length=20, choices=Forward.choices, blank=True, default="")
    forward_requested_by = models.ForeignKey(User, verbose_name=_("forwarding proposed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    forward_requested_at = models.DateTimeField(_("forwarding proposed"), null=True, blank=True)
    forward_signed_by = models.ForeignKey(User, verbose_name=_("forwarding signed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    forwarded_at = models.DateTimeField(_("forwarded"), null=True, blank=True)
    composite = models.ForeignKey(
        Item, verbose_name=_("composite item"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged_hops"
    )

    class Meta:
        verbose_name = _("review hop")
        verbose_name_plural = _("review hops")
        ordering = ["received_at", "id"]
        constraints = [
            # An item waits in an office's inbox at most once at a time.
            models.UniqueConstraint(
                fields=["item", "office"], condition=models.Q(status="received"), name="one_open_hop_per_item_and_office"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="adopted") | ~models.Q(adoption=""), name="adopted_hop_has_adoption_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(forward="") | models.Q(status__in=["received", "adopted"]),
                name="only_received_or_adopted_hops_forward",
            ),
        ]
        indexes = [
            models.Index(fields=["office", "status", "priority", "received_at"], name="hop_inbox"),
            models.Index(fields=["office", "forward"], name="hop_forward_signoff"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.office}"
