"""The start page: what each person must act on now, gathered from every app (project.start)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from infohub.selectors import roles_of

from .start import start_page


@login_required
def home(request):
    return render(request, "project/home.html", {"roles": roles_of(request.user), "sections": start_page(request.user)})
