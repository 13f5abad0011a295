"""Search at 100,000 versions: indexing throughput, trimmed query latency through the API, and the
same work straight against the engine without our layer, for the embedded tantivy backend and for
OpenSearch, over the same seeded corpus in one run.

    .venv/bin/python -m bench.search                     # full run (100,000 versions, both backends, ~30-45 min on 2 cores)
    .venv/bin/python -m bench.search --docs 10000        # a quick look
    .venv/bin/python -m bench.search --write             # also update the Search section of BENCHMARKS.md
    .venv/bin/python -m bench.search --backend tantivy   # one backend only (tantivy|opensearch|both)
    .venv/bin/python -m bench.search --backend tantivy --reuse --index-dir /tmp/idx --extract-docs 0
                                                         # iterate: keep the database, seed it once
    .venv/bin/python -m bench.search --backend tantivy --reuse --index-dir /tmp/idx --skip-indexing \
        --skip-raw-indexing --extract-docs 0             # queries only, against that index

The corpus (fixed random seed) is written to PostgreSQL database `dossier_bench_search` with COPY:
1000 users in 20 departments and 60 teams, documents with one version each (4% public, 46% internal,
42% confidential, 8% secret), 500,000 grants (80% to users, 20% to groups, mostly on restricted
documents) — the same permission shape as bench/document_list.py, where a typical user sees ~10%.
Each version's extracted text is already in the database (as after extraction): 1-20 KB, half
Chinese, 30% English, 20% mixed, drawn from a business vocabulary with a Zipf-like spread plus
a long tail of rare words. (No PostgreSQL answering? bench.common starts a throwaway cluster; --reuse
then needs BENCH_PG_HOST/BENCH_PG_PORT at a server that outlives the run, e.g. one started by
`python -m tests.fixtures.postgres`.)

OpenSearch: a node of its own, started with `tests.fixtures.opensearch.launch_node` (jars from Maven
Central, Java 17; heap --opensearch-heap, default 1g; C2 compiler on) on free loopback ports and
stopped by its PID at the end; our backend talks to it through SEARCH_URL
opensearch://127.0.0.1:<port>/bench-versions?timeout=300 (a bulk request of 1,000 versions can
take longer than the client's default 10 s on this machine).

Measured, for each backend:
  * indexing without extraction: `search_reindex`'s code path (read text and ACL from the database,
    build the documents, write: tantivy in-process, OpenSearch through the bulk API) over every
    version, versions/s, with the CPU per version of this process, its PostgreSQL backends and the
    OpenSearch node; and the raw engine rate: the same texts, already in memory, added to a plain
    tantivy index with tantivy's default tokenizer / sent in bulk requests of the same size to an
    OpenSearch index with our mapping and analyzer;
  * indexing with extraction (on the first backend): --extract-docs generated files (txt in GBK,
    DOCX, XLSX, PDF, e-mail) in a local file store, extracted and indexed by the pipeline; the other
    backend gets the same documents untimed, so both answer the queries over the same corpus;
  * queries: GET /api/search/ through Django's full stack in-process (token auth, principals, the
    engine, the database re-check, snippets, serialization) for the user nearest 10% visibility and
    for an admin, with and without all facets, Chinese and English query sets separately; and the
    same queries straight against the engine: for tantivy term/phrase queries with the same ACL
    filter and the same aggregations; for OpenSearch the very request bodies our backend sends
    (`search_body`, which fetches the stored start of each hit's text), sent with opensearch-py;
    no Django, no database, no snippets of ours;
  * index size (tantivy: on disk; OpenSearch: `_stats` store size), and the node's heap
    (`_nodes/stats/jvm`) after indexing and after the queries;
  * unrelated load: the CPU used by every other process on the (shared) machine during each timed
    phase, in cores, after waiting up to --quiet-wait seconds for it to drop under 0.3 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import shutil
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    base_env,
    cleanup_on_exit,
    close_django_connections,
    copy_rows,
    create_database,
    database_exists,
    database_url,
    django_setup,
    drop_database,
    make_workdir,
    migrate,
    postgres_backend_pids,
    reset_sequences,
)
from bench.machine import CpuAccount, cpu_reference, wait_until_quiet
from bench.population import CLASSIFICATION_WEIGHTS, DEPARTMENTS, KINDS, TEAMS, choose_users, seed_people, weighted
from bench.report import markdown_table, percentile, write_section

SEED = 20261122

ZH_WORDS = (
    "合同 报价 标书 数控机床 付款条件 验收标准 交货期 质量保证 售后服务 技术参数 设备 采购 订单 发票 金额 税率 甲方 乙方 "
    "违约责任 保修期 运输 包装 安装 调试 培训 备件 价格 折扣 有效期 规格 型号 数量 单价 总价 人民币 美元 工厂 车间 主轴 "
    "转速 精度 刀库 伺服电机 控制系统 加工中心 立式 卧式 五轴 激光切割 焊接 机器人 自动化 生产线 检测 仪器 材料 钢材 "
    "铝合金 客户 项目 投标 招标 评审 资质 证书 授权 代理 经销商 上海 北京 深圳 广州 苏州 杭州 天津 重庆 成都 武汉 公司 "
    "有限公司 股份 集团 技术 科技 机械 制造 精密 工业 系统 方案 报告 附件 条款 双方 约定 支付 预付款 尾款 银行 账户 "
    "签字 盖章 生效 终止 争议 仲裁 法律 适用 保密 知识产权 不可抗力 通知 地址 联系人 电话 传真 邮箱 日期 年 月 日 "
    "第一条 第二条 第三条 本合同 一式两份 具有同等法律效力 供货 需方 供方 货物 名称 产地 品牌 质量 标准 检验 "
    "合格 证明 文件 随机 资料 说明书 图纸 工期 进度 计划 延期 罚款 赔偿 损失 责任 义务 权利"
).split()
EN_WORDS = (
    "payment terms net 60 net 30 delivery schedule warranty period invoice purchase order acceptance criteria "
    "spindle speed machining center service level agreement penalty clause training spare parts installation "
    "quotation validity the of and to in for with on by at from as is are be this that shall will may supplier "
    "buyer customer contract price total amount currency tax discount quantity unit model specification "
    "technical parameters factory workshop accuracy tool magazine servo motor control system vertical horizontal "
    "five axis laser cutting welding robot automation production line inspection instrument material steel "
    "aluminium alloy project tender bid evaluation certificate authorization distributor company limited group "
    "technology machinery manufacturing precision industrial solution report appendix article parties agree "
    "advance balance bank account signature seal effective termination dispute arbitration law confidential "
    "intellectual property force majeure notice address contact phone email date first second third schedule "
    "goods origin brand quality standard test qualified documents manual drawings progress plan delay damages "
    "liability obligations rights Shanghai Beijing Shenzhen Suzhou ACME Corp Precision Works"
).split()
ZH_QUERIES = ["合同", "报价", "标书", "数控机床", "控机", "付款条件", "验收标准 交货期", "质量保证", "售后服务",
              "违约责任", "技术参数", "加工中心", "上海 合同", "報價", "设备 采购", "发票 金额", "五轴", "培训 备件",
              '"伺服电机"', "激光切割 OR 焊接"]
EN_QUERIES = ["payment terms", '"net 60"', "warranty", "delivery schedule", "invoice", "acceptance criteria",
              "spindle speed", "machining center", "service level", "penalty", "purchase order", "training",
              "spare parts", "installation", "quotation validity", "force majeure", "arbitration", "servo motor",
              "laser OR welding", "ACME -tender"]


def _zipf(words: list[str]) -> list[float]:
    return [1.0 / (rank + 1) ** 0.9 for rank in range(len(words))]


class TextMaker:
    """Deterministic business-like text in Chinese, English or both, of about `size` UTF-8 bytes."""

    def __init__(self, seed: int):
        rng = random.Random(seed)
        common = "".join(sorted(set("".join(ZH_WORDS))))
        rare_pool = common + "".join(chr(cp) for cp in range(0x4E00, 0x4E00 + 2500))
        self.zh = list(ZH_WORDS) + ["".join(rng.choice(rare_pool) for _ in range(2)) for _ in range(4000)]
        self.en = list(EN_WORDS) + ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))
                                    for _ in range(6000)]
        self.zh_weights = _zipf(self.zh)
        self.en_weights = _zipf(self.en)
        self.zh_cum = _cumulative(self.zh_weights)
        self.en_cum = _cumulative(self.en_weights)

    def sentence(self, rng: random.Random, lang: str) -> str:
        if lang == "zh":
            words = rng.choices(self.zh, cum_weights=self.zh_cum, k=rng.randint(6, 16))
            cut = len(words) // 2
            return "".join(words[:cut]) + "，" + "".join(words[cut:]) + "。"
        words = rng.choices(self.en, cum_weights=self.en_cum, k=rng.randint(8, 20))
        return " ".join(words).capitalize() + ". "

    def text(self, rng: random.Random, lang: str, size: int) -> str:
        parts, total = [], 0
        while total < size:
            piece = self.sentence(rng, "zh" if lang == "zh" or (lang == "mixed" and rng.random() < 0.5) else "en")
            parts.append(piece)
            total += len(piece.encode())
            if rng.random() < 0.08:
                number = f" {rng.randint(1000, 999999)} "
                parts.append(number)
                total += len(number)
        return "".join(parts)


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for weight in weights:
        total += weight
        out.append(total)
    return out


@dataclass
class Seeded:
    documents: int
    text_bytes: int
    seconds: float


def seed(*, docs: int, grants: int, users: int) -> Seeded:
    """Users, groups, documents, versions, their extracted text and grants, written with COPY."""
    from django.contrib.auth.models import Group, Permission
    from django.db import connection, transaction
    from django.utils import timezone

    from backend.access.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
    from backend.accounts.models import Department, User
    from backend.documents.models import Document, DocumentVersion
    from indexing.models import VersionIndexState

    rng = random.Random(SEED)
    maker = TextMaker(SEED)
    started = time.perf_counter()
    now = timezone.now().replace(microsecond=0)
    span = dt.timedelta(days=3 * 365)
    text_bytes = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        user_dept = seed_people(rng, users=users, joined=now - span).user_dept

        classifications = weighted(rng, CLASSIFICATION_WEIGHTS, docs)
        owners = [rng.randint(1, users) for _ in range(docs)]
        kinds = [rng.choice(KINDS) for _ in range(docs)]
        step = span / docs
        created = [now - span + step * i for i in range(1, docs + 1)]
        customers = [f"{rng.choice(['上海', '苏州', '深圳', 'ACME', 'Nordic'])}{rng.choice(['精工', '重工', 'Precision'])}"
                     f"{c:03d}" for c in range(300)]
        titles = [f"{rng.choice(['供货合同', '报价单', '投标文件', 'Supply contract', 'Quotation', 'Tender'])} "
                  f"{rng.choice(customers)} {i}" for i in range(1, docs + 1)]
        copy_rows(Document, ["id", "title", "kind", "classification", "description", "created_at", "updated_at",
                             "version_count", "owner_id", "department_id", "valid_version_id"],
                  ((i, titles[i - 1], kinds[i - 1], classifications[i - 1], "", created[i - 1], created[i - 1], 1,
                    owners[i - 1], user_dept[owners[i - 1]], i) for i in range(1, docs + 1)))
        copy_rows(DocumentVersion, ["id", "document_id", "number", "object_key", "sha256", "size", "mime_type",
                                    "original_filename", "filename", "comment", "status", "uploaded_by_id",
                                    "created_at"],
                  ((i, i, 1, f"sha256/{i:064x}", f"{i:064x}", 10_000, "application/pdf", f"document-{i}.pdf",
                    f"document-{i}.pdf", "", "approved" if i % 2 else "draft", owners[i - 1], created[i - 1])
                   for i in range(1, docs + 1)))

        def state_rows():
            nonlocal text_bytes
            for i in range(1, docs + 1):
                doc_rng = random.Random(SEED * 1_000_003 + i)
                lang = weighted(doc_rng, (("zh", 50), ("en", 30), ("mixed", 20)), 1)[0]
                text = maker.text(doc_rng, lang, doc_rng.randint(1024, 20 * 1024))
                text_bytes += len(text.encode())
                yield (i, "pending", "", "bench", text, False, now, None, 1, now)

        copy_rows(VersionIndexState, ["version_id", "status", "reason", "extractor", "text", "text_truncated",
                                      "extracted_at", "indexed_at", "attempts", "updated_at"], state_rows())

        perms = dict(Permission.objects.filter(content_type__app_label="documents",
                                               content_type__model="document").values_list("codename", "id"))
        restricted = [i for i in range(1, docs + 1) if classifications[i - 1] in ("confidential", "secret")]

        def unique_grants(n: int, principal) -> list[tuple[int, int, int]]:
            seen: set[tuple[int, int, int]] = set()
            while len(seen) < n:
                doc = rng.choice(restricted) if rng.random() < 0.8 else rng.randint(1, docs)
                seen.add((principal(), perms["view_document"], doc))
            return sorted(seen, key=lambda row: row[2])

        n_user = grants * 4 // 5
        copy_rows(DocumentUserObjectPermission, ["user_id", "permission_id", "content_object_id"],
                  unique_grants(n_user, lambda: rng.randint(1, users)))
        copy_rows(DocumentGroupObjectPermission, ["group_id", "permission_id", "content_object_id"],
                  unique_grants(grants - n_user, lambda: rng.randint(1, DEPARTMENTS + TEAMS)))
        reset_sequences(Group, Department, User, Document, DocumentVersion, DocumentUserObjectPermission,
                        DocumentGroupObjectPermission)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Seeded(documents=docs, text_bytes=text_bytes, seconds=time.perf_counter() - started)


# --- indexing ---------------------------------------------------------------------------------


def index_ours(batch_size: int) -> tuple[float, int]:
    """search_reindex's code path over everything (extraction excluded: the text is in the database)."""
    from indexing import reindex

    run = reindex.reindex_start(clear=True)
    started = time.perf_counter()
    last = [started]

    def progress(r):
        if time.perf_counter() - last[0] > 15:
            last[0] = time.perf_counter()
            print(f"  {r.versions_done:,} versions, {r.versions_done / (last[0] - started):,.0f}/s", flush=True)

    reindex.reindex_run(run, batch_size=batch_size, progress=progress)
    return time.perf_counter() - started, run.versions_done


def load_texts(docs: int) -> list[tuple[int, str, str, list[str]]]:
    from backend.access.policy import view_principals_for_documents
    from backend.documents.models import Document
    from indexing.models import VersionIndexState

    titles = dict(Document.objects.values_list("id", "title"))
    out = []
    for start in range(1, docs + 1, 5000):
        ids = list(range(start, min(start + 5000, docs + 1)))
        principals = view_principals_for_documents(ids)
        for version_id, text in VersionIndexState.objects.filter(version_id__in=ids).values_list("version_id", "text"):
            out.append((version_id, titles[version_id], text, principals.get(version_id, [])))
    return out


def index_raw(texts, path: Path) -> float:
    """The same texts straight into tantivy: default tokenizer, no analysis of ours, no database."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("version_id", stored=True, indexed=True, fast=True)
    builder.add_text_field("title")
    builder.add_text_field("body")
    builder.add_text_field("principals", tokenizer_name="raw", index_option="basic")
    index = tantivy.Index(builder.build(), path=str(path))
    started = time.perf_counter()
    writer = index.writer(heap_size=256_000_000)
    for version_id, title, text, principals in texts:
        doc = tantivy.Document()
        doc.add_integer("version_id", version_id)
        doc.add_text("title", title)
        doc.add_text("body", text)
        for token in principals:
            doc.add_text("principals", token)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    return time.perf_counter() - started


def extraction_sample(count: int, workdir: Path) -> tuple[float, int, dict[str, int], list[int]]:
    """Generate files, store them, then time extraction + indexing of them through the pipeline;
    (seconds, versions, files per kind, the new documents' ids)."""
    from django.contrib.auth import get_user_model

    from backend.documents.store import object_store
    from backend.documents.models import Document, DocumentVersion
    from indexing.sync import documents_sync
    from tests.indexing import files

    rng = random.Random(SEED + 7)
    maker = TextMaker(SEED + 7)
    owner = get_user_model().objects.order_by("id").first()
    store = object_store()
    kinds: dict[str, int] = {}
    ids = []
    for n in range(count):
        kind = weighted(rng, (("txt", 30), ("docx", 25), ("pdf", 20), ("xlsx", 15), ("eml", 10)), 1)[0]
        text = maker.text(rng, "zh" if n % 2 else "en", rng.randint(1024, 8 * 1024))
        if kind == "txt":
            data, mime = text.encode("gb18030"), "text/plain"
        elif kind == "docx":
            data, mime = files.docx_with(text), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        elif kind == "pdf":
            lines = [text[i:i + 60] for i in range(0, min(len(text), 2400), 60)]
            data, mime = files.pdf_with_text(*lines[:40]), "application/pdf"
        elif kind == "xlsx":
            rows = [tuple(text[i:i + 40].split()[:5]) or ("x",) for i in range(0, len(text), 200)]
            data, mime = files.xlsx_with(*rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            data, mime = files.eml_with_attachments() + text.encode(), "message/rfc822"
        kinds[kind] = kinds.get(kind, 0) + 1
        stored = store.put_stream(io.BytesIO(data), content_type=mime)
        document = Document.objects.create(title=f"Extract {n}", owner=owner, department=owner.department,
                                           classification="internal", version_count=1)
        version = DocumentVersion.objects.create(document=document, number=1, object_key=stored.key,
                                                 sha256=stored.sha256, size=stored.size, mime_type=mime,
                                                 original_filename=f"file-{n}.{kind}", filename=f"file-{n}.{kind}",
                                                 uploaded_by=owner)
        Document.objects.filter(pk=document.pk).update(valid_version=version)
        ids.append(document.pk)
    started = time.perf_counter()
    for start in range(0, len(ids), 100):
        documents_sync(ids[start:start + 100])
    return time.perf_counter() - started, len(ids), kinds, ids


# --- queries ----------------------------------------------------------------------------------


def time_api(token: str, queries: list[str], *, facets: bool, rounds: int) -> list[float]:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    params = {"facets": "all"} if facets else {}
    for q in queries:  # warm-up: one pass, as the raw engine's timing gets (it runs after this)
        client.get("/api/search/", {"q": q, **params})
    times = []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            response = client.get("/api/search/", {"q": q, **params})
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:300]
    return times


def time_raw(backend, principals: list[str], queries: list[str], *, facets: bool, rounds: int) -> list[float]:
    """The same queries as tantivy calls: parse, ACL filter, top 20 with count (+ aggregations, counted
    beside the search on a second thread as the API counts them), no snippets."""
    from indexing import query
    from indexing.backends import SearchRequest
    from indexing.backends.base import FACET_FIELDS

    searcher = backend._ready().searcher()
    compiled = [backend.compile(SearchRequest(query=query.parse(q), principals=tuple(principals)), searcher)
                for q in queries]
    aggregations = {name: {"terms": {"field": field, "size": 20}} for name, field in FACET_FIELDS.items()}
    times = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for round_ in range(rounds + 1):  # the first pass warms up, as for the API
            for tq in compiled:
                started = time.perf_counter()
                # Facets are counted on a second thread while the hits are found, as the API does.
                counting = pool.submit(searcher.aggregate, tq, aggregations) if facets else None
                found = searcher.search(tq, limit=20, count=True)
                searcher.fast_field_values("version_id", [a for _, a in found.hits])
                if counting is not None:
                    counting.result()
                if round_:
                    times.append(time.perf_counter() - started)
    return times


def _slowest(api: list[float], raw: list[float], queries: list[str], top: int = 3) -> str:
    """The queries whose API time is largest (the timings are round by round, query by query)."""
    n = len(queries)
    medians = [(statistics.median(api[j::n]), statistics.median(raw[j::n]), q) for j, q in enumerate(queries)]
    medians.sort(reverse=True)
    return ", ".join(f"{q} {a * 1000:.1f} / {r * 1000:.1f}" for a, r, q in medians[:top])


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _seeded_already(docs: int) -> Seeded | None:
    """The corpus a previous --reuse run left in the database, or None when it is not complete."""
    from django.db import connection

    from backend.documents.models import DocumentVersion

    if DocumentVersion.objects.count() != docs:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(octet_length(text)), 0) FROM indexing_versionindexstate")
        text_bytes = int(cursor.fetchone()[0])
    return Seeded(documents=docs, text_bytes=text_bytes, seconds=0.0)


# --- OpenSearch -------------------------------------------------------------------------------

OPENSEARCH_INDEX = "bench-versions"
RAW_OPENSEARCH_INDEX = "bench-raw-versions"
OPENSEARCH_TIMEOUT = 300.0  # seconds, for our backend's client (SEARCH_URL ?timeout=) and the raw one


def start_opensearch(stack, workdir: Path, heap: str):
    """A throwaway node from tests.fixtures.opensearch (free loopback ports), stopped by its PID when
    the stack unwinds. The fixture runs the JVM with the C1 compiler only, because tests are short;
    this benchmark runs for minutes, as production does, so full tiered compilation (C2) is put back."""
    from tests.fixtures.opensearch import launch_node

    started = time.perf_counter()
    node = launch_node(workdir, heap=heap, extra_jvm_args=["-XX:TieredStopAtLevel=4"])
    stack.callback(node.stop)
    return node, time.perf_counter() - started


def opensearch_client(search_url: str):
    """A plain opensearch-py client for `search_url` (the same connection options our backend uses)."""
    from opensearchpy import OpenSearch

    from indexing.backends.opensearch import client_options_from_url

    kwargs, index, _ = client_options_from_url(search_url)
    kwargs["timeout"] = OPENSEARCH_TIMEOUT
    return OpenSearch(**kwargs), index


def wait_for_merges(client, index: str, timeout: float = 300.0) -> float:
    """Wait until no merge has run for two checks in a row (as tantivy's commit waits for its merging
    threads), then refresh: until the reader is reopened, the files of merged-away segments stay on
    disk and `_stats` counts them beside the merged segment."""
    started = time.monotonic()
    idle = 0
    while time.monotonic() - started < timeout and idle < 2:
        stats = client.indices.stats(index=index, metric="merge")
        idle = idle + 1 if stats["indices"][index]["primaries"]["merges"]["current"] == 0 else 0
        time.sleep(1.0)
    client.indices.refresh(index=index)
    return time.monotonic() - started


@dataclass
class NodeFacts:
    documents: int
    size: int
    segments: int
    heap_used: int
    heap_max: int
    rss: int


def opensearch_facts(client, index: str, pid: int | None) -> NodeFacts:
    """The index's documents, store size and segments (`_stats`), the node's heap (`_nodes/stats/jvm`)
    and the JVM's resident memory."""
    import psutil

    primaries = client.indices.stats(index=index, metric="docs,store,segments")["indices"][index]["primaries"]
    mem = next(iter(client.nodes.stats(metric="jvm")["nodes"].values()))["jvm"]["mem"]
    rss = psutil.Process(pid).memory_info().rss if pid else 0
    return NodeFacts(documents=int(primaries["docs"]["count"]), size=int(primaries["store"]["size_in_bytes"]),
                     segments=int(primaries["segments"]["count"]), heap_used=int(mem["heap_used_in_bytes"]),
                     heap_max=int(mem["heap_max_in_bytes"]), rss=rss)


def node_versions(client) -> str:
    info = client.info()
    node = next(iter(client.nodes.info(metric="jvm")["nodes"].values()))
    return f"OpenSearch {info['version']['number']}, Java {node['jvm']['version']}"


def index_raw_opensearch(client, texts, batch_size: int) -> tuple[float, int]:
    """The same texts straight into OpenSearch: our index body (the same analyzer and mapping), bulk
    requests of `batch_size` from memory, no database, no IndexDoc; (seconds, store bytes)."""
    from indexing.backends.opensearch import index_body

    client.indices.delete(index=RAW_OPENSEARCH_INDEX, ignore=[404])
    client.indices.create(index=RAW_OPENSEARCH_INDEX, body=index_body())
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        lines: list[dict] = []
        for version_id, title, text, principals in texts[start:start + batch_size]:
            lines.append({"index": {"_index": RAW_OPENSEARCH_INDEX, "_id": str(version_id)}})
            lines.append({"version_id": version_id, "document_id": version_id, "title": title, "body": text,
                          "snippet_source": text[:200_000], "principals": principals, "is_valid": True})
        response = client.bulk(body=lines)
        if response.get("errors"):
            raise RuntimeError(f"raw bulk refused documents: {str(response['items'][:3])[:500]}")
    client.indices.refresh(index=RAW_OPENSEARCH_INDEX)
    seconds = time.perf_counter() - started
    wait_for_merges(client, RAW_OPENSEARCH_INDEX)
    size = opensearch_facts(client, RAW_OPENSEARCH_INDEX, None).size
    client.indices.delete(index=RAW_OPENSEARCH_INDEX)
    return seconds, size


def opensearch_bodies(backend, principals: list[str], queries: list[str], *, facets: bool) -> list[dict]:
    """The _search bodies our backend sends for the API's requests (20 hits, relevance, valid versions
    only, all facets or none, snippets on): `indexing.backends.opensearch.search_body` as the backend
    calls it, recorded from one untimed `backend.search()` per query, so they are exactly what it sends."""
    import copy

    from indexing import query
    from indexing.backends import SearchRequest
    from indexing.selectors import FACETS

    recorded: list[dict] = []
    client = backend.client
    send = client.search

    def record(*args, **kwargs):
        recorded.append(copy.deepcopy(kwargs["body"]))
        return send(*args, **kwargs)

    client.search = record
    try:
        for q in queries:
            backend.search(SearchRequest(query=query.parse(q), principals=tuple(principals),
                                         facets=FACETS if facets else ()))
    finally:
        del client.search
    if len(recorded) != len(queries):
        raise RuntimeError(f"expected one _search per query from {backend!r}, saw {len(recorded)}")
    return recorded


def time_raw_opensearch(client, index: str, backend, principals: list[str], queries: list[str], *, facets: bool,
                        rounds: int) -> list[float]:
    """The same query DSL our backend sends, straight with opensearch-py: no Django, no database, no
    snippets or highlighting of ours (the stored text for snippets is fetched, as ours fetches it)."""
    bodies = opensearch_bodies(backend, principals, queries, facets=facets)
    times = []
    for round_ in range(rounds + 1):  # the first pass warms up, as for the API
        for body in bodies:
            started = time.perf_counter()
            client.search(index=index, body=body)
            if round_:
                times.append(time.perf_counter() - started)
    return times


# --- the run ----------------------------------------------------------------------------------


def _load_meter(database: str, node_pid=lambda: None):
    """CPU seconds of this process, its PostgreSQL backends and the OpenSearch node, and of everything
    else (other load)."""
    return CpuAccount({"bench": lambda: [os.getpid()], "postgres": lambda: postgres_backend_pids(database),
                       "opensearch": lambda: [pid for pid in [node_pid()] if pid]})


def _other_cores(account, before) -> float:
    return _other(CpuAccount.delta(before, account.snapshot()))


def _other(d: dict[str, float]) -> float:
    return d["other"] / d["wall"] if d["wall"] > 0 else 0.0


def _cpu_per_version(d: dict[str, float], versions: int) -> dict[str, float]:
    """CPU milliseconds per version of this process, its PostgreSQL backends and the OpenSearch node."""
    return {name: d[name] * 1000 / versions for name in ("bench", "postgres", "opensearch")} if versions else {}


def use_search_url(url: str) -> None:
    """Point the app (settings, and the environment for anything started later) at another engine."""
    from django.conf import settings

    settings.SEARCH_URL = url
    os.environ["SEARCH_URL"] = url


@dataclass
class Indexed:
    """One backend's indexing numbers."""

    seconds: float = 1.0
    versions: int = 0
    other: float = 0.0
    size: int = 0
    raw_seconds: float = 1.0
    raw_versions: int = 0
    raw_size: int = 0
    raw_other: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # ms per version: bench, postgres, opensearch
    raw_cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.versions / self.seconds

    @property
    def raw_rate(self) -> float:
        return self.raw_versions / self.raw_seconds if self.raw_versions else float("nan")


BACKEND_LABEL = {"tantivy": "tantivy", "opensearch": "OpenSearch"}


def _cpu_cell(name: str, cpu: dict[str, float]) -> str:
    """"2.1 + 0.3" (tantivy runs inside this process) or "1.2 + 0.3 + 4.5" (the node is a process of its own)."""
    if not cpu:
        return ""
    parts = [cpu["bench"], cpu["postgres"]] + ([cpu["opensearch"]] if name == "opensearch" else [])
    return " + ".join(f"{value:.1f}" for value in parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("tantivy", "opensearch", "both"), default="both",
                        help="which engines to index and query (both: tantivy first, then OpenSearch, same corpus)")
    parser.add_argument("--docs", type=int, default=100_000, help="versions in the corpus (one per document)")
    parser.add_argument("--grants", type=int, default=None, help="default: 5 per document")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5, help="passes over each 20-query set per configuration")
    parser.add_argument("--extract-docs", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database", default="dossier_bench_search")
    parser.add_argument("--opensearch-heap", default=os.environ.get("DOSSIER_OPENSEARCH_HEAP", "1g"),
                        help="the OpenSearch node's JVM heap (-Xms/-Xmx); default DOSSIER_OPENSEARCH_HEAP or 1g")
    parser.add_argument("--write", action="store_true", help="update the Search section of BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the database and the work directory")
    parser.add_argument("--reuse", action="store_true",
                        help="for iterating: keep --database and reuse its corpus when it is complete (implies --keep;"
                             " needs a PostgreSQL that outlives the run, see BENCH_PG_HOST/BENCH_PG_PORT)")
    parser.add_argument("--index-dir", type=Path, default=None,
                        help="where our tantivy index lives (kept); default: inside the work directory")
    parser.add_argument("--skip-indexing", action="store_true",
                        help="query the tantivy index already at --index-dir instead of rebuilding it (no indexing "
                             "numbers; tantivy only: the OpenSearch node is always a fresh one)")
    parser.add_argument("--skip-raw-indexing", action="store_true", help="do not time the raw engines' indexing")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="seconds to wait for unrelated processes to calm down before each timed phase")
    args = parser.parse_args(argv)
    grants = args.grants if args.grants is not None else 5 * args.docs
    backends = ("tantivy", "opensearch") if args.backend == "both" else (args.backend,)
    if args.reuse:
        args.keep = True
    if args.write and (args.skip_indexing or args.skip_raw_indexing):
        parser.error("--write needs every measurement: drop --skip-indexing/--skip-raw-indexing")
    if args.skip_indexing and args.index_dir is None:
        parser.error("--skip-indexing needs --index-dir")
    if args.skip_indexing and "opensearch" in backends:
        parser.error("--skip-indexing works with --backend tantivy only (the OpenSearch node is a fresh one)")

    total_started = time.perf_counter()
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-search", keep=args.keep)
        if args.reuse:
            exists = database_exists(args.database)
            db_url = database_url(args.database) if exists else create_database(args.database)
        else:
            db_url = create_database(args.database)
        if not args.keep:
            stack.callback(drop_database, args.database)
        index_path = args.index_dir.resolve() if args.index_dir else workdir / "index"
        urls = {"tantivy": f"tantivy://{index_path}"}
        env = base_env(database=db_url, storage_url=f"file://{workdir / 'objects'}", data_dir=workdir / "data",
                       SEARCH_URL=urls["tantivy"], CELERY_BROKER_URL="")
        migrate(env)
        os.environ["SEARCH_URL"] = env["SEARCH_URL"]
        django_setup(env)
        seeded = _seeded_already(args.docs) if args.reuse else None
        if seeded is None:
            if args.reuse:  # a partial corpus: start again
                from django.db import connection

                close_django_connections()
                connection.close()
                db_url = create_database(args.database)
                migrate(env)
            print(f"seeding {args.docs:,} versions with text, {grants:,} grants, {args.users} users ...", flush=True)
            seeded = seed(docs=args.docs, grants=grants, users=args.users)
            print(f"seeded {seeded.text_bytes / 2**20:,.0f} MiB of text in {seeded.seconds:.0f} s", flush=True)
        else:
            print(f"reusing the corpus in {args.database} ({seeded.text_bytes / 2**20:,.0f} MiB of text)", flush=True)
        narrow, narrow_count, admin, admin_count = choose_users(args.docs)
        print(f"narrow user {narrow.username} sees {narrow_count:,} ({narrow_count / args.docs:.1%}); "
              f"admin sees {admin_count:,} ({admin_count / args.docs:.1%})", flush=True)
        node = None
        meter = _load_meter(args.database, lambda: node.pid if node is not None else None)

        def quiet() -> None:
            if args.quiet_wait:
                mine = [os.getpid(), *postgres_backend_pids(args.database), *([node.pid] if node and node.pid else [])]
                wait_until_quiet(args.quiet_wait, exclude=mine)

        def index_through_our_layer(result: Indexed) -> None:
            """search_reindex's code path into the current SEARCH_URL, timed, with its CPU accounted."""
            quiet()
            before = meter.snapshot()
            result.seconds, result.versions = index_ours(args.batch_size)
            d = CpuAccount.delta(before, meter.snapshot())
            result.other, result.cpu = _other(d), _cpu_per_version(d, result.versions)

        indexed = {name: Indexed() for name in backends}

        # -- tantivy: our layer, then the raw engine
        if "tantivy" in backends:
            use_search_url(urls["tantivy"])
            result = indexed["tantivy"]
            if not args.skip_indexing:
                print("tantivy: indexing through our layer (search_reindex path) ...", flush=True)
                index_through_our_layer(result)
            result.size = _dir_size(index_path)
            if result.versions:
                print(f"  {result.versions:,} versions in {result.seconds:.0f} s = {result.rate:,.0f}/s; "
                      f"index {result.size / 2**20:,.0f} MiB; other load {result.other:.2f} cores", flush=True)
            if not args.skip_raw_indexing:
                texts = load_texts(args.docs)  # loaded after our layer's run, and dropped before the next one
                raw_path = workdir / "raw-index"
                raw_path.mkdir()
                quiet()
                before = meter.snapshot()
                result.raw_seconds = index_raw(texts, raw_path)
                result.raw_versions = len(texts)
                d = CpuAccount.delta(before, meter.snapshot())
                result.raw_other, result.raw_cpu = _other(d), _cpu_per_version(d, result.raw_versions)
                result.raw_size = _dir_size(raw_path)
                shutil.rmtree(raw_path, ignore_errors=True)
                del texts
                print(f"raw tantivy: {result.raw_rate:,.0f}/s, {result.raw_size / 2**20:,.0f} MiB; "
                      f"other load {result.raw_other:.2f} cores", flush=True)

        # -- OpenSearch: a node of our own, our layer through the bulk API, then the raw engine
        node_facts: dict[str, NodeFacts] = {}
        node_start, node_info, merge_wait = 0.0, "", 0.0
        os_client = os_index = None
        if "opensearch" in backends:
            print(f"starting an OpenSearch node (heap {args.opensearch_heap}) ...", flush=True)
            node, node_start = start_opensearch(stack, workdir / "opensearch", args.opensearch_heap)
            # A bulk request of --batch-size versions (~10 MB) can take longer than the client's default
            # 10 s on this shared machine; `timeout` is one of SEARCH_URL's documented options.
            urls["opensearch"] = f"{node.search_url(OPENSEARCH_INDEX)}?timeout={OPENSEARCH_TIMEOUT:.0f}"
            os_client, os_index = opensearch_client(urls["opensearch"])
            node_info = node_versions(os_client)
            print(f"  {node_info} at {node.url} (pid {node.pid}) in {node_start:.1f} s", flush=True)
            use_search_url(urls["opensearch"])
            result = indexed["opensearch"]
            print("OpenSearch: indexing through our layer (search_reindex path, bulk API) ...", flush=True)
            index_through_our_layer(result)
            merge_wait = wait_for_merges(os_client, os_index)
            node_facts["indexed"] = opensearch_facts(os_client, os_index, node.pid)
            result.size = node_facts["indexed"].size
            print(f"  {result.versions:,} versions in {result.seconds:.0f} s = {result.rate:,.0f}/s; "
                  f"index {result.size / 2**20:,.0f} MiB in {node_facts['indexed'].segments} segments "
                  f"(merges done {merge_wait:.0f} s later); heap {node_facts['indexed'].heap_used / 2**20:,.0f} of "
                  f"{node_facts['indexed'].heap_max / 2**20:,.0f} MiB; other load {result.other:.2f} cores", flush=True)
            if not args.skip_raw_indexing:
                texts = load_texts(args.docs)
                quiet()
                before = meter.snapshot()
                result.raw_seconds, result.raw_size = index_raw_opensearch(os_client, texts, args.batch_size)
                result.raw_versions = len(texts)
                del texts
                d = CpuAccount.delta(before, meter.snapshot())
                result.raw_other, result.raw_cpu = _other(d), _cpu_per_version(d, result.raw_versions)
                print(f"raw OpenSearch: {result.raw_rate:,.0f}/s, {result.raw_size / 2**20:,.0f} MiB; "
                      f"other load {result.raw_other:.2f} cores", flush=True)

        # -- extraction: timed on the first backend; the other gets the same documents untimed, so
        #    both answer the queries over the same corpus
        extract_seconds, extract_count, extract_kinds, extract_backend = 1.0, 0, {}, backends[0]
        if args.extract_docs:
            use_search_url(urls[extract_backend])
            print(f"extraction sample of {args.extract_docs} files ({BACKEND_LABEL[extract_backend]}) ...", flush=True)
            extract_seconds, extract_count, extract_kinds, extract_ids = extraction_sample(args.extract_docs, workdir)
            print(f"  {extract_count / extract_seconds:,.0f} versions/s with extraction", flush=True)
            from indexing.engine import search_backend
            from indexing.sync import documents_sync

            for name in backends[1:]:
                use_search_url(urls[name])
                other_backend = search_backend()
                with other_backend.bulk():
                    for start in range(0, len(extract_ids), 100):
                        documents_sync(extract_ids[start:start + 100], backend=other_backend)

        # -- queries, backend by backend
        from backend.access.policy import user_principals
        from backend.accounts.services import api_token_issue
        from indexing.engine import search_backend
        from backend.common.runtime import warm_and_freeze

        tokens = {"narrow": api_token_issue(user=narrow), "admin": api_token_issue(user=admin)}
        principals = {"narrow": user_principals(narrow), "admin": user_principals(admin)}
        rows, worst, load, speed = [], {}, {}, {}
        for name in backends:
            use_search_url(urls[name])
            backend = search_backend()
            if name == "opensearch":
                os_client.indices.refresh(index=os_index)
                wait_for_merges(os_client, os_index)
            # As backend/wsgi.py does in a server: what start-up (here also seeding and indexing) left
            # alive is frozen, so the collector's oldest generation does not walk it mid-request.
            warm_and_freeze()
            quiet()
            load_before = os.getloadavg()[0]
            speed_before = cpu_reference()
            worst[name] = {"api": 0.0, "gap": 0.0}
            for who in ("narrow", "admin"):
                for lang, queries in (("Chinese", ZH_QUERIES), ("English", EN_QUERIES)):
                    for facets in (False, True):
                        before = meter.snapshot()
                        api = time_api(tokens[who], queries, facets=facets, rounds=args.rounds)
                        if name == "tantivy":
                            raw = time_raw(backend, principals[who], queries, facets=facets, rounds=args.rounds)
                        else:
                            raw = time_raw_opensearch(os_client, os_index, backend, principals[who], queries, facets=facets,
                                                      rounds=args.rounds)
                        other = _other_cores(meter, before)
                        api95, raw95 = percentile(api, 95), percentile(raw, 95)
                        if facets:
                            worst[name]["api"] = max(worst[name]["api"], api95)
                        worst[name]["gap"] = max(worst[name]["gap"], api95 - raw95)
                        rows.append([BACKEND_LABEL[name], who, lang, "yes" if facets else "no", len(api),
                                     f"{percentile(api, 50) * 1000:.1f}", f"{api95 * 1000:.1f}",
                                     f"{percentile(raw, 50) * 1000:.1f}", f"{raw95 * 1000:.1f}",
                                     f"{(api95 - raw95) * 1000:.1f}", f"{other:.2f}"])
                        print(" | ".join(str(c) for c in rows[-1]), flush=True)
                        print("    slowest queries (API / raw median, ms): " + _slowest(api, raw, queries), flush=True)
            load[name] = (load_before, os.getloadavg()[0])
            speed[name] = (speed_before * 1000, cpu_reference() * 1000)
            if name == "opensearch":
                node_facts["queried"] = opensearch_facts(os_client, os_index, node.pid)
        close_django_connections()

    total = time.perf_counter() - total_started
    table = markdown_table(["backend", "user", "queries", "facets", "requests", "API p50 (ms)", "API p95 (ms)",
                            "raw p50 (ms)", "raw p95 (ms)", "p95 gap (ms)", "other load (cores)"], rows)
    raw_labels = {"tantivy": "raw tantivy, default tokenizer, texts in memory",
                  "opensearch": "raw OpenSearch, our mapping and analyzer, bulk from memory"}
    index_rows = []
    for name in backends:
        r = indexed[name]
        label = BACKEND_LABEL[name]
        how = "search_reindex path" + (", bulk API" if name == "opensearch" else "")
        vs_raw = f"{r.rate / r.raw_rate:.2f}×" if r.raw_versions else ""
        index_rows.append([label, f"our layer, extraction excluded ({how})", f"{r.versions:,}", f"{r.seconds:.0f}",
                           f"{r.rate:,.0f}", vs_raw, _cpu_cell(name, r.cpu), f"{r.other:.2f}"])
        if r.raw_versions:
            index_rows.append([label, raw_labels[name], f"{r.raw_versions:,}", f"{r.raw_seconds:.0f}",
                               f"{r.raw_rate:,.0f}", "1.00×", _cpu_cell(name, r.raw_cpu), f"{r.raw_other:.2f}"])
        if name == extract_backend and extract_count:
            index_rows.append(
                [label, f"our layer, extraction included "
                        f"({', '.join(f'{k} {v}' for k, v in sorted(extract_kinds.items()))})",
                 f"{extract_count:,}", f"{extract_seconds:.1f}", f"{extract_count / extract_seconds:,.0f}", "", "", ""])
    indexing = markdown_table(["backend", "what", "versions", "seconds", "versions/s", "vs raw",
                               "CPU ms/version (bench + PostgreSQL + node)", "other load (cores)"], index_rows)
    verdicts = []
    for name in backends:
        r, w, label = indexed[name], worst[name], BACKEND_LABEL[name]
        vs_raw = f", {r.rate / r.raw_rate:.2f}× the raw engine" if r.raw_versions else ""
        verdicts += [
            f"{label}: API p95 ≤ 50 ms with snippets and facets: {'met' if w['api'] <= 0.050 else 'missed'} "
            f"(worst {w['api'] * 1000:.1f} ms).",
            f"{label}: API p95 ≤ raw engine p95 + 30 ms: {'met' if w['gap'] <= 0.030 else 'missed'} "
            f"(largest gap {w['gap'] * 1000:.1f} ms).",
            f"{label}: indexing ≥ 500 versions/s without extraction: {'met' if r.rate >= 500 else 'missed'} "
            f"({r.rate:,.0f}/s{vs_raw}).",
        ]
    print("\n" + indexing + "\n\n" + table + "\n")
    for verdict in verdicts:
        print(verdict)
    for name in backends:
        r = indexed[name]
        print(f"{BACKEND_LABEL[name]}: index size {r.size / 2**20:,.0f} MiB (raw engine index {r.raw_size / 2**20:,.0f} MiB)")
    for when, facts in node_facts.items():
        print(f"OpenSearch after {'indexing' if when == 'indexed' else 'the queries'}: {facts.documents:,} documents, "
              f"{facts.size / 2**20:,.0f} MiB in {facts.segments} segments; heap used {facts.heap_used / 2**20:,.0f} "
              f"of {facts.heap_max / 2**20:,.0f} MiB; JVM RSS {facts.rss / 2**20:,.0f} MiB")
    print(f"total time {total:.0f} s")
    if args.write:
        body = render_section(
            args, backends, grants, seeded, narrow_count, admin_count, indexing, table, verdicts, indexed,
            total, load, speed, node_facts, node_info, extract_backend, extract_count,
        )
        write_section("search", body)
        print("BENCHMARKS.md updated")
    return 0


def render_section(args, backends, grants, seeded, narrow_count, admin_count, indexing, table, verdicts, indexed,
                   total, load, speed, node_facts, node_info, extract_backend, extract_count) -> str:
    names = " and ".join(f"{BACKEND_LABEL[n]}" for n in backends)
    command = "python -m bench.search"
    if args.docs != 100_000:
        command += f" --docs {args.docs}"
    if args.backend != "both":
        command += f" --backend {args.backend}"
    command += " --write"
    extra = (f" (plus the {extract_count:,} files of the extraction sample for the queries)" if extract_count else "")
    out = f"""## Search

`{command}` ({names} over the same seeded corpus in one run; whole run {total / 60:.0f} min).
Corpus: {args.docs:,} versions with {seeded.text_bytes / 2**20:,.0f} MiB
of extracted text (1-20 KB each; 50% Chinese, 30% English, 20% mixed), {args.users:,} users, {grants:,} grants{extra}.
The narrow user sees {narrow_count:,} documents ({narrow_count / args.docs:.1%}), the admin {admin_count:,}
({admin_count / args.docs:.1%}).

### Indexing

{indexing}
"""
    if "tantivy" in backends:
        r = indexed["tantivy"]
        out += f"""
tantivy index size on disk: {r.size / 2**20:,.0f} MiB (ours: word and bigram positions in three fields plus the
stored text for snippets); the raw engine's index of the same texts: {r.raw_size / 2**20:,.0f} MiB.
"""
    if "opensearch" in backends:
        r = indexed["opensearch"]
        f_idx = node_facts.get("indexed")
        f_q = node_facts.get("queried")
        after_queries = (f", {f_q.size / 2**20:,.0f} MiB in {f_q.segments} segments after the queries "
                         f"({f_q.documents:,} versions)" if f_q else "")
        out += f"""
OpenSearch: one node ({node_info}, heap {args.opensearch_heap}, C2 compiler on; started from Maven
Central jars by `tests.fixtures.opensearch.launch_node`), one shard, no replica, SEARCH_URL
`opensearch://127.0.0.1:<port>/{OPENSEARCH_INDEX}?timeout={OPENSEARCH_TIMEOUT:.0f}`. Our layer is `search_reindex`'s code path with bulk
requests of {args.batch_size:,} documents; "raw" sends the same texts (title, body, principals) from
memory in bulk requests of the same size to an index with our mapping and analyzer. Index size
(`_stats` primaries store, once no merge ran for two seconds and the reader was refreshed):
{r.size / 2**20:,.0f} MiB in {f_idx.segments if f_idx else 0} segments after indexing{after_queries}
(the raw index: {r.raw_size / 2**20:,.0f} MiB). Heap (`_nodes/stats/jvm`): {f_idx.heap_used / 2**20 if f_idx else 0:,.0f} MiB used of
{f_idx.heap_max / 2**20 if f_idx else 0:,.0f} MiB after indexing, {f_q.heap_used / 2**20 if f_q else 0:,.0f} MiB after the queries; the JVM's resident memory
{f_q.rss / 2**20 if f_q else 0:,.0f} MiB.
"""
    out += f"""
### Queries

`GET /api/search/?q=…` through Django in-process (token auth, the caller's principals, the engine with
the ACL filter, the database re-check of the page, snippets, serialization; start-up objects frozen
out of the garbage collector's way first, as `backend/wsgi.py` does in a server), 20 results per page, each
of 20 queries {args.rounds} times per row, after one untimed pass over the same queries (API and raw alike).
For tantivy, "raw" is the same query (same tokens, same ACL filter, same aggregations when facets are on,
counted on a second thread beside the search as the API counts them) straight against the same tantivy
index: no Django, no database, no snippets. For OpenSearch, "raw" is the same request body our backend
sends (`indexing.backends.opensearch.search_body`: the ACL terms filter, the aggregations when facets are on,
and the stored first characters of each hit's text, from which our layer cuts the snippet as it does for
tantivy), sent with `opensearch-py`'s `client.search`: no Django, no database, no snippets or highlighting
by our layer. The machine is shared:
"other load" is the CPU that processes other than this benchmark, its PostgreSQL backends and the
OpenSearch node used while a row (or an indexing run) was measured, in cores out of 2 (`bench.machine.CpuAccount`); before
each timed phase the script waited up to {args.quiet_wait:.0f} s for it to drop under 0.3 cores. The machine's own
speed also varies from day to day without any load showing: a fixed pure-Python workload
(`bench.machine.cpu_reference`) measures it; compare runs with that in mind.
"""
    for name in backends:
        (lb, la), (sb, sa) = load[name], speed[name]
        out += (f"{BACKEND_LABEL[name]} queries: 1-minute load average {lb:.1f} before and {la:.1f} after; "
                f"`cpu_reference` {sb:.0f} ms before and {sa:.0f} ms after.\n")
    out += f"""
{table}

{chr(10).join('* ' + v for v in verdicts)}
"""
    return out


if __name__ == "__main__":
    raise SystemExit(main())
