"""Rows of the two long review lists (inbox, sign-off), built in Python (see infohub.rows for why)."""

from django import template
from django.utils.safestring import mark_safe

from infohub.rows import choice_labels, escape, local_hm_formatter, person_name
from infohub.tree import unit_names
from submissions.models import Item

register = template.Library()


def _labels(field: str) -> dict[str, str]:
    return choice_labels(Item, field)


INBOX_ROW = """<tr>{checkbox}
      <td><span class="mark-inline mark-{classification}">{classification_label}</span>
        <a href="{hop_url}{id}/">{title}</a></td>
      <td><span class="urgency-{urgency}">{urgency_label}</span></td>
      <td>{sender}{source}</td>
      <td>{category}</td>
      <td>{received}</td></tr>
""".format
INBOX_CHECKBOX = '<td><input type="checkbox" name="hops" value="{id}" aria-label="{title}"></td>'.format
INBOX_SOURCE = '<br><span class="muted">{}</span>'.format


@register.simple_tag
def inbox_rows(hops, tab: str, hop_url: str) -> str:
    """`hops`: dicts of the inbox view's INBOX_COLUMNS. The tick box is there only on the "received" tab."""
    classifications, urgencies, categories = _labels("classification"), _labels("urgency"), _labels("category")
    local_hm, hop_url, names, rows = local_hm_formatter(), escape(hop_url), unit_names(), []
    for hop in hops:
        pk, title = hop["id"], escape(hop["item__title"])
        classification, urgency = escape(hop["item__classification"]), escape(hop["item__urgency"])
        rows.append(INBOX_ROW(
            checkbox=INBOX_CHECKBOX(id=pk, title=title) if tab == "received" else "",
            classification=classification,
            classification_label=classifications.get(hop["item__classification"]) or classification,
            hop_url=hop_url, id=pk, title=title,
            urgency=urgency, urgency_label=urgencies.get(hop["item__urgency"]) or urgency,
            sender=escape(names[hop["sender_id"]]),
            # Forwarded items name the unit they started from under the sender.
            source=INBOX_SOURCE(escape(names[hop["item__source_unit_id"]]))
            if hop["sender_id"] != hop["item__source_unit_id"] else "",
            category=categories.get(hop["item__category"]) or escape(hop["item__category"]),
            received=local_hm(hop["received_at"]),
        ))
    return mark_safe("".join(rows))


SIGNOFF_ROW = """<tr><td><input type="checkbox" name="items" value="{id}" aria-label="{title}"></td>
      <td><span class="mark-inline mark-{classification}">{classification_label}</span>
        <a href="{signoff_url}{id}/">{title}</a>
        <details><summary class="muted">{read_label}</summary><div class="body prewrap">{body}</div></details></td>
      <td><span class="urgency-{urgency}">{urgency_label}</span></td>
      <td>{unit}</td><td>{filed_by}</td>
      <td>{filed}</td>
      <td>{length}</td></tr>
""".format


@register.simple_tag
def signoff_rows(items, signoff_url: str, read_label: str) -> str:
    """`items`: dicts of the sign-off view's SIGNOFF_COLUMNS."""
    classifications, urgencies = _labels("classification"), _labels("urgency")
    local_hm, signoff_url, read_label = local_hm_formatter(), escape(signoff_url), escape(read_label)
    names = unit_names()
    return mark_safe("".join(
        SIGNOFF_ROW(
            id=item["id"], title=escape(item["title"]), body=escape(item["body"]), read_label=read_label,
            signoff_url=signoff_url, classification=escape(item["classification"]),
            classification_label=classifications.get(item["classification"]) or escape(item["classification"]),
            urgency=escape(item["urgency"]), urgency_label=urgencies.get(item["urgency"]) or escape(item["urgency"]),
            unit=escape(names[item["source_unit_id"]]), filed_by=escape(person_name(item, "created_by")),
            filed=local_hm(item["submitted_at"]), length=len(item["body"]),
        )
        for item in items
    ))


@register.simple_tag
def options(choices, selected: str) -> str:
    """The `<option>`s of (value, label) pairs, the one equal to `selected` (from the query string) selected."""
    return mark_safe("".join(
        f'<option value="{escape(str(value))}"{" selected" if str(value) == selected else ""}>{escape(str(label))}</option>'
        for value, label in choices
    ))
