"""The start page (SPEC §10): for each role a person holds, what they must act on now, most urgent first, and where
their unit stands.

The page is a list of sections. A section is a template under templates/project/start/ and a function that gives
its context for one person (None: nothing to show, the section is left out); it is shown to people who hold one of
its roles. To add one, write both and append a `Section` to SECTIONS where it belongs in the page: sections share
no context, so branches that add sections touch one line here each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alerts.selectors import urgent_queue
from infohub.models import Role, User
from infohub.roles import holds
from instructions import selectors as instructions
from publications.selectors import start_page as publications_start_page
from reviews.selectors import forward_queue, inbox_for, signoff_queue
from submissions.selectors import clerk_start_page


@dataclass(frozen=True)
class Section:
    """One part of the start page. `roles`: shown to a person who holds any of them (empty: to everyone);
    `context(user)`: the template's context, or None to leave the section out."""

    name: str
    template: str
    context: Callable[[User], dict | None]
    roles: tuple[str, ...] = ()

    def shown_to(self, user: User) -> bool:
        return not self.roles or any(holds(user, role) for role in self.roles)


def _clerk(user: User) -> dict:
    return clerk_start_page(user)


def _director(user: User) -> dict:
    return {"to_sign": signoff_queue(user)[:10], "to_forward": forward_queue(user)[:10]}


def _editor(user: User) -> dict:
    return {"inbox": inbox_for(user)[:10]}


def _duty(user: User) -> dict:
    return {"urgent": urgent_queue(user)[:10]}


def _publications(user: User) -> dict | None:
    found = publications_start_page(user)
    return found if found.get("issues_waiting") or found.get("issues_received") else None


SECTIONS: list[Section] = [
    Section("clerk", "project/start/clerk.html", _clerk, (Role.CLERK,)),
    Section("director", "project/start/director.html", _director, (Role.DIRECTOR,)),
    Section("editor", "project/start/editor.html", _editor, (Role.EDITOR,)),
    Section("duty", "project/start/duty.html", _duty, (Role.DUTY_OFFICER,)),
    # leader: what awaits their reading, and their instructions with where each stands
    Section("leader", "project/start/leader.html", instructions.leader_start_page, (Role.LEADER,)),
    # a unit's clerks and director: the instructions it owes feedback on, feedback to sign off
    Section("instructions-owed", "project/start/instructions_owed.html", instructions.unit_start_page,
            (Role.CLERK, Role.DIRECTOR)),
    # the leader's office: instructions to assign, final feedback to review
    Section("instructions-office", "project/start/instructions_office.html", instructions.office_start_page,
            (Role.EDITOR, Role.DIRECTOR)),
    Section("publications", "project/start/publications.html", _publications),
]


@dataclass(frozen=True)
class Shown:
    section: Section
    context: dict


def start_page(user: User) -> list[Shown]:
    """The sections `user` sees, in page order, each with its context."""
    shown = []
    for section in SECTIONS:
        if section.shown_to(user):
            context = section.context(user)
            if context is not None:
                shown.append(Shown(section, context))
    return shown
