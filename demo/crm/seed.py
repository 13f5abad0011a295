"""Seed the demo company's CRM: customers, contacts, products, deals at every stage, quotes, orders with
invoices and payments, service records in every dispatch state, knowledge articles, activities.

Everything is written through the CRM services, acting as the demo user who would do it, so every
write is access-checked and in the audit trail. Afterwards a few timestamps the services set to
"now" (when a customer was created, when a deal closed, when an engineer confirmed) are moved into
the past so that the reports have months and durations to show; that is the only direct write.

`seed_crm_demo()` runs in one transaction and is idempotent: if the first demo customer exists it
returns at once and changes nothing. It needs the demo users (`demo.seed`), and the plan in demo/crm/plan.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.crm.models import (
    Activity,
    Customer,
    DispatchState,
    KnowledgeArticle,
    Opportunity,
    Order,
    OrderStatus,
    Product,
    Quote,
    QuoteStatus,
    ServiceRecord,
    Stage,
)
from backend.crm.services.activities import activity_complete, activity_log
from backend.crm.services.customers import contact_create, customer_create, customer_team_add
from backend.crm.services.knowledge import article_create, article_publish
from backend.crm.services.opportunities import opportunity_create, opportunity_stage_change
from backend.crm.services.orders import invoice_issue, order_create, order_status_change, payment_record
from backend.crm.services.links import document_link_create
from backend.crm.services.products import product_create
from backend.crm.services.quote_pdf import quote_pdf_generate
from backend.crm.services.quotes import quote_attach_document, quote_create, quote_status_change
from backend.crm.services.service import (
    service_record_close,
    service_record_confirm,
    service_record_create,
    service_record_dispatch,
    service_record_rate,
    service_record_resolve,
    service_record_to_article,
)
from backend.documents.models import Document, DocumentKind, VersionStatus
from backend.documents.versions import document_version_approve
from demo.crm.plan import (
    ACTIVITIES,
    ARTICLES,
    MARKER_CODE,
    PLAN,
    QUOTE_FILES,
    SERVICE,
    SPARE_PARTS,
    ActivityPlan,
    ArticlePlan,
    CustomerPlan,
    Deal,
    ServicePlan,
)
from demo.world import EXTRAS, PRODUCTS

RATES = {"CNY": Decimal("1"), "USD": Decimal("0.14"), "EUR": Decimal("0.13")}
FUNNEL = (Stage.LEAD, Stage.QUALIFICATION, Stage.PROPOSAL, Stage.NEGOTIATION)
REQUIRED_USERS = ("admin", "wang.fang", "sarah.chen", "chen.jing", "zhang.wei", "li.lei", "liu.yang", "tom.becker")


@dataclass
class CrmDemoReport:
    already_present: bool = False
    missing_users: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def summary(self) -> str:
        return ", ".join(f"{n} {what}" for what, n in self.counts.items())


def crm_demo_present() -> bool:
    return Customer.objects.filter(code=MARKER_CODE).exists()


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class _Seeder:
    def __init__(self, users: dict[str, User], report: CrmDemoReport, today: dt.date) -> None:
        self.users = users
        self.report = report
        self.today = today
        self.now = timezone.now()
        self.products: dict[str, Product] = {}
        self.customers: dict[str, Customer] = {}

    # --- products ----------------------------------------------------------------------------

    def products_(self) -> None:
        admin = self.users["admin"]
        catalogue = [(p.code, p.name_zh, p.name_en, p.price, p.summary_en or p.summary_zh)
                     for p in (*PRODUCTS.values(), *EXTRAS.values())]
        catalogue += [(code, name, "", price, "") for code, name, price in SPARE_PARTS]
        for code, name, name_en, price, description in catalogue:
            product = Product.objects.filter(code=code).first() or product_create(
                actor=admin, code=code, name=name, name_en=name_en, list_price=price, description=description)
            self.products[code] = product
            self.report.add("products")

    # --- customers, deals, quotes, orders --------------------------------------------------------

    def customer(self, plan: CustomerPlan) -> Customer:
        owner = self.users[plan.owner]
        customer = customer_create(actor=owner, name=plan.name, region=plan.region, code=plan.code,
                                   industry=plan.industry, tier=plan.tier, status=plan.status)
        for member in plan.team:
            customer_team_add(actor=owner, customer=customer, user=self.users[member],
                              role="service" if member in ("liu.yang", "tom.becker") else "co-seller")
        name, title, email, phone = plan.contact
        if name:
            contact_create(actor=owner, customer=customer, name=name, title=title, email=email, phone=phone,
                           is_primary=True, preferred_channel=plan.contact_channel,
                           marketing_opt_out=plan.contact_no_marketing)
            self.report.add("contacts")
        Customer.objects.filter(pk=customer.pk).update(
            created_at=self.now - dt.timedelta(days=plan.age_days),
            owner_since=self.now - dt.timedelta(days=plan.age_days),
        )
        self.customers[plan.code] = customer
        self.report.add("customers")
        return customer

    def _lines(self, deal: Deal, currency: str) -> list[dict]:
        rate = RATES[currency]
        return [
            {"product": self.products[code], "quantity": str(quantity),
             "unit_price": str(_money(self.products[code].list_price * rate)), "discount_percent": str(discount)}
            for code, quantity, discount in deal.items
        ]

    def _amount(self, lines: list[dict]) -> Decimal:
        return sum((_money(Decimal(line["quantity"]) * Decimal(line["unit_price"])
                           * (100 - Decimal(line["discount_percent"])) / 100) for line in lines), Decimal(0))

    def deal(self, plan: CustomerPlan, customer: Customer, deal: Deal) -> None:
        rep = self.users[plan.owner]
        lines = self._lines(deal, plan.currency)
        opened = self.now - dt.timedelta(days=deal.age_days)
        opportunity = opportunity_create(
            actor=rep, customer=customer, title=deal.title, amount=self._amount(lines), currency=plan.currency,
            expected_close=self.today + dt.timedelta(days=max(15, 90 - deal.age_days)),
            competitors=["DMG Mori", "Haas", "海天精工"] if deal.stage in (Stage.NEGOTIATION, Stage.LOST) else [],
        )
        self.report.add("opportunities")
        target = deal.stage
        path = [s for s in FUNNEL[1:] if FUNNEL.index(s) <= FUNNEL.index(target)] if target in FUNNEL else \
            list(FUNNEL[1:])
        if target == Stage.LOST:
            path = path[: 2 if deal.lost_reason.startswith("Budget") else 3]
        for stage in path:
            opportunity = opportunity_stage_change(actor=rep, opportunity=opportunity, stage=stage)
        quote = None
        closed = opened + dt.timedelta(days=max(5, deal.age_days // 2)) if target in (Stage.WON, Stage.LOST) \
            else None
        # The quote went out between the deal's opening and its close (or today, for an open deal).
        quoted = opened + ((closed or self.now) - opened) / 2
        decided = target in (Stage.WON, Stage.LOST)
        valid_until = timezone.localdate(quoted) + dt.timedelta(days=30) if decided \
            else self.today + dt.timedelta(days=30)
        if target in (Stage.PROPOSAL, Stage.NEGOTIATION, Stage.WON, Stage.LOST):
            quote, _ = quote_create(actor=rep, customer=customer, opportunity=opportunity, lines=lines,
                                    currency=plan.currency, valid_until=valid_until, number=deal.quote_number or None,
                                    notes="含税价，交货期 90 天。Prices include 13% VAT; delivery 90 days.")
            self.report.add("quotes")
            self.quote_file(rep, quote, key=deal.quote_key, currency=plan.currency)
            if target != Stage.PROPOSAL:
                quote = quote_status_change(actor=rep, quote=quote, status=QuoteStatus.SENT)
            self.quote_dates(quote, quoted, sent=target != Stage.PROPOSAL)
            if deal.second_rep:
                # A colleague on the account team quoted the same customer, a little cheaper.
                colleague = self.users[deal.second_rep]
                second_lines = [{**line, "discount_percent": str(Decimal(line["discount_percent"]) + 2)}
                                for line in lines]
                second, _ = quote_create(actor=colleague, customer=customer, lines=second_lines,
                                         currency=plan.currency,
                                         valid_until=valid_until - dt.timedelta(days=10),
                                         notes="Alternative offer from the account team.")
                self.quote_file(colleague, second, key="", currency=plan.currency)
                quote_status_change(actor=colleague, quote=second, status=QuoteStatus.SENT)
                self.quote_dates(second, quoted + dt.timedelta(days=2), sent=True)
                self.report.add("quotes")
        if target == Stage.WON:
            quote = quote_status_change(actor=rep, quote=quote, status=QuoteStatus.ACCEPTED)
            opportunity_stage_change(actor=rep, opportunity=opportunity, stage=Stage.WON)
            self.order(plan, customer, deal, quote)
        elif target == Stage.LOST:
            if quote is not None:
                quote_status_change(actor=rep, quote=quote, status=QuoteStatus.REJECTED)
            opportunity_stage_change(actor=rep, opportunity=opportunity, stage=Stage.LOST,
                                     lost_reason=deal.lost_reason)
        if quote is not None and decided:
            Quote.objects.filter(pk=quote.pk).update(decided_at=closed)
        Opportunity.objects.filter(pk=opportunity.pk).update(created_at=opened, updated_at=closed or opened,
                                                             closed_at=closed)

    def quote_file(self, rep: User, quote: Quote, *, key: str, currency: str) -> None:
        """The quote's file: the demo's old QT- file the deal names (`key`), else its PDF drawn from its lines
        (in Chinese for a CNY customer, else in English). Either is approved by the rep, so the customer 360's
        quote history downloads its valid version."""
        document = None
        if key:
            document = Document.objects.filter(idempotency_key=f"demo:{key}", owner=rep, kind=DocumentKind.QUOTE).first()
        if document is not None:
            quote_attach_document(actor=rep, quote=quote, document=document)
            self.report.add("quote files linked")
        else:
            version = quote_pdf_generate(actor=rep, quote=quote, language="zh-hans" if currency == "CNY" else "en")
            document = version.document
            self.report.add("quote PDFs")
        newest = document.versions.order_by("-number").first()
        if document.valid_version_id is None and newest.status == VersionStatus.DRAFT:
            newest.document = document
            document_version_approve(actor=rep, version=newest)

    def quote_dates(self, quote: Quote, quoted: dt.datetime, *, sent: bool) -> None:
        """Move the quote (made now by the services) to when the deal's history says it was made and sent."""
        Quote.objects.filter(pk=quote.pk).update(created_at=quoted, sent_at=quoted + dt.timedelta(hours=3) if sent
                                                 else None)

    def link_quote_files(self) -> None:
        """Each old QT- file of the demo documents is linked to the customer it was made for (the customer's
        owner links it), so it is in the customer's documents whether or not a seeded quote carries it."""
        for key, code in QUOTE_FILES:
            customer = self.customers[code]
            document = Document.objects.filter(idempotency_key=f"demo:{key}", owner=customer.owner).first()
            if document is not None:
                document_link_create(actor=customer.owner, document=document, target=customer)
                self.report.add("quote files on customers")

    def order(self, plan: CustomerPlan, customer: Customer, deal: Deal, quote) -> None:
        rep = self.users[plan.owner]
        signed = self.today - dt.timedelta(days=max(3, deal.age_days // 2))
        contract = None
        if deal.contract_key:
            contract = Document.objects.filter(idempotency_key=f"demo:{deal.contract_key}", owner=rep).first()
        order = order_create(actor=rep, customer=customer, lines=None, quote=quote, currency=plan.currency,
                             number=deal.order_number, signed_date=signed, contract_document=contract)
        self.report.add("orders")
        if contract is not None:
            self.report.add("contract links")
        self.bill(rep, order, billing=deal.billing, total=self._amount(self._lines(deal, plan.currency)),
                  signed=signed)
        Order.objects.filter(pk=order.pk).update(
            created_at=timezone.make_aware(dt.datetime.combine(signed, dt.time(10))))

    def bill(self, rep: User, order: Order, *, billing: str, total: Decimal, signed: dt.date) -> None:
        """Invoices and payments as the deal's `billing` says: paid, partly overdue, overdue, prepaid, ...
        Each is dated on or after the order's signing (and never after today)."""
        span = (self.today - signed).days

        def part(percent: int) -> Decimal:
            return _money(total * percent / 100)

        def days(n: int) -> dt.date:
            """n days ago, but not before the order was signed."""
            return max(self.today - dt.timedelta(days=n), signed)

        def after(d: dt.date, n: int) -> dt.date:
            return d + dt.timedelta(days=n)

        if billing == "paid":
            issued = days(span - 5)
            invoice = invoice_issue(actor=rep, order=order, amount=total, issued_on=issued, due_on=after(issued, 30))
            payment_record(actor=rep, order=order, amount=total, invoice=invoice,
                           received_on=min(after(issued, 25), self.today), reference="电汇 T/T")
            order_status_change(actor=rep, order=order, status=OrderStatus.FULFILLED)
            self.report.add("invoices")
            self.report.add("payments")
        elif billing == "partly-overdue":
            first = invoice_issue(actor=rep, order=order, amount=part(30), issued_on=signed, due_on=after(signed, 30))
            payment_record(actor=rep, order=order, amount=part(30), invoice=first,
                           received_on=min(after(signed, 20), self.today), reference="预付款 advance")
            issued = days(45)
            second = invoice_issue(actor=rep, order=order, amount=part(60), issued_on=issued, due_on=after(issued, 30))
            payment_record(actor=rep, order=order, amount=part(25), invoice=second, received_on=max(days(10), issued),
                           reference="部分付款 partial")
            self.report.add("invoices", 2)
            self.report.add("payments", 2)
        elif billing == "overdue":
            issued = days(50)
            invoice_issue(actor=rep, order=order, amount=total, issued_on=issued, due_on=after(issued, 30))
            self.report.add("invoices")
        elif billing == "prepaid":
            payment_record(actor=rep, order=order, amount=part(30), received_on=days(50), reference="30% down payment")
            issued = days(10)
            invoice_issue(actor=rep, order=order, amount=part(70), issued_on=issued, due_on=after(issued, 60))
            self.report.add("invoices")
            self.report.add("payments")
        elif billing == "invoiced":
            issued = days(5)
            invoice_issue(actor=rep, order=order, amount=total, issued_on=issued, due_on=after(issued, 60))
            self.report.add("invoices")
        elif billing == "cancelled":
            order_status_change(actor=rep, order=order, status=OrderStatus.CANCELLED,
                                note="客户取消：厂房搬迁 Customer relocating the plant")

    # --- service, knowledge, activities ---------------------------------------------------------

    def service(self, plan: ServicePlan) -> ServiceRecord:
        customer = self.customers[plan.customer]
        opener = self.users[plan.opened_by] if plan.opened_by else customer.owner
        dispatcher = self.users["liu.yang"]
        engineer = self.users[plan.engineer]
        opened = self.now - dt.timedelta(days=plan.days_ago)
        # The order the record is about: one signed before the record was opened.
        order = customer.orders.filter(signed_date__lt=timezone.localdate(opened)).order_by("signed_date").first()
        record = service_record_create(actor=opener, customer=customer, title=plan.title, type=plan.type,
                                       priority=plan.priority, description=plan.description,
                                       product=self.products.get(plan.product), order=order)
        order = list(DispatchState.values)
        steps = order[1: order.index(plan.state) + 1]
        for step in steps:
            if step == DispatchState.DISPATCHED:
                record = service_record_dispatch(actor=dispatcher, record=record, engineer=engineer)
            elif step == DispatchState.CONFIRMED:
                record = service_record_confirm(actor=engineer, record=record)
            elif step == DispatchState.RESOLVED:
                record = service_record_resolve(actor=engineer, record=record, resolution=plan.resolution)
            elif step == DispatchState.CLOSED:
                record = service_record_close(actor=dispatcher, record=record)
        if plan.satisfaction is not None:
            record = service_record_rate(actor=dispatcher, record=record, satisfaction=plan.satisfaction)
        stamps = {"created_at": opened}
        for name, hours in zip(("dispatched_at", "confirmed_at", "resolved_at", "closed_at"), plan.hours):
            if getattr(record, name) is not None:
                stamps[name] = min(opened + dt.timedelta(hours=hours), self.now)
        ServiceRecord.objects.filter(pk=record.pk).update(**stamps)
        self.report.add("service records")
        return record

    def article(self, plan: ArticlePlan) -> None:
        author = self.users[plan.author]
        article = article_create(actor=author, title=plan.title, body=plan.body,
                                 product=self.products.get(plan.product), visibility=plan.visibility)
        if plan.publish:
            article_publish(actor=author, article=article)
        self.report.add("articles")

    def activity(self, plan: ActivityPlan) -> None:
        customer = self.customers[plan.customer]
        actor = self.users[plan.who]
        if plan.kind == "reminder":
            due = self.now + dt.timedelta(days=plan.days)
            activity = activity_log(actor=actor, customer=customer, kind=plan.kind, subject=plan.subject,
                                    due_at=due, occurred_at=self._reminder_set(plan.customer, due))
            if plan.done:
                activity_complete(actor=actor, activity=activity)
        else:
            activity_log(actor=actor, customer=customer, kind=plan.kind, subject=plan.subject,
                         occurred_at=self.now - dt.timedelta(days=plan.days))
        self.report.add("activities")

    def _reminder_set(self, code: str, due: dt.datetime) -> dt.datetime:
        """When a reminder was set: a week before it is due (yesterday at the latest), but after the
        customer's latest visit, call, e-mail or note before that due date, which it follows up."""
        before = [self.now - dt.timedelta(days=a.days) for a in ACTIVITIES
                  if a.customer == code and a.kind != "reminder" and self.now - dt.timedelta(days=a.days) < due]
        set_at = due - dt.timedelta(days=7)
        if before:
            set_at = max(set_at, max(before) + dt.timedelta(hours=1))
        return min(set_at, self.now - dt.timedelta(days=1), due)


def seed_crm_demo(*, stdout: TextIO | None = None) -> CrmDemoReport:
    """Seed the CRM demo through the services, in one transaction; do nothing if it is already there."""
    report = CrmDemoReport()

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message + "\n")

    if crm_demo_present():
        report.already_present = True
        say("CRM demo data is already there; nothing to do.")
        return report
    users = {user.username: user for user in User.objects.filter(username__in=REQUIRED_USERS, is_active=True)}
    report.missing_users = sorted(set(REQUIRED_USERS) - set(users))
    if report.missing_users:
        say("CRM demo skipped: run the demo seed first; missing users: " + ", ".join(report.missing_users))
        return report
    with transaction.atomic():
        seeder = _Seeder(users, report, timezone.localdate())
        seeder.products_()
        for plan in PLAN:
            customer = seeder.customer(plan)
            for deal in plan.deals:
                seeder.deal(plan, customer, deal)
        seeder.link_quote_files()
        records = [seeder.service(plan) for plan in SERVICE]
        for plan in ARTICLES:
            seeder.article(plan)
        # The service manager turns the closed spindle-noise record into a draft article.
        service_record_to_article(actor=users["liu.yang"], record=records[0])
        report.add("articles")
        for plan in ACTIVITIES:
            seeder.activity(plan)
    say(f"CRM demo seeded: {report.summary()}.")
    return report


def crm_demo_counts() -> dict[str, int]:
    """What a seeded demo holds (for tests and the seed command's summary)."""
    return {
        "customers": Customer.objects.filter(code__startswith="QH-C-").count(),
        "opportunities": Opportunity.objects.count(),
        "service records": ServiceRecord.objects.count(),
        "articles": KnowledgeArticle.objects.count(),
        "activities": Activity.objects.count(),
    }
