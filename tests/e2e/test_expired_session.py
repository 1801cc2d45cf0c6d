"""A duty officer's session ends while the urgent queue refreshes itself: the browser goes to the login page
(and back to the queue after logging in), instead of drawing the login page inside the table."""

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from playwright.sync_api import Page, expect

from infohub.models import Role
from tests.factories import person

from .test_clerk_files_an_item import PASSWORD, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_expired_session_leads_the_live_queue_to_the_login_page_and_back(page: Page, live_server, network,
                                                                          settings):
    settings.INFOHUB_QUEUE_REFRESH_SECONDS = 1
    officer = person(network.city, Role.DUTY_OFFICER, username="lj_duty", display_name="黄值班")
    log_in(page, live_server, officer)
    page.goto(f"{live_server.url}/alerts/")
    expect(page.locator("table")).to_be_visible()

    # when the session ends on the server (it expired, or was ended elsewhere)
    Session.objects.all().delete()
    cache.clear()  # sessions are read from Redis first (infohub.sessions)

    # then the next refresh takes the browser to the login page, which knows where to come back to
    expect(page).to_have_url(f"{live_server.url}/login/?next=%2Falerts%2F", timeout=10000)
    assert page.locator("table form[action*=login], tbody input[name=password]").count() == 0
    page.get_by_label("用户名").fill("lj_duty")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/alerts/")
