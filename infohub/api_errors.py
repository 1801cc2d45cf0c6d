"""One shape for every API error: `{"detail": ..., "code": ..., "errors": {field: [reasons]}}`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ActionRefused


def exception_handler(exc, context):
    if isinstance(exc, ActionRefused):
        return Response({"detail": str(exc.message), "code": exc.code}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(errors)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST and "detail" not in response.data:
        response.data = {"detail": _("Invalid input."), "code": "invalid", "errors": response.data}
    return response
