"""The notification beat passes at scale: the due-reminder pass over 1,000,000 reminders and the service-level
escalation pass over 100,000 open service records, each run twice (the second must notify nobody).

    .venv/bin/python -m bench.beat                       # 1,000,000 reminders (1,000 come due), 100,000 open
                                                         # service records (a minute or two to seed)
    .venv/bin/python -m bench.beat --reminders 5000 --due 200 --service-records 500
    .venv/bin/python -m bench.beat --write               # also update BENCHMARKS.md ("beat")

The world is written with COPY into a fresh database: 100 reps, 1,000 customers, the reminders spread over
them (due within the last hour: `--due` of them; the rest done, due next month or overdue for longer than
NOTIFICATIONS_REMINDER_LOOKBACK_HOURS), and open service records opened over the last days. The target: one
beat pass (both scans together) ≤ 5 s, and no notification twice: the first pass notifies each due reminder's
owner once, the second pass nobody. The pass queues its e-mails (as with a broker); the workers' time to send
them is measured apart, on a sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time

from bench.common import app_database, cleanup_on_exit, close_django_connections, copy_rows, make_workdir, \
    reset_sequences
from bench.report import markdown_table, write_section

SEED = 20261207
TARGET_SECONDS = 5.0


def seed(*, reminders: int, due: int, service_records: int, reps: int = 100, customers: int = 1000) -> dict:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from backend.accounts.models import Department, Role, User
    from backend.crm.models import Activity, Customer, ServiceRecord

    rng = random.Random(SEED)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with transaction.atomic():
        group = Group.objects.create(name="dept-bench")
        department = Department.objects.create(code="sales-bench", name="销售部", group=group)
        people = [User.objects.create(username=f"rep{r:03d}", display_name=f"代表 {r}", role=Role.SALES,
                                      department=department, email=f"rep{r:03d}@example.com",
                                      preferred_language="zh-hans" if r % 2 else "en") for r in range(reps)]
        rep_ids = [p.pk for p in people]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        copy_rows(Customer, ["id", "name", "region", "owner_id", "status", "tier", "owner_since", "created_at",
                             "updated_at"],
                  [(c, f"客户 {c}", "上海", rep_ids[c % reps], "active", "normal", now, now, now)
                   for c in range(1, customers + 1)])
        due_ids = set(rng.sample(range(1, reminders + 1), min(due, reminders)))

        def reminder_rows():
            for a in range(1, reminders + 1):
                customer = a % customers + 1
                created = now - dt.timedelta(days=3)
                done = False
                if a in due_ids:
                    due_at = now - dt.timedelta(minutes=rng.randint(1, 59))
                else:
                    choice = a % 3
                    if choice == 0:
                        due_at, done = now - dt.timedelta(days=rng.randint(1, 300)), True
                    elif choice == 1:
                        due_at = now + dt.timedelta(days=rng.randint(1, 60))
                    else:
                        due_at = now - dt.timedelta(days=rng.randint(3, 300))
                yield (a, customer, "reminder", f"跟进 Follow up {a}", "", created, due_at, done,
                       rep_ids[customer % reps], created)

        copy_rows(Activity, ["id", "customer_id", "kind", "subject", "body", "occurred_at", "due_at", "done",
                             "owner_id", "created_at"], reminder_rows())
        fields = {f.attname for f in ServiceRecord._meta.concrete_fields}

        def record_rows():
            for s in range(1, service_records + 1):
                opened = now - dt.timedelta(hours=rng.randint(1, 240))
                row = [s, s % customers + 1, f"故障 Fault {s}", rep_ids[s % reps], opened]
                if "response_due_at" in fields:
                    row += [opened + dt.timedelta(hours=4), opened + dt.timedelta(hours=48)]
                yield tuple(row)

        record_fields = ["id", "customer_id", "title", "created_by_id", "created_at"]
        if "response_due_at" in fields:
            record_fields += ["response_due_at", "resolution_due_at"]
        copy_rows(ServiceRecord, record_fields, record_rows())
    reset_sequences(Customer, Activity, ServiceRecord)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"reminders": reminders, "due": len(due_ids), "service_records": service_records, "reps": reps}


def beat_pass() -> dict:
    """One beat pass as the scheduler runs it: the due reminders, then the service levels (when present)."""
    from django.urls import reverse

    from backend.notifications import triggers

    reverse("web:home")  # a long-lived beat worker has its URLs loaded: not a cost of the pass
    timings = {}
    started = time.perf_counter()
    told = triggers.reminders_due()
    timings["reminders_seconds"] = round(time.perf_counter() - started, 3)
    timings["reminders_told"] = told
    try:
        from backend.crm.services.service_levels import service_levels_escalate
    except ImportError:  # the service levels are not there
        service_levels_escalate = None
    if service_levels_escalate is not None:
        started = time.perf_counter()
        escalated = service_levels_escalate()
        timings["service_levels_seconds"] = round(time.perf_counter() - started, 3)
        timings["service_levels_told"] = sum(escalated.values()) if isinstance(escalated, dict) else escalated
    timings["seconds"] = round(timings["reminders_seconds"] + timings.get("service_levels_seconds", 0), 3)
    return timings


def measure(facts: dict) -> dict:
    from django.db.models import Count

    from backend.notifications import tasks
    from backend.notifications.mail import send_delivery
    from backend.notifications.models import Notification

    # As in production, the pass queues its e-mails for the workers (here a list stands for the broker);
    # sending them is the workers' time, measured apart on a sample.
    queued: list[int] = []
    tasks.deliver.delay = queued.append
    first = beat_pass()
    first["emails_queued"] = len(queued)
    second = beat_pass()
    second["emails_queued"] = len(queued) - first["emails_queued"]
    sample = queued[:200]
    started = time.perf_counter()
    sent = sum(1 for pk in sample if send_delivery(pk) == "sent")
    worker = {"sample": len(sample), "sent": sent,
              "ms_per_email": round(1000 * (time.perf_counter() - started) / max(1, len(sample)), 1)}
    duplicates = (Notification.objects.exclude(once_key=None).values("kind", "recipient_id", "once_key")
                  .annotate(n=Count("id")).filter(n__gt=1).count())
    reminders_recorded = Notification.objects.filter(kind="sales.reminder_due").count()
    return {"first": first, "second": second, "worker": worker, "duplicates": duplicates,
            "reminders_recorded": reminders_recorded,
            "ok": (duplicates == 0 and reminders_recorded == facts["due"] and second["reminders_told"] == 0
                   and not second.get("service_levels_told") and second["emails_queued"] == 0)}


def section(facts: dict, result: dict) -> str:
    first, second = result["first"], result["second"]
    rows = [("first pass (notifies)", f"{first['reminders_seconds']:.2f} s", first["reminders_told"],
             f"{first.get('service_levels_seconds', 0):.2f} s", first.get("service_levels_told", "—"),
             f"{first['seconds']:.2f} s"),
            ("second pass (nothing new)", f"{second['reminders_seconds']:.2f} s", second["reminders_told"],
             f"{second.get('service_levels_seconds', 0):.2f} s", second.get("service_levels_told", "—"),
             f"{second['seconds']:.2f} s")]
    verdict = "met" if max(first["seconds"], second["seconds"]) <= TARGET_SECONDS else "missed"
    return "\n".join([
        "## Notification beat pass",
        "",
        f"{facts['reminders']:,} reminders ({facts['due']:,} due within the last hour), "
        f"{facts['service_records']:,} open service records, {facts['reps']} reps. `python -m bench.beat`.",
        "",
        markdown_table(["pass", "reminders", "told", "service levels", "told", "total"], rows),
        "",
        f"Target ≤ {TARGET_SECONDS:.0f} s per pass: {verdict}. Notifications recorded twice: {result['duplicates']}; "
        f"reminder notifications: {result['reminders_recorded']:,} for {facts['due']:,} due reminders. "
        f"The first pass queued {first['emails_queued']:,} e-mails for the workers (the second none: "
        f"{second['emails_queued']}); a worker sent {result['worker']['sent']} of a sample of "
        f"{result['worker']['sample']} at {result['worker']['ms_per_email']} ms each (Django's file backend).",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--service-records", type=int, default=100_000)
    parser.add_argument("--json")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-beat-", keep=args.keep)
        # e-mails of the pass go to files in the work directory; tasks run in-process
        app_database(stack, f"bench_beat_{os.getpid()}", keep=args.keep, storage_url=f"file://{workdir / 'store'}",
                     data_dir=workdir)
        started = time.perf_counter()
        facts = seed(reminders=args.reminders, due=args.due, service_records=args.service_records)
        facts["seed_seconds"] = round(time.perf_counter() - started, 1)
        result = measure(facts)
        close_django_connections()
    text = section(facts, result)
    print(text)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"facts": facts, "result": result}, out, indent=2, default=str)
    if args.write:
        write_section("beat", text)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
