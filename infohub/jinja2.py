"""The Jinja2 environment of the hot list rows (`templates/jinja2/`, the `jinja2` entry of settings.TEMPLATES).

The rows of the editor's inbox, the director's sign-off list, the urgent queue and the item list (and its searches)
are what the pages people keep open all day redraw; Django's template engine spends about 0.1 ms on a row of them,
Jinja2 a fraction of that. Everything else stays in Django templates. The rows see only what is here and in their context: no request, no
context processors (they are kept by infohub.listcache for every reader alike).

* Escaping is Jinja2's autoescape, done by `escape` below rather than markupsafe's: `"` and `'` spelt as Django
  spells them (`&quot;`, `&#x27;`), so a row reads the same whichever engine drew it, and no Markup made for each
  of a row's dozen values.
* `_`, `gettext`, `ngettext`: Django's translations in the active language.
* `labels("app.Model", "field")`: {value: label} of a field's choices in the active language (a value without a
  label reads as itself); read it once before the loop (`{% set urgencies = labels("submissions.Item", "urgency") %}`).
* `unit_names()`: {unit id: name} (infohub.tree.unit_names), likewise once before the loop.
* `current_timezone()` and `|local_hm(tz)`: "11-23 14:05" in that time zone, like the Django filter `local_hm`
  (looking the time zone up once per list, not once per row); `|local_ymd_hm(tz)`: "2026-11-23 14:05".
* `|epoch`: a time as whole seconds since the epoch, for a countdown's `data-due`.
* `|person_name("created_by")`: User.__str__ from a values() row's name columns.
* `|e`: escaped at once, for what every row writes again (`{% set late = _("Late")|e %}`).

Rows call filters rather than functions and look values up with `row['key']`: a call from a Jinja2 template goes
through `Context.call`, about a microsecond each, which a long list feels. Measured against the Python-built rows
these templates replaced (2-core machine, best of many): 25 inbox rows with the table around them 0.88 ms (0.92),
25 sign-off rows 0.94 ms (0.95), 50 queue rows 0.55 ms (0.51); Django's template engine took 4-6 times as long.
"""

import operator
from functools import cache

import jinja2
from django.apps import apps
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from .rows import choices_of, person_name
from .tree import unit_names

__all__ = ["environment"]


def escape(value) -> str:
    """What `{{ value }}` writes: the five characters escaped as Django escapes them (`&quot;`, `&#x27;`, not
    markupsafe's `&#34;`, `&#39;`), a value marked safe as it is; a str, not a Markup (the rows are joined anyway).
    html.escape's replacements written out: a call fewer for each of a row's dozen values."""
    cls = type(value)
    if cls is not str:
        if cls is int or cls is float:  # ids, timestamps: nothing to escape
            return str(value)
        if hasattr(value, "__html__"):
            return value.__html__()
        value = str(value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#x27;")


def escaped(value):
    """`|e`: escaped now, once (a value a list writes on every row), and marked safe."""
    return mark_safe(escape(value))


class Template(jinja2.Template):
    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):
        template = super().from_code(environment, code, globals, uptodate)
        # The compiled template calls the name `escape` for each autoescaped {{ }}: this module's, not markupsafe's.
        template.root_render_func.__globals__["escape"] = escape
        return template


class Environment(jinja2.Environment):
    template_class = Template
    # `row['key']` is the dict's own lookup, not Jinja2's (which tries an attribute after a missing key and writes an
    # empty cell): a row has a score of them, and a missing column is an error here, not something to hide.
    getitem = staticmethod(operator.getitem)

    def make_globals(self, d):
        # A template's globals as a plain dict, not Jinja2's ChainMap over the environment's: every render copies
        # them, and copying the ChainMap cost ~10 µs (a KeyError per global), a dict well under one. Nothing
        # changes the environment's globals once `environment()` has made it.
        return {**self.globals, **(d or {})}


class Labels(dict):
    def __missing__(self, value):
        return value


@cache
def _labels(model: str, field: str, language: str) -> Labels:
    with translation.override(language):
        return Labels((value, mark_safe(escape(str(label)))) for value, label in choices_of(apps.get_model(model), field).items())


def labels(model: str, field: str) -> Labels:
    """{value: label} of `model`'s ("app_label.Model") field choices in the active language, escaped once per
    language (a row writes them as they are)."""
    return _labels(model, field, translation.get_language())


def local_hm(when, tz) -> str:
    """"11-23 14:05" in the time zone `tz`; "" for no time."""
    return when.astimezone(tz).strftime("%m-%d %H:%M") if when else ""


def local_ymd_hm(when, tz) -> str:
    """"2026-11-23 14:05" in the time zone `tz` (the Django filters `localtime|date:"Y-m-d H:i"`); "" for no time."""
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else ""


def epoch(when) -> int:
    """A time as whole seconds since the epoch (what the pages' countdowns count down to)."""
    return int(when.timestamp())


def environment(**options) -> jinja2.Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(gettext, ngettext)
    env.globals.update(labels=labels, unit_names=unit_names, current_timezone=timezone.get_current_timezone)
    env.filters.update(local_hm=local_hm, local_ymd_hm=local_ymd_hm, epoch=epoch, person_name=person_name, e=escaped, escape=escaped)
    return env
