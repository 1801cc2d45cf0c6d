from django import forms
from django.utils.translation import gettext_lazy as _

from infohub.params import BIGINT_MAX
from submissions.models import Category, Urgency


class InboxFilters(forms.Form):
    """The inbox's filters, for the page and the API alike, each parsed with its type and bounds."""

    sender = forms.IntegerField(label=_("sent by"), required=False, min_value=1, max_value=BIGINT_MAX)
    category = forms.ChoiceField(label=_("category"), required=False, choices=[("", ""), *Category.choices])
    urgency = forms.ChoiceField(label=_("urgency"), required=False, choices=[("", ""), *Urgency.choices])
    older_than_hours = forms.IntegerField(label=_("older than (hours)"), required=False, min_value=1,
                                          max_value=24 * 366)
    q = forms.CharField(label=_("search"), required=False, max_length=200)

    def filters(self) -> dict:
        """{name: typed value} of the filters given and valid (a page ignores one that is not; the API says 400)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
