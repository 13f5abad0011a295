"""Backup and restore of 10,000 documents: time and throughput (backend/ops/backup.py).

    .venv/bin/python -m bench.backup                          # 10,000 documents of 20 KB, backed up to a directory
    .venv/bin/python -m bench.backup --to s3                  # ... to a bucket of the same S3 server
    .venv/bin/python -m bench.backup --docs 200 --size 5000   # a quick look
    .venv/bin/python -m bench.backup --write                  # also update BENCHMARKS.md

A fresh, migrated PostgreSQL database and a `weed mini` S3 server (the document store) are seeded with
`--docs` documents of one version each, every file distinct and `--size` bytes (rows by COPY, objects through
the store, `--parallel` at a time). Then, timed:

1. `dossier_backup DEST` (in this process): pg_dump, the object list, every object copied and checked;
2. the same again (incremental: nothing new, so only the database and a stat per object);
3. `manage.py dossier_restore DEST` (a process of its own, as an operator runs it) onto an empty stack: a new,
   empty database and a new bucket;
4. `manage.py storage_fsck` on the restored stack (every object re-hashed): it must be clean.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import (
    MiB, PYTHON, REPO, app_database, cleanup_on_exit, close_django_connections, copy_rows, create_database,
    drop_database, make_workdir, postgres_version, reset_sequences,
)
from bench.report import markdown_table, write_section
from bench.servers import start_weed


def file_bytes(n: int, size: int) -> bytes:
    """`size` bytes, different for every n."""
    block = hashlib.sha256(f"backup bench file {n}".encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def seed(docs: int, size: int, parallel: int) -> dict:
    """`docs` documents of one version each; their objects through the store, their rows by COPY."""
    import io

    from django.db import connection, transaction
    from django.utils import timezone

    from backend.accounts.services import user_create
    from backend.audit.checkpoints import checkpoint_write
    from backend.documents.models import Document, DocumentVersion
    from backend.documents.store import object_store

    owner = user_create(actor=None, username="bench-backup", role="staff", display_name="Bench backup")
    store = object_store()
    started = time.perf_counter()

    def put(n: int):
        return store.put_stream(io.BytesIO(file_bytes(n, size)))

    with ThreadPoolExecutor(parallel) as pool:
        stored = list(pool.map(put, range(1, docs + 1)))
    objects_seconds = time.perf_counter() - started
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")  # rows consistent by construction
        copy_rows(Document, ["id", "title", "kind", "classification", "description", "created_at", "updated_at",
                             "version_count", "owner_id", "valid_version_id"],
                  ((i, f"Backup bench {i}", "contract", "internal", "", now, now, 1, owner.pk, i)
                   for i in range(1, docs + 1)))
        copy_rows(DocumentVersion, ["id", "document_id", "number", "object_key", "sha256", "size", "mime_type",
                                    "original_filename", "filename", "comment", "status", "uploaded_by_id",
                                    "created_at"],
                  ((i, i, 1, obj.key, obj.sha256, obj.size, "application/octet-stream", f"file-{i}.bin",
                    f"file-{i}.bin", "", "draft", owner.pk, now) for i, obj in enumerate(stored, start=1)))
    reset_sequences(Document, DocumentVersion)
    checkpoint_write()
    return {"objects_seconds": objects_seconds, "seed_seconds": time.perf_counter() - started}


def manage(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([str(PYTHON), "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args[:1])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def measure(args) -> dict:
    result: dict = {"docs": args.docs, "size": args.size, "to": args.to, "load_before": os.getloadavg()[0],
                    "cores": os.cpu_count()}
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-backup")
        weed = start_weed(stack, workdir / "weed")
        env = app_database(stack, args.database, keep=False, storage_url=weed.url_for_bucket("bench-documents"),
                           data_dir=workdir / "data", CELERY_BROKER_URL="memory://")
        stack.callback(close_django_connections)
        from backend.ops.backup import dossier_backup

        print(f"seeding {args.docs:,} documents of {args.size:,} bytes ...", flush=True)
        result.update(seed(args.docs, args.size, args.parallel))
        dest = weed.url_for_bucket("bench-backups") if args.to == "s3" else str(workdir / "backups")
        total_mib = args.docs * args.size / MiB

        print("backing up ...", flush=True)
        first = dossier_backup(dest)
        result["backup"] = {"seconds": first.seconds, "objects": first.objects, "copied": first.objects_copied,
                            "docs_per_s": first.objects / first.seconds, "mib_per_s": total_mib / first.seconds}
        again = dossier_backup(dest)
        result["incremental"] = {"seconds": again.seconds, "copied": again.objects_copied,
                                 "reused": again.objects_reused}
        close_django_connections()

        print("restoring onto an empty stack ...", flush=True)
        restored_name = f"{args.database}_restored"
        stack.callback(drop_database, restored_name)
        restored_env = dict(env, DATABASE_URL=create_database(restored_name),
                            STORAGE_URL=weed.url_for_bucket("bench-restored"),
                            DOSSIER_DATA_DIR=str(workdir / "restored-data"))
        (workdir / "restored-data").mkdir()
        # the audit chain key is kept apart from backups: the operator brings it to the new stack
        shutil.copy(workdir / "data" / "audit-chain.key", workdir / "restored-data" / "audit-chain.key")
        seconds, out = manage(restored_env, "dossier_restore", dest, "--no-progress")
        result["restore"] = {"seconds": seconds, "docs_per_s": args.docs / seconds, "mib_per_s": total_mib / seconds,
                             "output": out.strip()}
        seconds, out = manage(restored_env, "storage_fsck")
        result["fsck"] = {"seconds": seconds, "output": out.strip()}
        result["ok"] = (first.objects == args.docs and again.objects_copied == 0
                        and f"checked {args.docs} objects: 0 missing, 0 corrupt, 0 orphan" in out)
    result["postgres"] = postgres_version()
    result["load_after"] = os.getloadavg()[0]
    return result


def section(result: dict) -> str:
    mib = result["docs"] * result["size"] / MiB
    rows = [
        ("backup (full)", f"{result['backup']['seconds']:.1f}", f"{result['backup']['docs_per_s']:,.0f}",
         f"{result['backup']['mib_per_s']:,.1f}"),
        ("backup (incremental, nothing new)", f"{result['incremental']['seconds']:.1f}", "", ""),
        ("restore onto an empty stack", f"{result['restore']['seconds']:.1f}", f"{result['restore']['docs_per_s']:,.0f}",
         f"{result['restore']['mib_per_s']:,.1f}"),
        ("storage_fsck after the restore", f"{result['fsck']['seconds']:.1f}", "", ""),
    ]
    return (f"## Backup and restore\n\n`python -m bench.backup --docs {result['docs']} --size {result['size']} "
            f"--to {result['to']}`: {result['docs']:,} documents ({mib:,.0f} MiB) on PostgreSQL {result['postgres']} "
            f"and `weed mini`, backed up to {'a bucket of the same server' if result['to'] == 's3' else 'a directory'}; "
            f"the restore is `manage.py dossier_restore` in a process of its own (start-up included). Load average "
            f"{result['load_before']:.2f} → {result['load_after']:.2f} on {result['cores']} cores"
            + (" (a busy machine: other work had the cores, so these are lower bounds)"
               if result["load_before"] > result["cores"] else "") + ".\n\n"
            + markdown_table(["step", "seconds", "documents/s", "MiB/s"], rows) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=20_000, help="bytes per file (default 20,000)")
    parser.add_argument("--to", choices=("dir", "s3"), default="dir")
    parser.add_argument("--parallel", type=int, default=8, help="objects stored at once while seeding")
    parser.add_argument("--database", default="dossier_bench_backup")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--write", action="store_true", help="update the backup section of BENCHMARKS.md")
    parser.add_argument("--from-json", type=Path, help="measure nothing: report (and --write) what a --json run saved")
    args = parser.parse_args(argv)
    result = json.loads(args.from_json.read_text()) if args.from_json else measure(args)
    print(section(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if args.write:
        write_section("backup", section(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
