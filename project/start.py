"""The start page (SPEC §10): for each role a person holds, what they must act on now, most urgent first, and where
their unit stands.

The page is a list of sections. A section is a template under templates/project/start/ and a function that gives
its context for one person (None: nothing to show, the section is left out); it is shown to people who hold one of
its roles. To add one, write both and append a `Section` to SECTIONS where it belongs in the page: sections share
no context, so branches that add sections touch one line here each. What a clerk must act on is one list, most
urgent first, gathered from every app by the functions in CLERK_TASKS: a kind of task is one more function there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from alerts import selectors as alerts
from infohub.models import Role, User
from infohub.roles import holds, unit_ids_where
from instructions import selectors as instructions
from publications.selectors import start_page as publications_start_page
from reviews import selectors as reviews
from submissions import selectors as submissions
from topics.selectors import start_page as topics_start_page
from topics.selectors import target_reason


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


@dataclass(frozen=True)
class Task:
    """One thing to act on: what kind of task (`kind`, e.g. 催报), what (`title`, `report` 首报/续报二 when it is an
    emergency's report), where to act (`url`), by when (`due`, for a live countdown; `missed` once the deadline has
    passed and was marked, `missed_word` what such a task is called then: 迟报 for a report, 已逾期 for what is owed
    an office) and a note (a reason given, who asks)."""

    kind: str
    title: str
    url: str
    due: datetime | None = None
    note: str = ""
    report: str = ""
    missed: bool = False
    missed_word: str = ""


def month_start() -> datetime:
    """The first moment of this month in Asia/Shanghai (the time zone of every page)."""
    return timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


# --- clerk ---------------------------------------------------------------------------------------------------------


def _chases(user: User, found: dict) -> list[Task]:
    units = unit_ids_where(user, Role.CLERK)
    return [Task(_("Chased"), chase.summary, reverse("submissions:item_create"), chase.due_at,
                 _("%(office)s asks %(unit)s for a report") % {"office": chase.office.name, "unit": chase.unit.name})
            for chase in alerts.chases_owed(user, units)]


def _follow_ups(user: User, found: dict) -> list[Task]:
    units = unit_ids_where(user, Role.CLERK)
    return [Task(_("Follow-up due"), clock.item.title, reverse("submissions:item_detail", args=[clock.item_id]),
                 clock.due_at, _("Due at %(office)s") % {"office": clock.office.name}, report=_("Follow-up report"),
                 missed=clock.state == "breached")
            for clock in alerts.follow_ups_owed(user, units)]


def _returned(user: User, found: dict) -> list[Task]:
    return [Task(_("Returned for revision"), item.title, reverse("submissions:item_edit", args=[item.pk]),
                 item.racing_due, item.return_reason, report=item.report_label)
            for item in found["returned"]]


def _drafts(user: User, found: dict) -> list[Task]:
    return [Task(_("Draft"), item.heading, reverse("submissions:item_edit", args=[item.pk]), item.racing_due,
                 report=item.report_label)
            for item in found["drafts"]]


def _topic_requests(user: User, found: dict) -> list[Task]:
    """Topic requests my units owe an answer to (no reply yet — overdue or returned by the director among them — or
    "nothing to report" awaiting the director), each saying why it is here."""
    now = timezone.now()
    return [Task(_("Topic request"), target.request.subject,
                 reverse("topics:request_detail", args=[target.request_id]) + f"#target-{target.pk}", target.due_at,
                 _("%(office)s asks %(unit)s") % {"office": target.request.office.name, "unit": target.unit.name}
                 + "：" + target_reason(target, now),
                 missed=target.due_at <= now, missed_word=pgettext("follow-up colour", "Overdue"))
            for target in topics_start_page(user).get("topics_owed", ())]


def _instructions(user: User, found: dict) -> list[Task]:
    """Assignments of leader instructions my units owe that want action now: overdue or due today, returned by the
    office to redo, feedback the director returned — each with its reason."""
    return [Task(_("Instruction"), assignment.instruction.title, assignment.get_absolute_url(), assignment.due_at,
                 assignment.reason, missed=assignment.due_at <= timezone.now(),
                 missed_word=pgettext("follow-up colour", "Overdue"))
            for assignment in instructions.clerk_tasks(user)]


# What a clerk must act on, each kind from its app; `found` holds the items submissions.selectors.clerk_start_page
# found.
CLERK_TASKS: list[Callable[[User, dict], list[Task]]] = [_chases, _follow_ups, _instructions, _topic_requests, _returned,
                                                         _drafts]


def most_urgent_first(tasks: list[Task]) -> list[Task]:
    """Tasks with a deadline first, the nearest first; then the rest in the order given."""
    return sorted(tasks, key=lambda task: (task.due is None, task.due or 0))


def _clerk(user: User) -> dict:
    units = unit_ids_where(user, Role.CLERK)
    found = submissions.clerk_start_page(user)
    since = month_start()
    return {
        **found,
        "tasks": most_urgent_first([task for gather in CLERK_TASKS for task in gather(user, found)]),
        "since": since,
        "filed": submissions.filed_since(units, since),
        "lapses": alerts.unit_lapses(user, units, since),
    }


# --- director ------------------------------------------------------------------------------------------------------


def _director(user: User) -> dict:
    units = unit_ids_where(user, Role.DIRECTOR)
    since = month_start()
    return {
        "to_sign": list(reviews.signoff_queue_by_deadline(user)[:10]),
        "to_sign_count": reviews.signoff_queue(user).count(),
        "to_forward": list(reviews.forward_queue(user)[:10]),
        "chases": alerts.chases_owed(user, units),
        "since": since,
        "filed": submissions.filed_since(units, since),
        "adopted": reviews.adoptions_since(user, units, since),
        "lapses": alerts.unit_lapses(user, units, since),
        "units": sorted(units),
    }


# --- editor and duty officer ------------------------------------------------------------------------------------------


def _editor(user: User) -> dict:
    return reviews.inbox_summary(user)


def _duty(user: User) -> dict:
    return alerts.queue_summary(user)


def _publications(user: User) -> dict | None:
    found = publications_start_page(user)
    return found if found.get("issues_waiting") or found.get("issues_received") else None


def _topics(user: User) -> dict | None:
    """Topic requests: "nothing to report" replies awaiting my signature, my offices' open requests, and what my units
    owe (a clerk finds those among his tasks instead)."""
    found = topics_start_page(user)
    if holds(user, Role.CLERK):
        found.pop("topics_owed", None)
    return found if set(found) - {"topics_now"} else None


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
    Section("topics", "project/start/topics.html", _topics),
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
