"""The announcement form's customer list: written in one pass (PlainSelectMultiple), with the same markup
Django's SelectMultiple gives, so the page reads and posts as before while it renders up to 500 customers."""

from __future__ import annotations

from django import forms
from django.test import SimpleTestCase

from backend.web.forms import AnnouncementForm

CUSTOMERS = [(1, "A&B 有限公司"), (2, "上海精工 <Shanghai>"), (3, "Plain")]


class _Reference(forms.Form):
    customers = forms.TypedMultipleChoiceField(required=False, coerce=int)


def _reference_html(data=None) -> str:
    form = _Reference(data)
    form.fields["customers"].choices = CUSTOMERS
    if data is not None:
        form.is_valid()
    return str(form["customers"])


class PlainSelectMultipleTests(SimpleTestCase):
    def test_a_new_form_lists_every_customer_escaped_none_selected(self):
        # given a form offering three customers, when it renders, then it is Django's own markup
        html = str(AnnouncementForm(customers=CUSTOMERS)["customers"])
        self.assertHTMLEqual(html, _reference_html())
        self.assertIn("A&amp;B", html)
        self.assertIn("&lt;Shanghai&gt;", html)

    def test_a_posted_form_keeps_the_chosen_customers_selected(self):
        # given a post choosing two customers, when it renders again, then those two are selected
        form = AnnouncementForm({"title": "t", "body": "b", "audience": "some", "customers": ["1", "3"]},
                                customers=CUSTOMERS)
        self.assertTrue(form.is_valid())
        self.assertHTMLEqual(str(form["customers"]), _reference_html({"customers": ["1", "3"]}))
        self.assertEqual(form.cleaned_data["customers"], [1, 3])

    def test_an_invalid_list_says_so_to_assistive_technology(self):
        # given "only the customers selected" with none chosen, then the box is marked invalid and described
        form = AnnouncementForm({"title": "t", "body": "b", "audience": "some"}, customers=CUSTOMERS)
        self.assertFalse(form.is_valid())
        html = str(form["customers"])
        self.assertIn('aria-invalid="true"', html)
        self.assertIn('aria-describedby="id_customers_error"', html)


class PlainSelectTests(SimpleTestCase):
    """The console's action filter (every event type) uses the single-choice PlainSelect."""

    CHOICES = [("", "Any action"), ("document.version.downloaded", "Downloaded <file>"), ("x", "X"), ("x", "X again")]

    def test_it_renders_as_djangos_select_for_no_value_a_value_and_an_unknown_one(self):
        from backend.web.forms import PlainSelect

        for value in (None, "", "document.version.downloaded", "x", "nope"):
            # given the same choices and value, then the markup is Django's (one option selected at most)
            mine = PlainSelect(choices=self.CHOICES).render("action", value, {"id": "id_action"})
            django = forms.Select(choices=self.CHOICES).render("action", value, {"id": "id_action"})
            self.assertHTMLEqual(mine, django)
        self.assertEqual(PlainSelect(choices=self.CHOICES).render("action", "x", {}).count(" selected"), 1)

    def test_the_console_filter_form_uses_it(self):
        from backend.web.compliance_forms import AuditFilterForm
        from backend.web.forms import PlainSelect

        form = AuditFilterForm({"action": "x"}, actor=None, event_types=self.CHOICES[1:3])
        self.assertIsInstance(form.fields["action"].widget, PlainSelect)
        self.assertIn('<option value="x" selected>X</option>', str(form["action"]))
