from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from infohub.models import Classification, Unit

from . import extensions
from .models import CATEGORY_GUIDANCE, Category, Item
from .selectors import joint_unit_choices


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several attachments in one input; each file is checked by the service, which names the bad one."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(file, initial) for file in data if file]
        return [super().clean(data, initial)] if data else []


class ItemForm(forms.ModelForm):
    """Parses and shows the item editor; the rules themselves live on the model and in the services."""

    source_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("source unit"), empty_label=None)
    attachments = MultipleFileField(
        label=_("attachments"),
        required=False,
        help_text=_("Up to %(size)d MB each; accepted: %(types)s.")
        % {
            "size": settings.INFOHUB_ATTACHMENT_MAX_BYTES // (1024 * 1024),
            "types": ", ".join(settings.INFOHUB_ATTACHMENT_EXTENSIONS),
        },
    )
    joint_units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.none(), label=_("jointly filed with (合报单位)"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Units that filed this item together with yours (合报): they share its points. Hold Ctrl to "
                    "choose several."))
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Item
        fields = [
            "title", "category", "urgency", "classification", "body", "authors", "contact_phone", "keywords",
            "event_time", "event_place", "event_grade", "event_type", "deaths", "injuries", "missing", "losses",
            "measures",
        ]  # fmt: skip
        widgets = {
            "body": forms.Textarea(attrs={"rows": 12, "data-char-count": "body"}),
            "losses": forms.Textarea(attrs={"rows": 2}),
            "measures": forms.Textarea(attrs={"rows": 3}),
            # To the second, so that saving the form unchanged does not move the event time (deadlines count from it).
            "event_time": forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"),
        }

    def __init__(self, *args, units=None, extend_for=None, query=None, **kwargs):
        """`extend_for`: the person at the editor's page — the fields other apps add to it (submissions.extensions)
        are offered to them; `query`: the page's query string (their initial values for a new item)."""
        super().__init__(*args, **kwargs)
        self.extensions = []
        if extend_for is not None:
            item = self.instance if self.instance.pk else None
            for extension in extensions.editor_fields():
                field = extension.field(extend_for, item)
                if field is None:
                    continue
                field.initial = extension.initial(extend_for, item, query or {})
                self.fields[extension.name] = field
                self.extensions.append(extension)
        if units is not None:
            self.fields["source_unit"].queryset = units
        if self.instance.pk:
            del self.fields["source_unit"]  # an item never changes unit
            self.fields["revision"].initial = self.instance.revision
            self.fields["joint_units"].queryset = joint_unit_choices([self.instance.source_unit])
            self.fields["joint_units"].initial = list(self.instance.joint_units.values_list("pk", flat=True))
        elif units is not None:
            self.fields["joint_units"].queryset = joint_unit_choices(units)
        self.fields["event_time"].input_formats = [
            "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        # Offer every mark so the reader learns the confidential channel exists; the model refuses those above.
        self.fields["classification"].choices = Classification.choices
        self.fields["category"].choices = [("", _("— choose a category —")), *Category.choices]
        self.fields["category"].widget.attrs["data-guidance"] = "category"
        emergency_only = ("event_time", "event_place", "event_grade", "event_type", "deaths", "injuries", "missing", "losses", "measures")
        for name in emergency_only:
            self.fields[name].widget.attrs["data-emergency-field"] = "1"

    @property
    def needed_for_filing(self) -> tuple[str, ...]:
        """The fields filing asks for (Item.missing_for_filing), marked with a star; a draft saves without them."""
        return ("title", "body", "category", "contact_phone", "event_time", "event_place", "event_grade")

    @property
    def guidance(self) -> dict:
        return {value: str(text) for value, text in CATEGORY_GUIDANCE.items()}

    @property
    def emergency_value(self) -> str:
        return Category.EMERGENCY.value

    def clean_event_time(self):
        """The time as the form showed it (to the second, or to the minute where a browser drops seconds) is the
        stored time untouched: a form that did not change the event time never moves it."""
        typed, stored = self.cleaned_data.get("event_time"), self.instance.event_time
        if typed and stored and typed in (stored.replace(microsecond=0), stored.replace(second=0, microsecond=0)):
            return stored
        return typed

    @property
    def extension_fields(self) -> list[tuple]:
        """(bound field, panel template) of each field other apps added, for the page."""
        return [(self[extension.name], extension.panel) for extension in self.extensions]

    def save_extensions(self, *, actor, item) -> None:
        """Save the added fields' values for `item` (just saved), in the caller's transaction."""
        for extension in self.extensions:
            if extension.name in self.cleaned_data:
                extension.save(actor=actor, item=item, value=self.cleaned_data[extension.name])

    def clean(self):
        """The joint units normalised: the source unit is never one of them (chosen there too, it is dropped)."""
        cleaned = super().clean()
        unit = self.instance.source_unit if self.instance.pk else cleaned.get("source_unit")
        if unit is not None and cleaned.get("joint_units") is not None:
            cleaned["joint_units"] = [u for u in cleaned["joint_units"] if u.pk != unit.pk]
        return cleaned

    def content(self) -> dict:
        """The content fields the page sent, as typed: a field the page did not show (the editor's page shows no
        event type, say) is no change to it — never an empty value that wipes what is stored. The joint units
        (合报) too, when the page had them (a list of Units)."""
        content = {
            name: self.cleaned_data[name] for name in self.Meta.fields
            if name in self.cleaned_data
            and not self[name].field.widget.value_omitted_from_data(self.data, self.files, self.add_prefix(name))
        }
        if "joint_units" in self.cleaned_data and self.is_bound:
            content["joint_units"] = list(self.cleaned_data["joint_units"])
        return content

    def _post_clean(self):
        # Run the model's own rules (classification ceiling, emergency fields) on the typed values.
        if not self.instance.pk and "source_unit" in self.cleaned_data:
            self.instance.source_unit = self.cleaned_data["source_unit"]
        super()._post_clean()

    def validate_unique(self):
        """Constraints are the service's job; the form has no created_by/source_unit for new drafts."""
