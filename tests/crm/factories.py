"""factory_boy factories for CRM rows. Tests that check behaviour create records through the services;
these build the surrounding world (and the bulk rows the report tests need) directly."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from backend.accounts.models import Role
from backend.crm.models import (
    AccountTeamMember,
    Activity,
    ActivityKind,
    Customer,
    Invoice,
    KnowledgeArticle,
    Opportunity,
    Order,
    OrderLine,
    Payment,
    Product,
    Quote,
    QuoteLine,
    ServiceRecord,
)
from tests.factories import UserFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"客户 Customer {n}")
    region = "Shanghai"
    owner = factory.SubFactory(UserFactory)


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountTeamMember

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SubFactory(UserFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"QH-P{n:04d}")
    name = factory.Sequence(lambda n: f"数控车床 Lathe {n}")
    list_price = Decimal("1000.00")


def _funnel_step(stage) -> int:
    from backend.crm.services.opportunity_reached import funnel_step

    return funnel_step(stage)


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    title = factory.Sequence(lambda n: f"Deal {n}")
    amount = Decimal("100000.00")
    # the furthest funnel step, kept as the services keep it for a deal created in its stage (a test that writes
    # a history of stages directly keeps it along: tests/crm/test_report_figures.py `_deal`)
    stage = "lead"
    reached_stage = factory.LazyAttribute(lambda o: _funnel_step(o.stage))


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quote

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    number = factory.Sequence(lambda n: f"Q-T-{n:06d}")


class QuoteLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuoteLine

    quote = factory.SubFactory(QuoteFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("1")
    unit_price = Decimal("1000.00")
    line_total = factory.LazyAttribute(lambda o: (o.quantity * o.unit_price).quantize(Decimal("0.01")))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """A line written directly, and the products quoted per deal kept as the quote services keep them."""
        from backend.crm.services.opportunity_products import opportunity_products_add

        line = super()._create(model_class, *args, **kwargs)
        opportunity_products_add(opportunity_id=line.quote.opportunity_id, product_ids=[line.product_id])
        return line


class OrderFactory(factory.django.DjangoModelFactory):
    """An order; pass `total=` to give it one line of that amount."""

    class Meta:
        model = Order
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    number = factory.Sequence(lambda n: f"SO-T-{n:06d}")
    signed_date = factory.LazyFunction(timezone.localdate)

    @factory.post_generation
    def total(obj, create, extracted, **kwargs):
        if create and extracted is not None:
            amount = Decimal(str(extracted))
            OrderLine.objects.create(order=obj, product=ProductFactory(), quantity=Decimal("1"), unit_price=amount,
                                     line_total=amount)


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    order = factory.SubFactory(OrderFactory)
    number = factory.Sequence(lambda n: f"INV-T-{n:06d}")
    amount = Decimal("100.00")
    issued_on = factory.LazyFunction(timezone.localdate)
    due_on = factory.LazyAttribute(lambda o: o.issued_on)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    amount = Decimal("100.00")
    received_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.LazyAttribute(lambda o: o.order.owner)


class ServiceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRecord

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"主轴异响 Spindle noise {n}")
    created_by = factory.LazyAttribute(lambda o: o.customer.owner)


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnowledgeArticle

    title = factory.Sequence(lambda n: f"How to {n}")
    body = "Steps."
    author = factory.SubFactory(UserFactory)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    kind = ActivityKind.CALL
    subject = factory.Sequence(lambda n: f"Call {n}")


def service_engineer(**kwargs):
    return UserFactory(role=Role.SERVICE, **kwargs)


def signed_order(actor, customer, product, total, signed, currency="CNY"):
    """An order of one line of `product` at `total`, signed on `signed`, through the order service (so the
    reports' rollups and receivable totals are kept as in use)."""
    from backend.crm.services.orders import order_create

    return order_create(actor=actor, customer=customer, signed_date=signed, currency=currency,
                        lines=[{"product": product.pk, "quantity": "1", "unit_price": total}])
