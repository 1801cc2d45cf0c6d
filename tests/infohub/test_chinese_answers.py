"""What is left of English in what people and other systems are answered (issue 13): the admin's Add / Change links,
once-only tokens ("idempotency key"), a request body the API cannot read, a page asked with a method it does not take
(405), and the API documentation's chrome."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def api_as(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}", **ZH)
    return api


# --- the admin's links ------------------------------------------------------------------------------------------------


def test_the_admin_reads_add_and_change_as_an_office_does(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.invalid", "x"))

    page = client.get(reverse("admin:index"), **ZH).content.decode()

    assert ">新增</a>" in page and ">修改</a>" in page
    assert "编入" not in page and "变化" not in page
    with translation.override("zh-hans"):  # the project's own uses keep their words, by context
        assert (gettext("Add"), gettext("Change")) == ("新增", "修改")
        assert (pgettext("to an issue", "Add"), pgettext("roster row", "Change")) == ("编入", "变化")


# --- a request body the API cannot read -------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "detail"), [
    ('{"title": ', "请求体不是有效的 JSON：缺少值（第 1 行第 11 列）。"),
    ("{title: 1}", "请求体不是有效的 JSON：名称须用双引号括起（第 1 行第 2 列）。"),
    ('{"title": "a",}', "请求体不是有效的 JSON：名称须用双引号括起（第 1 行第 15 列）。"),
    ('{"title": "a"} {}', "请求体不是有效的 JSON：JSON 值结束后还有多余内容（第 1 行第 16 列）。"),
    ('{"title": "a\nb"}', "请求体不是有效的 JSON：字符串中含有控制字符（如未转义的换行）（第 1 行第 13 列）。"),
    ('{"losses": NaN}', "请求体不是有效的 JSON：NaN 和 Infinity 不是 JSON 数值。"),
    (b'{"title": "\xff"}', "请求体不是 UTF-8 文本：第 12 个字节无法识别。"),
])
def test_a_body_that_is_not_json_is_a_chinese_400_naming_the_problem(network, body, detail):
    answer = api_as(network.clerk).generic("POST", "/api/items/", body, content_type="application/json")

    assert answer.status_code == 400
    assert answer.json() == {"detail": detail, "code": "parse_error"}


def test_a_multipart_body_without_its_boundary_is_a_400_not_a_500(network, client):
    answer = api_as(network.clerk).generic("POST", "/api/items/", b"a,b", content_type="multipart/form-data")

    assert answer.status_code == 400
    assert answer.json() == {"detail": "请求体无法按 multipart/form-data 格式解析。", "code": "parse_error"}
    # a page gets the site's page (its frame drawn before anyone is signed in)
    client.force_login(network.clerk)
    page = client.generic("POST", reverse("submissions:item_create"), b"a,b", content_type="multipart/form-data", **ZH)
    assert page.status_code == 400 and "请求有误" in page.content.decode()


# --- once-only tokens -------------------------------------------------------------------------------------------------


def test_the_api_names_the_idempotency_key_header_and_no_jargon(network):
    api = api_as(network.clerk)

    answer = api.post("/api/items/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 101)

    assert answer.status_code == 400
    assert answer.json() == {"detail": "请求头 Idempotency-Key 超过100个字符。", "code": "invalid",
                             "errors": {"Idempotency-Key": ["最多100个字符。"]}}


def test_a_form_token_used_for_another_form_sends_the_person_back_with_plain_words(chain, client, good_item_data):
    client.force_login(chain.net.clerk)
    form = reverse("submissions:item_create")
    saved = client.post(form, {**good_item_data, "source_unit": chain.net.county.pk, "once": "t" * 32, "save": "1"},
                        **ZH)
    assert saved.status_code == 302  # recorded under its token

    answer = client.post(reverse("alerts:chase_create"), {"once": "t" * 32}, HTTP_REFERER=f"http://testserver{form}",
                         **ZH)

    assert (answer.status_code, answer["Location"]) == (303, f"http://testserver{form}")
    page = client.get(form, **ZH).content.decode()
    assert "此表单已用于另一次提交，请刷新页面后重新填写。" in page
    assert "幂等" not in page and "idempotency" not in page.lower()


# --- 405 ---------------------------------------------------------------------------------------------------------------


def test_a_page_asked_with_a_method_it_does_not_take_is_framed_in_chinese(network, client):
    client.force_login(network.clerk)

    answer = client.get(reverse("reviews:signoff_batch"), **ZH)

    page = answer.content.decode()
    assert answer.status_code == 405 and answer["Allow"] == "POST"
    assert "无法以此方式打开" in page and 'class="topbar' in page and reverse("home") in page
    # the API keeps its error shape, htmx its empty answer
    api = api_as(network.clerk).delete("/api/me/")
    assert api.status_code == 405 and api.json()["code"] == "method_not_allowed"
    htmx = client.get(reverse("reviews:signoff_batch"), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 405 and htmx.content == b""


# --- the API's documentation ------------------------------------------------------------------------------------------


def test_the_api_documentation_page_speaks_chinese_where_swagger_ui_lets_it(network, client):
    client.force_login(network.clerk)

    page = client.get("/api/docs/", **ZH).content.decode()

    assert '<html lang="zh-hans">' in page and "<title>InfoHub API · 政务信息报送与审核接口</title>" in page
    assert "js/swagger-zh.js" in page and '"docExpansion": "none"' in page
