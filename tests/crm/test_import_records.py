"""Importing customers, contacts, products and opportunities from old spreadsheets (seed 004): a dirty GBK
CSV and an XLSX made here, the dry run's cleaning report, per-row decisions, the commit through the CRM's
services (audited under the importing user), and a re-run of the same file that changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from backend.audit.models import AuditEvent
from backend.common.errors import NotFound
from backend.crm.imports import runs
from backend.crm.models import (
    Contact, Customer, ImportDecision, ImportOutcome, ImportRow, ImportRunStatus, Opportunity, Product,
)

pytestmark = pytest.mark.django_db

DIRTY_CUSTOMERS = (
    "客户名称,地区,税号,行业,负责人,联系人,电话,邮箱\r\n"
    "ＡＢＣ精密（苏州）有限公司,江苏,91320500MA1X0001,机械,wang.fang,李明,138 0013 8000, li@ABC.cn \r\n"
    "ABC精密(苏州)有限公司 ,江苏　,,,,,,\r\n"
    "上海华东精密机械有限公司,上海,,,,,,\r\n"
    "新客户甲,北京,,,nobody,张三,12345,bad@@x\r\n"
    ",广东,,,,,,\r\n"
    "乙公司,广东,,,,王五,+86 138-0013-8000,\r\n"
)


def _gbk_file() -> bytes:
    return DIRTY_CUSTOMERS.encode("gbk")


def _rows(run) -> dict[int, ImportRow]:
    return {row.number: row for row in ImportRow.objects.filter(run=run)}


def _crm_events():
    return AuditEvent.objects.filter(event_type__startswith="crm.customer.").exclude(
        event_type="crm.customer.viewed")


def test_the_dry_run_of_a_dirty_gbk_file_reports_what_it_found_and_writes_no_record(people):
    # given a GBK CSV with full-width names, duplicates in the file and against the database, bad
    # phones and e-mails, an unknown owner and a row without a name
    admin = people["admin"]
    before = Customer.objects.count()

    # when the administrator runs the dry run
    run = runs.import_run_analyse(actor=admin, entity="customer", filename="老客户.csv", data=_gbk_file())

    # then the encoding was detected, every column found by its Chinese header, and the report counts it
    assert run.encoding == "gb18030"
    assert {"name", "region", "code", "owner", "phone", "email"} <= set(run.mapping)
    issues = run.report["issues"]
    assert run.report["rows"] == 6
    assert issues["duplicate_in_file"] == 2  # the half-width spelling, and the same phone number
    assert issues["duplicate_in_database"] == 1
    assert (issues["invalid_phone"], issues["invalid_email"], issues["unknown_owner"], issues["missing"]) == (1, 1, 1, 1)
    assert issues["normalised"] >= 2
    rows = _rows(run)
    assert rows[2].data["name"] == "ABC精密(苏州)有限公司"  # full-width folded to half-width
    assert (rows[2].data["phone"], rows[2].data["email"]) == ("13800138000", "li@abc.cn")
    assert rows[3].match == {"in": "file", "row": 2}
    assert rows[4].match["in"] == "database" and rows[4].match["id"] == people["customer"].pk
    assert rows[7].match["row"] == 2  # +86 138-0013-8000 is row 2's phone
    decisions = {number: row.decision for number, row in rows.items()}
    assert decisions == {2: "create", 3: "merge", 4: "merge", 5: "create", 6: "skip", 7: "merge"}
    # and nothing but the run was written
    assert Customer.objects.count() == before
    assert AuditEvent.objects.filter(event_type="crm.import.analysed", actor=admin).count() == 1


def test_the_commit_creates_and_merges_under_the_importer_and_a_rerun_changes_nothing(people):
    # given the dry run of the dirty file
    admin = people["admin"]
    run = runs.import_run_analyse(actor=admin, entity="customer", filename="老客户.csv", data=_gbk_file())
    seen = []

    # when it is committed
    run = runs.import_run_commit(actor=admin, run=run, progress=lambda done, total: seen.append((done, total)))

    # then the new customers exist (one owned by the named rep, one by the importer for the unknown owner),
    # with their contacts, each created through the services and audited under the importer
    assert run.status == ImportRunStatus.COMMITTED and seen[-1] == (6, 6)
    abc = Customer.objects.get(name="ABC精密(苏州)有限公司", region="江苏")
    assert (abc.owner, abc.code) == (people["owner"], "91320500MA1X0001")
    assert list(abc.contacts.values_list("name", "phone", "email")) == [("李明", "13800138000", "li@abc.cn")]
    new = Customer.objects.get(name="新客户甲")
    assert new.owner == admin
    assert list(new.contacts.values_list("phone", "email")) == [("", "")]  # the invalid ones left out
    outcomes = run.report["outcomes"]
    assert outcomes == {"created": 2, "unchanged": 3, "skipped": 1}
    created = AuditEvent.objects.filter(event_type="crm.customer.created", actor=admin)
    assert set(created.values_list("target_id", flat=True)) == {str(abc.pk), str(new.pk)}
    assert AuditEvent.objects.filter(event_type="crm.import.committed", actor=admin).count() == 1

    # when the same file is imported again
    customers, contacts, events = Customer.objects.count(), Contact.objects.count(), _crm_events().count()
    again = runs.import_run_analyse(actor=admin, entity="customer", filename="老客户.csv", data=_gbk_file())
    assert again.report["previous_run"] == run.pk
    again = runs.import_run_commit(actor=admin, run=again)

    # then nothing changed
    assert again.report["outcomes"] == {"unchanged": 5, "skipped": 1}
    assert (Customer.objects.count(), Contact.objects.count(), _crm_events().count()) == (customers, contacts, events)


def test_per_row_decisions_skip_a_row_and_the_duplicate_guard_refuses_a_forced_create(people):
    # given the dry run, with the row that duplicates an existing customer set to "create" and the new
    # customer set to "skip"
    admin = people["admin"]
    run = runs.import_run_analyse(actor=admin, entity="customer", filename="old.csv", data=_gbk_file())
    changed = runs.import_rows_decide(actor=admin, run=run, decisions={4: ImportDecision.CREATE, 5: ImportDecision.SKIP})
    assert changed == 2

    # when it is committed
    run = runs.import_run_commit(actor=admin, run=run)

    # then the customers' own duplicate guard refused the forced create (the row lists why), and the
    # skipped row wrote nothing
    rows = _rows(run)
    assert rows[4].outcome == ImportOutcome.FAILED and "already exists" in rows[4].error
    assert rows[5].outcome == ImportOutcome.SKIPPED
    assert not Customer.objects.filter(name="新客户甲").exists()
    assert AuditEvent.objects.filter(event_type="crm.import.decided", actor=admin).count() == 1


def test_only_importers_may_import_and_a_run_is_its_importers_own(people, settings):
    # given a sales rep, and a run of the administrator's
    run = runs.import_run_analyse(actor=people["admin"], entity="customer", filename="a.csv", data=_gbk_file())

    # then the rep may neither start an import nor commit the administrator's run
    with pytest.raises(NotFound):
        runs.import_run_analyse(actor=people["owner"], entity="customer", filename="a.csv", data=_gbk_file())
    settings.IMPORT_ROLES = ["admin", "sales"]
    with pytest.raises(NotFound):
        runs.import_run_commit(actor=people["owner"], run=run)


def test_an_xlsx_of_products_with_full_width_prices_imports_once(people, settings):
    # given a spreadsheet of products (English headers, a full-width price, a code repeated in lower case)
    from openpyxl import Workbook

    settings.PRODUCT_CATALOGUE_ROLES = ["admin"]
    book = Workbook()
    sheet = book.active
    sheet.append(["Product code", "Name", "English name", "List price", "Currency"])
    sheet.append(["QH-100", "数控车床", "CNC lathe", "１２,０００", "RMB"])
    sheet.append(["qh-100", "数控车床", "", 12000, "CNY"])
    sheet.append(["QH-200", "加工中心", "Machining centre", "abc", "USD"])
    buffer = io.BytesIO()
    book.save(buffer)

    # when it is imported
    run = runs.import_run_analyse(actor=people["admin"], entity="product", filename="products.xlsx",
                                  data=buffer.getvalue())
    assert run.encoding == "xlsx"
    assert run.report["issues"]["duplicate_in_file"] == 1 and run.report["issues"]["invalid_number"] == 1
    run = runs.import_run_commit(actor=people["admin"], run=run)

    # then one lathe exists at 12,000 CNY; the machining centre without a price was skipped
    lathe = Product.objects.get(code="QH-100")
    assert (lathe.list_price, lathe.currency, lathe.name_en) == (Decimal("12000.00"), "CNY", "CNC lathe")
    assert not Product.objects.filter(code="QH-200").exists()
    assert run.report["outcomes"] == {"created": 1, "unchanged": 1, "skipped": 1}

    # and a second import of the same spreadsheet changes nothing
    again = runs.import_run_commit(actor=people["admin"], run=runs.import_run_analyse(
        actor=people["admin"], entity="product", filename="products.xlsx", data=buffer.getvalue()))
    assert again.report["outcomes"] == {"unchanged": 2, "skipped": 1}


def test_contacts_and_opportunities_find_their_customer_by_name(people):
    # given contacts and deals of the existing customer, and one of a customer nobody knows
    admin = people["admin"]
    contacts = ("customer,name,title,phone,email\n"
                "上海华东精密机械有限公司,赵六,采购经理,021-5555 1234,zhao@huadong.cn\n"
                "不存在的公司,钱七,,,\n").encode()
    deals = ("客户,商机名称,金额,阶段,预计成交日期\n"
             "上海华东精密机械有限公司,二期产线,\"¥1,200,000\",报价,2027年3月1日\n").encode()

    # when both are imported
    contact_run = runs.import_run_commit(actor=admin, run=runs.import_run_analyse(
        actor=admin, entity="contact", filename="contacts.csv", data=contacts))
    deal_run = runs.import_run_commit(actor=admin, run=runs.import_run_analyse(
        actor=admin, entity="opportunity", filename="deals.csv", data=deals))

    # then the contact and the deal belong to the customer, the unknown customer's row was skipped
    contact = Contact.objects.get(name="赵六")
    assert (contact.customer, contact.phone, contact.title) == (people["customer"], "02155551234", "采购经理")
    assert contact_run.report["issues"]["unknown_customer"] == 1
    assert contact_run.report["outcomes"] == {"created": 1, "skipped": 1}
    deal = Opportunity.objects.get(title="二期产线")
    assert (deal.customer, deal.amount, deal.stage, str(deal.expected_close)) == (
        people["customer"], Decimal("1200000.00"), "proposal", "2027-03-01")
    assert deal_run.report["outcomes"] == {"created": 1}


def test_the_command_reports_and_commits(people, tmp_path):
    # given the dirty file on disk
    path = tmp_path / "customers.csv"
    path.write_bytes(_gbk_file())
    out = io.StringIO()

    # when the command imports it as the administrator
    call_command("import_records", str(path), "--entity", "customer", "--user", people["admin"].username,
                 stdout=out, stderr=io.StringIO())

    # then it printed the report and the outcomes, and the customers exist
    text = out.getvalue()
    assert '"duplicate_in_file": 2' in text and '"created": 2' in text
    assert Customer.objects.filter(name="新客户甲").exists()


def test_a_file_that_is_not_a_readable_table_is_refused_with_a_reason(people):
    from backend.common.errors import InvalidInput

    # given a "CSV" with a single field far longer than any table's, and bytes that are no text at all
    huge = ("name,region\n\"" + "x" * 200_000 + "\",上海\n").encode()
    # then each is refused with what is wrong, and no run is kept
    with pytest.raises(InvalidInput, match="not a readable CSV table"):
        runs.import_run_analyse(actor=people["admin"], entity="customer", filename="huge.csv", data=huge)
    with pytest.raises(InvalidInput, match="neither UTF-8 nor GBK"):
        runs.import_run_analyse(actor=people["admin"], entity="customer", filename="x.csv", data=b"\xff\xfe\x81\x00\x82")
    from backend.crm.models import ImportRun
    assert not ImportRun.objects.exists()


def test_the_command_takes_a_column_mapping_and_a_dry_run_writes_no_record(people, tmp_path):
    # given a file whose name column has a header nobody guesses
    path = tmp_path / "odd.csv"
    path.write_bytes("Firma,地区\n丙公司,浙江\n".encode())
    out = io.StringIO()

    # when the command maps it by header, as a dry run
    call_command("import_records", str(path), "--entity", "customer", "--user", people["admin"].username,
                 "--map", "name=Firma", "--dry-run", stdout=out, stderr=io.StringIO())

    # then the report shows the mapping and one row to create, and nothing was written
    assert '"name": 0' in out.getvalue() and '"create": 1' in out.getvalue()
    assert not Customer.objects.filter(name="丙公司").exists()


def test_the_command_finishes_a_run_left_importing(people):
    # given a run whose commit stopped after its first batch was marked (a worker that died)
    from backend.crm.models import ImportRun

    run = runs.import_run_analyse(actor=people["admin"], entity="customer", filename="old.csv", data=_gbk_file())
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRunStatus.COMMITTING)
    out = io.StringIO()

    # when the command resumes it
    call_command("import_records", "--resume", str(run.pk), "--user", people["admin"].username, stdout=out,
                 stderr=io.StringIO())

    # then the run is imported, and another user may not resume it
    run.refresh_from_db()
    assert run.status == ImportRunStatus.COMMITTED and '"created": 2' in out.getvalue()
    from django.core.management.base import CommandError
    with pytest.raises(CommandError):
        call_command("import_records", "--resume", str(run.pk), "--user", people["owner"].username,
                     stdout=io.StringIO(), stderr=io.StringIO())
