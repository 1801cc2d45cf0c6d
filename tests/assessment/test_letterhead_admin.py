"""The 通报's letterhead (版头, 发文机关代字, 印发机关: assessment.models.Letterhead) is kept in the admin, in Chinese:
what is typed is normalised (full-width letters and digits, invisible characters, spaces at the ends) and then checked
— a prefix of Chinese characters only, a one-line masthead, an office — and the next 通报 generated is headed by it."""

import io

import pytest
from django.contrib.admin import site
from django.urls import reverse
from docx import Document

from assessment import bulletins
from assessment.admin import LetterheadAdmin
from assessment.models import Bulletin, Letterhead
from infohub.models import Role
from tests.factories import person
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import JAN, MAR, YEAR, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):  # noqa: F811
    client.force_login(person(world.city, Role.ADMIN, username="lh-admin", is_staff=True, is_superuser=True))
    return client


ADD = reverse("admin:assessment_letterhead_add")


def _post(admin_client, office, **fields):
    return admin_client.post(ADD, {"office": office.pk, "masthead": "临江信息工作通报", "prefix": "临委办通",
                                   "issuer": "中共临江市委办公室", **fields})


def test_the_admin_page_is_in_chinese_and_lists_the_letterheads(admin_client, world):  # noqa: F811
    page = admin_client.get(ADD).content.decode()
    for label in ("通报版头", "版头", "发文机关代字", "印发机关", "例如“临办通”，印为“临办通〔2026〕3号”。"):
        assert label in page, label
    assert _post(admin_client, world.city).status_code == 302
    listed = admin_client.get(reverse("admin:assessment_letterhead_changelist")).content.decode()
    assert "临委办通" in listed and f"临委办通〔{YEAR}〕1号" in listed and "文号样式" in listed


def test_what_is_typed_is_normalised_before_it_is_checked_and_kept(world, rf):  # noqa: F811
    # the admin's form itself, without the middleware that cleans a request's fields: the model's clean does it
    request = rf.get(ADD)
    request.user = person(world.city, Role.ADMIN, username="lh-admin", is_staff=True, is_superuser=True)
    form_class = site._registry[Letterhead].get_form(request)
    assert isinstance(site._registry[Letterhead], LetterheadAdmin)
    form = form_class(data={"office": world.city.pk, "masthead": "\u3000临江信息\u200b工作通报 ",
                            "prefix": "\ufeff临委\u200d办通\u3000", "issuer": " 中共临江市委办公室\u200b"})
    assert form.is_valid(), form.errors
    row = form.save()
    assert (row.masthead, row.prefix, row.issuer) == ("临江信息工作通报", "临委办通", "中共临江市委办公室")


@pytest.mark.parametrize("prefix, says", [
    ("临办通〔2026〕", "只能由汉字组成"),   # the year and brackets are the number's
    ("临办通3号", "只能由汉字组成"),        # a number
    ("ＬＢＴ", "只能由汉字组成"),           # full-width letters: LBT once folded, still no Chinese
    ("临 办通", "只能由汉字组成"),          # a space inside
    ("临", "至少两个字"),
    ("\u200b\u3000", "必填"),              # nothing visible: required
])
def test_a_prefix_that_is_not_a_prefix_is_refused_naming_the_field(admin_client, world, prefix, says):  # noqa: F811
    page = _post(admin_client, world.city, prefix=prefix)
    assert page.status_code == 200
    errors = page.context["adminform"].form.errors
    assert "prefix" in errors and says in errors["prefix"][0], errors
    assert not Letterhead.objects.exists()


def test_a_unit_that_is_no_office_and_an_empty_masthead_are_refused(admin_client, world):  # noqa: F811
    page = _post(admin_client, world.department)
    assert "不是党委办公室或政府办公室" in page.context["adminform"].form.errors["office"][0]
    page = _post(admin_client, world.city, masthead="\u200b ")
    assert "必填" in page.context["adminform"].form.errors["masthead"][0]
    assert not Letterhead.objects.exists()


def test_the_next_bulletin_generated_is_headed_by_it_and_issued_with_its_prefix(
        admin_client, world, django_capture_on_commit_callbacks):  # noqa: F811
    # given a bulletin generated before the letterhead was kept: the defaults
    with django_capture_on_commit_callbacks(execute=True):
        before = bulletins.bulletin_request(ruleset=world.ruleset, kind=Bulletin.Kind.QUARTERLY, first_month=JAN,
                                            last_month=MAR, actor=world.editor)
    before.refresh_from_db()
    assert (before.figures["masthead"], before.figures["prefix"]) == ("信息工作通报", "临办通")
    # when the administrator keeps the office's letterhead (typed with a full-width space and a zero-width one)
    assert _post(admin_client, world.city, prefix="临委办通\u3000", masthead="临江信息\u200b工作通报").status_code == 302
    # and the bulletin is generated again (the next one generated)
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_regenerate(bulletin=before, actor=world.editor)
    bulletin = Bulletin.objects.get(pk=before.pk)
    assert (bulletin.figures["masthead"], bulletin.figures["prefix"], bulletin.figures["issuer"]) == (
        "临江信息工作通报", "临委办通", "中共临江市委办公室")
    lines = [p.text for p in Document(bulletin.docx.open("rb")).paragraphs]
    assert "临江信息工作通报" in lines and "信息工作通报" not in lines
    # then issued: its number carries the prefix
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
    bulletin.refresh_from_db()
    assert bulletin.number_label == f"临委办通〔{bulletin.year}〕1号"
    assert bulletin.number_label in [p.text for p in Document(io.BytesIO(bulletin.docx.open("rb").read())).paragraphs]
