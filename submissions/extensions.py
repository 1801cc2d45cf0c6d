"""Extension points of the item editor for the apps above submissions (the layers point down: submissions never
imports them).

An app adds a field to the editor's page — which topic request the item answers, say — by registering an
`EditorField` from its `ready()`. The page shows the field (and the app's panel beside it), and after the item is
saved the app saves the field's value in the same transaction: a refusal (ValidationError naming the field, or
ActionRefused) undoes the item's save too, and the page shows the form again with everything typed. The API has no
such fields: each app offers its own endpoints for what it adds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms


@dataclass(frozen=True)
class EditorField:
    """One field an app adds to the item editor.

    * `name`: the form field's name (not one of the item's fields);
    * `field(user, item)`: the form field for `user` editing `item` (None: a new item), or None when not offered;
    * `initial(user, item, query)`: the value shown — from the item, or for a new item from the page's query string
      (a link "write an answer" can preselect it);
    * `save(actor=, item=, value=)`: called with the cleaned value after the item is saved, in its transaction; a value
      equal to what is stored must change nothing (a form saved unchanged changes nothing);
    * `panel`: a template included below the field (context: `field`, the bound field; `item`), or "".
    """

    name: str
    field: Callable[..., forms.Field | None]
    initial: Callable[..., Any]
    save: Callable[..., None]
    panel: str = ""


_FIELDS: dict[str, EditorField] = {}


def register_editor_field(field: EditorField) -> None:
    """Add a field to the item editor (call once, from the app's `ready()`)."""
    _FIELDS[field.name] = field


def editor_fields() -> list[EditorField]:
    return list(_FIELDS.values())


# Short notes other apps put beside an item in lists (the editor's inbox: "约稿"), by item id.
_NOTES: list[Callable[[list[int]], dict[int, list[str]]]] = []


def register_item_notes(notes: Callable[[list[int]], dict[int, list[str]]]) -> None:
    """Add a source of notes: `notes(item_ids)` answers {item id: [short text]} for those of the items it has something
    to say about, in one query. The texts must name nothing the item's readers may not see."""
    if notes not in _NOTES:
        _NOTES.append(notes)


def item_notes(item_ids: list[int]) -> dict[int, list[str]]:
    """{item id: [note]} from every registered source (one query each)."""
    found: dict[int, list[str]] = {}
    if item_ids:
        for notes in _NOTES:
            for item_id, texts in notes(list(item_ids)).items():
                found.setdefault(item_id, []).extend(texts)
    return found
