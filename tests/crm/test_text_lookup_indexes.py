"""crm 0017: the search box's "contains" lookups (quote and order numbers, contact names and e-mails,
opportunity titles, customer names and codes) are answered from trigram indexes on PostgreSQL, and a
short text with no letter case (合同) still finds what it should."""

from __future__ import annotations

import pytest
from django.db import connection

from backend.access.policy import Action, visible
from backend.crm.models import Contact, Quote
from indexing.grouped import _matching
from tests.crm.factories import CustomerFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INDEXES = {
    "crm_quote_number_upper_trgm", "crm_order_number_upper_trgm", "crm_opportunity_title_upper_trgm",
    "crm_contact_name_upper_trgm", "crm_contact_email_upper_trgm", "crm_customer_name_upper_trgm",
    "crm_customer_code_upper_trgm",
}


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # The test tables are tiny, so the planner would read them whole; without that choice it must
        # show whether the index answers Django's own SQL for the lookup (the same UPPER(col::text)).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # nor walk the primary key: only bitmap scans are left
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_every_lookup_has_its_trigram_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%_upper_trgm"])
        assert {row[0] for row in cursor.fetchall()} == INDEXES


def test_the_quote_number_lookup_of_the_search_box_reads_the_index():
    plan = _plan(Quote.objects.filter(_matching("contract", "number")))

    assert "crm_quote_number_upper_trgm" in plan


def test_the_contact_lookup_reads_both_indexes_for_a_name_or_an_email():
    plan = _plan(Contact.objects.filter(_matching("wang", "name", "email")))

    assert "crm_contact_name_upper_trgm" in plan and "crm_contact_email_upper_trgm" in plan


def test_a_short_text_without_case_and_a_mixed_case_text_find_the_same_rows_as_before():
    rep = UserFactory()
    customer = CustomerFactory(owner=rep, name="上海合同机械")
    Contact.objects.create(customer=customer, name="王合同", email="Wang.HT@example.cn")
    Contact.objects.create(customer=customer, name="李四", email="li@example.cn")

    def names(text):
        contacts = visible(rep, Contact.objects.all(), Action.VIEW).filter(_matching(text, "name", "email"))
        return sorted(contacts.values_list("name", flat=True))

    assert names("合同") == ["王合同"]
    assert names("wang.ht") == ["王合同"]
    assert names("WANG") == ["王合同"]
    assert names("Li") == ["李四"]
