"""The products quoted on each deal (OpportunityProduct): a pair (deal, product) for every product a line of any
quote of the deal names, whatever the quote's status (a superseded, rejected or expired quote still showed the
product to the customer). The reports' lost analysis by product reads it (the deals closed in the period,
joined to their pairs) instead of every line of every quote of those deals.

Kept here, in the transaction of each write that can change it:

    quote_create (with an opportunity)   + its lines' products for the deal
    quote_revise                         + the new revision's lines' products for the same deal

With the pairs, per day closed and product, the deals won and lost that were quoted it (ClosedDealProductDay:
what the lost analysis by product of everyone's deals sums):

    opportunity_stage_change             a deal won or lost: + its products on the day; reopened: − them on the
                                         day it had closed
    quote_create, quote_revise           a closed deal quoted a product it had not been: + it on its day

Nothing else moves a pair: a quote's lines and deal never change after it is created, quotes and lines are
never deleted (a deal that is deleted takes its pairs with it: the foreign key cascades), and imports and
handovers write no quote lines. A product leaves a deal's set only if no line of any quote of it names it,
which nothing in Dossier can bring about today. Nothing else moves a deal's stage or closing instant
(imports write open deals only), and nothing in Dossier deletes a deal (the admin shows them read-only): one
that did would have to take a closed deal's products back from its day (closed_deal_products_add, sign −1).
`opportunity_products_rebuild` and `closed_deal_products_rebuild` recompute the tables from the rows (the
migration's backfill, bulk loads through rollups_rebuild, after a change of TIME_ZONE, and the tests that
prove the kept tables equal the rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from backend.crm.models import CLOSED_STAGES, ClosedDealProductDay, Opportunity, OpportunityProduct, QuoteLine, Stage
from backend.crm.services.derived import derived_models, rebuild_from, upsert_add


def opportunity_products_add(*, opportunity_id: int | None, product_ids: Iterable[int]) -> None:
    """Record that the deal `opportunity_id` was quoted `product_ids` (a quote without a deal: nothing).
    Pairs already there are kept as they are (one insert that skips them, safe under concurrent quotes); a
    closed deal's new pairs are counted on its closing day (under the deal's row lock, which a stage move
    and another quote of the deal wait for, so which pairs are new is known)."""
    if opportunity_id is None:
        return
    product_ids = sorted(set(product_ids))
    if not product_ids:
        return
    stage, closed_at = (Opportunity.objects.select_for_update().filter(pk=opportunity_id)
                        .values_list("stage", "closed_at").get())
    new = product_ids
    if stage in CLOSED_STAGES:
        had = set(OpportunityProduct.objects.filter(opportunity_id=opportunity_id, product_id__in=product_ids)
                  .values_list("product_id", flat=True))
        new = [product_id for product_id in product_ids if product_id not in had]
    OpportunityProduct.objects.bulk_create([OpportunityProduct(opportunity_id=opportunity_id, product_id=product_id)
                                            for product_id in product_ids], ignore_conflicts=True)
    closed_deal_products_add(stage=stage, closed_at=closed_at, product_ids=new)


def closed_deal_products_add(*, stage: str, closed_at: dt.datetime | None, product_ids: Iterable[int],
                             sign: int = 1) -> None:
    """Count (`sign` 1) or take back (−1) a deal won or lost at `closed_at` in the day rows of `product_ids`
    (a deal not closed: nothing)."""
    product_ids = sorted(set(product_ids))
    if stage not in CLOSED_STAGES or closed_at is None or not product_ids:
        return

    day = timezone.localtime(closed_at).date()
    won, lost = (sign, 0) if stage == Stage.WON else (0, sign)
    upsert_add(ClosedDealProductDay, ("day", "product_id"), [(day, product_id, won, lost) for product_id in product_ids],
               ("won", "lost"))


def deal_products_stage_moved(*, opportunity_id: int, before: tuple[str, dt.datetime | None],
                              after: tuple[str, dt.datetime | None]) -> None:
    """A deal moved from (stage, closed_at) `before` to `after` (opportunity_stage_change, under the deal's
    row lock): its products leave the day it had closed on and join the day it closes on."""
    if before[0] not in CLOSED_STAGES and after[0] not in CLOSED_STAGES:
        return
    products = list(OpportunityProduct.objects.filter(opportunity_id=opportunity_id).values_list("product_id", flat=True))
    closed_deal_products_add(stage=before[0], closed_at=before[1], product_ids=products, sign=-1)
    closed_deal_products_add(stage=after[0], closed_at=after[1], product_ids=products)


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


def closed_deal_products_from_rows(*, pair_model=None) -> dict[tuple, dict]:
    """Every (day, product_id) row ClosedDealProductDay should hold, with its won and lost counts, from the
    pairs of the deals won or lost (their closing instant's date in the current time zone)."""
    pair_model = pair_model or OpportunityProduct
    rows = (pair_model.objects.filter(opportunity__stage__in=CLOSED_STAGES, opportunity__closed_at__isnull=False)
            .order_by().annotate(day=TruncDate("opportunity__closed_at")).values_list("day", "product_id")
            .annotate(won=Count("pk", filter=Q(opportunity__stage=Stage.WON)),
                      lost=Count("pk", filter=Q(opportunity__stage=Stage.LOST))))
    return {(day, product_id): {"won": won, "lost": lost} for day, product_id, won, lost in rows}


def closed_deal_products_rebuild(*, apps=None) -> int:
    """Replace ClosedDealProductDay with what the pairs say (after the pairs' own rebuild); returns how many
    rows it holds. `apps`: a migration's registry (one from before the table: nothing to do)."""
    return rebuild_from(apps, "ClosedDealProductDay", "OpportunityProduct", ("day", "product_id"),
                        lambda pair_model: closed_deal_products_from_rows(pair_model=pair_model))
