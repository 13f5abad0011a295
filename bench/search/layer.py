"""Our layer's indexing: `search_reindex`'s code path over the seeded corpus (extraction excluded: the
text is in the database), and extraction + indexing of generated files through the pipeline."""

from __future__ import annotations

import io
import random
import time
from pathlib import Path

from bench.population import weighted
from bench.search.corpus import SEED, TextMaker


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
