"""The notification beat passes at scale: the due-reminder pass over 1,000,000 reminders and the service-level
escalation pass over 100,000 open service records, each run twice (the second must notify nobody).

    .venv/bin/python -m bench.beat                       # 1,000,000 reminders (1,000 come due), 100,000 open
                                                         # service records (a minute or two to seed)
    .venv/bin/python -m bench.beat --reminders 5000 --due 200 --service-records 500
    .venv/bin/python -m bench.beat --write               # also update BENCHMARKS.md ("beat")

The world is written with COPY into a fresh database: 100 reps, 2 service managers (administrators, one
reading Chinese, one English), 1,000 customers, the reminders spread over them (due within the last hour:
`--due` of them; the rest done, due next month or overdue for longer than NOTIFICATIONS_REMINDER_LOOKBACK_HOURS),
and open service records opened over the last days. The target: one beat pass (both scans together) ≤ 5 s,
and no notification twice: the first pass notifies each due reminder's owner once, the next one nobody. A
service-level pass escalates at most SERVICE_LEVEL_ESCALATIONS_PER_PASS (`--per-pass` overrides it) and the
task then queues its continuation: the bench runs those back to back (the catch-up), with one more pass
overlapping them from another connection, and reports the longest pass, the whole catch-up, and the CPU per
escalation in this process and in PostgreSQL. The passes queue their e-mails (as with a broker); the workers'
time to send them is measured apart, on a sample.
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
        # the service managers (every active administrator, as none is named): one reads Chinese, one English;
        # each breach is told to both, in their language, by e-mail (the kinds' default)
        for n, language in enumerate(("zh-hans", "en")):
            User.objects.create(username=f"svc-manager-{n}", display_name=f"服务经理 {n}", role=Role.ADMIN,
                                email=f"svc-manager-{n}@example.com", preferred_language=language)
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
    """One beat pass as the scheduler runs it: the due reminders, then one bounded service-level pass (when
    present). `more` says whether the service-level task would queue its continuation."""
    from django.urls import reverse

    from backend.notifications import triggers

    reverse("web:home")  # a long-lived beat worker has its URLs loaded: not a cost of the pass
    timings = {}
    started, cpu = time.perf_counter(), time.process_time()
    told = triggers.reminders_due()
    timings["reminders_seconds"] = round(time.perf_counter() - started, 3)
    timings["reminders_told"] = told
    service = service_pass()
    timings.update(service)
    timings["seconds"] = round(timings["reminders_seconds"] + service.get("service_levels_seconds", 0), 3)
    timings["cpu_seconds"] = round(time.process_time() - cpu, 3)
    return timings


def _db_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (the server runs on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def service_pass() -> dict:
    try:
        from backend.crm.services.service_levels import service_levels_escalate_pass
    except ImportError:  # before the passes were bounded (an A/B against an older tree): one unbounded pass
        try:
            from backend.crm.services.service_levels import service_levels_escalate
        except ImportError:  # the service levels are not there
            return {}
        db_cpu = _db_cpu()
        started, cpu = time.perf_counter(), time.process_time()
        counts = service_levels_escalate()
        return {"service_levels_seconds": round(time.perf_counter() - started, 3),
                "service_levels_cpu_seconds": round(time.process_time() - cpu, 3),
                "service_levels_db_cpu_seconds": round(_db_cpu() - db_cpu, 3),
                "service_levels_told": sum(counts.values()), "more": False}
    db_cpu = _db_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    result = service_levels_escalate_pass()
    return {"service_levels_seconds": round(time.perf_counter() - started, 3),
            "service_levels_cpu_seconds": round(time.process_time() - cpu, 3),
            "service_levels_db_cpu_seconds": round(_db_cpu() - db_cpu, 3),
            "service_levels_told": sum(result.counts.values()), "more": result.more}


def catch_up(first: dict) -> dict:
    """The continuations the task queues after a pass that left work: run back to back, as a worker takes them
    off the queue, with one beat tick arriving meanwhile (an overlapping pass in another connection)."""
    import threading

    from django.db import connection

    passes = [first]
    overlap: dict = {}

    def beat_tick():
        try:
            overlap.update(service_pass())
        finally:
            connection.close()

    tick = threading.Thread(target=beat_tick)
    started = time.perf_counter()
    last = first
    while last.get("more"):
        last = service_pass()
        passes.append(last)
        if len(passes) == 2:
            tick.start()
    if tick.ident is not None:
        tick.join()
    service = [p for p in passes if "service_levels_seconds" in p]
    return {"passes": len(passes), "seconds": round(first["seconds"] + time.perf_counter() - started, 3),
            "cpu_seconds": round(sum(p.get("service_levels_cpu_seconds", 0) for p in passes), 3),
            "db_cpu_seconds": round(sum(p.get("service_levels_db_cpu_seconds", 0) for p in passes), 3),
            "max_pass_seconds": max([first["seconds"]] + [p["service_levels_seconds"] for p in service[1:]]),
            "told": sum(p.get("service_levels_told", 0) for p in passes) + overlap.get("service_levels_told", 0),
            "overlapping_pass": overlap}


def measure(facts: dict) -> dict:
    from django.db.models import Count

    from backend.audit.models import AuditEvent
    from backend.notifications import tasks
    from backend.notifications.models import Notification
    from backend.notifications.mail import send_delivery

    # As in production, the pass queues its e-mails for the workers (here a list stands for the broker);
    # sending them is the workers' time, measured apart on a sample.
    queued: list[int] = []
    tasks.deliver.delay = queued.append
    first = beat_pass()
    catchup = catch_up(first)
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
    escalated = AuditEvent.objects.filter(event_type="crm.service.escalated")
    audited_twice = (escalated.values("target_id", "detail__reason").annotate(n=Count("id")).filter(n__gt=1)
                     .count())
    reminders_recorded = Notification.objects.filter(kind="sales.reminder_due").count()
    escalation_notices = Notification.objects.filter(kind__in=("service.sla_breached",
                                                               "service.dispatch_unconfirmed")).count()
    return {"first": first, "catch_up": catchup, "second": second, "worker": worker, "duplicates": duplicates,
            "audited_twice": audited_twice, "escalations_audited": escalated.count(),
            "escalation_notices": escalation_notices, "reminders_recorded": reminders_recorded,
            "ok": (duplicates == 0 and audited_twice == 0 and reminders_recorded == facts["due"]
                   and escalated.count() == catchup["told"] and escalation_notices == 2 * catchup["told"]
                   and second["reminders_told"] == 0 and not second.get("service_levels_told")
                   and second["emails_queued"] == 0)}


def section(facts: dict, result: dict) -> str:
    first, second, catchup = result["first"], result["second"], result["catch_up"]
    per_pass = facts.get("per_pass")
    rows = [("first pass (notifies)", f"{first['reminders_seconds']:.2f} s", first["reminders_told"],
             f"{first.get('service_levels_seconds', 0):.2f} s", first.get("service_levels_told", "—"),
             f"{first['seconds']:.2f} s"),
            (f"catch-up: {catchup['passes']} passes back to back", "", "",
             f"longest {catchup['max_pass_seconds']:.2f} s", catchup["told"], f"{catchup['seconds']:.2f} s"),
            ("next beat pass (nothing new)", f"{second['reminders_seconds']:.2f} s", second["reminders_told"],
             f"{second.get('service_levels_seconds', 0):.2f} s", second.get("service_levels_told", "—"),
             f"{second['seconds']:.2f} s")]
    longest = max(catchup["max_pass_seconds"], first["seconds"], second["seconds"])
    verdict = "met" if longest <= TARGET_SECONDS else "missed"
    told = max(1, catchup["told"])
    return "\n".join([
        "## Notification beat pass",
        "",
        f"{facts['reminders']:,} reminders ({facts['due']:,} due within the last hour), "
        f"{facts['service_records']:,} open service records, {facts['reps']} reps, 2 service managers (one reads "
        f"Chinese, one English; each breach is told to both, in the inbox and by e-mail). `python -m bench.beat`"
        f"{f' --per-pass {per_pass}' if per_pass else ''}; load {result.get('load', '?')}.",
        "",
        markdown_table(["pass", "reminders", "told", "service levels", "escalated", "total"], rows),
        "",
        f"Target ≤ {TARGET_SECONDS:.0f} s per pass: {verdict} (longest pass {longest:.2f} s; a pass escalates at "
        f"most {facts.get('per_pass_setting', '?'):,} records and queues the next at once when more are due; the "
        f"whole catch-up of {catchup['told']:,} escalations took {catchup['seconds']:.1f} s, "
        f"{1000 * catchup['seconds'] / told:.2f} ms each; CPU {1000 * catchup['cpu_seconds'] / told:.2f} ms in the "
        f"worker and {1000 * catchup['db_cpu_seconds'] / told:.2f} ms in PostgreSQL each, without the overlapping "
        f"pass). One beat pass overlapped the catch-up and escalated "
        f"{catchup['overlapping_pass'].get('service_levels_told', 0):,}. Notifications recorded twice: "
        f"{result['duplicates']}; escalations audited twice: {result['audited_twice']} "
        f"({result['escalations_audited']:,} audited, {result['escalation_notices']:,} notices); reminder "
        f"notifications: {result['reminders_recorded']:,} for {facts['due']:,} due reminders. "
        f"The passes queued {first['emails_queued']:,} e-mails for the workers (the next beat pass none: "
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
    parser.add_argument("--per-pass", type=int, help="SERVICE_LEVEL_ESCALATIONS_PER_PASS for this run")
    args = parser.parse_args(argv)
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-beat-", keep=args.keep)
        # e-mails of the pass go to files in the work directory; tasks run in-process
        app_database(stack, f"bench_beat_{os.getpid()}", keep=args.keep, storage_url=f"file://{workdir / 'store'}",
                     data_dir=workdir)
        started = time.perf_counter()
        facts = seed(reminders=args.reminders, due=args.due, service_records=args.service_records)
        facts["seed_seconds"] = round(time.perf_counter() - started, 1)
        from django.conf import settings

        if args.per_pass:
            settings.SERVICE_LEVEL_ESCALATIONS_PER_PASS = args.per_pass
        facts["per_pass"] = args.per_pass
        facts["per_pass_setting"] = getattr(settings, "SERVICE_LEVEL_ESCALATIONS_PER_PASS", 0)
        result = measure(facts)
        result["load"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
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
