"""Mail intake in the browser: the customer's buyer mails back the signed quote (and a program nobody asked
for), and a newcomer mails an inquiry. After the worker's pass over a real IMAP server (dovecot), the rep sees
the signed quote filed on the customer's page, the program listed as not taken, and files the newcomer's mail
with a customer picked by name. In English and in Chinese, under the Content-Security-Policy, with axe and at
phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.crm.models import Contact
from backend.intake.models import IntakeMessage, MessageStatus
from backend.intake.services import mail_intake_poll
from tests import factories
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import fits_phone, watch_problems
from tests.fixtures.imap import imap_server  # noqa: F401 - the journey's mailbox
from tests.intake.messages import mail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

WORDS = {
    "en": {"filed": "The message is filed with", "not_taken": "Not taken"},
    "zh-hans": {"filed": "邮件已归档到", "not_taken": "未收录"},
}
PROGRAM = ("报价工具.exe", b"MZ\x90\x00\x03" + b"\x00" * 400 + b"This program cannot be run in DOS mode",
           "application/octet-stream")


def _pick(page, box: str, text: str, expected: str) -> None:
    page.fill(box, text)
    option = page.locator(f"{box} ~ .picker-list [role=option]", has_text=expected)
    expect(option.first).to_be_visible()
    option.first.click()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_mailed_quote_appears_on_the_customers_page(world, imap_server, settings, open_as, live_server,  # noqa: F811
                                                       shots, language):
    words = WORDS[language]
    problems: list[str] = []
    customer = world.customer
    Contact.objects.create(customer=customer, name="周敏", email="zhou.min@sh-jingong.example")
    settings.MAIL_INTAKE_URL = imap_server.url()

    # given the buyer's reply to quote Q-2026-0001 with the signed PDF, and a newcomer's inquiry
    imap_server.append(mail(sender="周敏 <zhou.min@sh-jingong.example>", subject="回签 报价 Q-2026-0001 / signed quote",
                            attachments=[("Q-2026-0001-signed.pdf", factories.pdf_bytes("signed"), "application/pdf"),
                                         PROGRAM]))
    imap_server.append(mail(sender="Lina Park <lina@harbour-pumps.example>", subject="询价 Inquiry: 200 pumps",
                            attachments=[("inquiry.pdf", factories.pdf_bytes("inquiry"), "application/pdf")]))

    # when the worker's pass runs
    report = mail_intake_poll()
    assert len(report.taken) == 2
    waiting = IntakeMessage.objects.get(status=MessageStatus.QUEUED)

    # then the rep finds the signed quote on the customer's page, linked to the quote
    rep = open_as("wang.fang", language)
    watch_problems(rep, problems)
    rep.goto(f"{live_server.url}/customers/{customer.pk}/#documents")
    documents = rep.locator("#documents")
    expect(documents).to_contain_text("Q-2026-0001-signed.pdf")
    expect(documents).to_contain_text("回签 报价 Q-2026-0001 / signed quote")
    shots(rep, f"intake-customer-page-{language}")

    # and the intake page lists the program as not taken, and the newcomer's mail waiting
    rep.click("[data-testid=nav-intake]")
    rep.wait_for_url(re.compile(r"/intake/$"))
    expect(rep.locator("[data-testid=intake-recent]")).to_contain_text(words["not_taken"])
    expect(rep.locator(f"[data-testid=intake-message-{waiting.pk}]")).to_contain_text("lina@harbour-pumps.example")
    assert not serious_violations(rep, axe_source())
    shots(rep, f"intake-queue-{language}")
    assert fits_phone(rep, "[data-testid=intake-queue]")

    # when the rep files the waiting mail with the customer, picked by name
    rep.click(f"[data-testid=intake-assign-{waiting.pk}]")
    rep.wait_for_url(re.compile(rf"/intake/{waiting.pk}/$"))
    _pick(rep, "#id_customer_q", "精工", customer.name)
    assert not serious_violations(rep, axe_source())
    assert fits_phone(rep, "[data-testid=intake-assign-form]")
    rep.click("[data-testid=intake-assign]")
    rep.wait_for_url(re.compile(r"/intake/$"))
    expect(rep.locator(".alert-success")).to_contain_text(words["filed"])
    expect(rep.locator("[data-testid=intake-queue-empty]")).to_be_visible()

    # then it is on the customer's page too
    rep.goto(f"{live_server.url}/customers/{customer.pk}/#documents")
    expect(rep.locator("#documents")).to_contain_text("inquiry.pdf")
    assert IntakeMessage.objects.get(pk=waiting.pk).status == MessageStatus.ASSIGNED
    assert problems == []
