"""Who may do what with an item: django-rules predicates that services, views and templates all ask."""

import rules

from infohub.models import Role
from infohub.roles import holds

from .models import Item

# Roles that work on their own unit's items.
UNIT_ROLES = (Role.CLERK, Role.DIRECTOR)


@rules.predicate
def is_unit_clerk(user, item: Item) -> bool:
    return holds(user, Role.CLERK, item.source_unit_id)


@rules.predicate
def is_unit_member(user, item: Item) -> bool:
    return any(holds(user, role, item.source_unit_id) for role in UNIT_ROLES)


@rules.predicate
def has_clearance(user, item: Item) -> bool:
    return user.may_open(item.classification)


@rules.predicate
def is_editable_state(user, item: Item) -> bool:
    return item.status in (Item.Status.DRAFT, Item.Status.RETURNED)


@rules.predicate
def is_pending_signoff(user, item: Item) -> bool:
    return item.status == Item.Status.PENDING_SIGNOFF


@rules.predicate
def is_open_first_report(user, item: Item) -> bool:
    return (
        item.report_kind == "first"
        and item.is_filed
        and not item.follow_ups.filter(report_kind="final").exists()
    )


can_view_item = is_unit_member & has_clearance
can_edit_item = is_unit_clerk & has_clearance & is_editable_state
can_withdraw_item = is_unit_clerk & has_clearance & is_pending_signoff
can_follow_up = is_unit_clerk & is_open_first_report
