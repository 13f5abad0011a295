"""Writing a run's decided rows through the CRM's own services, under the importing user: each created
or merged record is checked and audited there (crm.customer.created, crm.contact.created, ...). A merge
fills in what the existing record lacks and adds a contact it does not have; it never overwrites, so a
second run of the same file finds every row already there and changes nothing ("unchanged")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

import psycopg
from django.db import connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from backend.accounts.models import Role
from backend.audit import services as audit
from backend.common.bulk_insert import insert_rows
from backend.common.errors import DomainError
from backend.common.text import clean_line
from backend.crm.imports.analysis import RecordIndex, database_match
from backend.crm.models import (
    Contact, Customer, CustomerStatus, CustomerTier, ImportDecision, ImportEntity, ImportOutcome, ImportRow,
    Opportunity, OpportunityStageChange, Product, Stage,
)
from backend.crm.services import customers as customer_services
from backend.crm.services import opportunities as opportunity_services
from backend.crm.services import products as product_services

BATCH = 5000
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


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


def commit_rows(*, actor, entity: str, rows, index: RecordIndex, one_by_one: bool = False) -> None:
    """Write each row (ImportRow, decided) and set its outcome, result and error on it (not saved here).

    Customer, contact and opportunity rows are written as a chunk (`CustomerChunk`, `RecordChunk`: bulk
    inserts, one audit batch) unless `one_by_one`; products (a catalogue is short), and a row a chunk
    cannot vouch for, go through the services one by one. Call it inside the chunk's transaction."""
    chunk = CHUNKS.get(entity)
    if chunk is not None and not one_by_one:
        chunk(actor, index).write(rows)
        return
    write = WRITERS[entity]
    for row in rows:
        _write_one(write, actor, row, index)


def _write_one(write, actor, row: ImportRow, index: RecordIndex) -> None:
    if row.decision == ImportDecision.SKIP:
        row.outcome = ImportOutcome.SKIPPED
        return
    try:
        row.outcome, row.result_id = write(actor, row, index)
        row.error = ""
    except DomainError as error:
        row.outcome = ImportOutcome.FAILED
        row.error = _reason(error)[:500]


_TIERS = frozenset(CustomerTier.values)
_STATUSES = frozenset(CustomerStatus.values)


# the fields whose few values repeat on every row of a file (a region, an industry, a tier, a status): each
# distinct value is cleaned once (clean_line is a pure function of its text)
_REPEATED = frozenset(("region", "industry", "tier", "status"))
_clean_repeated = lru_cache(maxsize=4096)(clean_line)


def _customer_fields(fields: dict) -> dict | None:
    """What customer_create's cleaning makes of a new customer's fields (one clean line each, no code as
    None), or None when it would refuse them (the service then says why)."""
    cleaned = {key: ((_clean_repeated if key in _REPEATED else clean_line)(value) if isinstance(value, str) else value)
               for key, value in fields.items()}
    cleaned["code"] = cleaned["code"] or None
    if not cleaned["name"] or cleaned["tier"] not in _TIERS or cleaned["status"] not in _STATUSES:
        return None
    return cleaned


def _unsaved(model, values: dict, **related):
    """A new `model` instance holding `values` (every concrete field's attname) and the `related` objects (by
    foreign key name, cached as Model.__init__ caches them), as `model(**values, **related)` would make it
    but without Model.__init__: a chunk builds two a row (a customer and its contact), and __init__'s checks
    and per-field descriptors were a sixth of a commit. The model must have no pre_init/post_init receivers."""
    instance = model.__new__(model)
    attributes = instance.__dict__
    attributes.update(values)
    state = ModelState()
    for name, obj in related.items():
        attributes[model._meta.get_field(name).attname] = obj.pk
        state.fields_cache[name] = obj
    if len(attributes) != len(model._meta.concrete_fields):  # a field not given: its default, as __init__ does
        for field in model._meta.concrete_fields:
            if field.attname not in attributes:
                attributes[field.attname] = field.get_default()
    instance._state = state
    return instance


class _Slow(Exception):
    """The row needs the services one by one (their checks give its exact refusal, or its exact writes)."""


class CustomerChunk:
    """Customer rows written together: what customer_create, customer_update and contact_create would write
    for each row, in row order, but as one bulk insert of customers, one of contacts, one bulk update and
    one audit batch (record_many, the same events under the importing user). The checks those services
    make are made here for the whole chunk at once: the duplicate guard by set lookups of the chunk's
    names and codes (in the database and among the chunk's own new customers), the access check by one
    visible() query. A row that fails any of them, or that the chunk cannot decide (an owner who is no
    active colleague, a contact the importer may not add), is written after the rows before it through
    the services themselves, so its refusal or its records are exactly theirs."""

    def __init__(self, actor, index: RecordIndex):
        from backend.access.policy import Action
        from backend.access.policy.crm import may_create_customers
        from backend.access.policy.registry import EVERYTHING, visibility_q

        self.actor = actor
        self.index = index
        self.may_create = may_create_customers(actor)
        self.changes_every_customer = self.may_create and visibility_q(Customer, actor, Action.CHANGE) is EVERYTHING
        self._reset()

    def _reset(self) -> None:
        self.new_customers: dict[int, Customer] = {}  # temporary (negative) id -> unsaved customer
        self.new_contacts: list[Contact] = []
        self.changed: dict[int, Customer] = {}  # existing customers with filled-in blanks
        self.events: list[tuple] = []  # (event type, object, detail), in row order
        self.done: list[tuple[ImportRow, str, object]] = []  # (row, outcome, customer)
        self.taken_names: set[tuple[str, str]] = set()  # (lower(name), region) of the chunk's new customers
        self.taken_codes: dict[str, object] = {}  # code -> the customer (new or changed) that took it in the chunk

    # --- the chunk's reads, once ---------------------------------------------------------------------

    def _prefetch(self, rows) -> None:
        from django.db.models.functions import Lower

        from backend.access.policy import Action, visible

        names, codes, existing = set(), set(), set()
        for row in rows:
            data = row.data
            if data.get("name"):
                name = clean_line(data["name"])
                names |= {name.lower(), name.translate(_ASCII_LOWER)}
            for code in (data.get("code"),):
                if code:
                    codes.add(clean_line(code))
            pk, _, _ = database_match(ImportEntity.CUSTOMER, data, self.index)
            if pk is not None and pk > 0:
                existing.add(pk)
        self.db_names: set[tuple[str, str]] = set()
        if connection.vendor == "postgresql":
            # one array parameter each: IN lists of 5,000 names and codes cost more to build and send than the
            # queries to answer
            table = connection.ops.quote_name(Customer._meta.db_table)
            connection.ensure_connection()
            with psycopg.Cursor(connection.connection) as cursor, connection.wrap_database_errors:
                cursor.execute(f"SELECT lower(name), region FROM {table} WHERE lower(name) = ANY(%b::text[])",  # noqa: S608
                               [list(names)])
                self.db_names = set(cursor.fetchall())
                cursor.execute(f"SELECT code, id FROM {table} WHERE code = ANY(%b::text[])", [list(codes)])  # noqa: S608
                self.db_codes: dict[str, int] = dict(cursor.fetchall())
        else:
            for start in range(0, len(names), 2000):
                part = list(names)[start:start + 2000]
                self.db_names |= set(Customer.objects.annotate(lower_name=Lower("name"))
                                     .filter(lower_name__in=part).values_list("lower_name", "region"))
            self.db_codes = dict(Customer.objects.filter(code__in=codes).values_list("code", "pk"))
        self.customers: dict[int, Customer] = Customer.objects.in_bulk(existing)
        self.changeable: set[int] = set(visible(self.actor, Customer.objects.filter(pk__in=existing), Action.CHANGE)
                                        .values_list("pk", flat=True)) if existing else set()
        self.with_contacts: set[int] = set(Contact.objects.filter(customer_id__in=existing)
                                           .values_list("customer_id", flat=True).distinct()) if existing else set()

    # --- the rows ------------------------------------------------------------------------------------

    def write(self, rows) -> None:
        rows = list(rows)
        self._prefetch(rows)
        for row in rows:
            if row.decision == ImportDecision.SKIP:
                row.outcome, row.result_id, row.error = ImportOutcome.SKIPPED, None, ""
                continue
            try:
                self._row(row)
            except _Slow:
                # Every check comes before the row plans anything, so nothing of it is half-planned.
                self._flush()
                _write_one(_customer, self.actor, row, self.index)
                if row.result_id:
                    self._reread(row.result_id)
        self._flush()

    def _reread(self, pk: int) -> None:
        """After the services wrote a row: what the chunk's later rows must know of its customer."""
        from backend.access.policy import Action, visible

        customer = Customer.objects.filter(pk=pk).first()
        if customer is None:
            return
        self.customers[pk] = customer
        if visible(self.actor, Customer.objects.filter(pk=pk), Action.CHANGE).exists():
            self.changeable.add(pk)
        if Contact.objects.filter(customer_id=pk).exists():
            self.with_contacts.add(pk)
        if customer.code:
            self.db_codes[customer.code] = pk
        self.db_names.add((customer.name.lower(), customer.region))

    def _row(self, row: ImportRow) -> None:
        data = row.data
        pk, _, _ = database_match(ImportEntity.CUSTOMER, data, self.index)
        if pk is not None and row.decision == ImportDecision.MERGE:
            self._merge(row, pk)
        else:
            self._create(row)

    def _customer_of(self, pk: int) -> Customer:
        if pk < 0:
            return self.new_customers[pk]
        if pk not in self.customers:
            raise _Slow  # found through a key the chunk gave it; the services read it afresh
        return self.customers[pk]

    def _may_change(self, customer: Customer, pk: int) -> bool:
        if pk < 0:
            return self.changes_every_customer or customer.owner_id == self.actor.pk
        return pk in self.changeable

    def _merge(self, row: ImportRow, pk: int) -> None:
        data = row.data
        customer = self._customer_of(pk)
        changes = _fill_blanks(customer, data, ("industry", "code"))
        if changes:
            if not self._may_change(customer, pk):
                raise _Slow
            try:
                fields = customer_services._clean_fields({k: v for k, v in changes.items() if v is not None})
            except DomainError:
                raise _Slow from None
            code = fields.get("code")
            if code and (self.db_codes.get(code, pk) != pk or self.taken_codes.get(code, customer) is not customer):
                raise _Slow  # the code is another customer's: customer_update says whose
            diff = {f: [getattr(customer, f), v] for f, v in fields.items() if getattr(customer, f) != v}
            changes = diff
        added = self._planned_contact(customer, pk, data, new=False)
        if changes:
            for field, (_, value) in changes.items():
                setattr(customer, field, value)
            if changes.get("code"):
                self.taken_codes[changes["code"][1]] = customer
            if pk > 0:
                customer.updated_at = timezone.now()
                self.changed[pk] = customer
            self.index.add_customer(pk, name=customer.name, region=customer.region, code=customer.code)
            self.events.append(("crm.customer.updated", customer, {"changes": changes}))
        if added is not None:
            self._add_contact(customer, pk, added)
        self.done.append((row, ImportOutcome.MERGED if changes or added else ImportOutcome.UNCHANGED, customer))

    def _create(self, row: ImportRow) -> None:
        data = row.data
        if not self.may_create:
            raise _Slow
        owner = self.index.owner(data["owner_id"]) if data.get("owner_id") else None
        owner = owner or self.actor
        if not owner.is_active or owner.role == Role.PORTAL:
            raise _Slow
        try:
            fields = _customer_fields({
                "name": data["name"], "region": data.get("region", ""), "code": data.get("code") or None,
                "industry": data.get("industry", ""), "tier": data.get("tier") or CustomerTier.NORMAL,
                "status": data.get("status") or CustomerStatus.PROSPECT})
        except KeyError:
            raise _Slow from None
        if fields is None:
            raise _Slow
        name, region, code = fields["name"], fields["region"], fields["code"]
        keys = {(name.lower(), region), (name.translate(_ASCII_LOWER), region)}
        if keys & self.db_names or keys & self.taken_names or (code and (code in self.db_codes
                                                                            or code in self.taken_codes)):
            raise _Slow  # the duplicate guard's refusal, with the owner's name, comes from customer_create
        if connection.vendor != "postgresql" and not name.isascii():
            raise _Slow  # SQLite folds only A-Z: customer_create's own check covers the rest
        now = timezone.now()
        customer = _unsaved(Customer, {"id": None, **fields, "owner_since": now, "created_at": now, "updated_at": now},
                            owner=owner)
        pk = self.index.temporary_id()
        contact = self._planned_contact(customer, pk, data, new=True)
        self.new_customers[pk] = customer
        self.taken_names |= keys
        if code:
            self.taken_codes[code] = customer
        self.index.add_customer(pk, name=customer.name, region=customer.region, code=customer.code)
        self.events.append(("crm.customer.created", customer,
                            {"name": customer.name, "region": customer.region, "owner": owner.username}))
        if contact is not None:
            self._add_contact(customer, pk, contact)
        self.done.append((row, ImportOutcome.CREATED, customer))

    def _planned_contact(self, customer: Customer, pk: int, data: dict, *, new: bool):
        """(fields, is_primary) of the contact contact_create would add for the row, or None for none."""
        contact_data = {"name": data.get("contact_name") or "", "phone": data.get("phone", ""),
                        "email": data.get("email", "")}
        if not (contact_data["phone"] or contact_data["email"] or contact_data["name"]):
            return None
        existing, _ = self.index.contact_for(pk, contact_data)
        if existing is not None:
            return None
        if not self._may_change(customer, pk):
            raise _Slow
        fields, errors = customer_services._clean_contact({
            "name": contact_data["name"] or customer.name, "title": data.get("contact_title", ""),
            "email": contact_data["email"], "phone": contact_data["phone"], "is_primary": False,
            "preferred_channel": "", "marketing_opt_out": False})
        if errors:
            raise _Slow
        fields["is_primary"] = new or pk not in self.with_contacts
        return fields

    def _add_contact(self, customer: Customer, pk: int, fields: dict) -> None:
        now = timezone.now()
        contact = _unsaved(Contact, {"id": None, **fields, "created_at": now, "updated_at": now,
                                     "marketing_opt_out_at": None}, customer=customer)
        contact_pk = self.index.temporary_id()
        contact._temporary_id = contact_pk
        self.new_contacts.append(contact)
        self.with_contacts.add(pk)
        self.index.add_contact(contact_pk, customer_id=pk, name=contact.name, phone=contact.phone,
                               email=contact.email)
        self.events.append(("crm.contact.created", contact,
                            {"name": contact.name, "preferred_channel": contact.preferred_channel,
                             "marketing_opt_out": contact.marketing_opt_out}))

    # --- the writes ----------------------------------------------------------------------------------

    def _flush(self) -> None:
        """Write what the rows so far planned: customers, contacts, filled-in blanks, then their audit."""
        if not (self.new_customers or self.new_contacts or self.changed or self.done):
            return
        temporary = list(self.new_customers.items())
        if temporary:
            insert_rows(Customer, [customer for _, customer in temporary])
        settled = {pk: customer.pk for pk, customer in temporary}
        for contact in self.new_contacts:
            contact.customer_id = contact._state.fields_cache["customer"].pk
        if self.new_contacts:
            insert_rows(Contact, self.new_contacts)
        self.index.settle({**settled, **{contact._temporary_id: contact.pk for contact in self.new_contacts}})
        self.with_contacts = {settled.get(pk, pk) for pk in self.with_contacts}
        for temporary_pk, customer in temporary:
            self.customers[customer.pk] = customer
            if self._may_change(customer, temporary_pk):
                self.changeable.add(customer.pk)
            self.db_names.add((customer.name.lower(), customer.region))
            if customer.code:
                self.db_codes[customer.code] = customer.pk
        if self.changed:
            Customer.objects.bulk_update(list(self.changed.values()), ["industry", "code", "updated_at"])
            for customer in self.changed.values():
                if customer.code:
                    self.db_codes[customer.code] = customer.pk
        audit.record_many([
            audit.Entry(event_type, actor=self.actor, target=target,
                        customer_id=target.pk if isinstance(target, Customer) else target.customer_id,
                        detail=detail)
            for event_type, target, detail in self.events], return_events=False)
        for row, outcome, customer in self.done:
            row.outcome, row.result_id, row.error = outcome, customer.pk, ""
        self._reset()


def _reason(error: DomainError) -> str:
    fields = (getattr(error, "extra", None) or {}).get("fields") or {}
    details = "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in fields.items())
    return f"{error} {details}".strip() if details else str(error)


class RecordChunk:
    """Contact or opportunity rows written together: each new record as contact_create or opportunity_create
    would write it (its checks made for the chunk at once: may the importer change the customer, one
    visible() query), inserted in bulk and audited in one batch. A merge, and a row the chunk cannot vouch
    for, is written after the rows before it through the services themselves."""

    writer: Callable

    def __init__(self, actor, index: RecordIndex):
        self.actor = actor
        self.index = index
        self._reset()

    def _reset(self) -> None:
        self.new: list[tuple[int, object]] = []  # (temporary id, unsaved record)
        self.events: list[tuple] = []  # (event type, record, detail), in row order
        self.done: list[tuple[ImportRow, object]] = []

    def write(self, rows) -> None:
        from backend.access.policy import Action, visible

        rows = list(rows)
        ids = {self.index.customer_named(row.data) for row in rows} - {None}
        self.changeable = set(visible(self.actor, Customer.objects.filter(pk__in=ids), Action.CHANGE)
                              .values_list("pk", flat=True)) if ids else set()
        for row in rows:
            if row.decision == ImportDecision.SKIP:
                row.outcome, row.result_id, row.error = ImportOutcome.SKIPPED, None, ""
                continue
            try:
                self._plan(row)
            except _Slow:
                self._flush()
                _write_one(type(self).writer, self.actor, row, self.index)
        self._flush()

    def _customer_id(self, row: ImportRow) -> int:
        customer_id = self.index.customer_named(row.data)
        if customer_id is None or customer_id not in self.changeable:
            raise _Slow  # the services say there is no such customer, or refuse (and record the refusal)
        return customer_id

    def _add(self, record, event_type: str, detail: dict, row: ImportRow) -> int:
        pk = self.index.temporary_id()
        self.new.append((pk, record))
        self.events.append((event_type, record, detail))
        self.done.append((row, record))
        return pk

    def _flush(self) -> None:
        if not self.new:
            return
        records = [record for _, record in self.new]
        insert_rows(type(records[0]), records)
        self.index.settle({pk: record.pk for pk, record in self.new})
        self._after_insert(records)
        audit.record_many([audit.Entry(event_type, actor=self.actor, target=record, customer_id=record.customer_id,
                                       detail=detail) for event_type, record, detail in self.events],
                          return_events=False)
        for row, record in self.done:
            row.outcome, row.result_id, row.error = ImportOutcome.CREATED, record.pk, ""
        self._reset()

    def _after_insert(self, records: list) -> None:
        pass


class ContactChunk(RecordChunk):
    writer = staticmethod(_contact)

    def _plan(self, row: ImportRow) -> None:
        data = row.data
        customer_id = self._customer_id(row)
        pk, _ = self.index.contact_for(customer_id, data)
        if pk is not None and row.decision == ImportDecision.MERGE:
            raise _Slow
        fields, errors = customer_services._clean_contact({
            "name": data["name"], "title": data.get("title", ""), "email": data.get("email", ""),
            "phone": data.get("phone", ""), "is_primary": False, "preferred_channel": "",
            "marketing_opt_out": False})
        if errors:
            raise _Slow
        now = timezone.now()
        contact = Contact(customer_id=customer_id, **fields, created_at=now, updated_at=now, marketing_opt_out_at=None)
        pk = self._add(contact, "crm.contact.created", {"name": contact.name, "preferred_channel": "",
                                                        "marketing_opt_out": False}, row)
        self.index.add_contact(pk, customer_id=customer_id, name=contact.name, phone=contact.phone,
                               email=contact.email)


class OpportunityChunk(RecordChunk):
    writer = staticmethod(_opportunity)

    def _plan(self, row: ImportRow) -> None:
        from backend.crm.imports.cleaning import name_key
        from backend.crm.models import DEFAULT_PROBABILITY, OPEN_STAGES, Currency
        from backend.crm.services.common import money
        from backend.crm.services.opportunity_reached import funnel_step

        data = row.data
        customer_id = self._customer_id(row)
        if (customer_id, name_key(data["title"])) in self.index.opportunity_by_title:
            raise _Slow  # a merge, or a second deal of that title: the services, one by one
        title = (data.get("title") or "").strip()
        stage = data.get("stage") or Stage.LEAD
        if not title or stage not in OPEN_STAGES or data["currency"] not in Currency.values:
            raise _Slow
        try:
            amount = money(Decimal(data.get("amount") or "0"), field="amount")
            expected = dt.date.fromisoformat(data["expected_close"]) if data.get("expected_close") else None
        except (DomainError, ArithmeticError, ValueError):
            raise _Slow from None
        probability = DEFAULT_PROBABILITY[Stage(stage)]
        now = timezone.now()
        opportunity = Opportunity(customer_id=customer_id, title=title, amount=amount, currency=data["currency"],
                                  expected_close=expected, owner=self.actor, stage=stage, probability=probability,
                                  created_at=now, updated_at=now, reached_stage=funnel_step(stage))
        pk = self._add(opportunity, "crm.opportunity.created",
                       {"title": title, "amount": str(amount), "currency": data["currency"], "stage": stage,
                        "probability": probability, "competitors": []}, row)
        self.index.add_opportunity(pk, customer_id=customer_id, title=title)

    def _after_insert(self, records: list) -> None:
        insert_rows(OpportunityStageChange, [
            OpportunityStageChange(opportunity_id=record.pk, from_stage="", to_stage=record.stage,
                                   changed_by=self.actor, changed_at=record.created_at) for record in records])


CHUNKS = {ImportEntity.CUSTOMER: CustomerChunk, ImportEntity.CONTACT: ContactChunk,
          ImportEntity.OPPORTUNITY: OpportunityChunk}
