"""Request plumbing shared by every page."""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render, resolve_url


class HtmxLoginRedirect:
    """An htmx request whose session has ended gets `HX-Redirect` to the login page (with `next`), not a 302.

    The browser follows a 302 inside the XMLHttpRequest, so htmx would draw the whole login page into the list it
    refreshes (and keep polling); with HX-Redirect htmx leaves the page for the login form, which comes back to
    the page the person was on (htmx sends it as HX-Current-URL)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.headers.get("HX-Request") == "true" and response.status_code in (301, 302)
                and urlsplit(response.get("Location", "")).path == resolve_url(settings.LOGIN_URL)):
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = f"{current.path}?{current.query}" if current.query else current.path
            login = response["Location"].split("?", 1)[0]
            redirect = HttpResponse(status=204)
            redirect["HX-Redirect"] = f"{login}?{urlencode({'next': back})}" if back else response["Location"]
            return redirect
        return response


class MethodNotAllowedPage:
    """A page asked with a method it does not take (a form's action opened by its address, `require_POST`) answers
    405 in the site's frame with a way back, like the other error pages, instead of Django's empty body. The API
    (its error shape), htmx requests and answers that already have a body are left as they are; the Allow header
    stays."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code != 405 or response.content or getattr(response, "streaming", False)
                or request.path.startswith("/api/") or request.headers.get("HX-Request") == "true"):
            return response
        page = render(request, "405.html", status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page
