"""The portal's service-request form: the customer's own installed products, urgency and a preferred visit
time, and knowledge articles suggested as the title is typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from backend.audit.models import AuditEvent
from backend.crm.models import OrderLine, OrderStatus, Priority, Product, ServiceRecord
from tests.crm.factories import OrderFactory
from tests.fixtures.clients import portal_client


def _request(**fields):
    return {"type": "issue", "title": "主轴异响 Spindle noise", "description": "Loud above 3000 rpm.", **fields}


def _installed(world, customer, code):
    product = Product.objects.create(code=code, name=f"机床 {code}", name_en=f"Machine {code}",
                                     list_price=Decimal("1000.00"))
    order = OrderFactory(customer=customer)
    OrderLine.objects.create(order=order, product=product, quantity=Decimal("1"), unit_price=Decimal("1000.00"),
                             line_total=Decimal("1000.00"))
    return product, order


# --- installed products -------------------------------------------------------------------------


def test_the_form_offers_only_the_customers_installed_products(world):
    # given a product on one of A's orders, one only B bought, one on A's cancelled order, one nobody bought
    mine, _ = _installed(world, world.a, "VMC-850")
    theirs, _ = _installed(world, world.b, "LATHE-B")
    cancelled, order = _installed(world, world.a, "OLD-1")
    type(order).objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    Product.objects.create(code="CAT-ONLY", name="目录 Catalogue only", list_price=Decimal("1"))
    # when Alice opens the form in English
    page = portal_client(world.alice, "en").get(reverse("portal:service_new")).content.decode()
    # then only A's installed products are offered, by code and English name
    assert "VMC-850 · Machine VMC-850" in page
    for code in ("LATHE-B", "OLD-1", "CAT-ONLY", "CNC-200"):
        assert code not in page, code
    # and in Chinese, by the Chinese name
    page_zh = portal_client(world.alice, "zh-hans").get(reverse("portal:service_new")).content.decode()
    assert "VMC-850 · 机床 VMC-850" in page_zh


def test_a_request_about_an_installed_product_is_saved_with_it(world):
    mine, _ = _installed(world, world.a, "VMC-850")
    response = portal_client(world.alice).post(reverse("portal:service_new"), _request(product=str(mine.pk)))
    assert response.status_code == 302
    record = ServiceRecord.objects.get(title="主轴异响 Spindle noise")
    assert record.product_id == mine.pk and record.customer_id == world.a.pk
    event = AuditEvent.objects.get(event_type="portal.service.submitted", target_id=str(record.pk))
    assert event.detail["product"] == "VMC-850"


def test_a_product_the_customer_did_not_buy_is_refused_and_nothing_is_saved(world):
    theirs, _ = _installed(world, world.b, "LATHE-B")
    before = ServiceRecord.objects.count()
    response = portal_client(world.alice).post(reverse("portal:service_new"), _request(product=str(theirs.pk)))
    assert response.status_code == 400
    assert ServiceRecord.objects.count() == before


# --- urgency and a preferred visit time ----------------------------------------------------------


def test_urgency_and_preferred_visit_time_are_saved_audited_and_shown_to_the_customer(world):
    from django.utils import timezone

    # given a time two days ahead, as the browser's datetime-local box sends it (the site's time zone)
    when = timezone.localtime() + dt.timedelta(days=2)
    typed = when.strftime("%Y-%m-%dT%H:%M")
    client = portal_client(world.alice, "en")
    # when Alice asks urgently for a visit then
    response = client.post(reverse("portal:service_new"), _request(urgency="urgent", preferred_visit_at=typed))
    # then the record carries both, the submission is audited with them, and her page shows them
    assert response.status_code == 302
    record = ServiceRecord.objects.get(title="主轴异响 Spindle noise")
    assert record.priority == Priority.URGENT
    assert timezone.localtime(record.preferred_visit_at).strftime("%Y-%m-%dT%H:%M") == typed
    detail = AuditEvent.objects.get(event_type="portal.service.submitted", target_id=str(record.pk)).detail
    assert detail["priority"] == "urgent" and detail["preferred_visit_at"]
    page = client.get(reverse("portal:service_request", args=[record.pk])).content.decode()
    assert "Urgent" in page and "Preferred visit time" in page


def test_without_urgency_a_request_is_normal_and_a_visit_in_the_past_is_refused(world):
    from django.utils import timezone

    client = portal_client(world.alice, "en")
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(reverse("portal:service_new"), _request(urgency="normal", preferred_visit_at=past))
    assert refused.status_code == 400 and "Choose a time in the future." in refused.content.decode()
    assert not ServiceRecord.objects.filter(title="主轴异响 Spindle noise").exists()
    unknown = client.post(reverse("portal:service_new"), _request(urgency="whenever"))
    assert unknown.status_code == 400
    assert client.post(reverse("portal:service_new"), _request(urgency="normal")).status_code == 302
    assert ServiceRecord.objects.get(title="主轴异响 Spindle noise").priority == Priority.NORMAL


# --- suggested knowledge articles ----------------------------------------------------------------


def _suggested(client, q):
    response = client.get(reverse("portal:service_suggestions"), {"q": q})
    assert response.status_code == 200
    return [row["title"] for row in response.json()["results"]]


def test_articles_the_customer_may_read_are_suggested_as_the_title_is_typed(world):
    alice, bob = portal_client(world.alice), portal_client(world.bob)
    # a title in English or in Chinese finds the published portal article, whatever else is typed
    assert _suggested(alice, "Spindle is noisy") == [world.articles["public"].title]
    assert world.articles["public"].title in _suggested(alice, "主轴 有异响")
    # never the internal article, a draft, or one written for another customer only
    seen = _suggested(alice, "Pricing strategy Draft spindle interface notes")
    assert world.articles["internal"].title not in seen and world.articles["draft"].title not in seen
    assert world.articles["b_only"].title not in seen
    # the customer it was written for does see it; an empty title suggests nothing
    assert world.articles["b_only"].title in _suggested(bob, "interface problem")
    assert _suggested(alice, "  ") == []


def test_suggestions_link_to_the_article_and_are_for_portal_users_only(world):
    response = portal_client(world.alice).get(reverse("portal:service_suggestions"), {"q": "spindle"})
    assert response.json()["results"][0]["url"] == reverse("portal:article", args=[world.articles["public"].pk])
    from django.test import Client

    anonymous = Client().get(reverse("portal:service_suggestions"), {"q": "spindle"})
    assert anonymous.status_code == 302
    staff = portal_client(world.staff["rep"]).get(reverse("portal:service_suggestions"), {"q": "spindle"})
    assert staff.status_code == 302 and staff.url.startswith(reverse("portal:signin"))  # as every portal page


def test_the_form_page_loads_the_suggestion_script_from_a_static_file(world):
    page = portal_client(world.alice).get(reverse("portal:service_new")).content.decode()
    assert "portal/service_request.js" in page and 'data-suggest-url="/portal/service/new/suggestions/"' in page
    assert "<script>" not in page and "onclick" not in page


def test_in_chinese_the_new_fields_and_refusals_read_in_chinese_and_staff_see_the_visit_time(world):
    from django.utils import timezone

    from tests.fixtures.clients import client_for

    client = portal_client(world.alice, "zh-hans")
    page = client.get(reverse("portal:service_new")).content.decode()
    assert "紧急程度" in page and "希望上门时间" in page
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert "请选择一个将来的时间。" in client.post(reverse("portal:service_new"),
                                         _request(preferred_visit_at=past)).content.decode()
    # the service desk shows when the customer would like the visit
    ahead = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(reverse("portal:service_new"), _request(preferred_visit_at=ahead)).status_code == 302
    record = ServiceRecord.objects.get(title="主轴异响 Spindle noise")
    staff_page = client_for(world.staff["engineer"]).get(reverse("web:service_record", args=[record.pk]))
    assert "Preferred visit time" in staff_page.content.decode()


def test_the_service_desk_api_gives_the_preferred_visit_time(world):
    from django.utils import timezone

    from tests.fixtures.clients import api_client

    ahead = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    assert portal_client(world.alice).post(reverse("portal:service_new"),
                                           _request(preferred_visit_at=ahead)).status_code == 302
    record = ServiceRecord.objects.get(title="主轴异响 Spindle noise")
    body = api_client(world.staff["engineer"]).get(f"/api/crm/service-records/{record.pk}/").json()
    assert body["preferred_visit_at"] and body["priority"] == "normal"
