"""Server time of every staff page: p50 and p95, and the number of SQL queries each one runs.

    .venv/bin/python -m bench.pages                          # both scales (demo, then 100,000 documents)
    .venv/bin/python -m bench.pages --scale demo             # the demo world only (~1 min)
    .venv/bin/python -m bench.pages --scale large --docs 10000 --customers 1000 --rounds 5   # a quick look
    .venv/bin/python -m bench.pages --write                  # also update BENCHMARKS.md

Two worlds, each in its own fresh database:

* **demo**: `manage.py seed_demo` (the demo company, written through the real services; its documents
  indexed by tantivy in-process), signed in as its people: 王芳 (sales) for the rep's pages, the
  service manager for the service desk, the compliance officer for the console, the admin for the
  admin's home page, announcements and the whole pipeline.
* **large**: the document list benchmark's corpus (`bench.document_list.seed`: 100,000 documents
  with one version each, 500,000 grants, 1,000 users in 20 departments and 60 teams) with 10,000
  customers, and the CRM around them written with COPY by `seed_crm()` below (2 contacts, 2
  opportunities, 20 quotes of 5 lines, half an order with its lines, an invoice and a payment, a service
  record and 3 activities per customer: 200,000 quotes and 1,000,000 quote lines; 50 announcements,
  2 document links per customer); every version gets a short extracted text and the
  tantivy index is built with `search_reindex`'s code path, so search pages search 100,000 versions.
  The rep is the sales user who owns the most customers.

Each page is requested in-process through Django's test client (middleware, view, templates and SQL;
no network, no WSGI server): one warm-up, then `--rounds` timed requests, then one more with the
queries captured. Pages are measured one after the other; for each one the CPU that processes other
than this one and its PostgreSQL backends used meanwhile is reported ("other load", in cores out of
the machine's), with the 1-minute load average, because the machine is shared.

Every page has a pinned query budget (`PAGES`): the most SQL statements it may run, the count measured
when it was pinned (the larger of the two worlds'). A page that needs more at 100,000 documents than at
the demo runs a query per row somewhere; a change that adds a query to a page updates its budget here,
on purpose. `tests/bench/test_pages.py` runs both worlds at a tiny scale and
holds every page to its budget.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from bench.common import (
    app_database,
    cleanup_on_exit,
    close_django_connections,
    copy_rows,
    make_workdir,
    postgres_backend_pids,
    reset_sequences,
)
from bench.machine import CpuAccount
from bench.report import markdown_table, percentile, write_section

SEED = 20261207
DEMO_TARGET_P95 = 0.100
LARGE_TARGET_P95 = 0.200


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    path: str  # formatted with the world's ids: {document}, {customer}, ...
    user: str  # rep | service | compliance | admin
    budget: int  # pinned: the most SQL queries the page may run
    scales: tuple[str, ...] = ("demo", "large")


# The rep's CRM pages have a tighter target in the large world (issue 15: 10,000 customers, 200,000 quotes,
# 1,000,000 quote lines): p95 ≤ 150 ms.
CRM_PAGES = ("customer", "quote", "quote_editor", "quote_new", "order", "worklog", "worklog_admin")
CRM_LARGE_TARGET_P95 = 0.150


# The staff pages a person opens (GET); each counts one query for the header's unread-notification count.
# Downloads, previews and page images are benchmarked by
# bench/transfer.py and bench/previews.py; POSTs answer with a redirect to one of these.
PAGES: tuple[Page, ...] = (
    # 8: home's document lists join only the valid version and read no tags; the open quotes' totals are
    # summed for the eight shown only
    Page("home", "home (sales rep)", "/", "rep", 8),
    Page("home_admin", "home (admin: system health)", "/", "admin", 8),
    Page("home_compliance", "home (compliance)", "/", "compliance", 7),  # 6 -> 7: the people the refusals and exports name (one query for both lists; none when the trail has neither)
    Page("search_empty", "search, no query", "/search/", "rep", 16),
    Page("search_en", "search, English word", "/search/?q=contract", "rep", 26),
    Page("search_zh", "search, Chinese word", "/search/?q=合同", "rep", 26),
    Page("search_suggest", "header box suggestions", "/search/suggest/?q=co", "rep", 11),
    Page("pick_customer", "picker: customer", "/pick/customer/?q={customer_q}", "rep", 3),
    Page("pick_user", "picker: user", "/pick/user/?q={user_q}", "rep", 3),
    Page("pick_document", "picker: document", "/pick/document/?q={document_q}", "rep", 3),
    Page("document_new", "new document", "/documents/new/", "rep", 3),
    # 17 for an owner; 21 for a rep who sees the document through grants: the page asks the policy about
    # change (once for the whole page, the retention panel included), download and manage, a query each
    Page("document", "document page", "/documents/{document}/", "rep", 21),
    Page("document_access_panel", "document access panel", "/documents/{document}/access-panel/", "rep", 15),
    Page("document_access", "who can access (list)", "/documents/{document}/access/", "rep", 13),
    Page("document_access_log", "document access log", "/documents/{document}/access-log/", "rep", 6),
    Page("document_delete", "delete (confirmation)", "/documents/{document}/delete/", "rep", 7),
    Page("version_compare", "compare versions", "/documents/{compare_document}/compare/", "rep", 16, ("demo",)),
    Page("customers", "customers", "/customers/", "rep", 5),
    Page("customers_admin", "customers (admin, all)", "/customers/", "admin", 5),
    Page("customers_search", "customers, filtered", "/customers/?q={customer_q}", "rep", 5),
    # 23 at the demo, 22 at 100,000 documents: the last accepted prices come from the history's own lines
    Page("customer", "customer page", "/customers/{customer}/", "rep", 23),
    Page("quote", "quote page", "/quotes/{quote}/", "rep", 13),
    Page("quote_editor", "quote editor (a new revision)", "/quotes/{open_quote}/revise/", "rep", 7),
    Page("quote_new", "quote editor (a new quote)", "/quotes/new/?customer={customer}", "rep", 5),
    Page("order", "order page", "/orders/{order}/", "rep", 14),
    # the page's count is the sum of its per-kind counts (no COUNT(*) of its own): 6 and 7
    Page("worklog", "work log (sales rep)", "/worklog/", "rep", 6),
    Page("worklog_admin", "work log (admin, everyone)", "/worklog/", "admin", 7),
    Page("pipeline", "pipeline (sales rep)", "/pipeline/", "rep", 6),
    Page("pipeline_admin", "pipeline (admin, all)", "/pipeline/", "admin", 6),
    # 11: the five states' cards and one count of each state's records (a column shows 30 and says how many more)
    Page("service_desk", "service desk", "/service/", "service", 11),
    # 11 while the record waits for dispatch: the candidate engineers' workload and experience (one query)
    Page("service_record", "service record", "/service/{service_record}/", "service", 11),
    Page("announcements", "announcements", "/announcements/", "admin", 7),
    Page("reports", "reports (sales rep)", "/reports/", "rep", 32),
    Page("reports_admin", "reports (admin)", "/reports/", "admin", 32),
    Page("audit_log", "compliance console", "/compliance/", "compliance", 7),
    Page("audit_user_access", "what did a user access", "/compliance/user-access/?user={rep_id}", "compliance", 8),
    Page("audit_document_access", "who opened a document", "/compliance/document-access/?document={document}",
         "compliance", 18),  # 19 -> 18: the people and the events' actors are named in one query
)


@dataclass
class World:
    """Who signs in and which rows the pages open, in one seeded database."""

    scale: str
    users: dict[str, object]  # role key -> User
    ids: dict[str, object]  # format values for Page.path
    facts: dict[str, object] = field(default_factory=dict)  # counts, for the report


QUIET_CORES = 0.3  # other load under this on every page: a quiet run


@dataclass
class Measured:
    scale: str
    key: str
    label: str
    url: str
    user: str
    status: int
    bytes: int
    queries: int
    budget: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    requests: int
    cpu_ms: float  # CPU per request: this process (client + Django) and its PostgreSQL backend
    sql_ms: float  # the counted request's SQL, as the database driver timed it
    slowest_sql: str  # that request's slowest statement (for EXPLAIN)
    other_cores: float
    load1: float

    @property
    def within_budget(self) -> bool:
        return self.queries <= self.budget


# --- the demo world --------------------------------------------------------------------------------------


def demo_world(facts: dict | None = None) -> World:
    """`seed_demo` in the current database (unless `facts` says a kept one has it); the people and rows its
    pages open."""
    from django.core.management import call_command

    from backend.accounts.models import User

    if facts is None:
        started = time.perf_counter()
        call_command("seed_demo", verbosity=0)
        facts = {"seed_seconds": time.perf_counter() - started, **_counts()}
    users = {key: User.objects.get(username=name) for key, name in
             (("rep", "wang.fang"), ("service", "liu.yang"), ("compliance", "compliance"), ("admin", "admin"))}
    return World("demo", users, _ids(users), facts)


def _ids(users: dict) -> dict:
    """The rows the pages open: the rep's busiest document (most versions, then grants), a document with
    two versions to compare, the rep's customer with the most going on, a service record."""
    from django.db.models import Count

    from backend.access.policy import Action, visible
    from backend.crm.models import Customer, Order, Quote, ServiceRecord
    from backend.documents.models import Document

    rep = users["rep"]
    manageable = visible(rep, Document.objects.all(), Action.MANAGE)
    document = (manageable.annotate(n_grants=Count("documentuserobjectpermission", distinct=True))
                .order_by("-version_count", "-n_grants", "id").first())
    compare = visible(rep, Document.objects.filter(version_count__gte=2), Action.VIEW).order_by("id").first()
    customer = (Customer.objects.filter(owner=rep).annotate(n=Count("opportunities", distinct=True))
                .order_by("-n", "id").first())
    record = visible(users["service"], ServiceRecord.objects.all(), Action.VIEW).order_by("-id").first()
    # the rep's customer's quote with the most lines, an open one to revise, and an order of the rep's
    quotes = Quote.objects.filter(customer__owner=rep).annotate(n=Count("lines"))
    quote = quotes.order_by("-n", "id").first()
    open_quote = quotes.filter(status__in=("draft", "sent")).order_by("-n", "id").first() or quote
    order = (Order.objects.filter(owner=rep).annotate(n=Count("lines", distinct=True))
             .order_by("-n", "id").first())
    return {
        "quote": quote.pk,
        "open_quote": open_quote.pk,
        "order": order.pk,
        "document": document.pk,
        "document_q": document.title[:3],
        "compare_document": (compare or document).pk,
        "customer": customer.pk,
        "customer_q": customer.name[:2],
        "user_q": users["service"].username[:3],
        "service_record": record.pk,
        "rep_id": rep.pk,
    }


def _counts() -> dict:
    from backend.crm.models import Customer, Opportunity, ServiceRecord
    from backend.documents.models import Document, DocumentVersion

    return {"documents": Document.objects.count(), "versions": DocumentVersion.objects.count(),
            "customers": Customer.objects.count(), "opportunities": Opportunity.objects.count(),
            "service_records": ServiceRecord.objects.count()}


# --- the large world -------------------------------------------------------------------------------------


def large_world(*, docs: int, customers: int, users: int, grants: int, text_bytes: int,
                facts: dict | None = None) -> World:
    """The document list benchmark's corpus with `customers` customers, the CRM around them, extracted text
    for every version and the search index over it (unless `facts` says a kept database has them already)."""
    from django.db import connection
    from django.db.models import Count

    from backend.accounts.models import Role, User
    from bench.document_list import seed as seed_documents

    if facts is None:
        started = time.perf_counter()
        seeded = seed_documents(docs=docs, grants=grants, users=users, links=customers * 2, customers=customers)
        crm = seed_crm(customers=customers, users=users, docs=docs)
        seed_texts(docs=docs, text_bytes=text_bytes)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seed_seconds = time.perf_counter() - started
        print(f"  seeded in {seed_seconds:.0f} s; indexing ...", flush=True)
        started = time.perf_counter()
        indexed = build_index()
        index_seconds = time.perf_counter() - started
        facts = {"seed_seconds": seed_seconds, "index_seconds": index_seconds, "indexed": indexed,
                 "grants": seeded.user_grants + seeded.group_grants, "users": users, "text_bytes": text_bytes,
                 **crm, **_counts()}
    rep = (User.objects.filter(role=Role.SALES).annotate(n=Count("owned_customers"))
           .order_by("-n", "id").first())
    people = {
        "rep": rep,
        "service": User.objects.filter(role=Role.SERVICE).order_by("id").first(),
        "compliance": User.objects.filter(role=Role.COMPLIANCE).order_by("id").first(),
        "admin": User.objects.filter(role=Role.ADMIN).order_by("id").first(),
    }
    return World("large", people, _ids(people), facts)


def seed_crm(*, customers: int, users: int, docs: int, quotes_per_customer: int = 20, lines_per_quote: int = 5) -> dict:
    """Contacts, opportunities, quotes with their lines, orders with lines, invoices and payments, service
    records, activities, announcements and document links for customers 1..customers (already written by the
    document list's seed), with COPY. At 10,000 customers: 200,000 quotes and 1,000,000 quote lines."""
    from django.db import connection, transaction

    from backend.accounts.models import User
    from backend.crm.models import (
        Activity, Announcement, Contact, Customer, DocumentLink, Invoice, Opportunity, Order, OrderLine, Payment,
        Product, Quote, QuoteLine, ServiceRecord,
    )

    rng = random.Random(SEED)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    roles = dict(User.objects.values_list("id", "role"))
    owner_of = dict(Customer.objects.values_list("id", "owner_id"))
    service = [u for u, role in roles.items() if role == "service"] or list(roles)
    stages = ("lead", "qualification", "proposal", "negotiation", "won", "lost")
    states = ("not_dispatched", "dispatched", "confirmed", "resolved", "closed")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        copy_rows(Product, ["id", "code", "name", "name_en", "list_price", "currency"],
                  [(p, f"P-{p:04d}", f"产品 {p}", f"Product {p}", Decimal(1000 * p), "CNY") for p in range(1, 51)])
        copy_rows(Contact, ["id", "customer_id", "name", "title", "email", "phone", "is_primary"],
                  ((2 * c - k, c, f"联系人 {c}-{k}", "Buyer", f"c{c}-{k}@example.com", f"+86 21 5555 {c:04d}", k == 1)
                   for c in range(1, customers + 1) for k in (1, 0)))
        opportunities = []
        for c in range(1, customers + 1):
            for k in range(2):
                stage = rng.choice(stages)
                updated = now - dt.timedelta(days=rng.randint(0, 200))
                closed = updated if stage in ("won", "lost") else None
                opportunities.append((2 * c - k, c, f"Deal {c}-{k}", Decimal(rng.randint(10, 5000) * 1000), "CNY",
                                      (now + dt.timedelta(days=rng.randint(-30, 180))).date(), owner_of[c], stage,
                                      rng.choice((10, 25, 50, 75, 90)), updated, updated, closed))
        copy_rows(Opportunity, ["id", "customer_id", "title", "amount", "currency", "expected_close", "owner_id",
                                "stage", "probability", "created_at", "updated_at", "closed_at"], opportunities)
        # customer c's quotes are ids (c-1)*Q+1 .. c*Q, the first of them accepted (its order's quote)
        per = quotes_per_customer
        copy_rows(Quote, ["id", "customer_id", "opportunity_id", "number", "owner_id", "currency", "valid_until",
                          "status", "created_at"],
                  (((c - 1) * per + k, c, 2 * c - k % 2, f"Q-2026-{(c - 1) * per + k:07d}", owner_of[c], "CNY",
                    (now + dt.timedelta(days=30)).date(),
                    "accepted" if k == 1 else rng.choice(("draft", "sent", "accepted", "rejected", "expired")),
                    now - dt.timedelta(days=rng.randint(0, 700)))
                   for c in range(1, customers + 1) for k in range(1, per + 1)))

        def line(product: int) -> tuple:
            quantity, price, discount = Decimal(rng.randint(1, 20)), Decimal(1000 * product), Decimal(rng.choice((0, 0, 5, 10)))
            total = (quantity * price * (100 - discount) / 100).quantize(Decimal("0.01"))
            return product, quantity, price, discount, total

        copy_rows(QuoteLine, ["quote_id", "product_id", "quantity", "unit_price", "discount_percent", "line_total"],
                  ((q, *line(rng.randint(1, 50))) for q in range(1, customers * per + 1)
                   for _ in range(lines_per_quote)))
        orders = [(o, c, f"SO-2026-{o:06d}", owner_of[c], (c - 1) * per + 1, "CNY",
                   (now - dt.timedelta(days=rng.randint(0, 300))).date(), rng.choice(("open", "fulfilled")))
                  for o, c in enumerate(range(1, customers + 1, 2), start=1)]
        copy_rows(Order, ["id", "customer_id", "number", "owner_id", "quote_id", "currency", "signed_date", "status"],
                  orders)
        # each order: its quote's lines, an invoice for half of it and a payment of part of that
        order_lines, invoices, payments = [], [], []
        for o, c, _number, owner, _quote, _currency, signed, _status in orders:
            lines = [line(rng.randint(1, 50)) for _ in range(lines_per_quote)]
            order_lines += [(o, *l) for l in lines]
            half = (sum(l[-1] for l in lines) / 2).quantize(Decimal("0.01"))
            invoices.append((o, o, f"INV-2026-{o:06d}", half, signed, signed + dt.timedelta(days=30)))
            payments.append((o, o, o, (half / 2).quantize(Decimal("0.01")), signed + dt.timedelta(days=10), owner))
        copy_rows(OrderLine, ["order_id", "product_id", "quantity", "unit_price", "discount_percent", "line_total"],
                  order_lines)
        copy_rows(Invoice, ["id", "order_id", "number", "amount", "issued_on", "due_on"], invoices)
        copy_rows(Payment, ["id", "order_id", "invoice_id", "amount", "received_on", "recorded_by_id"], payments)
        records = []
        for c in range(1, customers + 1):
            state = rng.choice(states)
            created = now - dt.timedelta(days=rng.randint(0, 365))
            engineer = rng.choice(service) if state != "not_dispatched" else None
            records.append((c, c, f"Machine fault {c}", "", state, engineer, owner_of[c], created,
                            created if engineer else None, rng.randint(1, 50), 2 * c))
        copy_rows(ServiceRecord, ["id", "customer_id", "title", "description", "dispatch_state", "engineer_id",
                                  "created_by_id", "created_at", "dispatched_at", "product_id", "contact_id"], records)
        activities = []
        for c in range(1, customers + 1):
            for k in range(3):
                kind = ("visit", "call", "reminder")[k]
                when = now - dt.timedelta(days=rng.randint(0, 120))
                activities.append((3 * c - k, c, 2 * c, kind, f"{kind} {c}", when,
                                   when + dt.timedelta(days=14) if kind == "reminder" else None, False, owner_of[c]))
        copy_rows(Activity, ["id", "customer_id", "opportunity_id", "kind", "subject", "occurred_at", "due_at", "done",
                             "owner_id"], activities)
        admins = [u for u, role in roles.items() if role == "admin"] or list(roles)
        copy_rows(Announcement, ["id", "title", "body", "all_customers", "published_at", "created_by_id"],
                  [(a, f"Announcement {a}", "Body " * 40, True, now - dt.timedelta(days=a), admins[0])
                   for a in range(1, 51)])
        start = DocumentLink.objects.order_by("-id").values_list("id", flat=True).first() or 0
        copy_rows(DocumentLink, ["id", "document_id", "customer_id", "target_type", "opportunity_id", "created_by_id"],
                  ((start + c, rng.randint(1, docs), c, "opportunity", 2 * c, owner_of[c])
                   for c in range(1, customers + 1)))
        reset_sequences(Product, Contact, Opportunity, Quote, QuoteLine, Order, OrderLine, Invoice, Payment,
                        ServiceRecord, Activity, Announcement, DocumentLink)
    # Rows written with COPY skip the services that keep each order's balance and the reports' rollups (and the
    # products quoted per deal the lost analysis reads: rollups_rebuild recomputes them from the quote lines).
    from backend.crm.services.order_balances import order_balances_refresh
    from backend.crm.services.report_rollups import rollups_rebuild

    order_balances_refresh()
    rollups_rebuild()
    return {"contacts": 2 * customers, "quotes": customers * per, "quote_lines": customers * per * lines_per_quote,
            "orders": len(orders), "activities": 3 * customers}


WORDS = ("合同 报价 标书 数控机床 付款条件 验收标准 交货期 质量保证 售后服务 技术参数 设备 采购 订单 发票 "
         "contract quotation tender payment terms delivery warranty invoice purchase order acceptance spindle "
         "machining center service training spare parts installation").split()


def seed_texts(*, docs: int, text_bytes: int) -> None:
    """Every version's extracted text (short business text in both languages), ready for indexing."""
    from django.db import connection, transaction

    from indexing.models import VersionIndexState

    now = dt.datetime.now(dt.timezone.utc)
    rng = random.Random(SEED + 1)

    def rows():
        for i in range(1, docs + 1):
            words, size = [], 0
            while size < text_bytes:
                word = rng.choice(WORDS)
                words.append(word)
                size += len(word.encode()) + 1
            yield (i, "pending", "", "bench", " ".join(words), False, now, None, 1, now)

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        copy_rows(VersionIndexState, ["version_id", "status", "reason", "extractor", "text", "text_truncated",
                                      "extracted_at", "indexed_at", "attempts", "updated_at"], rows())


def build_index() -> int:
    """search_reindex's code path over every version (the texts are in the database)."""
    from indexing import reindex

    run = reindex.reindex_start(clear=True)
    reindex.reindex_run(run, batch_size=1000)
    return run.versions_done


# --- measuring -------------------------------------------------------------------------------------------


def measure(world: World, *, rounds: int, database: str, only: set[str] | None = None, show_sql: bool = False,
            progress=print) -> list[Measured]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for key, user in world.users.items():
        client = Client()
        client.force_login(user)
        clients[key] = client
    results = []
    for page in PAGES:
        if world.scale not in page.scales or (only and page.key not in only):
            continue
        url = page.path.format(**world.ids)
        client = clients[page.user]
        response = client.get(url)  # warm-up (and the backend for CPU accounting exists)
        backends = postgres_backend_pids(database)
        account = CpuAccount({"django": lambda: [os.getpid()], "postgres": lambda: backends})
        before = account.snapshot()
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - started)
        cpu = CpuAccount.delta(before, account.snapshot())
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        measured = Measured(
            scale=world.scale, key=page.key, label=page.label, url=url, user=page.user,
            status=response.status_code, bytes=len(response.content), queries=len(captured.captured_queries),
            budget=page.budget, p50_ms=percentile(samples, 50) * 1000, p95_ms=percentile(samples, 95) * 1000,
            max_ms=max(samples) * 1000, requests=len(samples),
            cpu_ms=(cpu["django"] + cpu["postgres"]) / len(samples) * 1000,
            sql_ms=sum(float(q["time"]) for q in captured.captured_queries) * 1000,
            slowest_sql=max(captured.captured_queries, key=lambda q: float(q["time"]))["sql"]
            if captured.captured_queries else "",
            other_cores=cpu["other"] / cpu["wall"] if cpu["wall"] else 0.0, load1=os.getloadavg()[0])
        results.append(measured)
        if show_sql:
            for query in captured.captured_queries:
                progress(f"      {float(query['time']) * 1000:6.1f} ms  {query['sql'][:200]}")
        progress(f"  {world.scale:5} {page.label:34} {measured.status} p50 {measured.p50_ms:7.1f} ms  "
                 f"p95 {measured.p95_ms:7.1f} ms  CPU {measured.cpu_ms:6.1f} ms  SQL {measured.sql_ms:6.1f} ms  "
                 f"{measured.queries:3} queries (budget {page.budget})  "
                 f"other load {measured.other_cores:.2f}")
    return results


# --- the report ------------------------------------------------------------------------------------------


def table(results: list[Measured]) -> str:
    rows = [[m.label, f"`{m.url}`", m.user, m.status, f"{m.p50_ms:.1f}", f"{m.p95_ms:.1f}", f"{m.cpu_ms:.1f}",
             f"{m.sql_ms:.1f}", m.queries, m.budget, f"{m.other_cores:.2f}", f"{m.load1:.1f}"] for m in results]
    return markdown_table(["page", "URL", "as", "status", "p50 ms", "p95 ms", "CPU ms/request", "SQL ms", "queries", "budget",
                           "other load (cores)", "load avg 1 min"], rows)


def verdicts(results: list[Measured], scale: str) -> list[str]:
    mine = [m for m in results if m.scale == scale]
    if not mine:
        return []
    target = DEMO_TARGET_P95 if scale == "demo" else LARGE_TARGET_P95
    worst = max(mine, key=lambda m: m.p95_ms)
    over = [m.label for m in mine if m.p95_ms > target * 1000]
    out = [f"p95 ≤ {target * 1000:.0f} ms on every page: {'met' if not over else 'missed'} (worst: "
           f"{worst.label}, {worst.p95_ms:.1f} ms{'; over: ' + ', '.join(over) if over else ''})."]
    heaviest = max(mine, key=lambda m: m.cpu_ms)
    over_cpu = [m.label for m in mine if m.cpu_ms > target * 1000]
    out.append(f"CPU per request ≤ {target * 1000:.0f} ms on every page (what a quiet machine approaches): "
               f"{'met' if not over_cpu else 'missed'} (heaviest: {heaviest.label}, {heaviest.cpu_ms:.1f} ms"
               f"{'; over: ' + ', '.join(over_cpu) if over_cpu else ''}).")
    crm = [m for m in mine if m.key in CRM_PAGES]
    if scale == "large" and crm:
        slow = [f"{m.label} ({m.p95_ms:.1f} ms)" for m in crm if m.p95_ms > CRM_LARGE_TARGET_P95 * 1000]
        out.append(f"The rep's CRM pages (customer, quote, quote editor, order, work log) p95 ≤ "
                   f"{CRM_LARGE_TARGET_P95 * 1000:.0f} ms: {'met' if not slow else 'missed'}"
                   f"{' (' + ', '.join(slow) + ')' if slow else ''}.")
    broken = [f"{m.label} ({m.status})" for m in mine if m.status != 200]
    if broken:
        out.append("Pages that did not answer 200: " + ", ".join(broken) + ".")
    over_budget = [f"{m.label} ({m.queries} > {m.budget})" for m in mine if not m.within_budget]
    out.append(f"Queries within the pinned budget: {'met' if not over_budget else 'missed'}"
               f"{' (' + ', '.join(over_budget) + ')' if over_budget else ''}.")
    return out


def render_section(args, worlds: list[dict], results: list[Measured], load_before: tuple, load_after: tuple,
                   commit: str, measured_at: time.struct_time | None = None) -> str:
    parts = [
        "## Staff pages\n",
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z', measured_at or time.localtime())} at commit `{commit}`. Command: "
        f"`.venv/bin/python -m bench.pages --scale {args.scale} --docs {args.docs} --customers {args.customers} "
        f"--rounds {args.rounds} --write`.\n",
        "Each page is requested in-process through Django's test client, signed in (middleware, view, templates, "
        f"SQL on PostgreSQL; no network): one warm-up, {args.rounds} timed requests, then one with the queries "
        "counted. \"budget\" is the page's pinned query count in `bench/pages.py` (`tests/bench/test_pages.py` "
        "holds every page to it at a tiny scale). \"CPU ms/request\" is the CPU time the benchmark's process "
        "(test client and Django) and its PostgreSQL backend spent per timed request: it moves much less than "
        "wall-clock time when other processes compete for the cores. \"SQL ms\" is the time of the counted "
        "request's statements as the driver saw them (the rest of a request is Python: view and templates).\n",
        ("**Taken on a quiet machine.** " if max((m.other_cores for m in results), default=0.0) < QUIET_CORES else
         "**Taken under load:** other processes competed for the 2 cores while this ran (read the figures as an "
         "upper bound for a quiet machine). ")
        + "\"other load\" is the CPU that processes other than the benchmark and its PostgreSQL backend used while "
        "that page was timed, in cores out of 2, beside the 1-minute load average at its end. 1-minute load "
        f"average {load_before[0]:.1f} before the run and {load_after[0]:.1f} after it.\n",
    ]
    for world in worlds:
        mine = [m for m in results if m.scale == world["scale"]]
        f = world["facts"]
        if world["scale"] == "demo":
            parts.append(
                f"### Demo scale\n\n`manage.py seed_demo` ({f['seed_seconds']:.0f} s): {f['documents']} documents, "
                f"{f['versions']} versions, {f['customers']} customers, {f['opportunities']} opportunities, "
                f"{f['service_records']} service records. Target: p95 ≤ 100 ms.\n")
        else:
            parts.append(
                f"### {f['documents']:,} documents and {f['customers']:,} customers\n\n"
                f"{f['documents']:,} documents ({f['versions']:,} versions, each with ~{args.text_bytes} bytes of "
                f"extracted text in the tantivy index: {f['indexed']:,} versions indexed in {f['index_seconds']:.0f} s), "
                f"{f['grants']:,} grants, {f['users']:,} users; {f['customers']:,} customers with "
                f"{f['contacts']:,} contacts, {f['opportunities']:,} opportunities, {f['quotes']:,} quotes, "
                f"{f['orders']:,} orders, {f['service_records']:,} service records, {f['activities']:,} activities "
                f"(seeded with COPY in {f['seed_seconds']:.0f} s). The rep is `{world['rep']}` "
                f"(sales; owns the most customers). Target: p95 ≤ 200 ms.\n")
        parts.append(table(mine) + "\n")
        parts.append("\n".join(f"- {v}" for v in verdicts(results, world["scale"])) + "\n")
    return "\n".join(parts)


def _commit() -> str:
    """The measured code's commit (BENCH_COMMIT when it runs from an exported tree, e.g. `git archive`)."""
    import subprocess

    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]

    from bench.common import REPO

    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def run_scale(args, scale: str, only: set[str] | None) -> tuple[dict, list[Measured]]:
    """Seed one world in its own database and time its pages (Django is set up once per process, so a
    second world runs in a process of its own: see main). With --keep the database and the data directory
    (search index) stay; --reuse measures them again without seeding."""
    import tempfile

    from bench.common import base_env, database_url, django_setup, migrate

    grants = args.grants if args.grants is not None else 5 * args.docs
    database = f"dossier_bench_pages_{scale}"
    with cleanup_on_exit() as stack:
        if args.keep or args.reuse:
            workdir = Path(tempfile.gettempdir()) / f"dossier-bench-pages-{scale}"
            workdir.mkdir(exist_ok=True)
        else:
            workdir = make_workdir(stack, f"bench-pages-{scale}")
        storage_url, data_dir = f"file://{workdir / 'objects'}", workdir / "data"
        facts_file = workdir / "facts.json"
        facts = None
        reuse = args.reuse and facts_file.exists()  # --scale both --reuse: seed what was not kept
        if reuse:
            facts = json.loads(facts_file.read_text())
            env = base_env(database=database_url(database), storage_url=storage_url, data_dir=data_dir)
            migrate(env)  # the code may have moved on since the world was kept
            django_setup(env)
        else:
            app_database(stack, database, keep=args.keep, storage_url=storage_url, data_dir=data_dir)
        stack.callback(close_django_connections)
        print(f"{'reusing' if reuse else 'seeding'} the {scale} world ...", flush=True)
        if scale == "demo":
            world = demo_world(facts)
        else:
            world = large_world(docs=args.docs, customers=args.customers, users=args.users, grants=grants,
                                text_bytes=args.text_bytes, facts=facts)
        if args.keep:
            facts_file.write_text(json.dumps(world.facts))
        print(f"  {world.facts}", flush=True)
        results = measure(world, rounds=args.rounds, database=database, only=only, show_sql=args.show_sql)
        return {"scale": world.scale, "facts": world.facts, "ids": world.ids,
                "rep": world.users["rep"].username}, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=("demo", "large", "both"), default="both")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--grants", type=int, default=None, help="default: 5 per document")
    parser.add_argument("--text-bytes", type=int, default=600, help="extracted text per version (default 600)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--only", default="", help="comma-separated page keys")
    parser.add_argument("--show-sql", action="store_true", help="print each page's statements")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--write", action="store_true", help="update the staff-pages section of BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database and data directory (needs a PostgreSQL that outlives the run: "
                             "BENCH_PG_PORT, see bench/README.md)")
    parser.add_argument("--reuse", action="store_true", help="measure a world kept by --keep again, without seeding")
    parser.add_argument("--from-json", type=Path,
                        help="measure nothing: report (and with --write, write) the results a --json run saved")
    args = parser.parse_args(argv)
    only = {key.strip() for key in args.only.split(",") if key.strip()} or None

    total_started = time.perf_counter()
    load_before = os.getloadavg()
    worlds, results = [], []
    commit, measured_at = _commit(), None
    if args.from_json:
        data = json.loads(args.from_json.read_text())
        worlds = data["worlds"]
        pinned = {page.key: page.budget for page in PAGES}  # the budgets as pinned now
        results = [Measured(**{k: v for k, v in row.items() if k != "within_budget"}
                            | {"budget": pinned.get(row["key"], row["budget"])}) for row in data["results"]]
        measured_at = time.localtime(args.from_json.stat().st_mtime)
        for name, value in data["args"].items():
            setattr(args, name, value)
        load_before, load_after, commit = data["load_before"], data["load_after"], data["commit"]
    elif args.scale == "both":
        # one process per world: Django's settings (database, search index) are read once per process
        import subprocess
        import sys
        import tempfile

        passed = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--write"]
        for scale in ("demo", "large"):
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                child = _replace_option(_replace_option(passed, "--scale", scale), "--json", out.name)
                subprocess.run([sys.executable, "-m", "bench.pages", *child], check=True)
                data = json.loads(Path(out.name).read_text())
            worlds += data["worlds"]
            results += [Measured(**{k: v for k, v in row.items() if k != "within_budget"}) for row in data["results"]]
    else:
        world, results = run_scale(args, args.scale, only)
        worlds.append(world)
    if not args.from_json:
        load_after = os.getloadavg()

    print()
    for world in worlds:
        print(f"{world['scale']}:\n" + table([m for m in results if m.scale == world["scale"]]))
        for verdict in verdicts(results, world["scale"]):
            print(verdict)
        print()
    print(f"total time {time.perf_counter() - total_started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "results": [asdict(m) | {"within_budget": m.within_budget} for m in results],
            "worlds": worlds,
            "args": {name: getattr(args, name) for name in ("scale", "docs", "customers", "rounds", "text_bytes")},
            "load_before": list(load_before), "load_after": list(load_after), "commit": commit,
        }, indent=1, default=str))
    if args.write:
        write_section("pages", render_section(args, worlds, results, load_before, load_after, commit, measured_at))
        print("BENCHMARKS.md updated")
    return 0


def _replace_option(argv: list[str], name: str, value: str) -> list[str]:
    out, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == name:
            skip = True
            continue
        if arg.startswith(name + "="):
            continue
        out.append(arg)
    return out + [name, value]


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
