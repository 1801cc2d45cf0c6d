"""The Jinja2 environment of the hot list rows (`templates/jinja2/`, the `jinja2` entry of settings.TEMPLATES).

The rows of the editor's inbox, the director's sign-off list and the urgent queue are what the pages people keep
open all day redraw; Django's template engine spends about 0.1 ms on a row of them, Jinja2 a fraction of that.
Everything else stays in Django templates. The rows see only what is here and in their context: no request, no
context processors (they are kept by infohub.listcache for every reader alike).

* Escaping is Jinja2's autoescape, with `"` and `'` spelt as Django spells them (`&quot;`, `&#x27;`), so a row
  reads the same whichever engine drew it.
* `_`, `gettext`, `ngettext`: Django's translations in the active language.
* `labels("app.Model", "field")`: {value: label} of a field's choices in the active language (a value without a
  label reads as itself); read it once before the loop (`{% set urgencies = labels("submissions.Item", "urgency") %}`).
* `unit_names()`: {unit id: name} (infohub.tree.unit_names), likewise once before the loop.
* `current_timezone()` and `|local_hm(tz)`: "11-23 14:05" in that time zone, like the Django filter `local_hm`
  (looking the time zone up once per list, not once per row).
* `|person_name("created_by")`: User.__str__ from a values() row's name columns.

Rows call filters rather than functions and look values up with `row['key']`: a call from a Jinja2 template goes
through `Context.call`, about a microsecond each, which a long list feels.
"""

from functools import cache

import jinja2
from django.apps import apps
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from .rows import choices_of, person_name
from .tree import unit_names

__all__ = ["environment"]


class Template(jinja2.Template):
    def render(self, *args, **kwargs) -> str:
        # markupsafe escapes `"` and `'` as `&#34;` and `&#39;`. Only its escaping makes those two sequences here
        # (an `&` typed by someone is escaped to `&amp;`), so one pass over the output respells them.
        return super().render(*args, **kwargs).replace("&#34;", "&quot;").replace("&#39;", "&#x27;")


class Environment(jinja2.Environment):
    template_class = Template


class Labels(dict):
    def __missing__(self, value):
        return value


@cache
def _labels(model: str, field: str, language: str) -> Labels:
    with translation.override(language):
        return Labels((value, str(label)) for value, label in choices_of(apps.get_model(model), field).items())


def labels(model: str, field: str) -> Labels:
    """{value: label} of `model`'s ("app_label.Model") field choices in the active language."""
    return _labels(model, field, translation.get_language())


def local_hm(when, tz) -> str:
    """"11-23 14:05" in the time zone `tz`; "" for no time."""
    return when.astimezone(tz).strftime("%m-%d %H:%M") if when else ""


def environment(**options) -> jinja2.Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(gettext, ngettext)
    env.globals.update(labels=labels, unit_names=unit_names, current_timezone=timezone.get_current_timezone)
    env.filters.update(local_hm=local_hm, person_name=person_name)
    return env
