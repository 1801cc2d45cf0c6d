from django import forms
from django.utils.translation import gettext_lazy as _

from infohub.models import Unit, User
from submissions.forms import MultipleFileField

from .models import MAX_WORKING_DAYS, Feedback, Kind
from .services import DEFAULT_WORKING_DAYS

TEXTAREA = {"rows": 4}


class InstructForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices, initial=Kind.HANDLE)
    text = forms.CharField(label=_("instruction"), widget=forms.Textarea(attrs=TEXTAREA), max_length=4000)
    office = forms.ModelChoiceField(label=_("as leader of"), queryset=Unit.objects.none(), empty_label=None)

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = Unit.objects.filter(pk__in=[u.pk for u in offices])
        if len(offices) <= 1:
            self.fields["office"].widget = forms.HiddenInput()
            if offices:
                self.fields["office"].initial = offices[0].pk


class PaperForm(forms.Form):
    office = forms.ModelChoiceField(label=_("office"), queryset=Unit.objects.none(), empty_label=None)
    leader = forms.ModelChoiceField(label=_("leader"), queryset=User.objects.none())
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices, initial=Kind.HANDLE)
    title = forms.CharField(label=_("on (title of the document)"), max_length=200)
    text = forms.CharField(label=_("instruction"), widget=forms.Textarea(attrs=TEXTAREA), max_length=4000)
    written_at = forms.DateTimeField(
        label=_("written"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args, offices=None, leaders=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices if offices is not None else Unit.objects.none()
        self.fields["leader"].queryset = leaders if leaders is not None else User.objects.none()


def _unit_label(unit: Unit) -> str:
    """A unit's name, and a warning when nobody can sign for it (services.assignable_units annotates `staffed`)."""
    if getattr(unit, "staffed", True):
        return unit.name
    return _("%(unit)s (nobody to sign for it)") % {"unit": unit.name}


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _unit_label(obj)


class UnitsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _unit_label(obj)


class AssignForm(forms.Form):
    lead = UnitChoiceField(label=_("lead unit (牵头)"), queryset=Unit.objects.none())
    supporting = UnitsChoiceField(label=_("supporting units (配合)"), queryset=Unit.objects.none(),
                                  required=False, widget=forms.SelectMultiple(attrs={"size": 6}))
    asked = forms.CharField(label=_("what is asked"), widget=forms.Textarea(attrs=TEXTAREA), max_length=4000)
    working_days = forms.IntegerField(label=_("due in (working days)"), min_value=1, max_value=MAX_WORKING_DAYS,
                                      initial=DEFAULT_WORKING_DAYS,
                                      help_text=_("Public holidays and 调休 working weekends count as they fall."))
    # Shown once the office was warned that nobody can sign for a unit it chose (services.assign).
    confirm_unstaffed = forms.BooleanField(label=_("Assign it anyway, though nobody can sign for it"), required=False,
                                           widget=forms.HiddenInput())

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = units if units is not None else Unit.objects.none()
        self.fields["supporting"].queryset = units if units is not None else Unit.objects.none()

    def ask_to_confirm(self) -> None:
        """Show the confirmation box (after the unstaffed warning), unticked."""
        self.fields["confirm_unstaffed"].widget = forms.CheckboxInput()


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Feedback.Kind.choices, initial=Feedback.Kind.FINAL)
    text = forms.CharField(label=_("feedback"), widget=forms.Textarea(attrs={"rows": 6}), max_length=8000)
    files = MultipleFileField(label=_("attachments"), required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False)


class TextForm(forms.Form):
    text = forms.CharField(label=_("text"), widget=forms.Textarea(attrs=TEXTAREA), max_length=8000)


class ExtensionForm(forms.Form):
    working_days = forms.IntegerField(label=_("more working days"), min_value=1, max_value=MAX_WORKING_DAYS, initial=3)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ReopenForm(forms.Form):
    asked = forms.CharField(label=_("what the check found and what is asked now"),
                            widget=forms.Textarea(attrs=TEXTAREA), max_length=4000)
    working_days = forms.IntegerField(label=_("due in (working days)"), min_value=1, max_value=MAX_WORKING_DAYS,
                                      initial=DEFAULT_WORKING_DAYS)
