"""The commit of a customer file in chunks (bulk inserts, one audit batch per chunk): it must write and audit
exactly what the CRM services one row at a time write, leave the audit chain intact, report its progress per
chunk, and leave the chunks before an interruption committed so that running it again finishes the rest."""

from __future__ import annotations

import pytest
from django.db import transaction

from backend.audit.models import AuditEvent
from backend.audit.selectors import audit_chain_verify
from backend.crm.imports import runs
from backend.crm.models import Customer, ImportDecision, ImportOutcome, ImportRow, ImportRunStatus

pytestmark = pytest.mark.django_db

# Row 2 and 3: a new customer and its repeat (which fills in the code); 4: the customer the database has
# (the repeat fills in its code and industry and adds a contact); 5: owned by a named rep; 6: a row forced
# to "create" though the customer exists (refused by the duplicate guard); 7: a contact with an e-mail only.
FILE = (
    "客户名称,地区,税号,行业,负责人,联系人,电话,邮箱\n"
    "甲精密有限公司,江苏,,机械,,张三,13800000001,zs@jia.cn\n"
    "甲精密有限公司 ,江苏,91320000JIA0001,,,,,\n"
    "上海华东精密机械有限公司,上海,91310000HD00001,制造,,李四,13900000002,\n"
    "乙公司,浙江,,,wang.fang,王五,,ww@yi.cn\n"
    "上海华东精密机械有限公司,上海,,,,,,\n"
    "丙公司,广东,,,,,,bing@bing.cn\n"
).encode()


def _summary(run) -> dict:
    """What an import wrote, without ids: the records, the rows' outcomes and the audit events, in order."""
    customers = sorted(
        (c.name, c.region, c.code, c.industry, c.owner.username,
         sorted((k.name, k.phone, k.email, k.is_primary) for k in c.contacts.all()))
        for c in Customer.objects.select_related("owner").prefetch_related("contacts"))
    rows = [(row.number, row.outcome, row.error) for row in ImportRow.objects.filter(run=run).order_by("number")]
    events = [(e.event_type, e.actor_label, e.outcome, e.target_type, e.target_label,
               {k: v for k, v in e.detail.items() if k not in ("report",)})
              for e in AuditEvent.objects.filter(event_type__startswith="crm.").exclude(
                  event_type__startswith="crm.import.").order_by("id")]
    return {"customers": customers, "rows": rows, "events": events}


def _import(actor, *, one_by_one: bool, chunk: int = 1000):
    run = runs.import_run_analyse(actor=actor, entity="customer", filename="c.csv", data=FILE)
    runs.import_rows_decide(actor=actor, run=run, decisions={6: ImportDecision.CREATE})
    run = runs.import_run_commit(actor=actor, run=run, one_by_one=one_by_one, chunk=chunk)
    return run, _summary(run)


@pytest.mark.parametrize("importer", ["admin", "colleague"])
def test_a_chunk_writes_and_audits_what_the_services_write_row_by_row(people, settings, importer):
    # given the file, imported once row by row through the services (then undone) and once in chunks;
    # a colleague (sales, allowed to import here) may not change the existing customer nor add contacts to
    # a customer someone else owns, and is refused there as the services refuse
    settings.IMPORT_ROLES = ["admin", "sales"]
    actor = people[importer]
    with transaction.atomic():
        undo = transaction.savepoint()
        _, one_by_one = _import(actor, one_by_one=True)
        transaction.savepoint_rollback(undo)

    # when it is committed in chunks
    run, chunked = _import(actor, one_by_one=False, chunk=3)

    # then the same records, outcomes and audit events (same types, actor, targets and details, in the same
    # order) were written, and the chain verifies
    assert chunked == one_by_one
    assert run.status == ImportRunStatus.COMMITTED
    assert audit_chain_verify().ok
    if importer == "admin":
        outcomes = {number: outcome for number, outcome, _ in chunked["rows"]}
        assert outcomes == {2: "created", 3: "merged", 4: "merged", 5: "created", 6: "failed", 7: "created"}
        jia = Customer.objects.get(name="甲精密有限公司")
        assert jia.code == "91320000JIA0001" and jia.contacts.get().is_primary
        assert "already exists" in ImportRow.objects.get(run=run, number=6).error


def test_the_chunks_audit_every_record_under_the_importer(people):
    # given the file committed in chunks by the administrator
    run, summary = _import(people["admin"], one_by_one=False, chunk=2)

    # then each created or merged record has its event, recorded under the importer
    kinds = [(event_type, actor) for event_type, actor, *_ in summary["events"]]
    assert kinds == [
        ("crm.customer.created", "wu.lei"), ("crm.contact.created", "wu.lei"),  # row 2
        ("crm.customer.updated", "wu.lei"),  # row 3 fills in the code
        ("crm.customer.updated", "wu.lei"), ("crm.contact.created", "wu.lei"),  # row 4
        ("crm.customer.created", "wu.lei"), ("crm.contact.created", "wu.lei"),  # row 5
        ("crm.customer.created", "wu.lei"), ("crm.contact.created", "wu.lei"),  # row 7
    ]
    created = AuditEvent.objects.filter(event_type="crm.customer.created", target_label="乙公司").get()
    assert created.detail == {"name": "乙公司", "region": "浙江", "owner": "wang.fang"}
    assert created.customer_id == int(created.target_id) == Customer.objects.get(name="乙公司").pk


def test_progress_follows_each_chunk_and_an_interrupted_commit_resumes(people):
    # given a run whose commit dies after its first chunk (the progress report is the last thing a chunk does)
    admin = people["admin"]
    run = runs.import_run_analyse(actor=admin, entity="customer", filename="c.csv", data=FILE)
    seen = []

    def dies_after_the_first_chunk(done, total):
        seen.append((done, total))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runs.import_run_commit(actor=admin, run=run, progress=dies_after_the_first_chunk, chunk=4)

    # then the first chunk's rows and records are committed and the run is left importing
    run.refresh_from_db()
    assert seen == [(4, 6)] and (run.status, run.done) == (ImportRunStatus.COMMITTING, 4)
    written = dict(ImportRow.objects.filter(run=run).values_list("number", "outcome"))
    assert [written[n] for n in (2, 3, 4, 5)] != [ImportOutcome.PENDING] * 4
    assert (written[6], written[7]) == (ImportOutcome.PENDING, ImportOutcome.PENDING)
    assert Customer.objects.filter(name="乙公司").exists() and not Customer.objects.filter(name="丙公司").exists()

    # when it is committed again
    progress = []
    run = runs.import_run_commit(actor=admin, run=run, progress=lambda done, total: progress.append((done, total)),
                                 chunk=4)

    # then only the rest was written, once
    assert progress == [(6, 6)] and run.status == ImportRunStatus.COMMITTED
    assert run.report["outcomes"] == {"created": 3, "merged": 2, "unchanged": 1}
    assert Customer.objects.filter(name="甲精密有限公司").count() == 1
    assert AuditEvent.objects.filter(event_type="crm.customer.created").count() == 3
    assert audit_chain_verify().ok


CONTACTS = (
    "customer,name,title,phone,email\n"
    "上海华东精密机械有限公司,赵六,采购经理,021-5555 1234,zhao@huadong.cn\n"
    "上海华东精密机械有限公司,赵六,,,zhao@huadong.cn\n"  # the same person again: merged (nothing new)
    "上海华东精密机械有限公司,孙七,工程师,13700000007,\n"
    "不存在的公司,钱七,,,\n"
    "其他公司,周八,,,\n"  # a customer the importer may not change
).encode()
DEALS = (
    "客户,商机名称,金额,阶段,预计成交日期\n"
    "上海华东精密机械有限公司,二期产线,\"¥1,200,000\",报价,2027年3月1日\n"
    "上海华东精密机械有限公司,二期产线,,,\n"  # the same deal again
    "上海华东精密机械有限公司,三期,500,,\n"
    "其他公司,外单,1,,\n"
).encode()


def _records_summary(run) -> dict:
    from backend.crm.models import Contact, Opportunity

    contacts = sorted((c.customer.name, c.name, c.title, c.phone, c.email, c.is_primary)
                      for c in Contact.objects.select_related("customer"))
    deals = sorted((o.customer.name, o.title, str(o.amount), o.stage, str(o.expected_close), o.owner.username,
                    [(h.from_stage, h.to_stage, h.changed_by.username) for h in o.stage_history.all()])
                   for o in Opportunity.objects.select_related("customer", "owner"))
    return {**_summary(run), "contacts": contacts, "deals": deals}


@pytest.mark.parametrize("entity, data", [("contact", CONTACTS), ("opportunity", DEALS)])
def test_contact_and_deal_chunks_write_and_audit_what_the_services_write(people, settings, entity, data):
    # given a file of contacts or deals for the customer the owner may change and for one they may not
    from tests.crm.factories import CustomerFactory

    settings.IMPORT_ROLES = ["admin", "sales"]
    CustomerFactory(name="其他公司", region="北京", owner=people["outsider"])
    owner = people["owner"]

    def imported(one_by_one: bool):
        run = runs.import_run_analyse(actor=owner, entity=entity, filename="f.csv", data=data)
        run = runs.import_run_commit(actor=owner, run=run, one_by_one=one_by_one, chunk=2)
        return run, _records_summary(run)

    with transaction.atomic():
        undo = transaction.savepoint()
        _, one_by_one = imported(True)
        transaction.savepoint_rollback(undo)

    # when it is committed in chunks
    run, chunked = imported(False)

    # then the same records, outcomes and events were written, and the chain verifies
    assert chunked == one_by_one
    assert audit_chain_verify().ok
    outcomes = [outcome for _, outcome, _ in chunked["rows"]]
    assert outcomes.count("created") == 2 and "failed" in outcomes


def _columns(model, order_by: str) -> list[dict]:
    """Every stored column of `model`'s rows but ids and timestamps (the customer named instead of its id)."""
    skip = {"id", "customer_id", "owner_since", "created_at", "updated_at"}
    rows = []
    for record in model.objects.order_by(order_by):
        values = {f.attname: getattr(record, f.attname) for f in model._meta.concrete_fields if f.attname not in skip}
        if hasattr(record, "customer_id"):
            values["customer"] = record.customer.name
        rows.append(values)
    return rows


def test_a_chunks_records_hold_every_column_the_services_write(people):
    # given the file committed row by row through the services (then undone)
    from backend.crm.models import Contact

    admin = people["admin"]
    with transaction.atomic():
        undo = transaction.savepoint()
        _import(admin, one_by_one=True)
        expected = (_columns(Customer, "name"), _columns(Contact, "name"))
        transaction.savepoint_rollback(undo)

    # when it is committed in chunks (the chunk builds its customers and contacts without Model.__init__)
    _import(admin, one_by_one=False, chunk=3)

    # then every column of every customer and contact is what the services stored, and the events' targets
    # point at the records written
    assert (_columns(Customer, "name"), _columns(Contact, "name")) == expected
    for event in AuditEvent.objects.filter(event_type__in=["crm.customer.created", "crm.contact.created"]):
        model = Customer if event.event_type == "crm.customer.created" else Contact
        record = model.objects.get(pk=int(event.target_id))
        assert event.target_label == record.name
        assert event.customer_id == (record.pk if model is Customer else record.customer_id)


def test_a_chunk_of_skipped_rows_saves_their_outcomes(people):
    # given a run whose every row is set to skip
    admin = people["admin"]
    run = runs.import_run_analyse(actor=admin, entity="customer", filename="c.csv", data=FILE)
    runs.import_rows_decide_where(actor=admin, run=run, issue="all", decision=ImportDecision.SKIP)
    customers, events = Customer.objects.count(), AuditEvent.objects.filter(event_type__startswith="crm.customer").count()

    # when it is committed in chunks (the outcomes go in as one UPDATE of arrays whose results are all empty)
    run = runs.import_run_commit(actor=admin, run=run, chunk=4)

    # then every row is skipped, with no result, and nothing was written
    assert run.report["outcomes"] == {"skipped": 6}
    assert set(ImportRow.objects.filter(run=run).values_list("outcome", "result_id", "error")) == {
        (ImportOutcome.SKIPPED, None, "")}
    assert Customer.objects.count() == customers
    assert AuditEvent.objects.filter(event_type__startswith="crm.customer").count() == events
