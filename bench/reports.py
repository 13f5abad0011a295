"""The reports page and its exports at scale: server time (p50, p95) and SQL queries, for an administrator
(everyone's figures), a team manager (a department's) and a rep (their own).

    .venv/bin/python -m bench.reports                     # 10,000 customers, 200,000 orders, 500,000
                                                          # payments, 200,000 expenses (a few minutes)
    .venv/bin/python -m bench.reports --customers 200 --orders 2000 --payments 5000 --expenses 2000 --rounds 2
    .venv/bin/python -m bench.reports --write             # also update BENCHMARKS.md ("reports")

The world is written with COPY into a fresh database: 100 reps in 10 departments (one manager each holds
crm.view_team_figures), customers spread over the reps and 8 regions, orders with one line each over the
last 400 days, 2.5 payments and one invoice per order, approved and submitted expenses, 2 opportunities
with a stage history per customer, activities and service records. Each request goes through Django's
test client (middleware, view, templates, SQL): one warm-up, `--rounds` timed, then one with the queries
captured. The target: p95 ≤ 300 ms for every request; each has a pinned query budget (REQUESTS) that the
tiny-scale test (tests/bench/test_reports.py) holds it to — a report that runs a query per row fails it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from decimal import Decimal

from bench.common import app_database, base_env, cleanup_on_exit, close_django_connections, copy_rows, \
    database_url, django_setup, make_workdir, migrate, reset_sequences
from bench.report import fmt_ms, markdown_table, percentile, write_section

SEED = 20261207
TARGET_P95 = 0.300
QUARTER = "date_from={start}&date_to={end}"

# (key, who, path, pinned query budget)
REQUESTS = (
    ("page_admin", "admin", "/reports/?" + QUARTER, 32),
    ("page_manager", "manager", "/reports/?" + QUARTER, 32),
    ("page_rep", "rep", "/reports/?" + QUARTER, 32),
    ("page_admin_by_product", "admin", "/reports/?by=product&" + QUARTER, 26),
    ("figures_xlsx_admin", "admin", "/reports/figures.xlsx?by=customer&" + QUARTER, 16),
    ("funnel_csv_admin", "admin", "/reports/funnel.csv?" + QUARTER, 11),
    ("lost_csv_admin", "admin", "/reports/lost.csv?" + QUARTER, 14),
)


def seed(*, customers: int, orders: int, payments: int, expenses: int, reps: int = 100, departments: int = 10) -> dict:
    from django.contrib.auth.models import Group, Permission
    from django.db import connection, transaction

    from backend.accounts.models import Department, Role, User
    from backend.crm.models import (
        Activity, Customer, Expense, Invoice, Opportunity, OpportunityStageChange, Order, OrderLine, Payment, Product,
        ServiceRecord,
    )
    from backend.crm.services.order_balances import BALANCE_FIELDS, balance_of
    from backend.crm.services.report_rollups import rollups_rebuild

    rng = random.Random(SEED)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    today = now.date()
    with transaction.atomic():
        depts = []
        for d in range(1, departments + 1):
            group = Group.objects.create(name=f"dept-{d}")
            depts.append(Department.objects.create(code=f"sales-{d}", name=f"销售{d}部", group=group))
        admin = User.objects.create(username="bench.admin", role=Role.ADMIN, display_name="Admin")
        people = [User.objects.create(username=f"rep{r:03d}", display_name=f"代表 {r}", role=Role.SALES,
                                      department=depts[r % departments]) for r in range(reps)]
        permission = Permission.objects.get(codename="view_team_figures")
        managers = [people[d] for d in range(departments)]
        for manager in managers:
            manager.user_permissions.add(permission)
        rep_ids = [p.pk for p in people]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        regions = ("上海", "北京", "广州", "深圳", "苏州", "天津", "成都", "武汉")
        copy_rows(Product, ["id", "code", "name", "list_price", "currency"],
                  [(p, f"P-{p:04d}", f"产品 {p}", Decimal(1000 * p), "CNY") for p in range(1, 51)])
        owner_of = {c: rep_ids[c % reps] for c in range(1, customers + 1)}
        copy_rows(Customer, ["id", "name", "region", "owner_id", "status", "created_at"],
                  ((c, f"客户 {c}", regions[c % len(regions)], owner_of[c], "active",
                    now - dt.timedelta(days=rng.randint(0, 900))) for c in range(1, customers + 1)))
        order_rows, line_rows, invoice_rows = [], [], []
        for o in range(1, orders + 1):
            c = rng.randint(1, customers)
            signed = today - dt.timedelta(days=rng.randint(0, 400))
            currency = "CNY" if o % 10 else "USD"
            amount = Decimal(rng.randint(1_000, 500_000))
            order_rows.append((o, c, f"SO-{o:07d}", owner_of[c], currency, signed, "open" if o % 50 else "cancelled"))
            line_rows.append((o, o, rng.randint(1, 50), Decimal(1), amount, amount))
            issued = signed + dt.timedelta(days=rng.randint(0, 30))
            invoice_rows.append((o, o, f"INV-{o:07d}", amount, issued, issued + dt.timedelta(days=30)))
        # Payments are received after signing and never after today (a payment is recorded when it arrives).
        payment_rows = [(p, (o := rng.randint(1, orders)), Decimal(rng.randint(100, 100_000)),
                         min(order_rows[o - 1][5] + dt.timedelta(days=rng.randint(0, 120)), today), admin.pk)
                        for p in range(1, payments + 1)]
        # Each order's stored balance, as the order, invoice and payment services keep it (one invoice each,
        # payments against no invoice).
        paid_of = {}
        for _p, o, amount, received, _by in payment_rows:
            paid_of.setdefault(o, []).append((amount, received, None))
        balances = {o: balance_of(line[5], [(invoice_rows[o - 1][3], invoice_rows[o - 1][5])], paid_of.get(o, ()))
                    for o, line in enumerate(line_rows, start=1)}
        copy_rows(Order, ["id", "customer_id", "number", "owner_id", "currency", "signed_date", "status",
                          *BALANCE_FIELDS],
                  (row + tuple(balances[row[0]].fields()[name] for name in BALANCE_FIELDS) for row in order_rows))
        copy_rows(OrderLine, ["id", "order_id", "product_id", "quantity", "unit_price", "line_total"], line_rows)
        copy_rows(Invoice, ["id", "order_id", "number", "amount", "issued_on", "due_on"], invoice_rows)
        copy_rows(Payment, ["id", "order_id", "amount", "received_on", "recorded_by_id"], payment_rows)
        copy_rows(Expense, ["id", "submitter_id", "amount", "currency", "spent_on", "category", "region", "customer_id",
                            "status", "decided_by_id", "decided_at"],
                  ((e, rep_ids[e % reps], Decimal(rng.randint(50, 5_000)), "CNY",
                    today - dt.timedelta(days=rng.randint(0, 400)), "travel", regions[e % len(regions)],
                    rng.randint(1, customers), "approved" if e % 5 else "submitted",
                    admin.pk if e % 5 else None, now if e % 5 else None) for e in range(1, expenses + 1)))
        stages = ("lead", "qualification", "proposal", "negotiation", "won", "lost")
        opportunities, changes = [], []
        for c in range(1, customers + 1):
            for k in range(2):
                o = 2 * c - k
                final = rng.choice(stages)
                created = now - dt.timedelta(days=rng.randint(0, 400))
                closed = created + dt.timedelta(days=20) if final in ("won", "lost") else None
                opportunities.append((o, c, f"Deal {o}", Decimal(rng.randint(10, 5000) * 1000), "CNY", owner_of[c],
                                      final, 50, "价格" if final == "lost" else "", created, created, closed))
                path = ["lead"] + [s for s in ("qualification", "proposal", "negotiation") if rng.random() < 0.6]
                if final not in path:
                    path.append(final)
                previous = ""
                for step in path:
                    changes.append((len(changes) + 1, o, previous, step, owner_of[c], created))
                    previous = step
        copy_rows(Opportunity, ["id", "customer_id", "title", "amount", "currency", "owner_id", "stage", "probability",
                                "lost_reason", "created_at", "updated_at", "closed_at"], opportunities)
        copy_rows(OpportunityStageChange, ["id", "opportunity_id", "from_stage", "to_stage", "changed_by_id",
                                           "changed_at"], changes)
        copy_rows(Activity, ["id", "customer_id", "kind", "subject", "occurred_at", "done", "owner_id"],
                  ((a, (c := (a % customers) + 1), ("visit", "call", "email")[a % 3], f"联系 {a}",
                    now - dt.timedelta(days=rng.randint(0, 200)), True, owner_of[c]) for a in range(1, 3 * customers + 1)))
        copy_rows(ServiceRecord, ["id", "customer_id", "product_id", "type", "title", "dispatch_state", "created_by_id",
                                  "created_at", "confirmed_at", "resolved_at", "satisfaction"],
                  ((s, s, rng.randint(1, 50), ("issue", "complaint", "maintenance")[s % 3], f"故障 {s}", "closed",
                    owner_of[s], (t := now - dt.timedelta(days=rng.randint(0, 400))), t + dt.timedelta(hours=3),
                    t + dt.timedelta(hours=30), rng.randint(1, 5)) for s in range(1, customers + 1)))
        reset_sequences(Product, Customer, Order, OrderLine, Invoice, Payment, Expense, Opportunity,
                        OpportunityStageChange, Activity, ServiceRecord)
        # The reports' rollup, as the order, invoice, payment and expense services keep it (and migration crm
        # 0018 fills it): the rows above were copied in, not written through the services.
        rollups_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"customers": customers, "orders": orders, "payments": payments, "expenses": expenses,
            "opportunities": len(opportunities), "reps": reps, "departments": departments,
            "users": {"admin": admin.username, "manager": managers[0].username, "rep": people[departments].username}}


def kept_facts(departments: int = 10) -> dict:
    """The facts of a world seeded earlier (--reuse): its counts and the users seed() made."""
    from backend.accounts.models import User
    from backend.crm.models import Customer, Expense, Opportunity, Order, Payment

    return {"customers": Customer.objects.count(), "orders": Order.objects.count(),
            "payments": Payment.objects.count(), "expenses": Expense.objects.count(),
            "opportunities": Opportunity.objects.count(), "reps": User.objects.filter(username__startswith="rep").count(),
            "departments": departments,
            "users": {"admin": "bench.admin", "manager": "rep000", "rep": f"rep{departments:03d}"}}


def measure(facts: dict, rounds: int, only: list[str] | None = None) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from backend.accounts.models import User
    from backend.crm.selectors.reports import current_quarter

    quarter = current_quarter()
    clients = {}
    for who, username in facts["users"].items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        clients[who] = client
    results = []
    for key, who, path, budget in REQUESTS:
        if only and key not in only:
            continue
        url = path.format(start=quarter.date_from, end=quarter.date_to)
        client = clients[who]

        def get():
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            return response

        status = get().status_code
        times, cpu = [], []
        for _ in range(rounds):
            start, start_cpu = time.perf_counter(), time.process_time()
            get()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        with CaptureQueriesContext(connection) as queries:
            get()
        results.append({"key": key, "who": who, "path": url, "status": status, "p50": percentile(times, 50),
                        "p95": percentile(times, 95), "cpu_p50": percentile(cpu, 50), "queries": len(queries), "budget": budget,
                        "within_budget": len(queries) <= budget, "within_target": percentile(times, 95) <= TARGET_P95})
    return results


def section(facts: dict, results: list[dict], rounds: int) -> str:
    rows = [(r["key"], r["who"], r["status"], fmt_ms(r["p50"]), fmt_ms(r["p95"]), fmt_ms(r["cpu_p50"]),
             f"{r['queries']} / {r['budget']}",
             "yes" if r["within_target"] else "**no**") for r in results]
    return (f"## Reports\n\n`python -m bench.reports --customers {facts['customers']} --orders {facts['orders']} "
            f"--payments {facts['payments']} --expenses {facts['expenses']} --rounds {rounds}`: the reports page and "
            f"its exports through Django's test client, {facts['reps']} reps in {facts['departments']} departments, "
            f"{facts['opportunities']:,} opportunities. Target p95 ≤ {TARGET_P95 * 1000:.0f} ms. Load average "
            f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores.\n\n"
            + markdown_table(["request", "as", "status", "p50", "p95", "CPU p50 (app)", "queries / pinned", "p95 within target"], rows)
            + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--payments", type=int, default=500_000)
    parser.add_argument("--expenses", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--database", help="the database's name (default: bench_reports_PID)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the kept world in --database again: migrated to this code, not seeded")
    parser.add_argument("--only", action="append", help="measure only this request key (repeatable)")
    args = parser.parse_args(argv)
    if args.reuse and not args.database:
        parser.error("--reuse needs --database")
    with cleanup_on_exit() as stack:
        name = args.database or f"bench_reports_{os.getpid()}"
        workdir = make_workdir(stack, "bench-reports-", keep=args.keep)
        if args.reuse:
            env = base_env(database=database_url(name), storage_url=f"file://{workdir / 'store'}", data_dir=workdir)
            migrate(env)  # the code may have moved on since the world was kept (its rollups' backfills run)
            django_setup(env)
            facts = kept_facts()
        else:
            app_database(stack, name, keep=args.keep or bool(args.database),
                         storage_url=f"file://{workdir / 'store'}", data_dir=workdir)
            started = time.perf_counter()
            facts = seed(customers=args.customers, orders=args.orders, payments=args.payments,
                         expenses=args.expenses)
            facts["seed_seconds"] = round(time.perf_counter() - started, 1)
        results = measure(facts, args.rounds, only=args.only)
        close_django_connections()
    text = section(facts, results, args.rounds)
    print(text)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"facts": facts, "results": results}, out, indent=2, default=str)
    if args.write:
        write_section("reports", text)
    return 0 if all(r["status"] == 200 and r["within_budget"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
