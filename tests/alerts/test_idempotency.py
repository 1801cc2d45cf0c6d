"""A double click or a retried call records once (SPEC §3; infohub.idempotency): the 催报 form posted twice makes
one chase, one clock and — after the deadline — one 漏报; an API create retried with its Idempotency-Key makes one
item and answers the same."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from alerts.models import Chase, Clock, Lapse
from alerts.sweep import sweep_all
from submissions.models import Item

CHASE = {"channel": "media", "summary": "网传东湖区某小区燃气爆炸", "minutes": 30}


def _chase_form(chain) -> dict:
    return {**CHASE, "office": chain.net.city.pk, "unit": chain.net.county.pk}


@pytest.mark.django_db
def test_every_form_carries_a_once_only_token(client, chain, duty):
    client.force_login(duty.city_duty)
    first = client.get(reverse("alerts:chase_create")).content.decode()
    second = client.get(reverse("alerts:chase_create")).content.decode()
    token = first.split('name="once" value="', 1)[1].split('"', 1)[0]
    assert len(token) == 32 and token not in second
    assert "js/once.js" in first


@pytest.mark.django_db
def test_the_chase_form_posted_twice_records_one_chase_one_clock_and_one_missed_report(client, chain, duty, traveller):
    client.force_login(duty.city_duty)
    form = {**_chase_form(chain), "once": "a" * 32}
    first = client.post(reverse("alerts:chase_create"), form)
    second = client.post(reverse("alerts:chase_create"), form)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert second["Idempotent-Replayed"] == "true"
    assert Chase.objects.count() == 1 and Clock.objects.filter(kind=Clock.Kind.CHASE).count() == 1
    traveller.move_to(Chase.objects.get().due_at + timedelta(seconds=1))
    sweep_all()
    assert Lapse.objects.filter(kind=Lapse.Kind.MISSED).count() == 1
    # a new form (a new token) is a new chase
    client.post(reverse("alerts:chase_create"), {**form, "once": "b" * 32})
    assert Chase.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_the_same_moment_record_once(chain, duty):
    duty.city_duty.set_password("pw-for-tests-9")
    duty.city_duty.save()
    form = {**_chase_form(chain), "once": "c" * 32}
    answers, start = [], threading.Barrier(2)

    def click():
        client = Client()
        client.force_login(duty.city_duty)
        start.wait()
        try:
            answers.append(client.post(reverse("alerts:chase_create"), form))
        finally:
            connection.close()

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert [a.status_code for a in answers] == [302, 302] and answers[0].url == answers[1].url
    assert Chase.objects.count() == 1


@pytest.mark.django_db
def test_a_form_shown_again_with_its_errors_can_be_sent_again_with_the_same_token(client, chain, duty):
    client.force_login(duty.city_duty)
    form = {**_chase_form(chain), "once": "d" * 32}
    assert client.post(reverse("alerts:chase_create"), {**form, "summary": ""}).status_code == 400
    assert client.post(reverse("alerts:chase_create"), form).status_code == 302
    assert Chase.objects.count() == 1


@pytest.mark.django_db
def test_an_api_create_retried_with_its_key_makes_one_item_and_answers_the_same(chain, good_item_data):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {_token(chain.net.clerk)}", HTTP_IDEMPOTENCY_KEY="draft-0001")
    body = {**good_item_data, "source_unit": chain.net.county.pk}
    first = api.post("/api/items/", body, format="json")
    again = api.post("/api/items/", body, format="json")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true" and Item.objects.count() == 1
    # the same key for another request is refused; another key is another item
    other = api.post(f"/api/items/{first.json()['id']}/submit/", {}, format="json")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    api.credentials(HTTP_AUTHORIZATION=f"Token {_token(chain.net.clerk)}", HTTP_IDEMPOTENCY_KEY="draft-0002")
    assert api.post("/api/items/", body, format="json").status_code == 201 and Item.objects.count() == 2


@pytest.mark.django_db
def test_a_key_sent_again_with_another_body_is_refused_not_answered_with_the_first_item(chain, good_item_data):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {_token(chain.net.clerk)}", HTTP_IDEMPOTENCY_KEY="draft-0003")
    body = {**good_item_data, "source_unit": chain.net.county.pk}
    first = api.post("/api/items/", body, format="json")
    other = api.post("/api/items/", {**body, "title": "另一件事：西岭县开展防汛应急演练"}, format="json")
    assert first.status_code == 201 and other.status_code == 422, other.content
    assert other.json()["code"] == "idempotency_key_reused" and "已用于另一个请求" in other.json()["detail"]
    assert "Idempotent-Replayed" not in other and Item.objects.count() == 1
    assert Item.objects.get().title == body["title"]
    # the first body again is still its retry
    again = api.post("/api/items/", body, format="json")
    assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_file_sent_again_with_its_key_is_a_retry_and_another_file_is_not(chain, good_item_data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {_token(chain.net.clerk)}")
    item = api.post("/api/items/", {**good_item_data, "source_unit": chain.net.county.pk}, format="json").json()
    url = f"/api/items/{item['id']}/attachments/"

    def send(content: bytes):  # each sending has a multipart boundary of its own
        return api.post(url, {"file": SimpleUploadedFile("会议纪要.pdf", content)}, format="multipart",
                        HTTP_IDEMPOTENCY_KEY="attach-1")

    first, again, other = send(b"%PDF-1 first"), send(b"%PDF-1 first"), send(b"%PDF-1 other")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Item.objects.get(pk=item["id"]).attachments.count() == 1


@pytest.mark.django_db
def test_an_action_retried_with_its_key_answers_as_the_first_time_not_409(chain, good_item_data):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {_token(chain.net.clerk)}")
    item = api.post("/api/items/", {**good_item_data, "source_unit": chain.net.county.pk}, format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {_token(chain.net.clerk)}", HTTP_IDEMPOTENCY_KEY="submit-1")
    first = api.post(f"/api/items/{item['id']}/submit/", {}, format="json")
    again = api.post(f"/api/items/{item['id']}/submit/", {}, format="json")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()


def _token(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key
