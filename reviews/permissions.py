"""Who may act in the review chain. django-rules predicates shared by services, views and templates."""

import rules

from infohub.models import Role
from infohub.roles import holds
from submissions.models import Item

from .models import Hop


@rules.predicate
def is_unit_director(user, item: Item) -> bool:
    return holds(user, Role.DIRECTOR, item.source_unit_id)


@rules.predicate
def is_author(user, item: Item) -> bool:
    return item.created_by_id == user.pk


@rules.predicate
def is_office_editor(user, hop: Hop) -> bool:
    return holds(user, Role.EDITOR, hop.office_id)


@rules.predicate
def is_office_director(user, hop: Hop) -> bool:
    return holds(user, Role.DIRECTOR, hop.office_id)


@rules.predicate
def requested_the_forward(user, hop: Hop) -> bool:
    return hop.forward_requested_by_id == user.pk


can_sign_off = is_unit_director & ~is_author
can_review = is_office_editor
can_sign_forward = is_office_director & ~requested_the_forward
