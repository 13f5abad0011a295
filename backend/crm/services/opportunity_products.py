"""The products quoted on each deal (OpportunityProduct): a pair (deal, product) for every product a line of any
quote of the deal names, whatever the quote's status (a superseded, rejected or expired quote still showed the
product to the customer). The reports' lost analysis by product reads it (the deals closed in the period,
joined to their pairs) instead of every line of every quote of those deals.

Kept here, in the transaction of each write that can change it:

    quote_create (with an opportunity)   + its lines' products for the deal
    quote_revise                         + the new revision's lines' products for the same deal

Nothing else moves a pair: a quote's lines and deal never change after it is created, quotes and lines are
never deleted (a deal that is deleted takes its pairs with it: the foreign key cascades), and imports and
handovers write no quote lines. A product leaves a deal's set only if no line of any quote of it names it,
which nothing in Dossier can bring about today. `opportunity_products_rebuild` recomputes the table from
the rows (the migration's backfill, bulk loads, and the tests that prove the kept set equals the rows).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from backend.crm.models import OpportunityProduct, QuoteLine
from backend.crm.services.derived import derived_models


def opportunity_products_add(*, opportunity_id: int | None, product_ids: Iterable[int]) -> None:
    """Record that the deal `opportunity_id` was quoted `product_ids` (a quote without a deal: nothing).
    Pairs already there are kept as they are (one insert that skips them, safe under concurrent quotes)."""
    if opportunity_id is None:
        return
    pairs = [OpportunityProduct(opportunity_id=opportunity_id, product_id=product_id)
             for product_id in sorted(set(product_ids))]
    if pairs:
        OpportunityProduct.objects.bulk_create(pairs, ignore_conflicts=True)


def opportunity_products_from_rows(*, line_model=None) -> set[tuple[int, int]]:
    """Every (opportunity_id, product_id) pair the table should hold, from the quote lines."""
    line_model = line_model or QuoteLine
    return set(line_model.objects.filter(quote__opportunity__isnull=False).order_by()
               .values_list("quote__opportunity_id", "product_id").distinct())


def opportunity_products_rebuild(*, apps=None) -> int:
    """Replace OpportunityProduct with what the quote lines say, in one INSERT … SELECT DISTINCT (a million
    lines take seconds, not the round trips of Python rows); returns how many pairs it holds. `apps`: a
    migration's registry (one from before crm 0022 has no such table: nothing to do)."""
    models = derived_models(apps, "OpportunityProduct", "QuoteLine", "Quote")
    if models is None:
        return 0
    pair_model, line_model, quote_model = models
    q = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {q(pair_model._meta.db_table)}")
        cursor.execute(
            f"INSERT INTO {q(pair_model._meta.db_table)} (opportunity_id, product_id) "
            f"SELECT DISTINCT q.opportunity_id, l.product_id FROM {q(line_model._meta.db_table)} l "
            f"JOIN {q(quote_model._meta.db_table)} q ON q.id = l.quote_id WHERE q.opportunity_id IS NOT NULL")
        return cursor.rowcount
