"""The customer portal in a real browser: invitation to download, view-only shares, service requests,
and the knowledge base searched in Chinese. Screenshots as in the staff journeys."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from backend.crm.models import Contact, DispatchState, ServiceRecord
from backend.crm.services.service import service_record_dispatch
from backend.sharing.portal_accounts import portal_invite
from tests.portal.world import build_portal_world, png_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


@pytest.fixture
def portal_world(transactional_db, live_backends, settings, tmp_path):
    from indexing.engine import article_search_backend

    world = build_portal_world()
    yield world
    article_search_backend().close()


@pytest.fixture
def portal_page(browser, live_server):
    """portal_page(language): a fresh browser context showing the portal in `language`."""
    contexts = []

    def open_page(language: str = "en"):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True,
                                      locale="zh-CN" if language.startswith("zh") else "en-US")
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, live_server, email: str, password: str):
    language = next(c["value"] for c in page.context.cookies() if c["name"] == "django_language")
    page.goto(f"{live_server.url}/portal/signin/")
    page.fill("#id_email", email)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    # signing in switches to the person's own language; the journey asked for this one
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


def test_a_contact_accepts_the_invitation_downloads_a_brochure_and_staff_see_who_opened_it(
        portal_world, portal_page, open_as, live_server, shots, settings):
    settings.SITE_URL = live_server.url
    contact = Contact.objects.create(customer=portal_world.a, name="周建国 Zhou Jianguo",
                                     email="zhou.jianguo@jinggong.example.com")
    # given the account manager 王芳 invites the contact from the customer page
    staff = open_as("wang.fang", "zh-hans")
    staff.goto(f"{live_server.url}/customers/{portal_world.a.pk}/")
    staff.locator(f"[data-testid=contact-{contact.pk}] [data-testid=portal-invite]").click()
    expect(staff.locator(f"[data-testid=contact-{contact.pk}]")).to_have_attribute("data-portal-state", "invited")
    link = re.search(r"(http://\S+/portal/invitation/\S+/)", mail.outbox[-1].body).group(1)
    # when the contact follows the link from the e-mail and chooses a password
    page = portal_page("zh-hans")
    page.goto(link)
    expect(page.locator("h1")).to_contain_text("周建国")
    page.fill("#id_password", "Gear-Box-2026")
    page.fill("#id_password_again", "Gear-Box-2026")
    shots(page, "portal-invitation-zh", full_page=False)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page.reload()
    expect(page.locator("h1")).to_have_text(portal_world.a.name)
    shots(page, "portal-home-zh")
    # then they open the shared brochure and download it
    share = portal_world.shares["brochure"]
    page.click(f"a[href='/portal/shared/{share.pk}/']")
    with page.expect_download() as download_info:
        page.click("[data-download]")
    with open(download_info.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    # and the link cannot be used a second time
    again = portal_page("en")
    again.goto(link)
    expect(again.locator("h1")).to_have_text("This link has already been used")
    # and on the staff document page, 王芳 sees that this customer opened it
    staff.goto(f"{live_server.url}/documents/{share.document_id}/")
    opened = staff.locator("[data-testid=share-opens]")
    expect(opened).to_contain_text(portal_world.a.name)
    expect(opened).to_contain_text("周建国 Zhou Jianguo")
    opened.scroll_into_view_if_needed()
    shots(staff, "staff-document-shares-zh")


def test_a_view_only_share_renders_without_any_download_link(portal_world, portal_page, live_server, shots):
    # given Alice of customer A and a price list shared with her company as view-only
    page = portal_page("en")
    sign_in(page, live_server, "alice@jinggong.example.com", portal_world.password)
    share = portal_world.shares["pricelist"]
    # when she opens it from the list of shared documents
    page.click("a[href='/portal/shared/']")
    page.click(f"a[href='/portal/shared/{share.pk}/']")
    # then its pages are rendered in the browser...
    pages = page.locator(".share-pages img")
    expect(pages).to_have_count(3)
    page.wait_for_function("() => [...document.querySelectorAll('.share-pages img')].every(i => i.complete && i.naturalWidth > 0)")
    expect(page.locator("[data-view-only]")).to_be_visible()
    # ...without any download link anywhere on the page
    expect(page.locator("a[href*='/download/']")).to_have_count(0)
    expect(page.locator("[data-download]")).to_have_count(0)
    shots(page, "portal-view-only-en", full_page=False)
    # and the file's own URL answers 404
    response = page.request.get(f"{live_server.url}/portal/shared/{share.pk}/download/")
    assert response.status == 404


def test_a_customer_submits_a_service_request_with_a_photo_and_sees_it_dispatched(portal_world, portal_page,
                                                                                 live_server, shots, tmp_path):
    # given Alice, signed in, with a photo of the fault
    page = portal_page("zh-hans")
    sign_in(page, live_server, "alice@jinggong.example.com", portal_world.password)
    photo = tmp_path / "leak.png"
    photo.write_bytes(png_bytes(320, 240, (30, 90, 200)))
    # when she requests service with the photo attached
    page.click("a[href='/portal/service/new/']")
    page.select_option("#id_type", "issue")
    page.fill("#id_title", "冷却液泄漏 Coolant leak")
    page.fill("#id_description", "3 号机底部有冷却液渗出，见照片。")
    page.set_input_files("#id_attachments", str(photo))
    shots(page, "portal-service-new-zh", full_page=False)
    page.click("main form[enctype] button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/service/\d+/$"))
    record = ServiceRecord.objects.get(title="冷却液泄漏 Coolant leak")
    # then she sees it received, with her photo
    expect(page.locator("ol.steps")).to_have_attribute("data-state", DispatchState.NOT_DISPATCHED)
    expect(page.locator("ol.steps li.current")).to_have_text("已受理")
    expect(page.locator("aside img")).to_have_count(1)
    # and once the service desk dispatches it, the state she sees changes
    engineer = portal_world.staff["engineer"]
    service_record_dispatch(actor=engineer, record=record, engineer=engineer)
    page.reload()
    expect(page.locator("ol.steps")).to_have_attribute("data-state", DispatchState.DISPATCHED)
    expect(page.locator("ol.steps li.current")).to_have_text("已指派工程师")
    shots(page, "portal-service-dispatched-zh")


def test_the_customer_searches_the_knowledge_base_in_chinese(portal_world, portal_page, live_server, shots):
    page = portal_page("zh-hans")
    sign_in(page, live_server, "alice@jinggong.example.com", portal_world.password)
    page.click("a[href='/portal/knowledge/']")
    page.fill("input[name=q]", "主轴")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/portal/knowledge/\?q="))
    results = page.locator(".hit")
    expect(results).to_have_count(1)
    expect(results.first.locator("mark").first).to_have_text("主轴")
    expect(page.locator("body")).not_to_contain_text("Interface notes")  # addressed to another customer
    shots(page, "portal-knowledge-zh")
    results.first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("主轴保养")
