"""'Ask my account manager' (issue 15): a portal user's question becomes an open reminder for the rep who
owns their customer, audited with the customer, and the portal says it was received and who will answer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, PermissionDenied
from backend.crm.models import Activity, ActivityKind
from backend.crm.services.portal_questions import portal_question_ask
from tests.fixtures.clients import client_for, portal_client

pytestmark = pytest.mark.django_db(transaction=False)


def test_a_question_becomes_an_open_reminder_for_the_account_manager_and_is_audited(world):
    # given Alice of customer A, whose account manager is 王芳
    # when she asks a question
    asked = portal_question_ask(actor=world.alice, subject="请联系我 Please call me",
                                message="我们想增购两台 CNC-200。We want two more CNC-200.")
    # then 王芳 holds an open reminder, due now, on customer A, with Alice's contact on it
    activity = Activity.objects.get(pk=asked.activity.pk)
    assert asked.answered_by == world.staff["rep"]
    assert (activity.owner, activity.customer, activity.kind, activity.done) == (
        world.staff["rep"], world.a, ActivityKind.REMINDER, False)
    assert activity.due_at is not None and "Please call me" in activity.subject
    assert activity.contact_id == world.alice.portal_account.contact_id
    assert "two more CNC-200" in activity.body
    # and it is audited with the customer, in the same transaction
    event = AuditEvent.objects.get(event_type="crm.portal.question_asked")
    assert (event.actor_id, event.customer_id, event.target_id) == (world.alice.pk, world.a.pk, str(activity.pk))


def test_an_empty_question_is_refused_naming_the_fields_and_nothing_is_saved(world):
    with pytest.raises(InvalidInput) as refused:
        portal_question_ask(actor=world.alice, subject=" ", message="")
    assert set(refused.value.extra["fields"]) == {"subject", "message"}
    assert not Activity.objects.exists()
    assert not AuditEvent.objects.filter(event_type="crm.portal.question_asked").exists()


def test_staff_cannot_ask_through_the_portal_service(world):
    with pytest.raises(PermissionDenied):
        portal_question_ask(actor=world.staff["rep"], subject="x", message="y")
    assert not Activity.objects.exists()


def test_the_page_says_who_will_answer_and_confirms_receipt_in_both_languages(world):
    for language, who, received in (("en", "Your question goes to 王芳", "your question was received. 王芳 will answer you"),
                                    ("zh-hans", "您的问题将发送给您的客户经理 王芳", "您的问题已收到。王芳 将答复您")):
        client = portal_client(world.alice, language)
        # given the form names who will answer
        page = client.get(reverse("portal:ask"))
        assert page.status_code == 200 and who in page.content.decode()
        # when Alice sends a question
        sent = client.post(reverse("portal:ask"), {"subject": "报价 Quote", "message": "请发报价。Please quote."},
                           follow=True)
        # then the home page tells her it was received and who will answer
        assert sent.redirect_chain[-1][0] == reverse("portal:home")
        assert received in sent.content.decode()
    assert Activity.objects.filter(owner=world.staff["rep"], customer=world.a).count() == 2


def test_an_empty_form_shows_the_problems_next_to_the_fields(world):
    response = portal_client(world.alice, "zh-hans").post(reverse("portal:ask"), {"subject": "", "message": ""})
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    assert not Activity.objects.exists()


def test_who_may_reach_the_form(world, client):
    url = reverse("portal:ask")
    # anonymous: sent to the portal's sign-in; staff: the same (the portal is not theirs)
    assert client.get(url).status_code == 302
    assert client_for(world.staff["rep"]).post(url, {"subject": "x", "message": "y"}).status_code == 302
    # Bob's question goes to his own manager, never to Alice's
    portal_client(world.bob).post(url, {"subject": "Hello", "message": "Question"})
    assert list(Activity.objects.values_list("owner", "customer")) == [(world.staff["rep_b"].pk, world.b.pk)]


def test_the_account_manager_finds_the_question_among_their_reminders_on_their_home_page(world):
    # given Alice asked 王芳 a question in the portal
    portal_question_ask(actor=world.alice, subject="请来电 Please call", message="Two more CNC-200.")
    # when 王芳 opens her home page, then the question is among her open reminders
    assert "请来电 Please call" in client_for(world.staff["rep"]).get("/").content.decode()
    # and the other rep's home page does not show it
    assert "请来电 Please call" not in client_for(world.staff["rep_b"]).get("/").content.decode()


def test_a_flood_of_questions_is_refused_after_five_in_an_hour_and_said_so(world):
    # given Alice sent five questions in the last hour
    for n in range(5):
        portal_question_ask(actor=world.alice, subject=f"Question {n}", message="?")
    # when she sends a sixth from the page, then it is refused with a sentence in her language, nothing saved
    response = portal_client(world.alice, "zh-hans").post(reverse("portal:ask"), {"subject": "6", "message": "?"})
    assert response.status_code == 400 and "请稍候再发送" in response.content.decode()
    assert Activity.objects.filter(customer=world.a).count() == 5
    # and Bob, of another customer, is not held back by her questions
    assert portal_question_ask(actor=world.bob, subject="Hello", message="?").activity.pk
