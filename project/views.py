"""The start page: what each person must act on now, gathered from every app."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from alerts.selectors import urgent_queue
from infohub.models import Role
from infohub.roles import holds
from infohub.selectors import roles_of
from publications.selectors import start_page as publications_start_page
from reviews.selectors import forward_queue, inbox_for, signoff_queue
from submissions.selectors import clerk_start_page


@login_required
def home(request):
    user = request.user
    context = {"roles": roles_of(user)}
    if holds(user, Role.CLERK):
        context.update(clerk_start_page(user))
    if holds(user, Role.DIRECTOR):
        context["to_sign"] = signoff_queue(user)[:10]
        context["to_forward"] = forward_queue(user)[:10]
    if holds(user, Role.EDITOR):
        context["inbox"] = inbox_for(user)[:10]
    if holds(user, Role.DUTY_OFFICER):
        context["urgent"] = urgent_queue(user)[:10]
    context.update(publications_start_page(user))
    return render(request, "project/home.html", context)
