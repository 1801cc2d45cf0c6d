"""A request sent twice records once (SPEC §3): forms carry a once-only token (`{% once %}`, field `once`), API
calls an `Idempotency-Key` header. The first request with a key runs; the same key again gets the first answer
(`Idempotent-Replayed: true`), also while the first is still running (it waits for it, as a double click's
second request must show what the first did); a form sent again lands where the first went, told so. A form's token
is the one it was shown with, also after Back when the browser fetched the page anew (static/js/once.js keeps the
token sent in the history entry's state and puts it back). Kept: the API's answers below 500, a form's redirect (done). A 5xx,
or a form page shown again with its errors, frees the key so that trying again tries again.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone
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
            return JsonResponse({"detail": _("The idempotency key is longer than 100 characters."),
                                 "code": "invalid", "errors": {HEADER: ["Too long."]}}, status=400)
        signature = f"{request.method} {request.path}"[:300]
        record = _claim(user, key, signature)
        if record is not None:  # this key was seen before
            response = _replay(record, signature)
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


def _replay(record: IdempotencyKey, signature: str) -> HttpResponse:
    if record.request != signature:
        return JsonResponse({"detail": _("This idempotency key was used for another request."), "code": "key_reused"},
                            status=422)
    deadline = time.monotonic() + WAIT_SECONDS
    while record.status is None and time.monotonic() < deadline:  # the first request is still running
        time.sleep(0.05)
        record = IdempotencyKey.objects.filter(pk=record.pk).first()
        if record is None:  # it failed and freed the key: this one is no repeat after all
            return JsonResponse({"detail": _("The first request with this key failed; send it again."),
                                 "code": "retry"}, status=409)
    if record.status is None:
        return JsonResponse({"detail": _("The first request with this key is still running."), "code": "in_progress"},
                            status=409)
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
