from django import forms
from django.utils.translation import gettext_lazy as _

from infohub.models import Unit
from submissions.models import validate_event_time

from .models import Chase, Lapse


class PhoneReportForm(forms.Form):
    note = forms.CharField(label=_("What the caller reported"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=2000)


class ChaseForm(forms.Form):
    office = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("chasing office"), empty_label=None)
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("unit chased"))
    channel = forms.ChoiceField(choices=Chase.Channel.choices, label=_("learned from"))
    summary = forms.CharField(label=_("what is known"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    # As an emergency report's event time: not in the future, not older than INFOHUB_EVENT_TIME_MAX_AGE_DAYS (a date
    # in year 1 was once stored here and stopped the sweep, issue 17).
    event_time = forms.DateTimeField(
        label=_("event time"), required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        validators=[validate_event_time],
    )
    minutes = forms.IntegerField(label=_("report within (minutes)"), min_value=5, max_value=24 * 60)

    def __init__(self, *args, offices=None, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices if offices is not None else Unit.objects.none()
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()


class LapseForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"), choices=[(Lapse.Kind.FALSE, Lapse.Kind.FALSE.label), (Lapse.Kind.CONCEALED, Lapse.Kind.CONCEALED.label)]
    )
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
