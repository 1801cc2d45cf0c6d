"""Pages of topic requests (SPEC §7): the list, issuing a request, the request's page — the status board for the
requesting office, the reply panel for a target unit — the board's Excel export, and the replies' actions. Thin: parse,
call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from infohub import params
from infohub.downloads import content_disposition
from infohub.errors import ActionRefused
from submissions.selectors import item_for

from . import exports, selectors, services
from .forms import DeclineForm, RequestForm, ReturnForm, WithdrawForm
from .models import Answer, Target
from .permissions import ANSWER, RETURN_DECLINE, SIGN_DECLINE, WITHDRAW

PAGE_SIZE = 25
BOARD_PAGE_SIZE = 50


def _keep_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def request_list(request):
    tab = request.GET.get("tab", "")
    tab = tab if tab in selectors.TABS else ""
    status = request.GET.get("status", "")
    status = status if status in ("open", "due", "withdrawn") else ""
    q = request.GET.get("q", "")[:100]
    requests = selectors.request_list(request.user, tab=tab, status=status, q=q)
    page = Paginator(requests, PAGE_SIZE).get_page(params.page(request.GET.get("page")))
    return render(request, "topics/request_list.html", {
        "page": page, "tab": tab, "status": status, "q": q,
        "tabs": [("", _("All I may see")), ("received", _("Sent to my units")), ("office", _("My offices' requests"))],
        "statuses": [("", _("Any")), ("open", _("Open")), ("due", _("Due passed")), ("withdrawn", _("Withdrawn"))],
        "may_issue": selectors.issuing_offices(request.user).exists(),
        "now": timezone.now(),
    })


@login_required
def request_create(request):
    offices = list(selectors.issuing_offices(request.user).order_by("path"))
    if not offices:
        messages.error(request, _("Only an editor of an office can issue topic requests."))
        return redirect("topics:request_list")
    wanted = params.object_id(request.POST.get("office") or request.GET.get("office"))
    office = next((o for o in offices if o.pk == wanted), offices[0])
    form = RequestForm(request.POST or None, office=office)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = services.request_issue(
                actor=request.user, office=office, kind=data["kind"], subject=data["subject"],
                guidance=data["guidance"], length_limit=data["length_limit"], due_at=data["due_at"],
                urgent=data["urgent"], publication=data["publication"],
                unit_ids=[unit.pk for unit in data["units"]], groups=data["groups"])
        except ValidationError as error:
            _keep_errors(form, error)
        except ActionRefused as refused:
            form.add_error(None, str(refused.message))
        else:
            messages.success(request, _("Issued to %(n)d units.") % {"n": issued.targets.count()})
            return redirect(issued.get_absolute_url())
    groups = {key: list(selectors.group_units(office, key).values_list("pk", flat=True)) for key in selectors.GROUPS}
    return render(request, "topics/request_form.html", {"form": form, "office": office, "offices": offices,
                                                        "group_members": groups})


def _board_filters(request) -> dict:
    state = request.GET.get("state", "")
    group = request.GET.get("group", "")
    sort = request.GET.get("sort", "")
    return {"state": state if state in selectors.BoardState.LABELS else "",
            "group": group if group in selectors.GROUPS else "",
            "sort": sort if sort in selectors.BOARD_SORTS else ""}


@login_required
def request_detail(request, pk):
    """The request: to the requesting office its status board (per target unit, counts, filters, export); to a
    target unit what is asked and its reply; both to someone who is both."""
    topic = selectors.request_for(request.user, pk)
    user = request.user
    context = {"topic": topic, "now": timezone.now(), "may_withdraw": WITHDRAW.allows(user, topic)}
    if selectors.is_requesting_office(user, topic):
        filters = _board_filters(request)
        page, counts = selectors.board_page(topic, **filters, page=params.page(request.GET.get("page")),
                                            size=BOARD_PAGE_SIZE)
        answers = selectors.answers_of(user, page.object_list)
        labels = selectors.BoardState.LABELS
        context.update({
            "board": [(target, labels[target.state], answers.get(target.pk, [])) for target in page.object_list],
            "page": page, "counts": counts, "filters": filters,
            "tabs": [(key, labels[key], counts[key]) for key in selectors.BoardState.ORDER],
            "groups": [(key, label) for key, (label, _q) in selectors.GROUPS.items()],
            "sorts": [("unit", _("Unit")), ("state", _("State")), ("replied", _("Reply time"))],
        })
    mine = selectors.my_targets(user, topic)
    if mine:
        answers = selectors.answers_of(user, mine)
        context["mine"] = [{
            "target": target, "answers": answers.get(target.pk, []),
            "may_answer": ANSWER.allows(user, target),
            "may_decline": selectors.may_decline(user, target) and not answers.get(target.pk),
            "may_sign": SIGN_DECLINE.allows(user, target) and topic.is_open,
            "may_return": RETURN_DECLINE.allows(user, target),
            "linkable": selectors.linkable_items(user, target) if ANSWER.allows(user, target) else [],
        } for target in mine]
    return render(request, "topics/request_detail.html", context)


@login_required
def board_export(request, pk):
    topic = selectors.request_for(request.user, pk)
    if not selectors.is_requesting_office(request.user, topic):
        raise Http404
    filters = _board_filters(request)
    body = exports.board_workbook(request.user, topic, state=filters["state"], group=filters["group"])
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition(exports.filename(topic),
                                                          fallback=exports.ascii_filename(topic))
    return response


@login_required
@require_POST
def request_withdraw(request, pk):
    topic = selectors.request_for(request.user, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the request is withdrawn: the units will read it."))
        return redirect(topic.get_absolute_url())
    try:
        services.request_withdraw(actor=request.user, request=topic, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Withdrawn: the units owe nothing more."))
    return redirect(topic.get_absolute_url())


@login_required
@require_POST
def target_act(request, pk, action):
    """A target unit's reply: "decline" (nothing to report), "sign" / "return" (its director on that reply), "link"
    (an item of the unit answers; POST item) and "unlink" (POST answer)."""
    target = selectors.target_for(request.user, pk)
    back = redirect(reverse("topics:request_detail", args=[target.request_id]) + f"#target-{target.pk}")
    user = request.user
    try:
        if action == "decline":
            form = DeclineForm(request.POST)
            if not form.is_valid():
                raise ActionRefused(_("The note is too long."))
            replied = services.decline(actor=user, target=target, note=form.cleaned_data["note"],
                                       expected_revision=form.cleaned_data.get("revision"))
            messages.success(request, _("“Nothing to report” sent to %(office)s.") % {"office": target.office}
                             if replied.reply == Target.Reply.DECLINED
                             else _("Saved: “nothing to report” awaits your director's signature."))
        elif action == "sign":
            form = DeclineForm(request.POST)
            revision = form.cleaned_data.get("revision") if form.is_valid() else None
            services.decline_sign(actor=user, target=target, expected_revision=revision)
            messages.success(request, _("Signed: “nothing to report” sent to %(office)s.") % {"office": target.office})
        elif action == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                raise ActionRefused(_("Say why: the information officer needs to know what to report."))
            services.decline_return(actor=user, target=target, reason=form.cleaned_data["reason"],
                                    expected_revision=form.cleaned_data.get("revision"))
            messages.success(request, _("Returned to the information officer."))
        elif action == "link":
            try:
                item = item_for(user, request.POST.get("item"))
            except Http404:
                raise ActionRefused(_("Choose an item of your unit.")) from None
            services.answer_link(actor=user, target=target, item=item)
            messages.success(request, _("“%(title)s” answers the request.") % {"title": item.title})
        elif action == "unlink":
            answer = Answer.objects.filter(pk=params.object_id(request.POST.get("answer")), target=target).first()
            if answer is None:
                raise ActionRefused(_("No such answer."))
            services.answer_unlink(actor=user, answer=answer)
            messages.success(request, _("The item no longer answers the request."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ActionRefused as refused:
        messages.error(request, refused.message)
    return back
