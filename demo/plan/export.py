"""Export: Rhein Präzisionstechnik, priced in EUR."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

from backend.documents.models import Classification as CL
from backend.documents.models import DocumentKind as K
from demo.compose.contracts import ContractTerms, sales_contract
from demo.compose.quotes import QuoteTerms, quote_workbook
from demo.people import person_name
from demo.plan.documents import CONFIDENTIAL, ZERO, DocumentPlan, Draw, VersionPlan, as_pdf, quote_lines
from demo.world import CUSTOMERS


def rhein_documents(draw: Draw) -> tuple[list[DocumentPlan], dt.date]:
    """The quotation and the export contract, and the day of the quotation: the export screening is dated
    from it."""
    plans: list[DocumentPlan] = []
    add = plans.append
    rhein = CUSTOMERS["rhein"]
    eur = Decimal("7.8")
    rhein_lines = quote_lines(
        ("5AX400", 1, draw.discount(0, 2)), ("PROBE", 1, ZERO), ("TRAINING", 1, ZERO), currency_rate=eur
    )
    rhein_day = draw.day(8, 9)
    add(DocumentPlan(
        key="quote-rhein", kind=K.QUOTE, classification=CL.INTERNAL, owner="sarah.chen",
        title=f"Quotation QT-2026-0180 {rhein.en}", tags=("quotation", rhein.en, "QH-5AX400", "export"),
        versions=(VersionPlan("Quotation_QT-2026-0180_Rhein.xlsx", partial(quote_workbook, QuoteTerms(
            "QT-2026-0180", rhein, rhein_lines, rhein_day, person_name("sarah.chen"), lang="en", currency="EUR",
            payment="lc", delivery_days=100, validity_days=45), author="sarah.chen")),),
    ))
    add(DocumentPlan(
        key="contract-rhein", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="sarah.chen",
        title=f"Sales Contract SC-2026-071 {rhein.en}", tags=("sales contract", rhein.en, "export", "L/C"),
        description="Export contract, CIF Hamburg, letter of credit at sight. Ships only after the export licence.",
        versions=(VersionPlan("Sales_Contract_SC-2026-071_Rhein.pdf", as_pdf(sales_contract(
            ContractTerms("SC-2026-071", rhein, rhein_lines, rhein_day + dt.timedelta(days=18), "lc", 100,
                          currency="EUR", incoterm="CIF Hamburg", seller_rep=person_name("sarah.chen")),
            lang="en", marking=CONFIDENTIAL, author="sarah.chen"))),),
    ))
    return plans, rhein_day
