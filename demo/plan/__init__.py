"""The demo's documents, planned area by area before anything is written.

`demo_plan()` lists every document in the order the seed creates them. The areas draw their numbers
(dates, discounts, quantities) from one generator seeded with SEED, in this order: the content is the
same on every machine and every run, and changing the order of the areas changes the demo's numbers.
"""

from __future__ import annotations

from demo.plan import export, management, marketing, sales_east, sales_north, service
from demo.plan.documents import FINAL_KEY, SEED, DocumentPlan, Draw


def demo_plan() -> list[DocumentPlan]:
    """Every demo document, in the order they are created. The last one is FINAL_KEY."""
    draw = Draw(SEED)
    plans = sales_east.huadong_documents(draw)
    plans += sales_east.bright_optics_documents(draw)
    plans += sales_east.other_accounts(draw)
    binhai_bid, binhai_submitted = sales_north.binhai_tender(draw)
    plans += binhai_bid
    plans += sales_north.other_accounts(draw)
    rhein, rhein_day = export.rhein_documents(draw)
    plans += rhein
    plans += marketing.brochures()
    plans += marketing.price_lists()
    plans += service.service_documents(draw)
    plans += management.compliance_documents(binhai_submitted=binhai_submitted, rhein_day=rhein_day)
    plans += management.management_figures(draw)
    plans.append(management.demo_guide_document())
    assert plans[-1].key == FINAL_KEY
    return plans
