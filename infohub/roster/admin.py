"""The roster's admin door: django-import-export's import view (upload → preview → confirm), fed by this
package's bulk path, plus the export and the template.

django-import-export brings the steps, the upload kept between preview and confirmation (in Redis here, so that
the confirmation may reach another web server), and its translated forms. Its row-by-row resources are not used:
they check one row at a time, so a cycle in the tree or a parent defined further down the sheet cannot be seen,
and at a province's size (70,000 rows) they take minutes (README: "Loading the roster"). `RosterResource`
answers `import_data` with a whole-workbook plan instead, and the preview template shows the plan.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from import_export.admin import ImportMixin
from import_export.formats.base_formats import Format
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.resources import Resource
from import_export.results import Result
from import_export.tmp_storages import CacheStorage

from ..downloads import content_disposition
from ..models import AuditLog
from .apply import RosterRefused, roster_import
from .export import roster_workbook, template_workbook
from .layout import SHEETS, WorkbookUnreadable, read_workbook
from .plan import (
    BUSY_DEACTIVATE,
    BUSY_KEEP,
    CHANGED,
    DEACTIVATED,
    DELETED,
    KEEP,
    NEW,
    SYNC,
    UNCHANGED,
    Plan,
    build_plan,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_PER_KIND = 200  # rows listed per sheet and kind in the preview; the counts are always whole
SHOWN_PROBLEMS = 500

# Who may load and who may read the roster: it writes units, people and roles, and it shows phones and e-mails.
IMPORT_PERMISSIONS = ("infohub.add_unit", "infohub.change_unit", "infohub.add_user", "infohub.change_user",
                      "infohub.add_roleassignment", "infohub.delete_roleassignment")
EXPORT_PERMISSIONS = ("infohub.view_unit", "infohub.view_user", "infohub.view_roleassignment")


class RosterFormat(Format):
    """The one format the roster takes: an .xlsx workbook, read whole into `layout.Workbook`."""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return "xlsx"

    def create_dataset(self, in_stream):
        if not in_stream:  # the kept upload expired
            raise WorkbookUnreadable(gettext_lazy("The uploaded file is no longer kept; upload it again."))
        return read_workbook(in_stream)

    def get_extension(self):
        return "xlsx"

    def get_content_type(self):
        return XLSX_TYPE

    def can_import(self):
        return True


class RosterUploadStorage(CacheStorage):
    """An upload kept in Redis between the preview and the confirmation, for an hour (it names people)."""

    CACHE_LIFETIME = 3600
    CACHE_PREFIX = "roster-upload-"


class RosterResult(Result):
    """import-export's result, carrying the plan; its problems are the import's errors."""

    def __init__(self, plan: Plan, refusal: str = ""):
        super().__init__()
        self.plan = plan
        self.refusal = refusal

    def has_errors(self):
        return bool(self.refusal or self.plan.problems)

    def has_validation_errors(self):
        return False

    def overview(self) -> list[dict]:
        """For the preview: each sheet the workbook has, with (kind, label, count, listed changes) per kind."""
        labels = dict(kind_labels())
        return [{"key": sheet.key, "title": sheet.title,
                 "kinds": [(kind, labels[kind], self.plan.counts[sheet.key][kind], self.plan.changes[sheet.key][kind])
                           for kind in labels if kind != DELETED or sheet.key == "roles"
                           if kind != DEACTIVATED or sheet.key != "roles"]}
                for sheet in SHEETS if sheet.key in self.plan.sheets]


def kind_labels() -> list[tuple[str, str]]:
    return [(NEW, _("new")), (CHANGED, _("changed")), (UNCHANGED, _("unchanged")),
            (DEACTIVATED, _("deactivated")), (DELETED, _("deleted"))]


class RosterResource(Resource):
    """Answers import-export's `import_data` with the whole-workbook plan (dry run) or its application."""

    @classmethod
    def get_display_name(cls):
        return _("Roster (units, people, roles)")

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,  # noqa: PLR0917
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        """import-export's signature; `kwargs` carry mode, busy, user, expected_digest, file_name and import_form.
        The preview plans with busy units kept active (the safe choice, shown); the confirmation with the choice
        made on the preview."""
        mode, actor, form = kwargs.get("mode", KEEP), kwargs.get("user"), kwargs.get("import_form")
        busy = kwargs.get("busy") or BUSY_KEEP
        if dry_run:
            plan = build_plan(dataset, mode=mode, actor=actor, busy=busy)
            if form is not None:
                form.roster_digest = plan.digest
            return RosterResult(plan)
        try:
            plan = roster_import(workbook=dataset, actor=actor, mode=mode, busy=busy,
                                 expected_digest=kwargs.get("expected_digest", ""),
                                 file_name=kwargs.get("file_name") or "")
        except RosterRefused as refusal:
            return RosterResult(refusal.plan, str(refusal.message))
        return RosterResult(plan)


MODE_CHOICES = [
    (KEEP, gettext_lazy("Leave units, people and roles that are not in the workbook as they are")),
    (SYNC, gettext_lazy("The workbook is the whole roster: deactivate units and people that are not in it, and "
                        "delete role rows that are not in it")),
]


MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a province's roster is ~2 MB; import-export reads the upload into memory


class RosterImportForm(ImportForm):
    mode = forms.ChoiceField(label=gettext_lazy("Rows not in the workbook"), choices=MODE_CHOICES, initial=KEEP,
                             widget=forms.RadioSelect)

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB; a province's roster is about 2 MB.")
                                        % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
        return upload


BUSY_CHOICES = [
    (BUSY_KEEP, gettext_lazy("Keep these units active until their work is done or handed over (the rest of the "
                             "workbook is imported)")),
    (BUSY_DEACTIVATE, gettext_lazy("Deactivate them all the same: their open work stays where it is, and nobody in "
                                   "them can act on it")),
]


class RosterConfirmForm(ConfirmImportForm):
    mode = forms.ChoiceField(choices=MODE_CHOICES, widget=forms.HiddenInput)
    digest = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
    # Only asked when the preview lists units with open work (infohub.roster.plan: busy); keeping them is the default.
    busy = forms.ChoiceField(label=gettext_lazy("Units with open work"), choices=BUSY_CHOICES, initial=BUSY_KEEP,
                             required=False, widget=forms.RadioSelect)


class RosterLinks:
    """For the people's and role rows' ModelAdmins: the roster's links on their lists too."""

    change_list_template = "admin/infohub/roster_links_change_list.html"

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_import_permission": request.user.has_perms(IMPORT_PERMISSIONS),
                         "has_roster_export_permission": request.user.has_perms(EXPORT_PERMISSIONS)}
        return super().changelist_view(request, extra_context)


class RosterImportMixin(ImportMixin):
    """For the units' ModelAdmin: 导入名册 (import-export's import view), 导出名册 and 下载模板."""

    resource_classes = [RosterResource]
    import_form_class = RosterImportForm
    confirm_form_class = RosterConfirmForm
    import_template_name = "admin/infohub/roster_import.html"
    import_export_change_list_template = "admin/infohub/roster_change_list.html"
    tmp_storage_class = RosterUploadStorage
    skip_admin_log = True  # one audit row per import instead of 70,000 admin log rows

    @property
    def import_formats(self):
        return [RosterFormat]

    def has_import_permission(self, request):
        return request.user.has_perms(IMPORT_PERMISSIONS)

    def has_roster_export_permission(self, request):
        return request.user.has_perms(EXPORT_PERMISSIONS)

    def get_urls(self):
        info = self.get_model_info()
        return [
            path("roster-export/", self.admin_site.admin_view(self.roster_export), name="{}_{}_roster_export".format(*info)),
            path("roster-template/", self.admin_site.admin_view(self.roster_template),
                 name="{}_{}_roster_template".format(*info)),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "has_roster_export_permission": self.has_roster_export_permission(request)}
        return super().changelist_view(request, extra_context)

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        data = getattr(form, "cleaned_data", {})
        return {"mode": data.get("mode") or KEEP, "busy": data.get("busy") or BUSY_KEEP,
                "expected_digest": data.get("digest", ""), "import_form": form}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial.update(mode=import_form.cleaned_data["mode"], digest=getattr(import_form, "roster_digest", ""))
        return initial

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, WorkbookUnreadable):
            form.add_error("import_file", str(e.message))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def get_import_context_data(self, **kwargs):
        return {"shown_per_kind": SHOWN_PER_KIND, "shown_problems": SHOWN_PROBLEMS, "kinds": [
            (NEW, _("new")), (CHANGED, _("changed")), (UNCHANGED, _("unchanged")),
            (DEACTIVATED, _("deactivated or deleted"))]}

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """The confirmation: the kept upload, planned again and written in one transaction (roster_import). A
        refusal shows the import page with the reason and the problems; nothing was written."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            return self._import_page(request, refusal=_("The confirmation was incomplete; upload the workbook again."))
        storage = self.get_tmp_storage_class()(name=confirm_form.cleaned_data["import_file_name"], read_mode="rb")
        try:
            workbook = RosterFormat().create_dataset(storage.read())
        except WorkbookUnreadable as error:
            return self._import_page(request, refusal=str(error.message))
        result = self.process_dataset(workbook, confirm_form, request, **kwargs)
        if result.has_errors():
            return self._import_page(request, result=result)
        storage.remove()
        return self.process_result(result, request)

    def _import_page(self, request, *, result=None, refusal=""):
        form = self.get_import_form_class(request)(self.get_import_formats(),
                                                   self.get_import_resource_classes(request))
        context = {**self.admin_site.each_context(request), **self.get_import_context_data(),
                   "title": _("Import the roster"), "form": form, "media": self.media + form.media,
                   "opts": self.model._meta, "result": result, "refusal": refusal}
        return TemplateResponse(request, [self.import_template_name], context)

    def add_success_message(self, result, request):
        plan = result.plan
        parts = []
        for sheet in SHEETS:
            if sheet.key in plan.sheets:
                counts = plan.counts[sheet.key]
                parts.append(_("%(sheet)s: %(new)s new, %(changed)s changed, %(unchanged)s unchanged, %(gone)s "
                               "deactivated or deleted") % {
                    "sheet": sheet.title, "new": counts[NEW], "changed": counts[CHANGED],
                    "unchanged": counts[UNCHANGED], "gone": counts[DEACTIVATED] + counts[DELETED]})
        messages.success(request, _("The roster was imported. %(counts)s.") % {"counts": "；".join(parts)})
        if plan.kept:
            messages.warning(request, _("Kept active for their open work: %(units)s. Deactivate them once it is done or "
                                        "handed over.") % {"units": "、".join(plan.kept)})
        elif plan.busy:
            messages.warning(request, _("Deactivated with work still open, as you chose: %(units)s.")
                             % {"units": "、".join(busy.code for busy in plan.busy)})

    def roster_export(self, request):
        if not self.has_roster_export_permission(request):
            raise PermissionDenied
        data = roster_workbook()
        AuditLog.objects.create(actor=request.user, action="roster.export", object_type="infohub.roster",
                                object_id="export", data={"bytes": len(data)})
        day = f"{timezone.localdate():%Y%m%d}"
        return HttpResponse(data, content_type=XLSX_TYPE, headers={"Content-Disposition": content_disposition(
            f"InfoHub名册-{day}.xlsx", fallback=f"infohub-roster-{day}.xlsx")})

    def roster_template(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        return HttpResponse(template_workbook(), content_type=XLSX_TYPE,
                            headers={"Content-Disposition": content_disposition("InfoHub名册模板.xlsx", fallback="infohub-roster-template.xlsx")})
