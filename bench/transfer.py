"""Upload and download a large file through the API, and the same file with the raw minio client.

    .venv/bin/python -m bench.transfer                      # 1024 MiB and 256 MiB, 3 runs each
    .venv/bin/python -m bench.transfer --sizes 64 --repeat 1 --ttfb 5   # a quick look
    .venv/bin/python -m bench.transfer --write              # also update BENCHMARKS.md

One `weed mini` (started here, on free loopback ports) serves both the app's bucket and the raw
bucket; the app runs under gunicorn (gthread workers) against PostgreSQL database `dossier_bench`.
The file is random bytes behind a PDF header (the app sniffs types), written to a temp file, and
every upload streams it from disk: neither client nor server holds it in memory.

What is measured, per size (median of --repeat runs):
  raw     minio fput_object / get_object streamed in 1 MiB pieces
  API     POST /api/documents/{id}/versions/ as the raw body (with and without Content-Digest)
          and as multipart/form-data; GET .../versions/{n}/download/ with requests, 1 MiB pieces
  TTFB    request sent -> first body byte, median of --ttfb GETs of the large object (the
          connection is dropped after the first byte), raw and API interleaved
  RSS     summed RSS of the gunicorn master and workers, sampled every 20 ms, peak minus the idle
          baseline taken after warm-up (never re-based, so a ratchet would show)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.common import (
    GiB,
    MiB,
    app_database,
    cleanup_on_exit,
    close_django_connections,
    make_workdir,
    seed_user_with_token,
)
from bench.machine import CpuAccount, RssSampler, wait_until_quiet
from bench.report import fmt_mib, markdown_table, median, percentile, write_section
from bench.servers import start_gunicorn, start_weed
from bench.transfer_bodies import (
    BLOCK,
    PDF_HEADER,
    StreamedBody,
    api_session,
    content_digest_header,
    make_file,
    multipart_body,
)

APP_BUCKET = "dossier"
RAW_BUCKET = "raw-bench"
RANGE_BYTES = 64 * 1024


def content_key(sha256_hex: str) -> str:
    from storage import content_key as key

    return key(sha256_hex)


# --- one run ---------------------------------------------------------------------------------


@dataclass
class Measurements:
    seconds: dict[str, list[float]] = field(default_factory=dict)
    rss_growth: dict[str, list[int]] = field(default_factory=dict)
    cpu: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    ttfb: dict[str, list[float]] = field(default_factory=dict)

    def add(self, op: str, result: "OpResult", *, server_side: bool = True) -> None:
        self.seconds.setdefault(op, []).append(result.seconds)
        self.cpu.setdefault(op, []).append(result.cpu)
        if server_side:
            self.rss_growth.setdefault(op, []).append(result.rss)


@dataclass
class OpResult:
    seconds: float
    rss: int  # peak RSS of gunicorn (master + workers) over the idle baseline
    cpu: dict[str, float]  # CPU seconds per process group during the operation, "other", "wall"
    value: object = None


class TransferBench:
    def __init__(self, *, base_url: str, token: str, s3, sampler: RssSampler, baseline: int, workdir: Path,
                 server_pids=lambda: [], quiet_wait: float = 0.0):
        self.account = CpuAccount({"gunicorn": server_pids, "weed": lambda: [s3.pid], "client": lambda: [os.getpid()]})
        self.server_pids = server_pids
        self.quiet_wait = quiet_wait
        self.base_url = base_url
        self.token = token
        self.s3 = s3  # S3ServerInfo
        self.raw = s3.raw_client()
        self.sampler = sampler
        self.baseline = baseline
        self.workdir = workdir
        self.session = api_session(token)
        if not self.raw.bucket_exists(RAW_BUCKET):
            self.raw.make_bucket(RAW_BUCKET)
        self.document_id: int | None = None

    # -- helpers --------------------------------------------------------------------------
    def _measured(self, fn) -> OpResult:
        """Time fn(), with the server's peak RSS growth and everyone's CPU time meanwhile."""
        if self.quiet_wait:
            wait_until_quiet(self.quiet_wait, exclude=[*self.server_pids(), self.s3.pid, os.getpid()])
        self.sampler.reset()
        before = self.account.snapshot()
        started = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - started
        cpu = CpuAccount.delta(before, self.account.snapshot())
        time.sleep(self.sampler.interval * 2)  # let the sampler see the end
        peak, _ = self.sampler.peak()
        return OpResult(seconds=elapsed, rss=peak - self.baseline, cpu=cpu, value=value)

    def create_document(self) -> int:
        small = self.workdir / "first.pdf"
        small.write_bytes(PDF_HEADER + b"first version\n" * 100)
        boundary = uuid.uuid4().hex
        body = multipart_body(boundary, small, {"title": "Transfer benchmark", "classification": "internal",
                                                "kind": "other"})
        response = self.session.post(
            f"{self.base_url}/api/documents/", data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        response.raise_for_status()
        self.document_id = response.json()["id"]
        return self.document_id

    def _forget_content(self, sha256_hex: str) -> None:
        """Content-addressed store: identical bytes are not uploaded twice. Delete the
        object so every API upload really transfers the file."""
        with contextlib.suppress(Exception):
            self.raw.remove_object(APP_BUCKET, content_key(sha256_hex))

    def _check_version(self, response: requests.Response, size: int, sha256_hex: str) -> int:
        if response.status_code not in (200, 201):
            raise RuntimeError(f"upload failed: {response.status_code} {response.text[:500]}")
        body = response.json()
        if body["size"] != size or body["sha256"] != sha256_hex:
            raise RuntimeError(f"upload stored the wrong bytes: {body}")
        if response.status_code != 201:
            raise RuntimeError("upload was deduplicated; the benchmark would not measure a transfer")
        return body["number"]

    # -- operations -----------------------------------------------------------------------
    def raw_upload(self, path: Path) -> None:
        self.raw.fput_object(RAW_BUCKET, "large.pdf", str(path), content_type="application/pdf")

    def raw_download(self, size: int) -> None:
        response = self.raw.get_object(RAW_BUCKET, "large.pdf")
        total = 0
        try:
            for chunk in response.stream(BLOCK):
                total += len(chunk)
        finally:
            response.close()
            response.release_conn()
        if total != size:
            raise RuntimeError(f"raw download got {total} of {size} bytes")

    def raw_copy(self) -> None:
        from minio.commonconfig import CopySource

        self.raw.copy_object(RAW_BUCKET, "large-copy.pdf", CopySource(RAW_BUCKET, "large.pdf"))

    def api_upload_raw(self, path: Path, size: int, sha256_hex: str, *, digest: bool) -> int:
        self._forget_content(sha256_hex)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": "attachment; filename*=UTF-8''large-%E5%A4%A7.pdf",
        }
        if digest:
            headers["Content-Digest"] = content_digest_header(sha256_hex)
        body = StreamedBody(path)
        result = self._measured(lambda: self.session.post(
            f"{self.base_url}/api/documents/{self.document_id}/versions/", data=body, headers=headers))
        body.close()
        result.value = self._check_version(result.value, size, sha256_hex)
        return result

    def api_upload_multipart(self, path: Path, size: int, sha256_hex: str):
        self._forget_content(sha256_hex)
        boundary = uuid.uuid4().hex
        body = multipart_body(boundary, path, {"comment": "multipart benchmark"})
        result = self._measured(lambda: self.session.post(
            f"{self.base_url}/api/documents/{self.document_id}/versions/", data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}))
        body.close()
        result.value = self._check_version(result.value, size, sha256_hex)
        return result

    def api_download(self, number: int, size: int) -> None:
        url = f"{self.base_url}/api/documents/{self.document_id}/versions/{number}/download/"
        total = 0
        with self.session.get(url, stream=True) as response:
            response.raise_for_status()
            for chunk in response.iter_content(BLOCK):
                total += len(chunk)
        if total != size:
            raise RuntimeError(f"API download got {total} of {size} bytes")

    def ttfb_raw(self, ranged: bool = False) -> float:
        """Request sent -> first body byte of a GET of the large object (then the connection is dropped)."""
        started = time.perf_counter()
        if ranged:
            response = self.raw.get_object(RAW_BUCKET, "large.pdf", offset=0, length=RANGE_BYTES)
        else:
            response = self.raw.get_object(RAW_BUCKET, "large.pdf")
        first = response.read(1)
        elapsed = time.perf_counter() - started
        response.close()
        response.release_conn()
        assert first
        return elapsed

    def ttfb_api(self, number: int, ranged: bool = False) -> float:
        url = f"{self.base_url}/api/documents/{self.document_id}/versions/{number}/download/"
        headers = {"Range": f"bytes=0-{RANGE_BYTES - 1}"} if ranged else {}
        started = time.perf_counter()
        response = self.session.get(url, stream=True, headers=headers)
        first = response.raw.read(1)
        elapsed = time.perf_counter() - started
        response.close()
        assert response.status_code == (206 if ranged else 200) and first, response.status_code
        return elapsed

    def latency_metadata(self) -> float:
        """The same auth, lookup and audited read without storage: GET /api/documents/{id}/."""
        started = time.perf_counter()
        response = self.session.get(f"{self.base_url}/api/documents/{self.document_id}/")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        return elapsed


# --- the run ---------------------------------------------------------------------------------

OPS = [
    ("raw_up", "raw upload (minio fput_object)"),
    ("api_up_digest", "API upload, raw body + Content-Digest"),
    ("api_up_nodigest", "API upload, raw body, no digest (staging + copy)"),
    ("api_up_multipart", "API upload, multipart/form-data"),
    ("raw_copy", "(raw server-side copy_object of the file, for reference)"),
    ("raw_down", "raw download (minio get_object, 1 MiB reads)"),
    ("api_down", "API download (requests iter_content 1 MiB)"),
]
RAW_OPS = {"raw_up", "raw_down", "raw_copy"}
TTFB_KINDS = [
    ("raw", "raw GET"),
    ("api", "API GET …/download/ (verified stream)"),
    ("raw_range", f"raw GET, first {RANGE_BYTES // 1024} KiB"),
    ("api_range", f"API GET, Range first {RANGE_BYTES // 1024} KiB"),
    ("api_meta", "API GET /api/documents/{id}/ (no storage)"),
]


def run_size(bench: TransferBench, size: int, repeat: int, ttfb_samples: int, workdir: Path,
             ops: set[str] | None = None) -> Measurements:
    path = workdir / f"large-{size // MiB}MiB.pdf"
    print(f"\n== {size // MiB} MiB: writing the test file ...", flush=True)
    sha256_hex = make_file(path, size)
    m = Measurements()
    number = None

    def record(op: str, result: OpResult) -> None:
        m.add(op, result, server_side=op not in RAW_OPS)
        _report(op, size, result)

    ops = set(ops or dict(OPS))
    try:
        # Objects the selected operations read, when no selected operation writes them.
        if "raw_up" not in ops and (ops & {"raw_down", "raw_copy"} or ttfb_samples):
            bench.raw_upload(path)
        if "api_up_digest" not in ops and ("api_down" in ops or ttfb_samples):
            number = bench.api_upload_raw(path, size, sha256_hex, digest=True).value
        for run in range(1, repeat + 1):
            print(f"-- run {run}/{repeat}", flush=True)
            if "raw_up" in ops:
                record("raw_up", bench._measured(lambda: bench.raw_upload(path)))
            if "raw_down" in ops:
                record("raw_down", bench._measured(lambda: bench.raw_download(size)))
            if "raw_copy" in ops:
                record("raw_copy", bench._measured(bench.raw_copy))
            if "api_up_nodigest" in ops:
                record("api_up_nodigest", bench.api_upload_raw(path, size, sha256_hex, digest=False))
            if "api_up_multipart" in ops:
                record("api_up_multipart", bench.api_upload_multipart(path, size, sha256_hex))
            if "api_up_digest" in ops:
                result = bench.api_upload_raw(path, size, sha256_hex, digest=True)
                number = result.value
                record("api_up_digest", result)
            if "api_down" in ops:
                record("api_down", bench._measured(lambda: bench.api_download(number, size)))
        if not ttfb_samples:
            return m

        print(f"-- time to first byte, {ttfb_samples} GETs of each kind (interleaved)", flush=True)
        if bench.quiet_wait:
            wait_until_quiet(bench.quiet_wait, exclude=[*bench.server_pids(), bench.s3.pid, os.getpid()])
        probes = {
            "raw": lambda: bench.ttfb_raw(),
            "api": lambda: bench.ttfb_api(number),
            "raw_range": lambda: bench.ttfb_raw(ranged=True),
            "api_range": lambda: bench.ttfb_api(number, ranged=True),
            "api_meta": bench.latency_metadata,
        }
        for _ in range(2):  # warm every path
            for probe in probes.values():
                probe()
        for _ in range(ttfb_samples):
            for kind, probe in probes.items():
                m.ttfb.setdefault(kind, []).append(probe())
                time.sleep(0.05)
        print("   " + ", ".join(f"{kind} {median(v) * 1000:.1f} ms" for kind, v in m.ttfb.items()), flush=True)
    finally:
        path.unlink(missing_ok=True)
        with contextlib.suppress(Exception):
            bench.raw.remove_object(RAW_BUCKET, "large-copy.pdf")
    return m


def _mbps(size: int, seconds: float) -> float:
    return size / seconds / 1e6


def _report(op: str, size: int, result: OpResult) -> None:
    label = dict(OPS)[op]
    cpu = result.cpu
    extra = "" if op in RAW_OPS else f", peak RSS +{fmt_mib(result.rss)} MiB"
    print(f"   {label:<58} {result.seconds:7.2f} s {_mbps(size, result.seconds):7.1f} MB/s  CPU s: "
          f"gunicorn {cpu['gunicorn']:.2f} weed {cpu['weed']:.2f} client {cpu['client']:.2f}, "
          f"other load {cpu['other'] / cpu['wall']:.2f} cores{extra}", flush=True)


def summarize(results: dict[int, "Measurements"]) -> tuple[str, str, list[str]]:
    rows = []
    verdicts = []
    for size, m in results.items():
        speed = {op: median(_mbps(size, s) for s in secs) for op, secs in m.seconds.items()}
        # Raw and API operations alternate within each run, so the ratio is taken per run (the
        # background load of that moment hits both sides) and its median reported.
        ratios = {}
        for op in m.seconds:
            base = "raw_up" if op.startswith("api_up") else "raw_down" if op == "api_down" else None
            if base in m.seconds:
                ratios[op] = median(m.seconds[base][i] / m.seconds[op][i] for i in range(len(m.seconds[op])))
        for op, label in OPS:
            if op not in m.seconds:
                continue
            ratio = f"{ratios[op] * 100:.0f}%" if op in ratios else ""
            runs = ", ".join(f"{_mbps(size, s):.0f}" for s in m.seconds[op])
            per_gib = {k: median(c[k] for c in m.cpu[op]) * GiB / size for k in ("gunicorn", "weed", "client")}
            other = max(c["other"] / c["wall"] for c in m.cpu[op])
            rss = m.rss_growth.get(op)
            rows.append([f"{size // MiB} MiB", label, f"{speed[op]:.0f}", runs, ratio,
                         f"{per_gib['gunicorn']:.2f} / {per_gib['weed']:.2f} / {per_gib['client']:.2f}",
                         f"{other:.2f}", fmt_mib(max(rss)) if rss else "—"])
        parts = []
        up = ratios.get("api_up_digest")
        if up is not None:
            parts.append(f"upload with digest {up:.0%} of raw (target ≥ 85%: {'met' if up >= 0.85 else 'missed'})")
        for op, what in (("api_up_nodigest", "without digest"), ("api_up_multipart", "multipart")):
            if op in ratios:
                parts.append(f"{what} {ratios[op]:.0%}")
        down = ratios.get("api_down")
        if down is not None:
            parts.append(f"download {down:.0%} (target ≥ 90%: {'met' if down >= 0.90 else 'missed'})")
        if m.ttfb.get("api") and m.ttfb.get("raw"):
            delta = median(m.ttfb["api"]) - median(m.ttfb["raw"])
            parts.append(f"TTFB {delta * 1000:+.1f} ms (target ≤ 20 ms: {'met' if delta <= 0.020 else 'missed'})")
        if m.rss_growth:
            worst_rss = max(max(v) for v in m.rss_growth.values())
            parts.append(f"peak RSS growth {fmt_mib(worst_rss)} MiB (target < 64 MiB: "
                         f"{'met' if worst_rss < 64 * MiB else 'missed'})")
        verdicts.append(f"{size // MiB} MiB: " + "; ".join(parts) + ".")
    table = markdown_table(
        ["size", "operation", "MB/s (median)", "MB/s per run", "vs raw (median of per-run ratios)",
         "CPU s per GiB: gunicorn / weed / client", "other load (cores, worst run)", "server peak RSS growth (MiB)"],
        rows)
    ttfb_rows = []
    for size, m in results.items():
        for kind, label in TTFB_KINDS:
            values = m.ttfb.get(kind)
            if not values:
                continue
            base = "raw" if kind in ("api", "api_meta") else "raw_range" if kind == "api_range" else None
            vs = f"{(median(values) - median(m.ttfb[base])) * 1000:+.1f}" if base else ""
            ttfb_rows.append([f"{size // MiB} MiB", label, len(values), f"{median(values) * 1000:.1f}",
                              f"{percentile(values, 90) * 1000:.1f}", vs])
    ttfb = markdown_table(["object", "request", "samples", "median (ms)", "p90 (ms)", "vs raw (ms)"], ttfb_rows)
    return table, ttfb, verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1024,256", help="file sizes in MiB, comma-separated (default 1024,256)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per operation (default 3)")
    parser.add_argument("--ttfb", type=int, default=15, help="GETs of each kind for time to first byte (default 15)")
    # One worker process: its RSS is what one process streaming gigabytes costs, and the warm-up
    # reaches it for sure (keep-alive would pin a warm-up to one of several workers, leaving the
    # others to load modules during the measurements). Threads serve concurrent transfers.
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--quiet-wait", type=float, default=10.0,
                        help="before each operation wait up to this many seconds for other processes on the "
                             "machine to use < 0.3 cores (default 10; 0 disables)")
    parser.add_argument("--ops", default="",
                        help="comma-separated subset of operations to time (default all): " + ", ".join(dict(OPS)))
    parser.add_argument("--database", default="dossier_bench")
    parser.add_argument("--write", action="store_true", help="update the transfer section of BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the database and work directory")
    args = parser.parse_args(argv)
    sizes = [int(s) * MiB for s in args.sizes.split(",") if s.strip()]
    ops = {op.strip() for op in args.ops.split(",") if op.strip()} or set(dict(OPS))
    unknown = ops - set(dict(OPS))
    if unknown:
        parser.error(f"unknown operations {sorted(unknown)}; choose from {', '.join(dict(OPS))}")

    results: dict[int, Measurements] = {}
    started = time.perf_counter()
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-transfer", keep=args.keep)
        print(f"work directory {workdir}", flush=True)
        s3 = start_weed(stack, workdir / "weed")
        print(f"weed mini at {s3.endpoint} (pid {s3.pid})", flush=True)
        # Background work (search indexing) goes to a broker that nobody consumes, as in production
        # where a Celery worker, not the web process, does it.
        env = app_database(stack, args.database, keep=args.keep, storage_url=s3.url_for_bucket(APP_BUCKET),
                           data_dir=workdir / "data", CELERY_BROKER_URL="memory://")
        from backend.accounts.services import department_create

        department = department_create(actor=None, code="bench", name="Bench")
        _, token = seed_user_with_token("bench.transfer", department=department)
        close_django_connections()

        server = start_gunicorn(stack, env, workdir / "gunicorn", workers=args.workers, threads=args.threads)
        print(f"gunicorn at {server.base_url} (master pid {server.process.pid}, workers {server.worker_pids()})",
              flush=True)
        sampler = RssSampler(server.pids)
        stack.callback(sampler.stop)

        bench = TransferBench(base_url=server.base_url, token=token, s3=s3, sampler=sampler, baseline=0,
                              workdir=workdir, server_pids=server.pids, quiet_wait=args.quiet_wait)
        bench.create_document()
        # Warm up every code path in both workers before the idle baseline is taken.
        warm = workdir / "warm.pdf"
        warm_sha = make_file(warm, 24 * MiB)
        quiet_wait, bench.quiet_wait = bench.quiet_wait, 0.0
        for _ in range(2):
            for digest in (True, False):
                number = bench.api_upload_raw(warm, 24 * MiB, warm_sha, digest=digest).value
            bench.api_upload_multipart(warm, 24 * MiB, warm_sha)
            bench.api_download(number, 24 * MiB)
            bench.ttfb_api(number)
            bench.ttfb_api(number, ranged=True)
        bench.quiet_wait = quiet_wait
        warm.unlink()
        time.sleep(1.0)
        bench.baseline = sampler.baseline(2.0)
        print(f"idle RSS baseline (master + {args.workers} workers): {fmt_mib(bench.baseline)} MiB", flush=True)

        try:
            for size in sizes:
                results[size] = run_size(bench, size, args.repeat, args.ttfb, workdir, ops)
        except Exception:
            code = server.process.poll() if server.process else None
            print(f"\nbenchmark failed; gunicorn master {'exited with ' + str(code) if code is not None else 'alive'}"
                  f"; its log ends:\n{server.log_tail()}", flush=True)
            raise
        idle_after = sampler.baseline(1.0)

    table, ttfb, verdicts = summarize(results)
    print("\n" + table + "\n\n" + ttfb + "\n")
    for line in verdicts:
        print(line)
    print(f"\nidle RSS after the run: {fmt_mib(idle_after)} MiB (baseline {fmt_mib(bench.baseline)} MiB); "
          f"total time {time.perf_counter() - started:.0f} s")
    if args.write:
        write_section("transfer", render_section(args, table, ttfb, verdicts, bench.baseline, idle_after))
        print("BENCHMARKS.md updated")
    return 0


def render_section(args, table, ttfb, verdicts, baseline, idle_after) -> str:
    return (
        "## Large-file transfer: API vs raw S3\n\n"
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')}. "
        f"Command: `.venv/bin/python -m bench.transfer --sizes {args.sizes} --repeat {args.repeat} "
        f"--ttfb {args.ttfb}{' --ops ' + args.ops if args.ops else ''} --write`\n\n"
        f"gunicorn `--worker-class gthread --workers {args.workers} --threads {args.threads}`; one `weed mini` "
        "serves both buckets. MB/s = 10^6 bytes/s, median of the runs. CPU columns: CPU seconds per GiB "
        "moved (median of the runs) of the gunicorn master + workers, of `weed mini`, and of the benchmark "
        "client; \"other load\" is CPU used by unrelated processes on the (shared) machine during the "
        "operation. RSS: the worst run's peak of gunicorn master + workers over the idle baseline "
        f"({fmt_mib(baseline)} MiB after warm-up; {fmt_mib(idle_after)} MiB idle after the run).\n\n"
        f"{table}\n\nTime to first byte (request sent → first body byte; the connection is then dropped), "
        f"interleaved:\n\n{ttfb}\n\n" + "\n".join(f"- {v}" for v in verdicts) + "\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
