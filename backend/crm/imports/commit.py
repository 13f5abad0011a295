"""Writing a run's decided rows through the CRM's own services, under the importing user: each created
or merged record is checked and audited there (crm.customer.created, crm.contact.created, ...). A merge
fills in what the existing record lacks and adds a contact it does not have; it never overwrites, so a
second run of the same file finds every row already there and changes nothing ("unchanged")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from backend.common.errors import DomainError
from backend.crm.imports.analysis import RecordIndex, database_match
from backend.crm.models import (
    Contact, Customer, CustomerStatus, CustomerTier, ImportDecision, ImportEntity, ImportOutcome, ImportRow,
    Opportunity, Product, Stage,
)
from backend.crm.services import customers as customer_services
from backend.crm.services import opportunities as opportunity_services
from backend.crm.services import products as product_services

BATCH = 500


def _fill_blanks(record, data: dict, names) -> dict:
    """The fields of `names` that `record` has empty and the row has a value for."""
    return {name: data[name] for name in names if data.get(name) and not getattr(record, name)}


def _contact_of_customer_row(actor, customer: Customer, data: dict, index: RecordIndex, *, new: bool = False) -> bool:
    """Add the row's contact to the customer unless it has them already (by e-mail, phone or name)."""
    contact_data = {"name": data.get("contact_name") or "", "phone": data.get("phone", ""),
                    "email": data.get("email", "")}
    if not (contact_data["phone"] or contact_data["email"] or contact_data["name"]):
        return False
    existing, _ = index.contact_for(customer.pk, contact_data)
    if existing is not None:
        return False
    contact = customer_services.contact_create(
        actor=actor, customer=customer, name=contact_data["name"] or customer.name, title=data.get("contact_title", ""),
        phone=contact_data["phone"], email=contact_data["email"],
        is_primary=new or not Contact.objects.filter(customer=customer).exists())
    index.add_contact(contact.pk, customer_id=customer.pk, name=contact.name, phone=contact.phone, email=contact.email)
    return True


def _customer(actor, row: ImportRow, index: RecordIndex) -> tuple[str, int]:
    data = row.data
    pk, by, _ = database_match(ImportEntity.CUSTOMER, data, index)
    if pk is not None and row.decision == ImportDecision.MERGE:
        customer = Customer.objects.get(pk=pk)
        changes = _fill_blanks(customer, data, ("industry", "code"))
        with transaction.atomic():
            if changes:
                customer = customer_services.customer_update(actor=actor, customer=customer, **changes)
                index.add_customer(customer.pk, name=customer.name, region=customer.region, code=customer.code)
            added = _contact_of_customer_row(actor, customer, data, index)
        return (ImportOutcome.MERGED if changes or added else ImportOutcome.UNCHANGED), customer.pk
    owner = index.owner(data["owner_id"]) if data.get("owner_id") else None
    with transaction.atomic():
        customer = customer_services.customer_create(
            actor=actor, name=data["name"], region=data.get("region", ""), code=data.get("code") or None,
            industry=data.get("industry", ""), tier=data.get("tier") or CustomerTier.NORMAL,
            status=data.get("status") or CustomerStatus.PROSPECT, owner=owner)
        index.add_customer(customer.pk, name=customer.name, region=customer.region, code=customer.code)
        _contact_of_customer_row(actor, customer, data, index, new=True)
    return ImportOutcome.CREATED, customer.pk


def _customer_of(row: ImportRow, index: RecordIndex) -> Customer:
    customer_id = index.customer_named(row.data)
    if customer_id is None:
        raise DomainError("No customer of that name (and region or code).")
    return Customer.objects.get(pk=customer_id)


def _contact(actor, row: ImportRow, index: RecordIndex) -> tuple[str, int]:
    data = row.data
    customer = _customer_of(row, index)
    pk, _ = index.contact_for(customer.pk, data)
    if pk is not None and row.decision == ImportDecision.MERGE:
        contact = Contact.objects.select_related("customer").get(pk=pk)
        changes = _fill_blanks(contact, data, ("title", "phone", "email"))
        if not changes:
            return ImportOutcome.UNCHANGED, contact.pk
        contact = customer_services.contact_update(actor=actor, contact=contact, **changes)
        index.add_contact(contact.pk, customer_id=customer.pk, name=contact.name, phone=contact.phone,
                          email=contact.email)
        return ImportOutcome.MERGED, contact.pk
    contact = customer_services.contact_create(actor=actor, customer=customer, name=data["name"],
                                               title=data.get("title", ""), phone=data.get("phone", ""),
                                               email=data.get("email", ""))
    index.add_contact(contact.pk, customer_id=customer.pk, name=contact.name, phone=contact.phone, email=contact.email)
    return ImportOutcome.CREATED, contact.pk


def _product(actor, row: ImportRow, index: RecordIndex) -> tuple[str, int]:
    data = row.data
    pk = index.product_by_code.get(data["code"].casefold())
    if pk is not None and row.decision == ImportDecision.MERGE:
        product = Product.objects.get(pk=pk)
        changes = _fill_blanks(product, data, ("name_en", "description"))
        if data.get("floor_price") and product.floor_price is None:
            changes["floor_price"] = data["floor_price"]
        if not changes:
            return ImportOutcome.UNCHANGED, product.pk
        product_services.product_update(actor=actor, product=product, **changes)
        return ImportOutcome.MERGED, product.pk
    product = product_services.product_create(
        actor=actor, code=data["code"], name=data["name"], name_en=data.get("name_en", ""),
        list_price=data["list_price"], floor_price=data.get("floor_price") or None, currency=data["currency"],
        description=data.get("description", ""))
    index.product_by_code[product.code.casefold()] = product.pk
    return ImportOutcome.CREATED, product.pk


def _opportunity(actor, row: ImportRow, index: RecordIndex) -> tuple[str, int]:
    from backend.crm.imports.cleaning import name_key

    data = row.data
    customer = _customer_of(row, index)
    pk = index.opportunity_by_title.get((customer.pk, name_key(data["title"])))
    expected = dt.date.fromisoformat(data["expected_close"]) if data.get("expected_close") else None
    if pk is not None and row.decision == ImportDecision.MERGE:
        opportunity = Opportunity.objects.get(pk=pk)
        changes = {}
        if expected and opportunity.expected_close is None:
            changes["expected_close"] = expected
        if data.get("amount") and opportunity.amount == 0:
            changes["amount"] = data["amount"]
        if not changes:
            return ImportOutcome.UNCHANGED, opportunity.pk
        opportunity_services.opportunity_update(actor=actor, opportunity=opportunity, **changes)
        return ImportOutcome.MERGED, opportunity.pk
    opportunity = opportunity_services.opportunity_create(
        actor=actor, customer=customer, title=data["title"], amount=Decimal(data.get("amount") or "0"),
        currency=data["currency"], expected_close=expected, stage=data.get("stage") or Stage.LEAD)
    index.opportunity_by_title[(customer.pk, name_key(opportunity.title))] = opportunity.pk
    return ImportOutcome.CREATED, opportunity.pk


WRITERS: dict[str, Callable] = {
    ImportEntity.CUSTOMER: _customer,
    ImportEntity.CONTACT: _contact,
    ImportEntity.PRODUCT: _product,
    ImportEntity.OPPORTUNITY: _opportunity,
}


def commit_rows(*, actor, entity: str, rows, index: RecordIndex) -> None:
    """Write each row (ImportRow, decided) and set its outcome, result and error on it (not saved here)."""
    write = WRITERS[entity]
    for row in rows:
        if row.decision == ImportDecision.SKIP:
            row.outcome = ImportOutcome.SKIPPED
            continue
        try:
            row.outcome, row.result_id = write(actor, row, index)
            row.error = ""
        except DomainError as error:
            row.outcome = ImportOutcome.FAILED
            row.error = _reason(error)[:500]


def _reason(error: DomainError) -> str:
    fields = (getattr(error, "extra", None) or {}).get("fields") or {}
    details = "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in fields.items())
    return f"{error} {details}".strip() if details else str(error)
