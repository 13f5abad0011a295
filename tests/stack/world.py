"""The people of the stack tests, made once in the stack's own database (run in a subprocess with the
stack's environment: `python -m tests.stack.world`). Prints what the tests need as JSON.

Only the setup uses the ORM; the tests themselves talk to the running processes over HTTP.
"""

from __future__ import annotations

import json
import os


def build() -> dict:
    from backend.accounts.models import Role
    from tests.crm.factories import CustomerFactory
    from tests.factories import DepartmentFactory, UserFactory
    from tests.portal_factories import PORTAL_PASSWORD, portal_user

    password = "stack-pass-2026"
    sales = DepartmentFactory(code="sales", name="销售部 Sales")
    other = DepartmentFactory(code="plant", name="工厂 Plant")
    owner = UserFactory(username="wang.fang", display_name="王芳", department=sales, password=password)
    outsider = UserFactory(username="li.lei", display_name="李雷", department=other, password=password)
    compliance = UserFactory(username="zhao.min", display_name="赵敏", role=Role.COMPLIANCE, department=None,
                             password=password)
    customer = CustomerFactory(name="华东精密 Huadong Precision", owner=owner)
    contact = portal_user(customer, email="zhou.jianguo@huadong.example", name="周建国")
    return {
        "password": password,
        "owner": owner.username,
        "outsider": outsider.username,
        "compliance": compliance.username,
        "customer_id": customer.pk,
        "portal_email": contact.email,
        "portal_password": PORTAL_PASSWORD,
    }


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    django.setup()
    print(json.dumps(build()))
