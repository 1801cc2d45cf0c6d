"""The shared core: the unit tree, the append-only audit log, demo data, login throttling, deploy checks."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.urls import reverse

from infohub import tree
from infohub.models import AuditLog, Level, Unit, User
from infohub.services import audit_record
from project.demo import DEMO_PASSWORD, load_demo
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_paths_follow_the_tree_and_a_move_rewrites_the_subtree():
    province = UnitFactory(level=Level.PROVINCE)
    city_a = UnitFactory(level=Level.CITY, parent=province)
    city_b = UnitFactory(level=Level.CITY, parent=province)
    county = UnitFactory(level=Level.COUNTY, parent=city_a)
    township = UnitFactory(level=Level.TOWNSHIP, parent=county)
    assert township.path == "/" + "".join(f"{u.pk:010d}/" for u in (province, city_a, county, township))
    assert set(tree.subtree(city_a)) == {city_a, county, township}
    # when the county moves to the other city
    county.parent = city_b
    county.save()
    township.refresh_from_db()
    assert township.path == "/" + "".join(f"{u.pk:010d}/" for u in (province, city_b, county, township))
    assert list(tree.ancestors(township)) == [province, city_b, county, township]


def test_ordering_by_path_is_tree_order_past_ninety_nine_siblings():
    """Siblings in id order, a parent before its children: "/1/7/100/" once sorted before "/1/7/42/", so the sheet
    and every list ordered by path put the hundredth department of a city first."""
    city = UnitFactory(level=Level.CITY)
    # ids either side of a change in the number of digits, as a city's 99th and 100th departments may be
    tenth, hundredth = (UnitFactory(pk=pk, level=Level.COUNTY, parent=city) for pk in (99_999_999, 100_000_000))
    town = UnitFactory(level=Level.TOWNSHIP, parent=tenth)
    assert list(Unit.objects.filter(path__startswith=city.path).order_by("path")) == [city, tenth, town, hundredth]


def test_a_unit_cannot_move_below_itself_nor_report_downward():
    city = UnitFactory(level=Level.CITY)
    county = UnitFactory(level=Level.COUNTY, parent=city)
    city.parent = county
    with pytest.raises(ValidationError):
        city.full_clean()
    county.parent, county.upstream = city, UnitFactory(level=Level.TOWNSHIP)
    with pytest.raises(ValidationError):
        county.full_clean()


def test_the_audit_log_refuses_updates_and_deletes_in_the_model_and_the_database(network):
    row = audit_record(actor=network.clerk, action="item.create", obj=network.county, to_state="draft")
    row.reason = "rewritten"
    with pytest.raises(ValueError):
        row.save()
    with pytest.raises(ValueError):
        row.delete()
    for sql in ("UPDATE infohub_auditlog SET reason = 'x'", "DELETE FROM infohub_auditlog"):
        with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditLog.objects.get(pk=row.pk).reason == ""


def test_demo_data_loads_once_and_its_logins_work(client):
    assert load_demo() is True
    assert load_demo() is False
    assert Unit.objects.get(code="jn-park").upstream.code == "jn"  # the direct-reporting point skips the city
    # the demo emergency is on the city duty officer's clock
    from alerts.models import Clock

    assert set(Clock.objects.filter(kind="report").values_list("office__code", flat=True)) == {"lj", "jn", "central"}
    call_command("seed_demo", stdout=StringIO())  # prints the logins again
    response = client.post(reverse("login"), {"username": "dh_clerk", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_failed_logins_lock_the_username_at_that_address(client, network, settings):
    settings.AXES_FAILURE_LIMIT = 3
    network.clerk.set_password("right-password-1")
    network.clerk.save()
    for _ in range(3):
        client.post(reverse("login"), {"username": "dh_clerk", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "dh_clerk", "password": "right-password-1"})
    assert locked.status_code == 429 and "登录失败次数过多" in locked.content.decode()
    # another person behind the same office NAT address is not locked out
    network.other_clerk.set_password("right-password-2")
    network.other_clerk.save()
    assert client.post(reverse("login"), {"username": "xl_clerk", "password": "right-password-2"}).status_code == 302


def test_login_page_is_chinese_and_a_wrong_password_keeps_the_username(client, network):
    response = client.post(reverse("login"), {"username": "dh_clerk", "password": "wrong"})
    page = response.content.decode()
    assert response.status_code == 200 and 'value="dh_clerk"' in page and "用户名" in page


def test_healthz_checks_database_and_redis(client):
    response = client.get(reverse("healthz"))
    checks = response.json()
    assert response.status_code == 200 and (checks["database"], checks["redis"]) == ("ok", "ok")
    # the periodic jobs' health is there for monitoring (tests/alerts/test_quarantine.py), not for the status code
    assert checks["sweep"] == "never" and checks["quarantined"] == 0 and "alerts.sweep" in checks["periodic"]


def test_no_page_loads_anything_from_the_internet(client, network):
    client.force_login(network.clerk)
    for name in ("home", "me", "notifications", "submissions:item_list", "submissions:item_create"):
        page = client.get(reverse(name)).content.decode()
        assert "http://" not in page and "https://" not in page, name


def test_production_settings_pass_check_deploy():
    # The browser tests allow async-unsafe ORM calls in this process; a deployment never does.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"DJANGO_SETTINGS_MODULE": "infohub.settings_production",
            "SECRET_KEY": "x" * 20 + "production-secret-for-the-check-0123456789", "ALLOWED_HOSTS": "infohub.example"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_users_have_the_chinese_display_name(network):
    assert str(User(username="u", display_name="王小明")) == "王小明"


def test_each_page_loads_the_user_with_their_roles_and_unread_count_in_one_query(client, network):
    from django.test.utils import CaptureQueriesContext

    from infohub.models import Role, RoleAssignment
    from infohub.services import notify

    client.force_login(network.city_editor)
    notify(recipients=[network.city_editor] * 2, verb="arrived", text="到达")
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("notifications")).content.decode()
    assert '<span class="badge">2</span>' in page and reverse("reviews:inbox") in page
    assert not any("infohub_roleassignment" in q["sql"] and "infohub_user" not in q["sql"] for q in captured)
    assert not any('"infohub_notification"."read_at" IS NULL' in q["sql"] for q in captured)
    # A change shows on the very next page: the facts are loaded with each request, never kept.
    RoleAssignment.objects.filter(user=network.city_editor, role=Role.EDITOR).delete()
    client.post(reverse("notifications_read"))
    page = client.get(reverse("notifications")).content.decode()
    assert 'class="badge"' not in page and reverse("reviews:inbox") not in page


def test_a_deactivated_user_is_signed_out_on_the_next_request(client, network):
    client.force_login(network.clerk)
    User.objects.filter(pk=network.clerk.pk).update(is_active=False)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def _session_in_cache(session_key):
    from django.core.cache import cache

    from infohub.sessions import SessionStore

    key = cache.make_key(SessionStore.cache_key_prefix + session_key)
    return cache._cache.get_client(key).ttl(key)  # -2: not there


def test_a_session_is_read_from_redis_for_five_minutes_at_most_and_from_the_database_without_it(client, network):
    from django.contrib.sessions.models import Session
    from django.core.cache import cache

    from infohub.sessions import SessionStore

    client.force_login(network.clerk)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()  # the database stays the truth
    assert 0 < _session_in_cache(key) <= 300
    cache.delete(SessionStore.cache_key_prefix + key)  # Redis emptied
    assert client.get(reverse("home")).status_code == 200
    assert _session_in_cache(key) > 0  # read back into Redis


def test_a_logout_ends_the_session_in_redis_too(client, network):
    from django.test import Client

    client.force_login(network.clerk)
    cookie = client.cookies["sessionid"].value
    assert client.post(reverse("logout")).status_code == 302
    assert _session_in_cache(cookie) == -2
    replay = Client()
    replay.cookies["sessionid"] = cookie
    response = replay.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_sessions_work_without_redis(client, network, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    assert client.post(reverse("login"), {"username": "dh_clerk", "password": "wrong"}).status_code == 200  # the form again
    client.force_login(network.clerk)
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_the_units_reporting_to_an_office_follow_a_change_at_once(network):
    from infohub.tree import units_reporting_to

    assert units_reporting_to({network.city.pk}) == [(network.county.pk, "东湖区委办公室"), (network.other_county.pk, "西岭县委办公室")]
    network.other_county.name = "西岭县委办公室（新）"
    network.other_county.upstream = network.province
    network.other_county.save()
    assert units_reporting_to({network.city.pk}) == [(network.county.pk, "东湖区委办公室")]
    assert units_reporting_to({network.province.pk}) == [(network.city.pk, "临江市委办公室"), (network.other_county.pk, "西岭县委办公室（新）")]


def test_a_page_of_rows_comes_with_the_list_length_and_past_the_end_is_the_last_page(network):
    from infohub.pagination import page_of_rows

    units = Unit.objects.order_by("path")  # four units in the network
    page = page_of_rows(units, "2", 3, ["name"])
    assert page.paginator.count == 4 and page.number == 2 and [r["name"] for r in page.object_list] == ["西岭县委办公室"]
    assert page_of_rows(units, "9", 3, ["name"]).number == 2
    assert page_of_rows(units, "x", 3, ["name"]).number == 1
    empty = page_of_rows(units.none(), "3", 3, ["name"])
    assert empty.number == 1 and empty.paginator.count == 0 and list(empty.object_list) == []


def test_a_unit_made_elsewhere_is_named_at_once(network):
    from infohub.tree import unit_names

    assert unit_names()[network.city.pk] == "临江市委办公室"
    # bulk_create sends no signal: as if another process had made the unit a moment ago
    (made,) = Unit.objects.bulk_create([Unit(name="新设联络点", code="t-new", level=Level.COUNTY, parent=network.city)])
    assert unit_names()[made.pk] == "新设联络点"
