"""Pages of the emergency rules: who sees what, one click acknowledgement, forms that keep what was typed."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.urls import reverse

from alerts import services
from alerts.models import Chase, Clock, Lapse
from alerts.sweep import sweep_all
from reviews import services as reviews

from .conftest import NOW, file_emergency

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(chain, traveller) -> Clock:
    item = file_emergency(chain.net, event_time=NOW - timedelta(minutes=30))
    return Clock.objects.get(item=item, level="city", kind="report")


def test_the_city_duty_officer_sees_the_emergency_in_the_queue(client, chain, duty, clock):
    client.force_login(duty.city_duty)
    page = client.get(reverse("alerts:queue")).content.decode()
    assert chain.net.county.name in page and clock.item.title in page
    # the browser counts down to the due time, given in epoch seconds
    assert f'data-due="{clock.due_at.timestamp()}"' in page


def test_the_queue_shows_nothing_of_a_foreign_city(client, duty, clock):
    client.force_login(duty.foreign_duty)
    assert clock.item.title not in client.get(reverse("alerts:queue")).content.decode()
    assert client.get(reverse("alerts:clock_detail", args=[clock.pk])).status_code == 404
    assert client.post(reverse("alerts:acknowledge", args=[clock.pk])).status_code == 404
    assert client.post(reverse("alerts:phone_report", args=[clock.pk]), {"note": "x"}).status_code == 404


def test_a_row_counts_down_from_the_moment_it_was_drawn_and_a_breached_one_says_late(client, duty, clock, traveller):
    client.force_login(duty.city_duty)
    rows = client.get(reverse("alerts:queue"), headers={"HX-Request": "true"}).content.decode()
    assert "data-countdown>1:30:00<" in rows  # the city's two hours, half an hour after the event
    assert "unacknowledged" in rows and "一般" in rows  # the event grade's label
    traveller.move_to(clock.due_at + timedelta(seconds=1))
    sweep_all()
    rows = client.get(reverse("alerts:queue"), headers={"HX-Request": "true"}).content.decode()
    assert "state-breached" in rows and "data-countdown>迟报<" in rows


def test_the_queue_costs_the_same_queries_for_one_row_or_many(client, chain, duty, clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from infohub.tree import forget_units

    def queries() -> int:
        forget_units()  # both as the first page after a change to a unit: naming the units costs one query
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("alerts:queue")).status_code == 200
        return len(captured)

    client.force_login(duty.city_duty)
    one = queries()
    for i in range(5):
        file_emergency(chain.net, title=f"第{i}起突发事件")
    assert Clock.objects.filter(office=chain.net.city, stopped_at=None).count() == 6
    assert queries() == one


def test_a_long_queue_counts_to_its_cap_and_says_so(chain, duty, clock):
    from alerts.selectors import urgent_queue
    from infohub.pagination import CappedPaginator, page_of_rows

    for i in range(3):
        file_emergency(chain.net, title=f"第{i}起突发事件")

    capped = CappedPaginator(urgent_queue(duty.city_duty), 2, cap=3)
    assert (capped.count, capped.count_label, capped.num_pages) == (3, "3+", 2)
    exact = CappedPaginator(urgent_queue(duty.city_duty)[:2], 2, cap=3)
    assert (exact.count, exact.count_label) == (2, "2")
    # the same, counted with the rows (four clocks): page 2 of 2, and past the end the last page
    for number in ("2", "7"):
        page = page_of_rows(urgent_queue(duty.city_duty), number, 2, ["id"], cap=3)
        assert (page.number, page.paginator.count, page.paginator.count_label, len(page.object_list)) == (2, 3, "3+", 2)


def test_htmx_refresh_returns_the_rows_alone(client, duty, clock):
    client.force_login(duty.city_duty)
    rows = client.get(reverse("alerts:queue"), headers={"HX-Request": "true"}).content.decode()
    assert rows.lstrip().startswith("<tr") and "<html" not in rows
    # a page number from the address bar is whatever someone typed: nonsense means the first page
    for page in ("x", "0", "-1"):
        rows = client.get(reverse("alerts:queue"), {"page": page}, headers={"HX-Request": "true"}).content.decode()
        assert clock.item.title in rows
    past_the_end = client.get(reverse("alerts:queue"), {"page": 9}, headers={"HX-Request": "true"}).content.decode()
    assert clock.item.title not in past_the_end and "暂无未结束的突发事件" in past_the_end


def test_one_click_acknowledgement_redraws_the_row(client, duty, clock):
    client.force_login(duty.city_duty)
    response = client.post(reverse("alerts:acknowledge", args=[clock.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "✓" in response.content.decode()
    clock.refresh_from_db()
    assert clock.acknowledged_by == duty.city_duty
    again = client.post(reverse("alerts:acknowledge", args=[clock.pk]), headers={"HX-Request": "true"})
    assert again.status_code == 409 and str(duty.city_duty) in again.content.decode()


def test_the_reporting_units_director_may_read_the_clock_but_not_acknowledge_it(client, chain, clock):
    client.force_login(chain.net.director)
    assert client.get(reverse("alerts:clock_detail", args=[clock.pk])).status_code == 200
    client.post(reverse("alerts:acknowledge", args=[clock.pk]))
    clock.refresh_from_db()
    assert clock.acknowledged_at is None


def test_an_empty_phone_report_is_refused_and_nothing_changes(client, duty, clock):
    client.force_login(duty.city_duty)
    response = client.post(reverse("alerts:phone_report", args=[clock.pk]), {"note": ""})
    assert response.status_code == 400
    clock.refresh_from_db()
    assert clock.state == Clock.State.RUNNING


def test_a_phone_report_leads_to_the_written_reports_clock(client, duty, clock):
    client.force_login(duty.city_duty)
    response = client.post(reverse("alerts:phone_report", args=[clock.pk]), {"note": "东湖区值班室来电"})
    written = Clock.objects.get(kind=Clock.Kind.WRITTEN)
    assert response.url == reverse("alerts:clock_detail", args=[written.pk])


def test_a_chase_form_with_errors_keeps_what_was_typed(client, chain, duty):
    client.force_login(duty.city_duty)
    response = client.post(reverse("alerts:chase_create"), {
        "office": chain.net.city.pk, "unit": "", "channel": "media", "summary": "网传某地发生山体滑坡", "minutes": 60})
    assert response.status_code == 400
    assert "网传某地发生山体滑坡" in response.content.decode()
    assert not Chase.objects.exists()


def test_a_duty_officer_chases_a_unit_of_their_jurisdiction_only(client, chain, duty):
    client.force_login(duty.foreign_duty)
    response = client.post(reverse("alerts:chase_create"), {
        "office": chain.foreign_city.pk, "unit": chain.net.county.pk, "channel": "media", "summary": "x", "minutes": 60})
    assert response.status_code == 400  # the county is not a choice for a foreign city's duty officer
    client.force_login(duty.city_duty)
    response = client.post(reverse("alerts:chase_create"), {
        "office": chain.net.city.pk, "unit": chain.net.county.pk, "channel": "police", "summary": "110接报", "minutes": 30})
    assert response.status_code == 302 and Chase.objects.get().unit == chain.net.county


def test_a_clerk_cannot_chase(client, chain):
    client.force_login(chain.net.clerk)
    assert client.get(reverse("alerts:chase_create")).status_code == 302
    assert not Chase.objects.exists()


def test_lapses_are_seen_by_the_unit_and_the_offices_above_but_not_by_a_foreign_city(client, chain, duty, clock,
                                                                                     traveller):
    traveller.move_to(clock.due_at + timedelta(seconds=1))
    sweep_all()
    assert Lapse.objects.filter(kind="late").exists()
    for viewer, sees in ((chain.net.director, True), (duty.city_duty, True), (chain.province_editor, True),
                         (chain.foreign_editor, False), (chain.net.other_clerk, False)):
        client.force_login(viewer)
        page = client.get(reverse("alerts:lapse_list")).content.decode()
        assert (chain.net.county.name in page) is sees, viewer.username


def test_an_editor_records_a_false_report_from_the_form(client, chain, clock):
    reviews.signoff_approve(actor=chain.net.director, item=clock.item)
    client.force_login(chain.net.city_editor)
    url = reverse("alerts:lapse_create", args=[clock.item.pk])
    kept = client.post(url, {"kind": "false", "reason": ""})
    assert kept.status_code == 400
    assert client.post(url, {"kind": "false", "reason": "经核实不实"}).status_code == 302
    assert Lapse.objects.get(kind="false").unit == chain.net.county
    client.force_login(chain.foreign_editor)
    assert client.get(url).status_code == 404


def test_the_duty_officers_start_page_lists_the_open_emergencies(client, duty, clock):
    client.force_login(duty.city_duty)
    assert clock.item.title in client.get(reverse("home")).content.decode()
    client.force_login(duty.foreign_duty)
    assert clock.item.title not in client.get(reverse("home")).content.decode()


def test_a_clerk_starts_a_follow_up_from_the_first_report(client, chain, clock):
    client.force_login(chain.net.clerk)
    page = client.get(reverse("submissions:item_detail", args=[clock.item.pk])).content.decode()
    assert reverse("submissions:item_follow_up", args=[clock.item.pk]) in page
    response = client.post(reverse("submissions:item_follow_up", args=[clock.item.pk]), {"final": "0"})
    follow_up = clock.item.follow_ups.get()
    assert response.url == reverse("submissions:item_edit", args=[follow_up.pk])
    assert (follow_up.report_kind, follow_up.event_place) == ("follow_up", clock.item.event_place)
    client.force_login(chain.net.other_clerk)
    assert client.post(reverse("submissions:item_follow_up", args=[clock.item.pk])).status_code == 404


@pytest.mark.parametrize(("seconds", "shown"), [(5345, "1:29:05"), (545, "9:05"), (0, "0:00"), (-12.5, "−0:12"),
                                                (-3600, "−1:00:00")])
def test_time_left_reads_as_the_pages_script_writes_it(seconds, shown):
    from alerts.templatetags.queue_rows import time_left

    assert time_left(seconds) == shown


@pytest.mark.django_db(transaction=True)
def test_the_queue_follows_new_emergencies_acknowledgement_and_breach(client, chain, duty, traveller):
    """Its rows are kept between refreshes (infohub.listcache) and must still show each change at once."""
    client.force_login(duty.city_duty)

    def rows():
        return client.get(reverse("alerts:queue"), headers={"HX-Request": "true"}).content.decode()

    for _ in range(2):
        assert "state-running" not in rows()
    item = file_emergency(chain.net, event_time=NOW - timedelta(minutes=30))
    assert item.title in rows()
    clock = Clock.objects.get(item=item, level="city", kind="report")
    rows()
    services.acknowledge(actor=duty.city_duty2, clock=clock)
    assert "unacknowledged" not in rows()
    traveller.move_to(clock.due_at + timedelta(seconds=1))
    rows()
    sweep_all()
    assert "state-breached" in rows()
    page = client.get(reverse("alerts:queue")).content.decode()
    assert "state-breached" in page and page.count("state-breached") == 1


@pytest.mark.django_db(transaction=True)
def test_kept_queue_rows_count_time_left_from_at_most_ten_seconds_ago(client, chain, duty, traveller):
    """Rows are drawn anew when ten seconds old (the page's script recounts every second in between)."""
    file_emergency(chain.net, event_time=NOW - timedelta(minutes=30))
    client.force_login(duty.city_duty)

    def time_left(**headers) -> str:
        page = client.get(reverse("alerts:queue"), headers=headers).content.decode()
        return page.split("data-countdown>", 1)[1].split("<", 1)[0]

    for headers, drawn in (({"HX-Request": "true"}, ("1:30:00", "1:29:50", "1:29:40")),  # the rows alone
                           ({}, ("1:29:30", "1:29:20", "1:29:10"))):  # the whole page, 30 s later
        assert [time_left(**headers), time_left(**headers)] == [drawn[0], drawn[0]]
        for before, after in pairwise(drawn):
            traveller.shift(9)
            assert time_left(**headers) == before  # kept
            traveller.shift(1)
            assert time_left(**headers) == after  # drawn anew once ten seconds old
        traveller.shift(10)
