"""Every admin page, fed garbage in every field and filter, answers without a 500 (issue 17, point 4): an
administrator loading the unit tree by hand types wrong things, and the form must say so."""

import pytest
from django.contrib import admin
from django.urls import reverse

from infohub.models import User

pytestmark = pytest.mark.django_db

HOSTILE = ("abc", "²", "9" * 30, "-1", "\x00", "x" * 10_000, "0001-01-01", "9999-12-31 23:59:59", " ")


def _admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser(client, network):
    user = User.objects.create_superuser("root", "root@example.invalid", "pw-for-tests-9")
    client.force_login(user)
    return user


def test_every_changelist_with_garbage_filters_search_page_and_order(client, superuser):
    for model, model_admin in admin.site._registry.items():
        url = _admin_url(model, "changelist")
        filters = [f if isinstance(f, str) else None for f in model_admin.list_filter]
        for value in HOSTILE:
            query = {"q": value, "p": value, "o": value}
            for name in filter(None, filters):
                query[f"{name}__exact"] = value
                query[f"{name}__id__exact"] = value
            response = client.get(url, query)
            assert response.status_code < 500, (model.__name__, value[:12], response.status_code)
        for bad_id in ("abc", "9" * 30):
            assert client.get(_admin_url(model, "change", bad_id)).status_code < 500, model.__name__


def test_every_add_form_with_garbage_in_every_field(client, superuser):
    for model in admin.site._registry:
        url = _admin_url(model, "add")
        page = client.get(url)
        if page.status_code != 200:  # an admin without an add form (the audit log)
            continue
        form = page.context["adminform"].form
        for value in HOSTILE:
            data = dict.fromkeys(form.fields, value)
            for formset in page.context.get("inline_admin_formsets", []):
                management = formset.formset.management_form
                data |= {f"{management.prefix}-{k}": v for k, v in
                         {"TOTAL_FORMS": "1", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}.items()}
                data |= {f"{formset.formset.prefix}-0-{name}": value for name in formset.formset.empty_form.fields}
            response = client.post(url, data)
            assert response.status_code < 500, (model.__name__, value[:12], response.status_code)
