"""The reports page and the targets page: who may open what, the figures a rep or a manager reads, the
CSV and XLSX files (the same numbers as the page, audited), setting a target through the form."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from openpyxl import load_workbook

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.models import OrderLine, SalesTarget
from backend.crm.services.report_rollups import rollups_rebuild
from tests import factories
from tests.crm.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db

PERIOD = "date_from=2026-04-01&date_to=2026-06-30"


@pytest.fixture
def sales():
    east, north = factories.DepartmentFactory(code="east"), factories.DepartmentFactory(code="north")
    rep = factories.UserFactory(username="wang.fang", display_name="王芳", department=east)
    manager = factories.UserFactory(username="chen.jing", display_name="陈静", department=east)
    manager.user_permissions.add(Permission.objects.get(codename="view_team_figures"))
    other = factories.UserFactory(username="zhang.wei", display_name="张伟", department=north)
    admin = factories.UserFactory(username="wu.lei", role=Role.ADMIN)
    product = ProductFactory(code="P1")
    for owner, amount in ((rep, "1234.50"), (other, "9876.00")):
        order = OrderFactory(customer=CustomerFactory(owner=owner), signed_date=dt.date(2026, 4, 10))
        OrderLine.objects.create(order=order, product=product, quantity=Decimal(1), unit_price=Decimal(amount),
                                 line_total=Decimal(amount))
    rollups_rebuild()  # rows written directly: the reports' rollup is kept by the services they bypass
    return {"rep": rep, "manager": manager, "other": other, "admin": admin, "east": east}


def test_the_reports_pages_need_a_signed_in_user(sales):
    for url in ("/reports/", "/reports/figures.csv", "/reports/figures.xlsx", "/reports/targets/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/signin/"), url


def test_a_rep_reads_their_own_figures_not_another_teams(sales):
    page = client_for(sales["rep"]).get(f"/reports/?{PERIOD}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "¥1,234.50" in body and "王芳" in body
    assert "¥9,876.00" not in body and "张伟" not in body
    # the manager of east reads the rep's figures, not north's; the admin both
    manager_page = client_for(sales["manager"]).get(f"/reports/?{PERIOD}").content.decode()
    assert "¥1,234.50" in manager_page and "¥9,876.00" not in manager_page
    assert "¥9,876.00" in client_for(sales["admin"]).get(f"/reports/?{PERIOD}").content.decode()


def test_the_page_in_chinese(sales):
    page = client_for(sales["rep"], language="zh-hans").get(f"/reports/?{PERIOD}")
    assert page.status_code == 200
    assert "销售漏斗" in page.content.decode()


@pytest.mark.parametrize("name", ["figures", "targets", "funnel", "lost", "retention", "visits", "not-contacted",
                                  "service", "won-lost", "receivables"])
def test_every_figure_exports_as_csv_and_xlsx_and_is_audited(sales, name):
    client = client_for(sales["rep"])
    csv_response = client.get(f"/reports/{name}.csv?{PERIOD}")
    xlsx_response = client.get(f"/reports/{name}.xlsx?{PERIOD}")
    assert csv_response.status_code == 200 and xlsx_response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(b"".join(xlsx_response.streaming_content))).active
    assert [cell.value for cell in sheet[1]] == rows[0]
    formats = set(AuditEvent.objects.filter(event_type="crm.report.exported", actor_id=sales["rep"].pk,
                                            target_id=name).values_list("detail__format", flat=True))
    assert formats == {"csv", "xlsx"}


def test_the_files_carry_the_numbers_the_page_shows(sales):
    client = client_for(sales["rep"])
    rows = list(csv.reader(io.StringIO(b"".join(client.get(f"/reports/figures.csv?{PERIOD}").streaming_content)
                                       .decode("utf-8-sig"))))
    assert rows[0][:4] == ["rep", "currency", "orders signed", "sales"]
    assert rows[1][:4] == ["王芳", "CNY", "1", "1234.50"]
    sheet = load_workbook(io.BytesIO(b"".join(client.get(f"/reports/figures.xlsx?{PERIOD}").streaming_content))).active
    assert [cell.value for cell in sheet[2]][:4] == ["王芳", "CNY", 1, 1234.5]


def test_unknown_figures_and_formats_are_404(sales):
    client = client_for(sales["rep"])
    assert client.get("/reports/salaries.csv").status_code == 404
    assert client.get("/reports/salaries.xlsx").status_code == 404


def test_the_targets_page_is_for_admins_and_team_managers(sales):
    assert client_for(sales["rep"]).get("/reports/targets/").status_code == 404
    assert client_for(sales["manager"]).get("/reports/targets/").status_code == 200
    assert client_for(sales["admin"]).get("/reports/targets/").status_code == 200
    form = {"rep": sales["rep"].pk, "period": "quarter", "starts_on": "2026-04-01", "currency": "CNY",
            "amount": "2469.00"}
    assert client_for(sales["rep"]).post("/reports/targets/", form).status_code == 404

    # when the manager sets the rep's quarter target
    response = client_for(sales["manager"]).post("/reports/targets/", form)

    # then it is saved, audited, and the reports page shows the attainment: 1234.50 of 2469.00 is 50.0%
    assert response.status_code == 302
    target = SalesTarget.objects.get()
    assert AuditEvent.objects.filter(event_type="crm.target.set", actor_id=sales["manager"].pk,
                                     target_id=str(target.pk)).exists()
    page = client_for(sales["rep"]).get(f"/reports/?{PERIOD}").content.decode()
    assert "50.0%" in page
    # a target for another team's rep is refused on the form
    refused = client_for(sales["manager"]).post("/reports/targets/", {**form, "rep": sales["other"].pk})
    assert refused.status_code == 200 and SalesTarget.objects.count() == 1
    # and removing it is audited
    assert client_for(sales["rep"]).post(f"/reports/targets/{target.pk}/remove/").status_code == 404
    assert client_for(sales["manager"]).post(f"/reports/targets/{target.pk}/remove/").status_code == 302
    assert not SalesTarget.objects.exists()
    assert AuditEvent.objects.filter(event_type="crm.target.removed").count() == 1


def test_the_page_takes_a_bounded_number_of_queries(sales, django_assert_max_num_queries):
    client = client_for(sales["admin"])
    with django_assert_max_num_queries(36):
        assert client.get(f"/reports/?{PERIOD}").status_code == 200


def test_the_percent_filter_rounds_half_up_instead_of_cutting_digits():
    from backend.web.templatetags.dossier_ui import percent

    assert percent(2 / 11) == "18.2%"
    assert percent(Decimal("0.0125")) == "1.3%"


def test_numbers_grouped_the_quick_way_read_as_djangos_numberformat_writes_them():
    from django.utils import numberformat

    from backend.web.templatetags.dossier_ui import grouped

    # given ints and Decimals of every sign, size and number of places (the quick way takes the whole ints
    # and the Decimals not negative that already have the places asked; numberformat the others)
    values = [0, 7, -7, 999, 1000, -1234567, 10**20, Decimal("0.00"), Decimal("-0.00"), Decimal("-0.0"),
              Decimal("0.01"), Decimal("999.99"), Decimal("1000.00"), Decimal("1234567.89"), Decimal("-1234567.89"),
              Decimal("18.2"), Decimal("12.345"), Decimal("1E+3"), Decimal("100"), Decimal("0.001"),
              Decimal("99999999999999.99"), Decimal("1" * 199 + ".00"), Decimal("1" * 198 + ".00"), 1.5]
    for value in values:
        for places in (0, 1, 2):
            # then each reads as numberformat writes it, grouped by three with a comma
            assert grouped(value, places, (".", ",", 3)) == numberformat.format(
                value, ".", decimal_pos=places, grouping=3, thousand_sep=",", force_grouping=True), (value, places)


def test_the_charts_counts_read_as_djangos_number_format_writes_them():
    from django.utils import formats, translation

    from backend.web.views.reports import _count

    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value in (None, 0, 7, -7, 999, -999, 1000, 12345, -1234567, Decimal("12.0"), 3.0):
                assert _count(value) == formats.number_format(value or 0, 0, use_l10n=True, force_grouping=True), (
                    language, value)


def test_the_report_tags_localize_as_the_template_did():
    import datetime as dt

    from django.utils import formats, translation
    from django.utils.html import conditional_escape

    from backend.web.templatetags.dossier_reports import _localized

    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value in (0, 7, -7, 999, -999, 1000, 123456, True, Decimal("4.5"), 2.5, dt.date(2026, 5, 1), "<b>"):
                assert _localized(value) == str(conditional_escape(formats.localize(value))), (language, value)


def test_the_report_tags_escape_as_django_does():
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from backend.web.templatetags.dossier_reports import escaped

    # given plain and marked-safe text, text with each character HTML escapes, numbers, None and lazy text
    values = ["上海华东精密", "", "<b>Beijing & Tools</b>", "O'Brien \"Ltd\"", "a > b", mark_safe("<i>safe</i>"),
              17, -3, True, None, Decimal("1.50"), 2.5, gettext_lazy("Rep")]
    for value in values:
        # then each is written as Django's conditional_escape writes it
        assert escaped(value) == conditional_escape(value), repr(value)


def test_the_page_lists_the_largest_groups_and_the_files_hold_them_all(sales):
    # given the rep sold to 52 customers in the quarter
    product = ProductFactory()
    for n in range(52):
        order = OrderFactory(customer=CustomerFactory(owner=sales["rep"]), signed_date=dt.date(2026, 5, 2))
        OrderLine.objects.create(order=order, product=product, quantity=Decimal(1), unit_price=Decimal(100 + n),
                                 line_total=Decimal(100 + n))
    rollups_rebuild()  # rows written directly: the month rollups the figures by customer read are kept by the services
    client = client_for(sales["rep"])

    # when she groups the quarter by customer
    page = client.get(f"/reports/?by=customer&{PERIOD}").content.decode()

    # then the page lists 50 groups and says the other 3 are in the files, which hold all 53
    assert 'data-testid="more-rows"' in page and "And 3 smaller groups" in page
    rows = list(csv.reader(io.StringIO(b"".join(client.get(f"/reports/figures.csv?by=customer&{PERIOD}")
                                                .streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + 53


def test_the_xlsx_file_keeps_numbers_as_numbers_text_as_text_and_formulas_inert(sales):
    # given a customer whose name looks like a formula and holds a control character
    order = OrderFactory(customer=CustomerFactory(owner=sales["rep"], name="=HYPERLINK(\"x\")\x07 上海"),
                         owner=sales["rep"], signed_date=dt.date(2026, 5, 1))
    OrderLine.objects.create(order=order, product=ProductFactory(code="P9"), quantity=Decimal(1),
                             unit_price=Decimal("10.50"), line_total=Decimal("10.50"))
    rollups_rebuild()  # rows written directly: the month rollups the figures by customer read are kept by the services

    # when the rep exports the figures by customer
    response = client_for(sales["rep"]).get(f"/reports/figures.xlsx?by=customer&{PERIOD}")

    # then the workbook opens, the name is text made inert (no control character), the money a number
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    row = rows["'=HYPERLINK(\"x\") 上海"]
    assert row[1] == "CNY" and row[3] == 10.5 and row[2] == 1


def test_names_are_escaped_in_the_rep_picker_and_the_tables_and_the_chosen_rep_is_selected(sales):
    # given a rep whose display name looks like markup
    sales["other"].display_name = '<b>Ann & "Co"</b>'
    sales["other"].save()
    # when the admin reads the page with that rep chosen
    body = client_for(sales["admin"]).get(f"/reports/?{PERIOD}&rep={sales['other'].pk}").content.decode()
    # then the name is text everywhere (picker, figures table, charts), never markup
    assert "<b>Ann" not in body
    escaped = "&lt;b&gt;Ann &amp; &quot;Co&quot;&lt;/b&gt;"
    assert f'<option value="{sales["other"].pk}" selected>{escaped}</option>' in body
    assert f"<td>{escaped}</td>" in body
    # and only that rep's option is selected in the picker
    picker = body[body.index('<select name="rep"'):]
    picker = picker[:picker.index("</select>")]
    assert picker.count(" selected") == 1


def test_names_are_escaped_in_the_targets_not_contacted_and_service_tables(sales):
    # given a rep, a customer and a product whose names look like markup, with quotes of both kinds
    from html import escape

    from backend.crm.selectors.reports import current_quarter
    from tests.crm.factories import ServiceRecordFactory

    rep_name = '<script>alert("rep")</script> O\'Neil & Co'
    customer_name = "<script>alert('customer')</script> \"Quoted\" Ltd"
    product_name = '<i>"Lathe"</i>'
    sales["other"].display_name = rep_name
    sales["other"].save()
    customer = CustomerFactory(owner=sales["other"], name=customer_name)
    SalesTarget.objects.create(rep=sales["other"], period="quarter", starts_on=current_quarter().date_from,
                               currency="CNY", amount=Decimal("1000.00"), set_by=sales["admin"])
    ServiceRecordFactory(customer=customer, product=ProductFactory(code="P<1>", name=product_name))

    # when the admin reads the page (this quarter)
    body = client_for(sales["admin"]).get("/reports/").content.decode()

    # then each name is text in every table it shows in, never markup
    assert "<script>alert" not in body and "<i>" not in body
    rep, name = escape(rep_name), escape(customer_name)
    targets = body[body.index('data-testid="targets"'):body.index('data-testid="funnel"')]
    assert f"<tr><td>{rep}</td>" in targets
    quiet = body[body.index('data-testid="not-contacted-total"'):body.index('data-testid="service"')]
    assert f'<a href="/customers/{customer.pk}/">{name}</a></td><td>{rep}</td>' in quiet
    service = body[body.index('data-testid="service"'):body.index('data-testid="receivables"')]
    assert f"<tr><td>{escape('P<1> ' + product_name)}</td>" in service


def test_the_filter_forms_hand_written_widgets_write_what_djangos_widget_templates_write():
    # given the filter form, bound to a choice and unbound with the defaults, with a name that looks like markup
    import re

    from django import forms

    from backend.web.views.reports import ReportFilterForm

    people = {"reps": [(7, '<b>"Ann" & Co</b>'), (8, "王芳")], "teams": [(3, "East & <North>")]}
    bound = ReportFilterForm({"date_from": "2026-04-01", "by": "team", "rep": "8", "days": "45"}, **people)
    unbound = ReportFilterForm(initial={"date_from": dt.date(2026, 4, 1), "date_to": dt.date(2026, 6, 30),
                                        "by": "rep", "days": 30}, **people)

    def squeezed(html: str) -> str:
        return re.sub(r">\s+<", "><", str(html)).strip()

    for form in (bound, unbound):
        for field in form:
            # when a field is written by its widget, and by Django's own widget template
            widget = field.field.widget
            ours = field.as_widget()
            theirs = forms.Widget.render(widget, field.html_name, field.value(), {"id": field.auto_id})

            # then the markup is the same (whitespace between tags apart)
            assert squeezed(ours) == squeezed(theirs), field.name
    assert '<option value="8" selected>王芳</option>' in str(bound["rep"])
    assert "&lt;b&gt;&quot;Ann&quot; &amp; Co&lt;/b&gt;" in str(unbound["rep"])


def test_each_kind_of_report_value_is_written_to_the_xlsx_as_the_csv_writes_it():
    # (no database: the sheet's rows are written from the report alone)
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from backend.crm.reports import Report
    from backend.web.views.reports import _cells, _xlsx_report_rows

    # given a report whose cells hold a value of every kind the reports produce (and a row missing a column)
    values = [Decimal("12.50"), Decimal("-0.00"), Decimal("NaN"), 7, True, 2.5, float("nan"), None, "",
              "=SUM(A1)", "-12.50", "a <b> & \x07c", mark_safe("<i>x</i>"), gettext_lazy("rep"),
              dt.date(2026, 5, 1), "CNY"]
    columns = [(f"c{i}", f"col {i}") for i in range(len(values))]
    report = Report(name="kinds", params={}, columns=columns,
                    rows=[{key: value for (key, _label), value in zip(columns, values)}, {"c0": Decimal("1.00")}])

    # when its sheet rows are written
    header, full, short = _xlsx_report_rows(report)

    # then each kind is the cell its type asks for: numbers as numbers (NaN empty), a bool a boolean,
    # None and "" empty, formula-looking text inert, text escaped without control characters, dates ISO
    text = '<c t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>'.format
    assert full == "<row>" + "".join([
        "<c><v>12.50</v></c>", "<c><v>-0.00</v></c>", "<c/>", "<c><v>7</v></c>", '<c t="b"><v>1</v></c>',
        "<c><v>2.5</v></c>", "<c/>", "<c/>", "<c/>", text("'=SUM(A1)"),
        text("-12.50"), text("a &lt;b&gt; &amp; c"), text("&lt;i&gt;x&lt;/i&gt;"), text("rep"),
        text("2026-05-01"), text("CNY")]) + "</row>"
    # and a column a row lacks is an empty cell, as in the CSV
    assert short == "<row><c><v>1.00</v></c>" + "<c/>" * (len(values) - 1) + "</row>"
    assert _cells(report)[2] == [Decimal("1.00")] + [""] * (len(values) - 1)
    assert header.startswith('<row><c t="inlineStr"><is><t xml:space="preserve">col 0</t></is></c>')
