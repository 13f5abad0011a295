"""Activities in the browser: logging a visit, call, e-mail or note from the customer 360 (the form is on
the page), setting a reminder with a due date and marking it done, and the work log page with its CSV —
each with its permission matrix (no grant → 404, grant → 302/200, audit row present)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.common.display_time import display_zone
from backend.crm.models import Activity, ActivityKind
from backend.crm.services.activities import activity_log
from tests import factories
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def _log_url(world):
    return f"/customers/{world.customer.pk}/activities/"


def _reminder(world):
    return Activity.objects.get(owner=world.rep, kind=ActivityKind.REMINDER, customer=world.customer)


# --- logging from the 360 --------------------------------------------------------------------------


def test_the_360_offers_the_quick_form_and_a_visit_is_logged_in_one_post(world):
    client = client_for(world.rep)
    page = client.get(f"/customers/{world.customer.pk}/")
    assert b'data-testid="activity-form"' in page.content
    assert b'data-testid="activity-kind-visit"' in page.content and b"checked" in page.content

    response = client.post(_log_url(world), {"kind": "visit", "subject": "拜访采购部 Visited purchasing",
                                             "body": "Wants a quote for 5 lathes.",
                                             "opportunity": world.opportunity.pk})

    assert response.status_code == 302 and response["Location"].endswith(f"/customers/{world.customer.pk}/#activity")
    activity = Activity.objects.get(subject="拜访采购部 Visited purchasing")
    assert (activity.kind, activity.owner, activity.opportunity, activity.body) == (
        "visit", world.rep, world.opportunity, "Wants a quote for 5 lathes.")
    assert AuditEvent.objects.filter(event_type="crm.activity.logged", target_id=str(activity.pk),
                                     actor=world.rep, customer_id=world.customer.pk).exists()
    shown = client.get(f"/customers/{world.customer.pk}/")
    assert "拜访采购部 Visited purchasing" in shown.content.decode()
    assert f'data-testid="activity-{activity.pk}"'.encode() in shown.content


def test_an_account_team_member_may_log_too(world):
    response = client_for(world.team).post(_log_url(world), {"kind": "call", "subject": "Called the buyer"})
    assert response.status_code == 302
    assert Activity.objects.filter(subject="Called the buyer", owner=world.team).exists()


@pytest.mark.parametrize("who", ["outsider", "colleague", "compliance"])
def test_who_may_not_change_the_customer_gets_a_404_and_nothing_is_logged(world, who):
    client = client_for(world.users[who])
    response = client.post(_log_url(world), {"kind": "note", "subject": "Should not exist"})
    assert response.status_code == 404
    assert not Activity.objects.filter(subject="Should not exist").exists()
    if who != "outsider":  # they see the 360, without the form
        page = client.get(f"/customers/{world.customer.pk}/")
        assert page.status_code == 200 and b'data-testid="activity-form"' not in page.content


def test_anonymous_callers_sign_in_and_portal_users_get_a_404(world, client):
    response = client.post(_log_url(world), {"kind": "note", "subject": "x"})
    assert response.status_code == 302 and "/signin/" in response["Location"]
    buyer = factories.UserFactory(username="buyer", role=Role.PORTAL)
    assert client_for(buyer).post(_log_url(world), {"kind": "note", "subject": "x"}).status_code == 404
    assert client_for(buyer).get("/worklog/").status_code == 404


def test_a_reminder_is_set_with_a_due_day_at_nine_in_the_display_zone(world):
    client = client_for(world.rep)
    due = timezone.localdate() + dt.timedelta(days=5)
    response = client.post(_log_url(world), {"kind": "reminder", "subject": "寄样品 Send samples",
                                             "due": due.isoformat()}, follow=True)
    reminder = Activity.objects.get(subject="寄样品 Send samples")
    assert reminder.kind == ActivityKind.REMINDER and not reminder.done
    assert reminder.due_at == dt.datetime.combine(due, dt.time(9, 0), tzinfo=display_zone())
    assert "Reminder set" in response.content.decode()


@pytest.mark.parametrize("data,message", [
    ({"kind": "reminder", "subject": "No day"}, "A reminder needs a due date."),
    ({"kind": "call", "subject": "Called", "due": "2026-12-24"}, "Only a reminder has a due date"),
    ({"kind": "visit", "subject": ""}, "A subject is required."),
    ({"kind": "fax", "subject": "Faxed"}, "Choose what happened."),
])
def test_an_invalid_entry_is_refused_with_a_message_and_nothing_saved(world, data, message):
    before = Activity.objects.count()
    response = client_for(world.rep).post(_log_url(world), data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Activity.objects.count() == before


def test_another_customers_opportunity_is_refused(world):
    from backend.crm.services.opportunities import opportunity_create

    elsewhere = opportunity_create(actor=world.outsider, customer=world.other_customer, title="Elsewhere")
    response = client_for(world.admin).post(_log_url(world), {"kind": "note", "subject": "Mixed up",
                                                              "opportunity": elsewhere.pk}, follow=True)
    assert "Choose one of this customer&#x27;s opportunities." in response.content.decode()
    assert not Activity.objects.filter(subject="Mixed up").exists()


def test_the_360_logs_in_chinese_too(world):
    client = client_for(world.rep, "zh-hans")
    page = client.get(f"/customers/{world.customer.pk}/").content.decode()
    assert "记录" in page  # the form's button
    response = client.post(_log_url(world), {"kind": "visit", "subject": "拜访"}, follow=True)
    assert "已记录" in response.content.decode()


# --- reminders: mark done --------------------------------------------------------------------------


def test_the_owner_marks_a_reminder_done_and_it_is_audited(world):
    reminder = _reminder(world)
    client = client_for(world.rep)
    page = client.get(f"/customers/{world.customer.pk}/")
    assert f'data-testid="activity-done-{reminder.pk}"'.encode() in page.content

    response = client.post(f"/activities/{reminder.pk}/done/", {"next": "/worklog/"})

    assert response.status_code == 302 and response["Location"] == "/worklog/"
    reminder.refresh_from_db()
    assert reminder.done
    assert AuditEvent.objects.filter(event_type="crm.activity.completed", target_id=str(reminder.pk),
                                     actor=world.rep).count() == 1


def test_done_goes_back_to_the_360_and_never_to_another_site(world):
    reminder = _reminder(world)
    response = client_for(world.rep).post(f"/activities/{reminder.pk}/done/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/customers/{world.customer.pk}/#activity"


@pytest.mark.parametrize("who", ["outsider", "colleague", "compliance"])
def test_who_may_not_change_the_reminder_gets_a_404_and_it_stays_open(world, who):
    reminder = _reminder(world)
    response = client_for(world.users[who]).post(f"/activities/{reminder.pk}/done/")
    assert response.status_code == 404
    reminder.refresh_from_db()
    assert not reminder.done
    assert not AuditEvent.objects.filter(event_type="crm.activity.completed").exists()


def test_a_visit_cannot_be_marked_done(world):
    visit = Activity.objects.get(kind=ActivityKind.VISIT, customer=world.customer)
    response = client_for(world.rep).post(f"/activities/{visit.pk}/done/", follow=True)
    assert response.status_code == 200 and "Only a reminder can be marked done." in response.content.decode()


# --- the work log ----------------------------------------------------------------------------------


def test_a_rep_reads_their_own_work_log_with_their_open_reminders(world):
    activity_log(actor=world.team, customer=world.customer, kind="call", subject="李雷's call")
    client = client_for(world.rep)
    assert b'data-testid="nav-worklog"' in client.get("/").content

    page = client.get("/worklog/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "现场拜访 On-site visit" in text and "回访客户 Call back" in text
    assert "李雷&#x27;s call" not in text  # another rep's, although on the same customer
    assert b'data-testid="worklog-rep"' not in page.content  # nobody else to choose
    assert f'data-testid="reminder-{_reminder(world).pk}"'.encode() in page.content


@pytest.mark.parametrize("who", ["rep", "colleague", "team", "compliance", "engineer"])
def test_only_work_log_readers_open_someone_elses_log(world, who):
    client = client_for(world.users[who])
    other = world.outsider
    assert client.get(f"/worklog/?rep={other.pk}").status_code == 404
    assert client.get(f"/worklog.csv?rep={other.pk}").status_code == 404
    assert not AuditEvent.objects.filter(event_type="crm.worklog.exported").exists()
    assert client.get(f"/worklog/?rep={world.users[who].pk}").status_code == 200


def test_an_administrator_filters_by_rep_customer_period_and_kind(world):
    activity_log(actor=world.team, customer=world.customer, kind="call", subject="李雷's call")
    activity_log(actor=world.outsider, customer=world.other_customer, kind="visit", subject="远航 visit")
    client = client_for(world.admin)

    everyone = client.get("/worklog/").content.decode()
    assert all(s in everyone for s in ("现场拜访 On-site visit", "李雷&#x27;s call", "远航 visit"))
    assert 'data-testid="worklog-rep"' in everyone

    by_rep = client.get(f"/worklog/?rep={world.team.pk}").content.decode()
    assert "李雷&#x27;s call" in by_rep and "现场拜访" not in by_rep and "远航 visit" not in by_rep

    by_customer = client.get(f"/worklog/?customer={world.other_customer.pk}").content.decode()
    assert "远航 visit" in by_customer and "李雷&#x27;s call" not in by_customer
    typed_id = client.get(f"/worklog/?customer_q={world.other_customer.pk}").content.decode()
    assert "远航 visit" in typed_id and "李雷&#x27;s call" not in typed_id

    today = timezone.localdate()
    last_week = client.get(f"/worklog/?date_from={today - dt.timedelta(days=7)}&date_to="
                           f"{today - dt.timedelta(days=2)}").content.decode()
    assert "现场拜访 On-site visit" in last_week and "李雷&#x27;s call" not in last_week

    visits = client.get("/worklog/?kind=visit").content.decode()
    assert "远航 visit" in visits and "李雷&#x27;s call" not in visits


def test_a_customer_the_reader_may_not_see_is_a_404(world):
    assert client_for(world.rep).get(f"/worklog/?customer={world.other_customer.pk}").status_code == 404


def test_a_period_ending_before_it_starts_is_shown_as_a_field_error(world):
    page = client_for(world.rep).get("/worklog/?date_from=2026-12-10&date_to=2026-12-01")
    assert page.status_code == 200 and "The end date is before the start date." in page.content.decode()


def test_the_work_log_exports_as_csv_and_the_export_is_audited(world):
    activity_log(actor=world.rep, customer=world.customer, kind="note", subject="=HYPERLINK(\"x\")")
    response = client_for(world.rep).get(f"/worklog.csv?customer={world.customer.pk}")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["When", "Kind", "Rep", "Customer"]
    subjects = [row[6] for row in rows[1:]]
    assert "现场拜访 On-site visit" in subjects and "'=HYPERLINK(\"x\")" in subjects
    assert all(row[3] == "上海精工机械有限公司" for row in rows[1:])
    event = AuditEvent.objects.get(event_type="crm.worklog.exported", actor=world.rep)
    assert event.detail["rows"] == len(rows) - 1 and event.detail["params"]["customer"] == world.customer.pk


def test_the_work_log_reads_in_chinese(world):
    page = client_for(world.rep, "zh-hans").get("/worklog/").content.decode()
    assert "工作日志" in page and "导出 CSV" in page


def test_the_work_log_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    client = client_for(world.admin)
    client.get("/worklog/")  # warm the session and the menu's caches
    for n in range(30):
        activity_log(actor=world.rep, customer=world.customer, kind="note", subject=f"Note {n}")
    with django_assert_max_num_queries(16):
        assert client.get("/worklog/").status_code == 200


def test_a_reminder_is_marked_done_from_the_home_page_too(world):
    reminder = _reminder(world)
    client = client_for(world.rep)
    assert f'data-testid="home-reminder-done-{reminder.pk}"'.encode() in client.get("/").content

    response = client.post(f"/activities/{reminder.pk}/done/", {"next": "/"})

    assert response.status_code == 302 and response["Location"] == "/"
    reminder.refresh_from_db()
    assert reminder.done
    assert f'data-testid="home-reminder-done-{reminder.pk}"'.encode() not in client.get("/").content


def test_a_visit_names_the_contact_it_was_with(world):
    from backend.crm.models import Contact

    buyer = Contact.objects.create(customer=world.customer, name="刘洋", title="采购经理")
    client = client_for(world.rep)
    assert b'data-testid="activity-contact"' in client.get(f"/customers/{world.customer.pk}/").content

    client.post(_log_url(world), {"kind": "call", "subject": "Price call", "contact": buyer.pk})

    activity = Activity.objects.get(subject="Price call")
    assert activity.contact == buyer
    assert AuditEvent.objects.get(event_type="crm.activity.logged", target_id=str(activity.pk)).detail["contact"] == buyer.pk
    assert "with 刘洋" in client.get(f"/customers/{world.customer.pk}/").content.decode()
    assert "with 刘洋" in client.get("/worklog/").content.decode()
    rows = list(csv.reader(io.StringIO(b"".join(client.get("/worklog.csv").streaming_content).decode("utf-8-sig"))))
    assert rows[0][-1] == "Contact" and ["Price call", "刘洋"] == [rows[1][6], rows[1][-1]]


def test_another_customers_contact_is_refused(world):
    from backend.crm.models import Contact

    theirs = Contact.objects.create(customer=world.other_customer, name="马丽")
    response = client_for(world.admin).post(_log_url(world), {"kind": "call", "subject": "Wrong person",
                                                              "contact": theirs.pk}, follow=True)
    assert "Choose one of this customer&#x27;s contacts." in response.content.decode()
    assert not Activity.objects.filter(subject="Wrong person").exists()
