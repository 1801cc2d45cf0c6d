"""Pages of the 通报 (SPEC §9; issue 16 point 4): the list of the bulletins a person may see, with the form that asks
for one; a bulletin's page with its progress (polled by htmx while a worker makes it), its figures, its files and the
buttons to issue it or generate it again; the files' downloads. Every page goes through the access rule
(assessment.bulletins.bulletin_for: 404 for a bulletin one may not see) and every action through its right."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from infohub.downloads import content_disposition
from infohub.errors import ActionRefused

from . import bulletin_figures, bulletins
from .models import Bulletin

PAGE_SIZE = 25
PREVIEW_ROWS = 20  # a group's first ranks shown on the page (the files hold them all)


def period_choices() -> list:
    """The period select's options, grouped by kind: monthly-1 … monthly-12, quarterly-1 … quarterly-4, yearly."""
    return [
        (_("Monthly bulletin"), [(f"monthly-{m}", f"{m}月") for m in range(1, 13)]),
        (_("Quarterly bulletin"), [(f"quarterly-{q}", f"第{bulletin_figures.QUARTERS[q - 1]}季度") for q in range(1, 5)]),
        (_("Year-end ranking"), [("yearly", _("The whole year"))]),
    ]


class BulletinForm(forms.Form):
    ruleset = forms.TypedChoiceField(label=gettext_lazy("Rule set"), coerce=int)
    period = forms.ChoiceField(label=gettext_lazy("Period"))
    correction = forms.BooleanField(label=gettext_lazy("A correction (更正) of the bulletin issued for this period"),
                                    required=False)
    correction_reason = forms.CharField(label=gettext_lazy("Reason for the correction"), required=False,
                                        max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, rulesets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ruleset"].choices = [(r.pk, f"{r.office.name} · {r.name}") for r in rulesets]
        self.fields["period"].choices = period_choices()
        self.rulesets = {r.pk: r for r in rulesets}

    def clean(self):
        data = super().clean()
        ruleset = self.rulesets.get(data.get("ruleset"))
        period = data.get("period")
        if ruleset is None or not period:
            return data
        kind, _sep, number = period.partition("-")
        first, last = bulletin_figures.period_of(kind, ruleset.year, int(number) if number else None)
        data.update(ruleset_obj=ruleset, kind=kind, first_month=first, last_month=last)
        if data.get("correction") and not (data.get("correction_reason") or "").strip():
            self.add_error("correction_reason", _("Say why the issued bulletin is corrected."))
        return data


def _list_page(request, form: BulletinForm, status: int = 200):
    kind, state = request.GET.get("kind", ""), request.GET.get("state", "")
    found = bulletins.bulletins_visible_to(request.user)
    if kind in Bulletin.Kind.values:
        found = found.filter(kind=kind)
    if state in Bulletin.State.values:
        found = found.filter(state=state)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    for bulletin in page:  # a worker that died with it: the row says so, as its page does (one statement a busy row)
        bulletin.stalled = bulletin.is_busy and bulletins.stalled(bulletin)
        # A draft that may not be issued reads so, as its page does (the same rule; a few statements a draft row)
        bulletin.refused = bulletin.state == Bulletin.State.READY and bulletins.issue_refusal(bulletin)
    return render(request, "assessment/bulletin_list.html", {
        "page": page, "form": form, "may_request": bool(form.rulesets), "kind": kind, "state": state,
        "kinds": Bulletin.Kind.choices, "states": Bulletin.State.choices,
    }, status=status)


@login_required
def bulletin_list(request):
    """The bulletins I may see (my offices' own, and those issued to my units), newest first; the form to ask for one
    when I am an editor or director of an office with a rule set in force."""
    rulesets = list(bulletins.rulesets_to_request(request.user))
    return _list_page(request, BulletinForm(rulesets=rulesets))


@login_required
@require_POST
def bulletin_create(request):
    """Ask for a bulletin (made by a worker): to its page, which shows the progress. A refusal shows the form again
    with the reason and what was chosen."""
    rulesets = list(bulletins.rulesets_to_request(request.user))
    if not rulesets:
        raise Http404
    form = BulletinForm(request.POST, rulesets=rulesets)
    if form.is_valid():
        data = form.cleaned_data
        try:
            bulletin = bulletins.bulletin_request(ruleset=data["ruleset_obj"], kind=data["kind"],
                                                  first_month=data["first_month"], last_month=data["last_month"],
                                                  actor=request.user,
                                                  correction_reason=data["correction_reason"] if data["correction"]
                                                  else "")
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            return redirect("assessment:bulletin_detail", pk=bulletin.pk)
    return _list_page(request, form, status=400)


def _figures_preview(bulletin: Bulletin) -> dict | None:
    figures = bulletin.figures
    if not figures:
        return None
    from .bulletin_figures import LEVEL_COLUMNS

    levels = figures["levels"]
    groups = [{**group, "rows": [{**row, "by_level": [row[f"adopted_{lv}"] for lv in levels]}
                                 for row in group["rows"][:PREVIEW_ROWS]],
               "more": max(len(group["rows"]) - PREVIEW_ROWS, 0)}
              for group in figures["groups"]]
    return {**figures, "groups": groups, "level_columns": [LEVEL_COLUMNS[lv] for lv in figures["levels"]]}


@login_required
def bulletin_detail(request, pk):
    """A bulletin: what it covers, its state and progress (htmx polls the progress part every second while a worker
    makes or issues it), its files, its figures (the first ranks of each group), and the actions open to me."""
    bulletin = bulletins.bulletin_for(request.user, pk)
    stalled = bulletins.stalled(bulletin)  # its worker died: say so, and offer to generate it again
    # Why it may not be issued, shown before anyone clicks (the service's own rule: bulletins.issue_refusal)
    refused = bulletins.issue_refusal(bulletin) if bulletin.state == Bulletin.State.READY else None
    context = {
        "bulletin": bulletin, "stalled": stalled,
        "may_issue": bulletins.may_issue(request.user, bulletin) and not refused,
        "issue_refused": refused,
        "may_regenerate": bulletins.may_regenerate(request.user, bulletin),
    }
    if request.htmx:
        response = render(request, "assessment/_bulletin_progress.html", context)
        if not bulletin.is_busy or stalled:
            response["HX-Refresh"] = "true"  # done (or stopped): the whole page, with its files, figures and actions
        return response
    context["preview"] = _figures_preview(bulletin)
    context["number_label"] = bulletin.number_label or bulletin_figures.UNNUMBERED
    context["recipients"] = bulletin.recipients.count() if bulletin.is_issued else 0
    return render(request, "assessment/bulletin_detail.html", context)


def _act(request, pk, service, done: str):
    bulletin = bulletins.bulletin_for(request.user, pk)
    try:
        service(bulletin=bulletin, actor=request.user)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done)
    return redirect("assessment:bulletin_detail", pk=bulletin.pk)


@login_required
@require_POST
def bulletin_issue(request, pk):
    return _act(request, pk, bulletins.bulletin_issue,
                _("The bulletin is being issued: it is numbered, its files are made again and it goes to the units it "
                  "names. This page shows when it is done."))


@login_required
@require_POST
def bulletin_regenerate(request, pk):
    return _act(request, pk, bulletins.bulletin_regenerate, _("The bulletin is being generated again."))


@login_required
def bulletin_download(request, pk, fmt):
    """The bulletin's .docx or .xlsx (the issued record once issued), to whoever may see the bulletin; to its page
    while the file is not made."""
    if fmt not in bulletins.FORMATS:
        raise Http404
    bulletin = bulletins.bulletin_for(request.user, pk)
    stored = bulletins.file_of(bulletin, fmt)
    if stored is None:
        return redirect("assessment:bulletin_detail", pk=bulletin.pk)
    response = FileResponse(stored.open("rb"), content_type=bulletins.FORMATS[fmt])
    response["Content-Disposition"] = content_disposition(bulletins.download_name(bulletin, fmt),
                                                          fallback=bulletins.download_ascii_name(bulletin, fmt))
    return response
