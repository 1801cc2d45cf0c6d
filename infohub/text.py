"""What people type, normalised once on the way in (SPEC §3), the same for forms and the API.

`clean_text` is applied to every text a request carries — query strings and form fields by `NormalizeInput`
(a middleware), JSON bodies by `NormalizingJSONParser` (the API's parser) — so every field, every form and every
endpoint gets it without naming it:

* full-width letters and digits become half-width (ＡＢＣ１２３ → ABC123); full-width punctuation, which Chinese
  writes on purpose, stays;
* invisible characters (zero-width spaces and joiners, BOM, soft hyphen, bidi marks) are removed;
* control characters are removed (NUL included: Postgres cannot store it), except line feed and tab;
* line endings become LF (browsers send CRLF).

Fields then trim their ends as Django and DRF do (U+3000, the ideographic space, counts as space there), so a
title of nothing visible is empty and "required" catches it. Passwords and tokens are left exactly as typed.

`normalize_phone` turns a typed phone number into its stored form or says why it cannot be one.
"""

from __future__ import annotations

import re

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, ValidationError
from django.http import HttpResponse, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.parsers import DataAndFiles, FormParser, JSONParser, MultiPartParser

# Full-width ASCII letters and digits (U+FF10–FF19, FF21–FF3A, FF41–FF5A) → ASCII.
_WIDTH = {code: code - 0xFEE0 for code in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff"
_CONTROL = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0)])
_DROPPED = dict.fromkeys(map(ord, _INVISIBLE + _CONTROL))
_TABLE = {**_WIDTH, **_DROPPED}

# Fields never touched: what the person typed is the secret itself.
UNTOUCHED = frozenset({"password", "password1", "password2", "old_password", "new_password1", "new_password2",
                       "csrfmiddlewaretoken"})


def clean_text(value: str) -> str:
    """Width-folded, without invisible or control characters, LF line endings. Does not trim (fields do)."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(_TABLE)


def fold_width(value: str) -> str:
    """Full-width letters and digits as half-width, and lower case: both sides of a search compare so."""
    return clean_text(value).lower()


def _clean_querydict(data: QueryDict) -> QueryDict:
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(clean_text(key), values if key in UNTOUCHED else [clean_text(v) for v in values])
    cleaned._mutable = False
    return cleaned


class NormalizeInput:
    """Middleware: the query string and the form fields of every request, cleaned before any view reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.GET = _clean_querydict(request.GET)
            if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                                     "multipart/form-data"):
                request.POST = _clean_querydict(request.POST)
        except (TooManyFieldsSent, TooManyFilesSent, RequestDataTooBig) as error:
            return _too_much(request, error)
        return self.get_response(request)


def _too_much(request, error) -> HttpResponse:
    """More fields, files or bytes than the settings accept: 400 (413 for size), as JSON under /api/."""
    status = 413 if isinstance(error, RequestDataTooBig) else 400
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("The request carries more fields, files or data than accepted."),
                             "code": "too_large"}, status=status)
    return HttpResponse(render_to_string("400.html"), status=status)


def _clean_json(value, key: str | None = None):
    if isinstance(value, str):
        return value if key in UNTOUCHED else clean_text(value)
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k): _clean_json(v, k) for k, v in value.items()}
    return value


class NormalizingJSONParser(JSONParser):
    """The API's JSON parser: every string in the body cleaned as a form field would be."""

    def parse(self, stream, media_type=None, parser_context=None):
        return _clean_json(super().parse(stream, media_type, parser_context))


class NormalizingFormParser(FormParser):
    """The API's form parser (DRF reads the body itself, not the request.POST the middleware cleaned): every field
    cleaned as a page's form field is, so a control character (NUL) reaches neither the database nor axes."""

    def parse(self, stream, media_type=None, parser_context=None):
        return _clean_querydict(super().parse(stream, media_type, parser_context))


class NormalizingMultiPartParser(MultiPartParser):
    """The API's multipart parser: its fields cleaned as a form's are (the files as they came)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        return DataAndFiles(_clean_querydict(parsed.data), parsed.files)


# A mobile (11 digits, 1[3-9]…), or a landline with its area code (010, 02x, 0xxx; then 7–8 digits), either
# optionally followed by an extension (转 / ext / x / - and 1–6 digits).
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
_LANDLINE = re.compile(r"(0(?:10|2\d|[3-9]\d{2}))(\d{7,8})")  # 010 and 02x have three digits, the rest four
_EXTENSION = re.compile(r"^(?P<number>.*?)(?:(?:转|分机|ext\.?|x|#)\s*|-)(?P<ext>\d{1,6})$", re.IGNORECASE)


def normalize_phone(value: str) -> str:
    """A typed phone number in its stored form: "13800000012", "0571-88886666", "0571-88886666-123".

    Accepts full-width digits, spaces, hyphens and brackets as people type them; raises ValidationError (code
    "phone") naming the forms it accepts otherwise. Rule: SPEC §3 (a mobile has 11 digits; a landline an area
    code; an extension may follow).
    """
    typed = clean_text(value or "").strip()
    if not typed:
        return ""
    compact = re.sub(r"[\s()（）\u3000]", "", typed).replace("—", "-").replace("－", "-")
    for number, extension in [(compact, ""), *_with_extension(compact)]:
        digits = number.replace("-", "")
        if mobile := _MOBILE.fullmatch(digits):
            return mobile.group(1) + (f"-{extension}" if extension else "")
        if landline := _LANDLINE.fullmatch(digits):
            return f"{landline.group(1)}-{landline.group(2)}" + (f"-{extension}" if extension else "")
    raise ValidationError(
        _("“%(value)s” is not a phone number: give an 11-digit mobile (13800000000) or a landline with its area "
          "code (0571-88886666), optionally with an extension (0571-88886666-123)."),
        code="phone", params={"value": typed[:40]},
    )


def _with_extension(compact: str) -> list[tuple[str, str]]:
    """[(number, extension)] where the typed text ends in an extension, else []."""
    match = _EXTENSION.match(compact)
    return [(match["number"], match["ext"])] if match else []
