"""One shape for every API error: `{"detail": ..., "code": ..., "errors": {field: [reasons]}}`.

`exception_handler` gives every error answer that shape (DRF's own 403, 404, 405, 415, 429 too), and
`document_errors`, a drf-spectacular postprocessing hook, documents it for every operation in the schema: each
status an operation can answer, instead of each view listing them by hand.
"""

import json
import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ActionRefused


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


def exception_handler(exc, context):
    if isinstance(exc, ActionRefused):
        return Response({"detail": str(exc.message), "code": exc.code}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(errors)
    if isinstance(exc, exceptions.ParseError):
        exc = exceptions.ParseError(parse_problem(exc, context.get("request")))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError) or not (isinstance(data, dict) and "detail" in data):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"detail": _("Invalid input."), "code": "invalid", "errors": _flat(errors)}
        return response
    detail = data["detail"]
    response.data = {"detail": str(detail), "code": getattr(detail, "code", None) or _CODES.get(
        response.status_code, "error")}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response.data["retry_after"] = max(1, math.ceil(exc.wait))
    return response


# What Python's JSON reader says is wrong (json.JSONDecodeError.msg), as a reader of the API's answer reads it.
JSON_PROBLEMS = {
    "Expecting value": gettext_lazy("a value is missing"),
    "Expecting property name enclosed in double quotes": gettext_lazy("a name must be in double quotes"),
    "Expecting ',' delimiter": gettext_lazy("a comma is missing"),
    "Expecting ':' delimiter": gettext_lazy("a colon is missing after a name"),
    "Extra data": gettext_lazy("there is more after the end of the JSON value"),
    "Unterminated string starting at": gettext_lazy("a string is not closed"),
    "Invalid control character at": gettext_lazy("a string holds a control character, such as a raw line break"),
    "Invalid \\": gettext_lazy("a backslash escape is not valid"),  # "Invalid \\escape: 'x'", "Invalid \\uXXXX escape"
    "Illegal trailing comma": gettext_lazy("a comma ends an object or a list"),
}


def parse_problem(exc: exceptions.ParseError, request=None) -> str:
    """What is wrong with a request body DRF could not parse, in the reader's language, naming the place: "The request
    body is not valid JSON: a comma is missing (line 1, column 12)." DRF's own message carries Python's English
    ("JSON parse error - Expecting ',' delimiter: line 1 column 12 (char 11)"); the parser's error it was raised from
    (its __context__) says what and where."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, json.JSONDecodeError):
        return _("The request body is not valid JSON: %(problem)s (line %(line)d, column %(column)d).") % {
            "problem": next((text for start, text in JSON_PROBLEMS.items() if cause.msg.startswith(start)), cause.msg),
            "line": cause.lineno, "column": cause.colno}
    if isinstance(cause, UnicodeDecodeError):
        return _("The request body is not UTF-8 text: byte %(position)d cannot be read.") % {
            "position": cause.start + 1}
    if isinstance(cause, ValueError) and "JSON" in str(exc.detail):  # NaN or Infinity (not JSON)
        return _("The request body is not valid JSON: NaN and Infinity are not JSON numbers.")
    content_type = (getattr(request, "content_type", "") or "").split(";")[0]
    return _("The request body cannot be read as %(type)s.") % {"type": content_type or _("its content type")}


def bad_request(request, exception=None):
    """The project's 400 handler (a body Django itself cannot read, before any view: a multipart body without its
    boundary): under /api/ the error shape; elsewhere the site's page."""
    if request.path.startswith("/api/"):
        content_type = (request.META.get("CONTENT_TYPE") or "").split(";")[0]
        return JsonResponse({"detail": _("The request body cannot be read as %(type)s.") % {
            "type": content_type or _("its content type")}, "code": "parse_error"}, status=status.HTTP_400_BAD_REQUEST,
            json_dumps_params={"ensure_ascii": False})
    return defaults.bad_request(request, exception)


def not_found(request, exception=None):
    """The project's 404 handler: under /api/ a URL that names nothing (`/api/items/0.25/`) answers 404 with the
    error shape, as a missing object does; elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


_CODES = {
    status.HTTP_401_UNAUTHORIZED: "not_authenticated", status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found", status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def _flat(errors, prefix: str = "") -> dict[str, list[str]]:
    """`{field: [reasons]}` whatever the nesting: a list's or a nested object's errors are named by their path
    (`hops.1`, `entries.0.title`), so every value is a list of strings, as the schema says."""
    flat: dict[str, list[str]] = {}
    items = errors.items() if isinstance(errors, dict) else enumerate(errors)
    for key, value in items:
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flat(value, f"{name}."))
        elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            for i, v in enumerate(value):
                if isinstance(v, dict | list):
                    flat.update(_flat(v, f"{name}.{i}."))
                elif v:
                    flat.setdefault(name, []).append(str(v))
        else:
            flat.setdefault(name, []).extend(str(v) for v in (value if isinstance(value, list) else [value]))
    return flat


# --- the schema -------------------------------------------------------------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer of the API.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "code": {"type": "string", "description": "What went wrong, for a program (`invalid`, `not_found`, …)."},
        "errors": {
            "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "On 400: each field (a nested one by its path, `hops.1`) and the reasons it was refused.",
        },
        "retry_after": {"type": "integer", "description": "On 429: seconds until asking again may succeed."},
    },
    "required": ["detail", "code"],
}
_REF = {"$ref": "#/components/schemas/Error"}
_DESCRIPTIONS = {
    "400": "Invalid input: `errors` names each field (body or query string) and the reason.",
    "403": "Not signed in, or not permitted for this user.",
    "404": "No such object visible to this user (or no such page of the list).",
    "409": "Illegal in the object's current state, or a stale revision.",
    "415": "The body is not sent as one of the documented media types.",
}


def document_errors(result, generator, request, public):
    """Every operation documents every error status it can answer, each with the `Error` shape: 400 when it reads a
    body or a query string, 403 unless anyone may call it, 404 when it names an object or pages a list, 409 and 415
    when it changes something. Statuses a view documents itself are kept; error answers without a body get one."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "put", "patch", "post", "delete"):
                continue
            parameters = operation.get("parameters", [])
            wanted = set()
            if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
                wanted.add("400")
            if {} not in operation.get("security", []):
                wanted.add("403")
            if any(p["in"] in ("path", "query") and (p["in"] == "path" or p["name"] == "page") for p in parameters):
                wanted.add("404")
            if method != "get" and "403" in wanted:
                wanted |= {"409", "415"} if "requestBody" in operation else {"409"}
            responses = operation.setdefault("responses", {})
            for code in sorted(wanted):
                responses.setdefault(code, {"description": _DESCRIPTIONS[code]})
            for code, response in responses.items():
                if code.startswith(("4", "5")) and not response.get("content"):
                    response["content"] = {"application/json": {"schema": _REF}}
    return result
