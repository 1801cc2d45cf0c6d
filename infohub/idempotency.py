"""A request sent twice records once (SPEC §3): forms carry a once-only token (`{% once %}`, field `once`), API
calls an `Idempotency-Key` header. The first request with a key runs; the same key again gets the first answer
(`Idempotent-Replayed: true`), also while the first is still running (it waits for it, as a double click's
second request must show what the first did); a form sent again lands where the first went, told so.
An API key names one request: its method, path, query and body (JSON compared as data, so the order of its keys does
not matter; a form body field by field, files by their content). The same key with anything else — another address,
or the same address with another body — is not a retry: it is refused (422 `idempotency_key_reused`, the reason in
Chinese) and nothing runs, rather than answering the first request's result to a request that asked something else.
A form's token names its method and path only: a form sent again after Back, edited or not, is the same form sent
twice (once.js puts the token back for exactly that), recorded once and told so. A form's token
is the one it was shown with, also after Back when the browser fetched the page anew (static/js/once.js keeps the
token sent in the history entry's state and puts it back). Kept: the API's answers below 500, a form's redirect (done). A 5xx,
or a form page shown again with its errors, frees the key so that trying again tries again.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from .models import IdempotencyKey

FORM_FIELD = "once"
HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
WAIT_SECONDS = 15


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = _sender(request) if request.method in ("POST", "PUT", "PATCH", "DELETE") else None
        if user is None:
            return self.get_response(request)
        from_form = HEADER not in request.headers
        key = (request.headers.get(HEADER) or (request.POST.get(FORM_FIELD, "") if from_form else "")).strip()
        if not key:
            return self.get_response(request)
        if len(key) > 100:
            return _refused(request, Refusal(400, "invalid", _("The %(header)s header is longer than 100 characters.")
                                             % {"header": HEADER}, _("At most 100 characters.")), from_form=from_form)
        signature = _signature(request, from_form=from_form)
        record = _claim(user, key, signature)
        if record is not None:  # this key was seen before
            response = _replay(record, signature)
            if isinstance(response, Refusal):
                return _refused(request, response, from_form=from_form)
            if from_form and record.location and response.status_code < 400:
                # A form sent again (a double click, or Back to a form already sent): the page it lands on says why
                # nothing new appears there.
                messages.info(request, _("This form was sent before: it was recorded once, not again."))
            return response
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(user=user, key=key).delete()
            raise
        _remember(user, key, response, from_form=from_form)
        return response


FINGERPRINT = " #"  # in a stored signature: what follows is the digest of the request's query and body


def _signature(request, *, from_form: bool) -> str:
    """What a key names (IdempotencyKey.request, at most 300 characters): the method and path; for an API call also
    the SHA-256 of its query and body, so the same key with another body is told apart from a retry."""
    head = f"{request.method} {request.path}"
    if from_form:
        return head[:300]
    return head[:230] + FINGERPRINT + _fingerprint(request)


def _fingerprint(request) -> str:
    digest = hashlib.sha256()

    def add(*parts) -> None:
        digest.update(json.dumps(parts, ensure_ascii=False, default=str).encode())
        digest.update(b"\0")

    add("query", sorted(request.GET.lists()))
    content_type = request.content_type or ""
    if request.method == "POST" and content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # Parsed as Django parses it (a multipart boundary differs between two sendings of the same form data).
        add("form", sorted(request.POST.lists()))
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                add("file", name, upload.name, upload.size)
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.hexdigest()
    try:
        body = request.body
    except RequestDataTooBig:  # the view refuses it anyway
        body = f"too large: {request.META.get('CONTENT_LENGTH')}".encode()
    if "json" in content_type and body:
        try:
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass  # not JSON after all: its bytes
    add("body", content_type)
    digest.update(body)
    return digest.hexdigest()


def _same_request(stored: str, signature: str) -> bool:
    """Whether a key's stored signature names this request. A signature stored before bodies were compared (no
    digest in it) is compared by method and path, as it was then."""
    if FINGERPRINT in stored or FINGERPRINT not in signature:
        return stored == signature
    return stored == signature.split(FINGERPRINT, 1)[0][:300]


def _sender(request):
    """Who sends the request: the session's user, or the API token's (DRF authenticates in the view, later)."""
    if request.user.is_authenticated:
        return request.user
    if HEADER not in request.headers:
        return None
    try:
        found = TokenAuthentication().authenticate(Request(request))
    except AuthenticationFailed:
        return None  # the view answers 401 itself
    return found[0] if found else None


def _claim(user, key: str, signature: str) -> IdempotencyKey | None:
    """None when this request is the first with `key` (the key is then held for it); else the earlier record."""
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(user=user, key=key, request=signature)
        IdempotencyKey.objects.filter(user=user, created_at__lt=timezone.now() - KEEP).delete()
        return None
    except IntegrityError:
        return IdempotencyKey.objects.filter(user=user, key=key).first() or _claim(user, key, signature)


@dataclass(frozen=True)
class Refusal:
    """Why a request with a key seen before (or a bad key) is not run: the API's answer (status, code, detail naming
    the header) and, for a form, what its sender reads (`form_text`: no header, no jargon)."""

    status: int
    code: str
    detail: str
    field_error: str = ""
    form_text: str = ""


def _refused(request, refusal: Refusal, *, from_form: bool) -> HttpResponse:
    """The API: the error shape (infohub.api_errors). A form: back to the page it was sent from (else the start page),
    which says in plain words what happened and what to do; the form there carries a new token."""
    if not from_form:
        body = {"detail": str(refusal.detail), "code": refusal.code}
        if refusal.field_error:
            body["errors"] = {HEADER: [str(refusal.field_error)]}
        return JsonResponse(body, status=refusal.status)
    messages.error(request, refusal.form_text or _("This form could not be recorded: reload the page and send it "
                                                   "again."))
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = resolve_url("home")
    return HttpResponseRedirect(back, status=303)


def _replay(record: IdempotencyKey, signature: str) -> HttpResponse | Refusal:
    if not _same_request(record.request, signature):
        return Refusal(422, "idempotency_key_reused",
                       _("This %(header)s was already used for another request (another address or another body): "
                         "the first request's answer is not this one's. Send a new request with a new %(header)s.")
                       % {"header": HEADER},
                       _("Used before for another request."),
                       form_text=_("This form was already used to send something else: reload the page and fill it in "
                                   "again."))
    deadline = time.monotonic() + WAIT_SECONDS
    while record.status is None and time.monotonic() < deadline:  # the first request is still running
        time.sleep(0.05)
        record = IdempotencyKey.objects.filter(pk=record.pk).first()
        if record is None:  # it failed and freed the key: this one is no repeat after all
            return Refusal(409, "retry", _("The first request with this %(header)s failed; send it again.")
                           % {"header": HEADER},
                           form_text=_("The first sending of this form did not go through: send it once more."))
    if record.status is None:
        return Refusal(409, "in_progress", _("The first request with this %(header)s is still running.")
                       % {"header": HEADER},
                       form_text=_("This form is still being recorded from the first time it was sent: reload the "
                                   "page in a moment to see the result."))
    if record.location:
        response = HttpResponseRedirect(record.location)
        response.status_code = record.status
    else:
        response = HttpResponse(bytes(record.body), status=record.status, content_type=record.content_type or None)
    response["Idempotent-Replayed"] = "true"
    return response


def _remember(user, key: str, response: HttpResponse, *, from_form: bool) -> None:
    # A form's answer is kept only when it is a redirect (done): a form shown again with its errors must run again.
    kept = 300 <= response.status_code < 400 if from_form else response.status_code < 500
    if not kept or getattr(response, "streaming", False):
        IdempotencyKey.objects.filter(user=user, key=key).delete()
        return
    IdempotencyKey.objects.filter(user=user, key=key).update(
        status=response.status_code, content_type=response.get("Content-Type", ""),
        location=response.get("Location", ""), body=b"" if from_form else response.content,
    )
