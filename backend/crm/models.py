"""The CRM core documents belong to: customers, contacts, deals, quotes, orders, service.

Money is Decimal with a currency, never float. Totals are computed by the
services from lines, never typed in. Writes live in services.py.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backend.documents.models import StoredFile

MONEY = {"max_digits": 16, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}
PERCENT = {"max_digits": 5, "decimal_places": 2}


class Currency(models.TextChoices):
    CNY = "CNY", "CNY ¥"
    USD = "USD", "USD $"
    EUR = "EUR", "EUR €"


# --- customers -----------------------------------------------------------------------------


class CustomerTier(models.TextChoices):
    KEY = "key", _("Key account (A)")
    NORMAL = "normal", _("Normal (B)")
    PROSPECT = "prospect", _("Prospect (C)")


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(max_length=40, null=True, blank=True, unique=True)
    industry = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    tier = models.CharField(max_length=16, choices=CustomerTier.choices, default=CustomerTier.NORMAL)
    status = models.CharField(max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.PROSPECT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_customers")
    owner_since = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "region", name="customer_name_region_uniq"),
        ]
        indexes = [models.Index(fields=["owner", "name"], name="customer_owner_idx")]

    def __str__(self) -> str:
        return self.name


class AccountTeamMember(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_teams")
    role = models.CharField(max_length=60, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "user"], name="team_member_uniq")]
        indexes = [models.Index(fields=["user", "customer"], name="team_user_idx")]


class ContactChannel(models.TextChoices):
    """How a contact prefers to be reached (blank: no preference)."""

    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("In person")


class Contact(models.Model):
    """A person at a customer. `marketing_opt_out` (with when it was set) keeps them out of marketing
    mail and campaigns; service and sales correspondence about their own orders still reaches them."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    title = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField(default=False)
    preferred_channel = models.CharField(max_length=16, choices=ContactChannel.choices, blank=True)
    marketing_opt_out = models.BooleanField(default=False)
    marketing_opt_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return self.name


# --- products ------------------------------------------------------------------------------


class Product(models.Model):
    """A catalogue entry. `name` is the Chinese name (the one on Chinese quotes), `name_en` the English one
    (blank: English pages show `name`). The floor price, in the product's currency, is the lowest unit price
    a quote should offer without a warning (blank: no floor); it is never above the list price."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(blank=True)
    list_price = models.DecimalField(**MONEY)
    floor_price = models.DecimalField(null=True, blank=True, **MONEY)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CNY)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_price_non_negative"),
            models.CheckConstraint(
                condition=Q(floor_price__isnull=True) | (Q(floor_price__gte=0) & Q(floor_price__lte=F("list_price"))),
                name="product_floor_within_list_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def name_in(self, language: str | None) -> str:
        """The name for a page in `language` ("zh-hans", "en"): the English name on English pages when
        there is one, else the Chinese name."""
        if language and not language.lower().startswith("zh") and self.name_en:
            return self.name_en
        return self.name


# --- opportunities -------------------------------------------------------------------------


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead / intent")
    QUALIFICATION = "qualification", _("Qualification")
    PROPOSAL = "proposal", _("Proposal / quote")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


DEFAULT_PROBABILITY = {
    Stage.LEAD: 10,
    Stage.QUALIFICATION: 25,
    Stage.PROPOSAL: 50,
    Stage.NEGOTIATION: 75,
    Stage.WON: 100,
    Stage.LOST: 0,
}
OPEN_STAGES = (Stage.LEAD, Stage.QUALIFICATION, Stage.PROPOSAL, Stage.NEGOTIATION)
CLOSED_STAGES = (Stage.WON, Stage.LOST)
# The funnel's steps in order: a deal's `reached_stage` is the index of the furthest it got to (lost is no step).
FUNNEL_STAGES = (Stage.LEAD, Stage.QUALIFICATION, Stage.PROPOSAL, Stage.NEGOTIATION, Stage.WON)


class Competitor(models.Model):
    """A company we meet in deals: one record a name (case-insensitive), shared by every opportunity."""

    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), name="competitor_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class Opportunity(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="opportunities")
    title = models.CharField(max_length=200)
    amount = models.DecimalField(**MONEY, default=Decimal("0"))
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CNY)
    expected_close = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities")
    competitors = models.ManyToManyField(Competitor, blank=True, related_name="opportunities")
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.LEAD)
    probability = models.PositiveSmallIntegerField(default=10)
    lost_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The furthest funnel step the deal got to (FUNNEL_STAGES: 0 lead … 4 won), from its stage history and its
    # current stage; a lost deal keeps the step it was lost at. Derived: kept by the services that create a
    # deal or move its stage and by the imports (services/opportunity_reached.py), rebuilt by rollups_rebuild.
    reached_stage = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_non_negative"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="opportunity_probability_max"),
        ]
        indexes = [
            models.Index(fields=["customer", "stage"], name="opp_customer_stage_idx"),
            models.Index(fields=["owner", "stage"], name="opp_owner_stage_idx"),
            # the pipeline board's newest cards of each stage (crm.selectors.opportunities.opportunity_board_cards)
            models.Index(F("stage"), F("updated_at").desc(), F("id").desc(), name="opp_stage_updated_idx"),
            # the reports' periods: the funnel reads the deals created in it, the lost analysis those closed in it
            # (by rep and at which stage from the index alone: its stage, owner and step ride along)
            models.Index(fields=["created_at"], name="opp_created_idx"),
            models.Index(fields=["closed_at", "stage", "owner", "reached_stage"], name="opp_closed_idx",
                         condition=Q(closed_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.title


class OpportunityStageChange(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_history")
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]


# --- quotes ------------------------------------------------------------------------------


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded")


OPEN_QUOTE_STATUSES = (QuoteStatus.DRAFT, QuoteStatus.SENT)


class Quote(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="quotes")
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    number = models.CharField(max_length=40, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quotes")
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CNY)
    valid_until = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Revisions: revising a quote makes a new row (its own number, lines and history) that points at the
    # chain's first quote (`original`, blank on the first) with the next `revision` number; the quote it
    # replaces is kept as it was, superseded.
    original = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="later_revisions")
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="quote_customer_idx"),
            models.Index(fields=["customer", "status"], name="quote_customer_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["original", "revision"], name="quote_revision_unique"),
            models.CheckConstraint(condition=Q(original__isnull=True, revision=1)
                                   | Q(original__isnull=False, revision__gt=1), name="quote_revision_chain"),
        ]

    def __str__(self) -> str:
        return self.number


class LineBase(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=300, blank=True)
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(**MONEY)
    discount_percent = models.DecimalField(**PERCENT, default=Decimal("0"))
    # quantity × unit_price × (1 − discount/100), rounded to cents; set by the services.
    line_total = models.DecimalField(**MONEY)

    class Meta:
        abstract = True


def line_checks(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(condition=Q(quantity__gt=0), name=f"{prefix}_quantity_positive"),
        models.CheckConstraint(condition=Q(unit_price__gte=0), name=f"{prefix}_price_non_negative"),
        models.CheckConstraint(
            condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100), name=f"{prefix}_discount_range"
        ),
    ]


class QuoteLine(LineBase):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        ordering = ["id"]
        constraints = line_checks("quoteline")
        indexes = [
            models.Index(fields=["product", "quote"], name="quoteline_product_idx"),
            # The products quoted to a set of deals (the reports' lost analysis) read from the index alone.
            models.Index(fields=["quote", "product"], name="quoteline_quote_product_idx"),
        ]


class OpportunityProduct(models.Model):
    """A product quoted on a deal: a line of any quote of the deal (whatever the quote's status) names it.
    Derived from the quote lines and kept by the quote services (services/opportunity_products.py), so the
    reports' lost analysis by product reads one index entry per (deal, product) instead of every line of
    every quote of the deals closed in the period."""

    # (the unique pair's index serves the deal's lookups: no index of its own on the deal)
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opportunity", "product"], name="opportunityproduct_key")]


class ClosedDealProductDay(models.Model):
    """Per day (the local date, TIME_ZONE, a deal was won or lost on: its closed_at) and product: how many deals
    won and how many lost that day were quoted the product (OpportunityProduct). Derived and kept with the
    pairs (services/opportunity_products.py: by the stage services when a deal closes or is reopened, and by
    the quote services when a closed deal is quoted a new product), rebuilt by rollups_rebuild (and after a
    change of TIME_ZONE). The lost analysis by product reads it for everyone's deals (a reader of everyone's
    figures, no rep or team picked): a quarter is a few thousand rows here, not every closed deal's pairs."""

    day = models.DateField()
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    won = models.IntegerField(default=0)
    lost = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "product"], name="closeddealproductday_key")]


# --- orders, payments, invoices ------------------------------------------------------------


class OrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(max_length=40, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    quote = models.ForeignKey(Quote, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CNY)
    signed_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    contract_document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The order's balance, kept by the order, invoice and payment services in the transaction of each write
    # (services/order_balances.py) so that receivables are summed from these columns, not from every line,
    # invoice and payment: the lines' total, what is invoiced and paid (every payment recorded), total less
    # paid, the due date after which something is overdue (None: nothing will be, as things stand), the
    # latest due date and the latest payment date (the reports fall back to the rows when asked about a day
    # before them).
    balance_total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    balance_invoiced = models.DecimalField(**MONEY, default=Decimal("0.00"))
    balance_paid = models.DecimalField(**MONEY, default=Decimal("0.00"))
    balance_outstanding = models.DecimalField(**MONEY, default=Decimal("0.00"))
    balance_overdue_since = models.DateField(null=True, blank=True)
    balance_last_due_on = models.DateField(null=True, blank=True)
    balance_last_paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="order_customer_idx"),
            # The orders the reports' receivable totals do not answer for on a day (a due date or a payment
            # after it, or signed after it: selectors/reports.py _not_answered_q), found by these three.
            models.Index(fields=["balance_last_due_on"], name="order_last_due_idx"),
            models.Index(fields=["balance_last_paid_on"], name="order_last_paid_idx"),
            models.Index(fields=["signed_date"], name="order_signed_idx"),
            # The few orders with a due date that has passed and one still to come (an invoice past due,
            # another not yet): only their invoices can say what is overdue between the two (reports.py
            # _needs_rows_q). The other orders not yet due are answered by ReceivableDueTotals.
            models.Index(fields=["balance_last_due_on"], name="order_due_gap_idx",
                         condition=Q(balance_overdue_since__lt=F("balance_last_due_on"))),
            # Retention reads the unsigned orders (rare: active in a period by the day they were created)
            # from the rows, the signed ones from CustomerYearOrders (the days at a period's edges: the rows).
            models.Index(fields=["created_at"], condition=Q(signed_date__isnull=True),
                         name="order_unsigned_created_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(LineBase):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        ordering = ["id"]
        constraints = line_checks("orderline")


class Invoice(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=40, unique=True)
    amount = models.DecimalField(**MONEY)
    issued_on = models.DateField()
    due_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["issued_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(condition=Q(due_on__gte=F("issued_on")), name="invoice_due_after_issue"),
        ]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    received_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    is_prepayment = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]


# --- service ---------------------------------------------------------------------------------


class ServiceType(models.TextChoices):
    ISSUE = "issue", _("Issue")
    COMPLAINT = "complaint", _("Complaint")
    MAINTENANCE = "maintenance", _("Maintenance visit")
    FOLLOW_UP = "follow_up", _("Follow-up visit")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class DispatchState(models.TextChoices):
    NOT_DISPATCHED = "not_dispatched", _("Not dispatched")
    DISPATCHED = "dispatched", _("Dispatched, awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed by engineer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class ServiceRecord(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="service_records")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="service_records")
    type = models.CharField(max_length=16, choices=ServiceType.choices, default=ServiceType.ISSUE)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    dispatch_state = models.CharField(
        max_length=16, choices=DispatchState.choices, default=DispatchState.NOT_DISPATCHED
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="service_assignments"
    )
    resolution = models.TextField(blank=True)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Raised by a customer in the portal: the contact who did, and (for a complaint) what it is about.
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    complaint_about = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    # When the customer would like the engineer to come (asked in the portal); a wish, not an appointment.
    preferred_visit_at = models.DateTimeField(null=True, blank=True)
    # Service levels (backend/crm/services/service_levels.py): when the record must be dispatched (the
    # response) and resolved, from the targets for its priority and type; None when no target is set. The
    # *_escalated_at stamps say the service managers were told, so each escalation happens once.
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    response_escalated_at = models.DateTimeField(null=True, blank=True)
    resolution_escalated_at = models.DateTimeField(null=True, blank=True)
    dispatch_escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | (Q(satisfaction__gte=1) & Q(satisfaction__lte=5)),
                name="service_satisfaction_range",
            ),
        ]
        indexes = [
            models.Index(fields=["dispatch_state", "-created_at"], name="service_state_idx"),
            models.Index(fields=["customer", "-created_at"], name="service_customer_idx"),
            models.Index(fields=["engineer", "dispatch_state"], name="service_engineer_idx"),
            # the escalation beat's scans: only records still waiting, never escalated
            models.Index(fields=["response_due_at"], name="service_response_due_idx",
                         condition=Q(dispatched_at__isnull=True, response_escalated_at__isnull=True,
                                     response_due_at__isnull=False)),
            models.Index(fields=["resolution_due_at"], name="service_resolution_due_idx",
                         condition=Q(resolved_at__isnull=True, resolution_escalated_at__isnull=True,
                                     resolution_due_at__isnull=False)),
            models.Index(fields=["dispatched_at"], name="service_unconfirmed_idx",
                         condition=Q(dispatch_state="dispatched", dispatch_escalated_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def from_portal(self) -> bool:
        return self.contact_id is not None


class ServiceLevelTarget(models.Model):
    """How soon a service record of one priority and type must be responded to (dispatched to an engineer)
    and resolved, in minutes from its opening; set by administrators (backend/crm/services/service_levels.py).
    No row for a pair: no clock for its records."""

    priority = models.CharField(max_length=8, choices=Priority.choices)
    type = models.CharField(max_length=16, choices=ServiceType.choices)
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["priority", "type"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "type"], name="service_level_pair_uniq"),
            models.CheckConstraint(condition=Q(response_minutes__gt=0) & Q(resolution_minutes__gte=F("response_minutes")),
                                   name="service_level_minutes_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.priority}/{self.type}"


class ServiceNote(models.Model):
    """A comment on a service record: a customer's (from the portal) or staff's progress note.

    Staff notes are internal unless marked for the customer; the customer's own are always shown.
    """

    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    from_customer = models.BooleanField(default=False)
    visible_to_customer = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["record", "created_at"], name="service_note_record_idx")]


class ServiceAttachment(StoredFile):
    """A file attached to a service record (a photo of the fault, a log). Bytes live in the object store."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="attachments")
    # The note the file came with (None: attached to the request itself when it was submitted).
    # A customer sees a note's files only when the note is meant for them.
    note = models.ForeignKey(ServiceNote, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


# --- knowledge, activities ---------------------------------------------------------------------


class ArticleVisibility(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    PORTAL = "portal", _("Customer portal")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class KnowledgeArticle(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField()
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    visibility = models.CharField(max_length=16, choices=ArticleVisibility.choices, default=ArticleVisibility.INTERNAL)
    status = models.CharField(max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    source_service_record = models.ForeignKey(
        ServiceRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    # Portal articles: empty means every customer; otherwise only these customers' portal users.
    audience_customers = models.ManyToManyField(Customer, blank=True, related_name="+")

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """One saved text of a knowledge article (title and body), numbered from 1; never changed afterwards."""

    article = models.ForeignKey(KnowledgeArticle, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="article_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"


class Announcement(models.Model):
    """News for portal users: to every customer, or to the customers listed."""

    title = models.CharField(max_length=200)
    body = models.TextField()
    all_customers = models.BooleanField(default=True)
    customers = models.ManyToManyField(Customer, blank=True, related_name="announcements")
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["-published_at"], name="announcement_published_idx")]

    def __str__(self) -> str:
        return self.title


class ActivityKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    NOTE = "note", _("Note")
    REMINDER = "reminder", _("Next-step reminder")


class Activity(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="activities")
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    # Who at the customer it was with (a visit, a call); the activity stays if the contact is removed.
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities")
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)
    done = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="activity_customer_idx"),
            models.Index(fields=["owner", "done", "due_at"], name="activity_reminder_idx"),
            # the work log's newest page for a reader of everyone's (crm 0016): without it PostgreSQL joined and
            # sorted every activity (260 ms at 30,000) to show 50
            models.Index(fields=["-occurred_at", "-id"], name="activity_occurred_idx"),
            # each customer's last visit, call or e-mail (the reports' "not contacted", crm 0020) from the
            # index alone: one rep's customers probed, everyone's read in customer order
            models.Index(fields=["customer", "occurred_at"], name="activity_contact_idx",
                         condition=Q(kind__in=["visit", "call", "email"])),
        ]

    def __str__(self) -> str:
        # The audit trail keeps str(target) as the event's label: the subject, never "Activity object (3)".
        return self.subject or f"#{self.pk}"


# --- document links ------------------------------------------------------------------------------


class LinkTarget(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    OPPORTUNITY = "opportunity", _("Opportunity")
    QUOTE = "quote", _("Quote")
    ORDER = "order", _("Order")
    SERVICE_RECORD = "service_record", _("Service record")


class DocumentLink(models.Model):
    """A typed link from a document to a CRM record.

    `customer` is always set (the record's customer), so "every document of a
    customer, through all its deals, orders and service records" is one indexed
    lookup, and access that follows the customer needs no joins through targets.
    """

    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="crm_links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="document_links")
    target_type = models.CharField(max_length=16, choices=LinkTarget.choices)
    opportunity = models.ForeignKey(Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    quote = models.ForeignKey(Quote, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    service_record = models.ForeignKey(
        ServiceRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="doclink_target_matches_type",
                condition=(
                    Q(target_type="customer", opportunity__isnull=True, quote__isnull=True, order__isnull=True,
                      service_record__isnull=True)
                    | Q(target_type="opportunity", opportunity__isnull=False, quote__isnull=True,
                        order__isnull=True, service_record__isnull=True)
                    | Q(target_type="quote", quote__isnull=False, opportunity__isnull=True, order__isnull=True,
                        service_record__isnull=True)
                    | Q(target_type="order", order__isnull=False, opportunity__isnull=True, quote__isnull=True,
                        service_record__isnull=True)
                    | Q(target_type="service_record", service_record__isnull=False, opportunity__isnull=True,
                        quote__isnull=True, order__isnull=True)
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "document"], name="doclink_customer_idx"),
            models.Index(fields=["document", "customer"], name="doclink_document_idx"),
        ]

    @property
    def target(self):
        return getattr(self, self.target_type) if self.target_type != LinkTarget.CUSTOMER else self.customer


# --- marketing: campaigns and leads (M1) ---------------------------------------------------------


class CampaignType(models.TextChoices):
    ADVERTISING = "advertising", _("Advertising")
    LAUNCH = "launch", _("Launch event")
    PROMOTION = "promotion", _("Promotion")
    EXHIBITION = "exhibition", _("Exhibition")
    WEBINAR = "webinar", _("Webinar")
    OTHER = "other", _("Other")


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(models.Model):
    """A market activity (市场活动): its theme, dates, region, budget and owner. Its materials are Dossier
    documents, its invitees are customers and contacts, its leads are `Lead` rows, its cost its expenses."""

    theme = models.CharField(_("theme"), max_length=200)
    type = models.CharField(max_length=16, choices=CampaignType.choices, default=CampaignType.OTHER)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    region = models.CharField(max_length=100, blank=True)
    budget = models.DecimalField(**MONEY, default=Decimal("0"))
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CNY)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns")
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_non_negative"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                                   name="campaign_ends_after_start"),
        ]
        indexes = [models.Index(fields=["status", "-starts_on"], name="campaign_status_idx")]

    def __str__(self) -> str:
        return self.theme


class CampaignMaterial(models.Model):
    """A document handed out or shown at a campaign (a brochure, slides); the document keeps its versions."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="materials")
    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="campaign_uses")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "document"], name="campaign_material_uniq")]
        indexes = [models.Index(fields=["document", "campaign"], name="campaign_material_doc_idx")]


class ParticipantStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ATTENDED = "attended", _("Attended")


class CampaignParticipant(models.Model):
    """A customer (and, when known, which of its contacts) invited to a campaign, and whether they came."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="campaign_participations")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=ParticipantStatus.choices, default=ParticipantStatus.INVITED)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], condition=Q(contact__isnull=False),
                                    name="campaign_participant_contact_uniq"),
            models.UniqueConstraint(fields=["campaign", "customer"], condition=Q(contact__isnull=True),
                                    name="campaign_participant_customer_uniq"),
        ]
        indexes = [models.Index(fields=["customer", "campaign"], name="campaign_participant_cust_idx")]


class LeadSource(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    WEBSITE = "website", _("Website")
    REFERRAL = "referral", _("Referral")
    EXHIBITION = "exhibition", _("Exhibition")
    CALL = "call", _("Inbound call")
    OTHER = "other", _("Other")


class LeadGrade(models.TextChoices):
    HOT = "hot", _("Hot")
    WARM = "warm", _("Warm")
    COLD = "cold", _("Cold")


class LeadStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("lead status", "New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")


class Lead(models.Model):
    """A prospect customer as marketing recorded it: where it came from (and which campaign), how promising,
    and the rep it was assigned to. The customer's owner is the one owner (assigning hands the customer
    over); opportunities and orders of a lead's customer count as the campaign's results."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="lead")
    source = models.CharField(max_length=16, choices=LeadSource.choices, default=LeadSource.OTHER)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    grade = models.CharField(max_length=8, choices=LeadGrade.choices, default=LeadGrade.WARM)
    status = models.CharField(max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="assigned_leads")
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["assigned_to", "status"], name="lead_assignee_idx"),
            models.Index(fields=["campaign", "-recorded_at"], name="lead_campaign_idx"),
        ]

    def __str__(self) -> str:
        return str(self.customer)


# --- expenses (M1) -------------------------------------------------------------------------------


class ExpenseCategory(models.TextChoices):
    TRAVEL = "travel", _("Travel")
    LODGING = "lodging", _("Lodging")
    VENUE = "venue", _("Venue")
    RENTAL = "rental", _("Rental")
    PR = "pr", _("Public relations")
    PROMOTION = "promotion", _("Promotion")
    ENTERTAINMENT = "entertainment", _("Entertainment")
    OTHER = "other", _("Other")


class ExpensePayer(models.TextChoices):
    PERSONAL = "personal", _("Paid personally")
    COMPANY = "company", _("Paid by the company")


class ExpenseChannel(models.TextChoices):
    DIRECT = "direct", _("Direct")
    CHANNEL = "channel", _("Channel")


class ExpenseStatus(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("expense status", "Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("expense status", "Rejected")


class Expense(models.Model):
    """An expense (费用) a member of staff submits: submitted → approved or rejected by their manager.
    `spent_on` is the day it was spent (the date the figures count it on); only approved expenses count as
    cost. Links to a customer, opportunity, order or campaign are optional; the receipt is a document."""

    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expenses")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CNY)
    spent_on = models.DateField()
    category = models.CharField(max_length=16, choices=ExpenseCategory.choices, default=ExpenseCategory.OTHER)
    payer = models.CharField(max_length=16, choices=ExpensePayer.choices, default=ExpensePayer.COMPANY)
    channel = models.CharField(max_length=16, choices=ExpenseChannel.choices, default=ExpenseChannel.DIRECT)
    region = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=300, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="expenses")
    opportunity = models.ForeignKey(Opportunity, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="expenses")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="expenses")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="expenses")
    receipt = models.ForeignKey("documents.Document", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="expense_receipts")
    status = models.CharField(max_length=16, choices=ExpenseStatus.choices, default=ExpenseStatus.SUBMITTED)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-spent_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive"),
            models.CheckConstraint(
                condition=(Q(status="submitted", decided_by__isnull=True, decided_at__isnull=True)
                           | (~Q(status="submitted") & Q(decided_by__isnull=False, decided_at__isnull=False))),
                name="expense_decision_consistent",
            ),
            models.CheckConstraint(condition=~Q(decided_by=F("submitter")), name="expense_not_self_approved"),
        ]
        indexes = [
            models.Index(fields=["submitter", "status"], name="expense_submitter_idx"),
            models.Index(fields=["status", "spent_on"], name="expense_status_date_idx"),
            models.Index(fields=["customer", "-spent_on"], name="expense_customer_idx"),
            models.Index(fields=["campaign"], name="expense_campaign_idx"),
            models.Index(fields=["order"], name="expense_order_idx"),
        ]

    def __str__(self) -> str:
        return self.description or f"{self.get_category_display()} {self.amount} {self.currency}"


# --- imports (I1): runs of import_records / import_documents and their rows -----------------------


class ImportEntity(models.TextChoices):
    CUSTOMER = "customer", _("Customers")
    CONTACT = "contact", _("Contacts")
    PRODUCT = "product", _("Products")
    OPPORTUNITY = "opportunity", _("Opportunities")
    DOCUMENT = "document", _("Documents")


class ImportRunStatus(models.TextChoices):
    ANALYSED = "analysed", _("Dry run done")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")


class ImportDecision(models.TextChoices):
    CREATE = "create", _("Create")
    MERGE = "merge", _("Merge")
    SKIP = "skip", _("Skip")


class ImportOutcome(models.TextChoices):
    PENDING = "pending", _("Not yet imported")
    CREATED = "created", pgettext_lazy("import outcome", "Created")
    MERGED = "merged", _("Merged")
    UNCHANGED = "unchanged", _("Unchanged")
    SKIPPED = "skipped", _("Skipped")
    DUPLICATE = "duplicate", _("Duplicate content")
    FAILED = "failed", _("Failed")


class ImportRun(models.Model):
    """One file (or folder with its manifest) brought in by a member of staff: the dry run's report, the
    mapping of its columns, and how far the commit has come (`done` of `total` rows)."""

    entity = models.CharField(max_length=16, choices=ImportEntity.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(max_length=300)
    file_sha256 = models.CharField(max_length=64)
    encoding = models.CharField(max_length=20, blank=True)
    mapping = models.JSONField(default=dict)
    report = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=ImportRunStatus.choices, default=ImportRunStatus.ANALYSED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "file_sha256"], name="importrun_user_sha_idx")]

    def __str__(self) -> str:
        return f"{self.get_entity_display()} · {self.filename}"


class ImportRow(models.Model):
    """One row of a run: the cleaned values, what the dry run found (issues, the duplicate it matches),
    the decision (merge, create or skip) and what the commit did."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    issues = models.JSONField(default=list)
    match = models.JSONField(default=dict, blank=True)
    decision = models.CharField(max_length=8, choices=ImportDecision.choices, default=ImportDecision.CREATE)
    outcome = models.CharField(max_length=12, choices=ImportOutcome.choices, default=ImportOutcome.PENDING)
    result_id = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="importrow_run_number_uniq")]


# --- sales targets (reports) ------------------------------------------------------------------


class TargetPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class SalesTarget(models.Model):
    """What a rep or a team (a department) should sign in orders in one month or quarter, in one currency.
    `starts_on` is the period's first day (the 1st of a month; of January, April, July or October for a
    quarter). Attainment is computed by the reports from the orders signed in the period."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                            related_name="sales_targets")
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="sales_targets")
    period = models.CharField(max_length=8, choices=TargetPeriod.choices, default=TargetPeriod.MONTH)
    starts_on = models.DateField()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CNY)
    amount = models.DecimalField(**MONEY)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on", "id"]
        # A team's manager: reads the figures of every rep in their department and sets their targets.
        permissions = [("view_team_figures", "Can read the figures and set the targets of their own team")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="salestarget_amount_positive"),
            models.CheckConstraint(condition=(Q(rep__isnull=False) & Q(department__isnull=True))
                                   | (Q(rep__isnull=True) & Q(department__isnull=False)),
                                   name="salestarget_rep_or_team"),
            models.UniqueConstraint(fields=["rep", "period", "starts_on", "currency"],
                                    condition=Q(rep__isnull=False), name="salestarget_rep_uniq"),
            models.UniqueConstraint(fields=["department", "period", "starts_on", "currency"],
                                    condition=Q(department__isnull=False), name="salestarget_team_uniq"),
        ]

    def ends_on(self):
        """The period's last day."""
        import datetime as dt
        months = 3 if self.period == TargetPeriod.QUARTER else 1
        year, month = divmod(self.starts_on.month - 1 + months, 12)
        return dt.date(self.starts_on.year + year, month + 1, 1) - dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.rep or self.department} {self.period} {self.starts_on:%Y-%m} {self.currency} {self.amount}"


class CurrencyRate(models.Model):
    """What one unit of `currency` is worth in `in_currency` (the reporting currency, settings
    REPORTING_CURRENCY, when the rate was set) from `valid_from` on, until a later rate of the same pair.
    Staff maintain the table (services/currency_rates.py); the reports convert with the rate in force on the
    day they are as of, and show a currency without one on its own scale."""

    currency = models.CharField(max_length=3, choices=Currency.choices)
    in_currency = models.CharField(max_length=3, choices=Currency.choices)
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    valid_from = models.DateField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="currencyrate_rate_positive"),
            models.CheckConstraint(condition=~Q(currency=F("in_currency")), name="currencyrate_two_currencies"),
            models.UniqueConstraint(fields=["currency", "in_currency", "valid_from"], name="currencyrate_uniq"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.in_currency} from {self.valid_from}"


# --- report rollups (issue 16): per day, rep and currency, what the reports page sums ------------------


class RepDayFigures(models.Model):
    """Per day, rep and currency: sales (the lines' total of the orders signed that day by the rep, not
    cancelled) and how many orders, collections (payments received that day on the rep's orders), invoices
    issued that day on them, and expenses (approved, spent that day, submitted by the rep). Derived, never
    decided: kept by the order, invoice, payment and expense services in their transaction as increments
    (services/report_rollups.py), backfilled by migration crm 0018, so the reports page sums a few
    thousand rows per quarter instead of every line, payment, invoice and expense of it. An order's
    owner, signed date, lines and currency never change after it is created and a cancelled order never
    reopens, so the increments are all there is to keep."""

    day = models.DateField()
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    sales = models.DecimalField(**MONEY, default=Decimal("0.00"))
    orders = models.IntegerField(default=0)
    collected = models.DecimalField(**MONEY, default=Decimal("0.00"))
    invoiced = models.DecimalField(**MONEY, default=Decimal("0.00"))
    expenses = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "rep", "currency"], name="repdayfigures_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.rep_id} {self.currency}"


class ReceivableTotals(models.Model):
    """Per order owner, customer and currency, the sums of the orders' stored balances (not cancelled):
    how many, the lines' total, what is paid, and what is invoiced and unpaid on the orders that will be
    overdue (`balance_overdue_since` set). Derived, never decided: kept by the order, invoice and payment
    services as increments in the transaction that changes a balance (services/report_rollups.py),
    backfilled by migration crm 0018. The reports read receivables from these ~one row per customer and
    correct them with the few orders whose balance does not answer for the day asked about (a due date
    or a payment after it, or signed after it), instead of summing every order."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    orders = models.IntegerField(default=0)
    total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    paid = models.DecimalField(**MONEY, default=Decimal("0.00"))
    open_invoiced = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "customer", "currency"], name="receivabletotals_key")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.customer_id} {self.currency}"


class ReceivableDueTotals(models.Model):
    """Per order owner, customer, currency and due date: the part of ReceivableTotals.open_invoiced of the
    orders whose last due date (`balance_last_due_on`) that is — what is invoiced and unpaid on the orders
    that will be overdue — and how many such orders. What ReceivableTotals counts as overdue is only so
    after each order's last due date; the reports take off these rows' sums for the due dates on or after
    the day asked about (a range of a narrow table) instead of reading every order not yet due. Derived,
    never decided: kept with ReceivableTotals by the services that change a balance, in their transaction
    (services/receivable_rollups.py), backfilled by migration crm 0020."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    due_on = models.DateField()
    orders = models.IntegerField(default=0)
    open_invoiced = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "customer", "currency", "due_on"],
                                               name="receivableduetotals_key")]
        # The reports read the due dates on or after a day (today, usually: a month or two of them).
        indexes = [models.Index(fields=["due_on"], name="receivabledue_due_idx")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.customer_id} {self.currency} {self.due_on}"


class ReceivableCustomerTotals(models.Model):
    """Per customer and currency: ReceivableTotals' rows of every order owner summed — how many orders (not
    cancelled) and what is outstanding on them (their total less what is paid). The receivables chart
    ranks its largest debtors by reading the first entries of `receivablecustomer_top_idx` instead of
    summing every owner's rows per customer on each request. Derived, never decided: kept with
    ReceivableTotals by the same increments (services/report_rollups.py receivable_add, in the writing
    service's transaction), rebuilt with it (services/receivable_rollups.py), backfilled by migration crm
    0023."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    orders = models.IntegerField(default=0)
    outstanding = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "currency"], name="receivablecustomer_key")]
        # The chart's order: most outstanding first, then the customer (its tie-break).
        indexes = [models.Index(fields=["-outstanding", "customer"], name="receivablecustomer_top_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.currency}"


class CustomerMonthFigures(models.Model):
    """Per month (its first day), customer, rep and currency: sales (the lines' total of the orders signed
    that month, not cancelled) and how many orders, collections (payments received that month) and
    invoices issued that month, on the customer's orders; the rep is each order's owner, as the figures'
    rep filter reads it. Derived, never decided: kept by the order, invoice and payment services in
    their transaction with RepDayFigures (services/report_rollups.py rollup_add), backfilled by migration
    crm 0021. The figures by customer and by region (the customer's region, joined when read) sum the
    months wholly inside a period from here and only the days at its edges from the rows. Its `orders`,
    summed per customer and month, are also laid out per customer and year in CustomerYearOrders (what
    retention reads)."""

    month = models.DateField()
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    sales = models.DecimalField(**MONEY, default=Decimal("0.00"))
    orders = models.IntegerField(default=0)
    collected = models.DecimalField(**MONEY, default=Decimal("0.00"))
    invoiced = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "customer", "rep", "currency"],
                                               name="customermonthfigures_key")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.customer_id} {self.rep_id} {self.currency}"


MONTH_COLUMNS = tuple(f"m{month:02d}" for month in range(1, 13))
"""CustomerYearOrders' columns, January to December."""


class CustomerYearOrders(models.Model):
    """Per customer and year: how many orders were signed in each of its months (m01 … m12): the
    CustomerMonthFigures `orders` of that customer and month summed over reps and currencies (orders with
    lines, not cancelled), one row a customer and year. Retention (selectors/reports.py) reads which
    customers ordered in the whole months of two periods from here, one row a customer instead of one a
    month, rep and currency. Derived, never decided: kept by rollup_add with the month rollups (the same
    increments, services/report_rollups.py), rebuilt by rollups_rebuild, backfilled by migration crm 0025.
    A month an order was signed and then cancelled in holds 0; a row of only zeros is no activity."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    year = models.IntegerField()
    m01 = models.IntegerField(default=0)
    m02 = models.IntegerField(default=0)
    m03 = models.IntegerField(default=0)
    m04 = models.IntegerField(default=0)
    m05 = models.IntegerField(default=0)
    m06 = models.IntegerField(default=0)
    m07 = models.IntegerField(default=0)
    m08 = models.IntegerField(default=0)
    m09 = models.IntegerField(default=0)
    m10 = models.IntegerField(default=0)
    m11 = models.IntegerField(default=0)
    m12 = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "customer"], name="customeryearorders_key")]

    def __str__(self) -> str:
        return f"{self.year} {self.customer_id}"


class ProductMonthFigures(models.Model):
    """Per month (its first day), product, rep and currency: sales (the total of the product's lines on the
    orders signed that month, not cancelled) and on how many orders; the rep is the order's owner. Kept
    with RepDayFigures by the order services (services/report_rollups.py), backfilled by migration crm
    0021; the figures by product read the months wholly inside a period from here."""

    month = models.DateField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    sales = models.DecimalField(**MONEY, default=Decimal("0.00"))
    orders = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "product", "rep", "currency"],
                                               name="productmonthfigures_key")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.product_id} {self.rep_id} {self.currency}"
