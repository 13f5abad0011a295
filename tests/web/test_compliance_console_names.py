"""The compliance console takes names, not ids: people, documents and customers are typed (or picked from
the console's own pickers), every event links to what it names, and every time is shown and exported in one
zone with its offset. Everyone but compliance gets a 404 on every console page, picker and export."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from backend.audit.models import AuditEvent
from backend.audit.services import record
from backend.sharing.audit_events import PORTAL_SHARE_DOWNLOADED
from backend.sharing.shares import document_share_create
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

OFFSET_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \+08:00")
ZH_TIME = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} \+08:00")

CONSOLE_URLS = ["/compliance/", "/compliance/events/1/", "/compliance/export.csv", "/compliance/export.json",
                "/compliance/user-access/?user_q=陈静", "/compliance/document-access/?document_q=报价单",
                "/compliance/export.csv?user_q=陈静&scope=access", "/compliance/pick/user/?q=陈",
                "/compliance/pick/document/?q=合同", "/compliance/pick/customer/?q=精工"]


def _download(user, document):
    response = client_for(user).get(f"/documents/{document.pk}/download/")
    b"".join(response.streaming_content)


def test_everyone_but_compliance_gets_404_on_every_console_page_picker_and_export(world):
    for user in (world.rep, world.colleague, world.engineer, world.admin):
        client = client_for(user)
        for url in CONSOLE_URLS:
            assert client.get(url).status_code == 404, (user.username, url)
        assert client.post("/compliance/verify/").status_code == 404
    compliance = client_for(world.compliance)
    for url in CONSOLE_URLS:
        assert compliance.get(url).status_code == 200, url


def test_filtering_the_log_by_a_typed_name_resolves_it(world):
    # given downloads by two people
    _download(world.colleague, world.quote_doc)
    _download(world.rep, world.quote_doc)
    client = client_for(world.compliance)

    # when compliance types part of a Chinese name without picking from the list
    response = client.get("/compliance/", {"user_q": "陈静"})

    # then the log shows only that person's events, and the form shows the name with the id hidden
    assert response.status_code == 200
    events = response.context["page"].events
    assert events and {e.actor_id for e in events} == {world.colleague.pk}
    html = response.content.decode()
    assert f'name="user" value="{world.colleague.pk}"' in html
    assert "陈静 (chen.jing)" in html
    # a document and a customer by part of their names, too
    by_document = client.get("/compliance/", {"document_q": "报价单 Q-2026"}).context["page"].events
    assert by_document and {e.target_id for e in by_document} == {str(world.quote_doc.pk)}
    by_customer = client.get("/compliance/", {"customer_q": "精工"}).context["page"].events
    assert by_customer and {e.customer_id for e in by_customer} == {world.customer.pk}


def test_a_name_that_fits_several_rows_names_them_and_an_unknown_name_says_so(world):
    client = client_for(world.compliance, "zh-hans")
    # 静: 陈静 and 赵静
    response = client.get("/compliance/", {"user_q": "静"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "陈静 (chen.jing)" in text and "赵静 (zhao.jing)" in text
    assert client.get("/compliance/", {"document_q": "没有这个文件"}).status_code == 400


def test_ids_from_links_still_filter_and_show_the_name(world):
    response = client_for(world.compliance).get(f"/compliance/?document={world.quote_doc.pk}")
    assert response.status_code == 200
    assert f'value="{world.quote_doc.title}"' in response.content.decode()


def test_events_link_to_the_person_the_document_and_the_customer(world):
    _download(world.colleague, world.quote_doc)
    html = client_for(world.compliance).get("/compliance/", {"user_q": "chen.jing"}).content.decode()
    assert f'href="/compliance/user-access/?user={world.colleague.pk}"' in html
    assert f'href="/documents/{world.quote_doc.pk}/"' in html
    assert f'href="/compliance/document-access/?document={world.quote_doc.pk}"' in html
    # a customer's event names the customer by name, with a link
    html = client_for(world.compliance).get("/compliance/", {"customer_q": "SH-JG"}).content.decode()
    assert f'href="/customers/{world.customer.pk}/"' in html and world.customer.name in html


def test_times_on_screen_and_in_exports_carry_the_zone_offset(world):
    _download(world.colleague, world.quote_doc)
    client = client_for(world.compliance)
    html = client.get("/compliance/", {"user_q": "陈静"}).content.decode()
    assert OFFSET_TIME.search(html) and "Asia/Shanghai (+08:00)" in html

    rows = list(csv.reader(io.StringIO(b"".join(
        client.get("/compliance/export.csv", {"user_q": "陈静"}).streaming_content).decode("utf-8-sig"))))
    occurred = rows[0].index("occurred_at")
    assert rows[1:] and all(row[occurred].endswith("+08:00") for row in rows[1:])
    events = json.loads(b"".join(client.get("/compliance/export.json", {"user_q": "陈静"}).streaming_content))
    assert events and all(event["occurred_at"].endswith("+08:00") for event in events)


def test_the_display_zone_is_a_setting(world, settings):
    settings.DISPLAY_TIME_ZONE = "Europe/London"
    _download(world.colleague, world.quote_doc)
    client = client_for(world.compliance)
    events = json.loads(b"".join(client.get("/compliance/export.json", {"user_q": "陈静"}).streaming_content))
    assert events and all(event["occurred_at"].endswith(("+00:00", "+01:00")) for event in events)


def test_labels_and_dates_in_chinese(world):
    _download(world.colleague, world.quote_doc)
    client = client_for(world.compliance, "zh-hans")
    html = client.get("/compliance/user-access/", {"user_q": "陈静"}).content.decode()
    assert "下载了版本" in html and ZH_TIME.search(html) and "本周" in html
    assert "document.version.downloaded" not in re.sub(r'value="[^"]*"', "", html)


def test_what_did_a_person_access_this_week_is_exportable(world):
    _download(world.colleague, world.quote_doc)
    client = client_for(world.compliance)
    page = client.get("/compliance/user-access/", {"user_q": "陈"})
    # "陈" fits one person only
    assert page.status_code == 200
    week = next(p for p in page.context["periods"] if str(p["label"]) == "This week")
    response = client.get("/compliance/user-access/" + week["url"])
    target = next(t for t in response.context["summary"].targets if t["target_id"] == str(world.quote_doc.pk))
    assert target["downloads"] == 1 and target["url"] == f"/documents/{world.quote_doc.pk}/"
    export = response.context["exports"]["csv"]
    rows = list(csv.reader(io.StringIO(b"".join(client.get(export).streaming_content).decode("utf-8-sig"))))
    actor, event_type = rows[0].index("actor_id"), rows[0].index("event_type")
    assert rows[1:] and {row[actor] for row in rows[1:]} == {str(world.colleague.pk)}
    assert "document.version.downloaded" in {row[event_type] for row in rows[1:]}
    assert AuditEvent.objects.filter(event_type="audit.log.exported", actor_id=world.compliance.pk).exists()


def test_who_opened_a_document_includes_portal_users_and_who_can_access_it_through_shares(world):
    # given the quote shared with the customer, whose portal user downloaded it, and a colleague's download
    document_share_create(actor=world.rep, document=world.quote_doc, customer=world.customer)
    reader = portal_user(world.customer, name="Li Na")
    record(PORTAL_SHARE_DOWNLOADED, actor=reader, target=world.quote_doc, customer_id=world.customer.pk)
    _download(world.colleague, world.quote_doc)

    # when compliance types the document's title
    response = client_for(world.compliance).get("/compliance/document-access/", {"document_q": "Q-2026-0001"})

    # then who opened it lists both, with their downloads, and who can access it names the customer and its user
    assert response.status_code == 200
    people = {p["actor_id"]: p for p in response.context["summary"].people}
    assert people[reader.pk]["downloads"] == 1 and people[world.colleague.pk]["downloads"] == 1
    html = response.content.decode()
    assert f'href="/customers/{world.customer.pk}/"' in html
    assert f'href="/compliance/user-access/?user={reader.pk}"' in html
    assert "Li Na" in html


def test_the_console_finds_a_confidential_document_and_portal_users_by_name(world):
    client = client_for(world.compliance)
    portal_user(world.customer, name="Li Na")
    documents = client.get("/compliance/pick/document/", {"q": "供货合同"}).json()["results"]
    assert [row["id"] for row in documents] == [world.contract.pk]
    people = client.get("/compliance/pick/user/", {"q": "li na"}).json()["results"]
    assert [row["label"] for row in people][0].startswith("Li Na")
    assert client.get("/compliance/pick/nothing/", {"q": "x"}).status_code == 404
    # and the confidential contract's page answers by name
    response = client.get("/compliance/document-access/", {"document_q": "供货合同"})
    assert response.status_code == 200 and response.context["document"].id == world.contract.pk


def _statements(client, url) -> list[str]:
    from django.db import connection

    seen: list[str] = []

    def note(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        assert client.get(url).status_code == 200
    return seen


def test_who_opened_a_document_costs_the_same_queries_however_many_people_opened_it(world):
    # given the quote downloaded by a colleague and by a portal user, and the page's statements for it
    _download(world.colleague, world.quote_doc)
    record(PORTAL_SHARE_DOWNLOADED, actor=portal_user(world.customer, name="Li Na"), target=world.quote_doc,
           customer_id=world.customer.pk)
    client = client_for(world.compliance)
    url = f"/compliance/document-access/?document={world.quote_doc.pk}"
    client.get(url)
    first = _statements(client, url)
    # when three more people (one of them on the portal) open it too
    _download(world.rep, world.quote_doc)
    _download(world.admin, world.quote_doc)
    record(PORTAL_SHARE_DOWNLOADED, actor=portal_user(world.customer, name="Wang Lei"), target=world.quote_doc,
           customer_id=world.customer.pk)
    # then the page names all of them with no more queries (their names and the events' actors in one)
    assert len(_statements(client, url)) == len(first)
    names = [sql for sql in first if 'FROM "accounts_user" WHERE "accounts_user"."id" IN' in sql]
    assert len(names) == 1, names
