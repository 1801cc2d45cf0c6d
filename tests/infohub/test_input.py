"""What people type is normalised once on the way in, for forms and the API alike (SPEC §3; infohub.text)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from infohub.models import User
from infohub.text import normalize_phone
from submissions.models import Item

pytestmark = pytest.mark.django_db


def _form(data: dict, **changes) -> dict:
    return {**data, "source_unit": "", **changes}


def test_a_title_of_only_invisible_characters_is_empty_on_the_page_and_the_typed_body_is_kept(
    client, network, good_item_data
):
    client.force_login(network.clerk)
    typed = _form(good_item_data, source_unit=network.county.pk, title="\u200b\u200b\ufeff\u3000")
    # a draft saves without a title (issue 13, point 10): the invisible one is saved as none
    client.post(reverse("submissions:item_create"), {**typed, "save": "1"})
    item = Item.objects.get()
    assert (item.title, item.body) == ("", good_item_data["body"])
    # and filing it asks for one, beside the typed body
    response = client.post(reverse("submissions:item_edit", args=[item.pk]),
                           {**typed, "revision": item.revision, "submit": "1"}, follow=True)
    assert response.context["form"].errors["title"]
    assert good_item_data["body"] in response.content.decode()
    assert Item.objects.get().status == Item.Status.DRAFT


def test_a_title_of_only_invisible_characters_is_refused_by_the_api(network, good_item_data):
    api = APIClient()
    api.force_authenticate(network.clerk)
    response = api.post("/api/items/", {**good_item_data, "source_unit": network.county.pk, "title": "\u200b\u200d"},
                        format="json")
    assert response.status_code == 201 and response.json()["title"] == ""  # a draft may lack its title
    response = api.post(f"/api/items/{response.json()['id']}/submit/", {}, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"title"}
    assert Item.objects.get().status == Item.Status.DRAFT


def test_full_width_digits_letters_crlf_nul_and_invisible_characters_are_normalised_in_forms(
    client, network, good_item_data
):
    client.force_login(network.clerk)
    client.post(reverse("submissions:item_create"), _form(
        good_item_data, source_unit=network.county.pk, title="　２０２６年Ｇ６０\u200b科创走廊建设提速　",
        body="第一段\r\n第二段\x00，全角标点保留。", contact_phone="１３８ ０００ ０００１２"))
    item = Item.objects.get()
    assert item.title == "2026年G60科创走廊建设提速"
    assert item.body == "第一段\n第二段，全角标点保留。"
    assert item.contact_phone == "13800000012"


def test_the_api_normalises_the_same_way(network, good_item_data):
    api = APIClient()
    api.force_authenticate(network.clerk)
    response = api.post("/api/items/", {**good_item_data, "source_unit": network.county.pk, "title": "Ｇ６０\u200b走廊",
                                        "body": "甲\r\n乙\x00", "contact_phone": "０５７１－８８８８６６６６转１２３"},
                        format="json")
    assert response.status_code == 201, response.json()
    item = Item.objects.get()
    assert (item.title, item.body, item.contact_phone) == ("G60走廊", "甲\n乙", "0571-88886666-123")


@pytest.mark.parametrize("typed", ["12345", "88886666", "电话", "1380000001", "0571-123"])
def test_a_phone_that_is_no_phone_is_refused_with_the_field_and_the_reason(network, good_item_data, typed):
    api = APIClient()
    api.force_authenticate(network.clerk)
    response = api.post("/api/items/", {**good_item_data, "source_unit": network.county.pk, "contact_phone": typed},
                        format="json")
    assert response.status_code == 400 and "contact_phone" in response.json()["errors"]


@pytest.mark.parametrize(("typed", "stored"), [
    ("13800000012", "13800000012"), ("+86 138-0000-0012", "13800000012"), ("(010)12345678", "010-12345678"),
    ("020 8765 4321", "020-87654321"), ("0571-88886666 分机 8", "0571-88886666-8"), ("", ""),
])
def test_phone_numbers_are_stored_in_one_form(typed, stored):
    assert normalize_phone(typed) == stored


def test_a_duty_officers_phone_is_stored_as_the_sms_hook_dials_it(network):
    officer = User(username="duty-x", phone="１３８００００００１２")
    officer.set_unusable_password()
    officer.full_clean()
    assert officer.phone == "13800000012"
    officer.phone = "110"
    with pytest.raises(ValidationError) as refused:
        officer.full_clean()
    assert "phone" in refused.value.message_dict


def test_query_strings_are_cleaned_before_any_view_reads_them(client, network):
    client.force_login(network.clerk)
    assert client.get(reverse("submissions:item_list"), {"q": "网格\x00化"}).status_code == 200


def test_passwords_are_left_exactly_as_typed(client, network):
    network.clerk.set_password("ｐａｓｓ\u200bword-9")
    network.clerk.save()
    response = client.post(reverse("login"), {"username": network.clerk.username, "password": "ｐａｓｓ\u200bword-9"})
    assert response.status_code == 302 and response.url == reverse("home")


def test_an_htmx_request_on_an_expired_session_gets_hx_redirect_to_the_login_page(client):
    response = client.get("/alerts/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/alerts/?page=2"})
    assert response.status_code == 204 and response.content == b""
    assert response["HX-Redirect"] == "/login/?next=%2Falerts%2F%3Fpage%3D2"
    plain = client.get("/alerts/")  # a plain page load still gets the ordinary redirect
    assert plain.status_code == 302 and plain.url.startswith("/login/")


def test_a_locked_account_gets_429_locked_with_when_to_retry_and_retrying_does_not_extend_the_lock(network, settings):
    import time_machine
    from django.utils import timezone

    network.clerk.set_password("right-password-1")
    network.clerk.save()
    api = APIClient()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            assert api.post("/api/auth/token/", {"username": "dh_clerk", "password": "wrong"}).status_code == 400
        locked = api.post("/api/auth/token/", {"username": "dh_clerk", "password": "right-password-1"})
        assert locked.status_code == 429 and locked.json()["code"] == "locked"
        lock = locked.json()["retry_after"]
        assert int(locked["Retry-After"]) == lock == settings.AXES_COOLOFF_TIME * 3600
        # a system retrying every ten minutes: the lock does not start again
        clock.shift(600)
        again = api.post("/api/auth/token/", {"username": "dh_clerk", "password": "right-password-1"})
        assert again.status_code == 429 and again.json()["retry_after"] == lock - 600
        clock.shift(lock - 600 + 1)
        assert api.post("/api/auth/token/", {"username": "dh_clerk", "password": "right-password-1"}).status_code == 200


def test_a_page_that_does_not_exist_answers_in_chinese_in_the_sites_frame(client, network):
    client.force_login(network.other_clerk)
    response = client.get("/items/99999999/")
    page = response.content.decode()
    assert response.status_code == 404 and "未找到" in page and "返回工作台" in page and 'lang="zh-hans"' in page


def test_a_request_with_too_many_fields_is_a_clear_400_on_pages_and_the_api(client, network, settings):
    client.force_login(network.city_editor)
    fields = {f"f{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    page = client.post("/reviews/inbox/merge/", fields)
    assert page.status_code == 400 and "请求有误" in page.content.decode()
    api = client.post("/api/inbox/merge/", fields)
    assert api.status_code == 400 and api.json()["code"] == "too_large"
