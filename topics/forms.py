"""Forms of the topic request pages: they parse and show; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from infohub.models import Unit

from . import selectors
from .models import MAX_LENGTH_LIMIT, TopicRequest

DUE_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class UnitChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, unit: Unit) -> str:
        return unit.name


class RequestForm(forms.Form):
    """Issue a topic request for one office (its units to pick from are that office's jurisdiction)."""

    kind = forms.ChoiceField(label=_("kind"), choices=TopicRequest.Kind.choices, initial=TopicRequest.Kind.REQUEST)
    subject = forms.CharField(label=_("subject"), max_length=120)
    guidance = forms.CharField(label=_("what is wanted"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                               max_length=5000)
    length_limit = forms.IntegerField(label=_("length limit (characters)"), required=False, min_value=1,
                                      max_value=MAX_LENGTH_LIMIT)
    due_at = forms.DateTimeField(label=_("due"), input_formats=DUE_FORMATS,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    urgent = forms.BooleanField(label=_("urgent (SMS too)"), required=False)
    publication = forms.ModelChoiceField(label=_("for the publication"), queryset=TopicRequest.objects.none(),
                                         required=False, empty_label=_("— none —"))
    groups = forms.MultipleChoiceField(label=_("groups"), required=False, widget=forms.CheckboxSelectMultiple,
                                       choices=[(key, label) for key, (label, _q) in selectors.GROUPS.items()])
    units = UnitChoices(label=_("target units"), queryset=Unit.objects.none(), required=False,
                        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, office: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.office = office
        self.fields["publication"].queryset = selectors.publications_for(office)
        self.fields["units"].queryset = selectors.targetable(office)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("units") and not cleaned.get("groups") and not self.has_error("units"):
            self.add_error("units", _("Choose at least one target unit, or a group of them."))
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=1000)


class DeclineForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    revision = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=1000)
    revision = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)
