"""OCR (indexing/extract/ocr.py): scans and photos become searchable text, on both search backends.

The corpus is made here (tests/indexing/ocr_corpus.py): Chinese and English words drawn with the CJK
font into a noisy, skewed PNG and an image-only PDF whose page is turned a quarter. Tesseract takes
seconds a page, so the module reads the corpus once (the real extraction: child process, tesseract)
and the backend tests index that reading; one upload goes the whole way (upload -> worker -> search).
"""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command

from backend.access.policy import user_principals  # noqa: F401 - the people fixture's users are staff
from indexing import extraction
from indexing.extract import Budget, ExtractionFailed, Unsupported, extract, ocr
from indexing.models import IndexStatus, VersionIndexState
from indexing.selectors import search_documents
from indexing.sync import documents_sync
from tests import factories
from tests.indexing import files
from tests.indexing.helpers import engine_hits, state_of
from tests.indexing.ocr_corpus import corpus, small_scan, text_image

pytestmark = [pytest.mark.django_db, pytest.mark.s3]

LANGUAGES = "chi_sim+chi_tra+eng"
RECALL = 0.9


def _mime(filename: str) -> str:
    return "application/pdf" if filename.endswith(".pdf") else "image/png"


@pytest.fixture
def ocr_on(settings):
    settings.SEARCH_OCR_LANGUAGES = LANGUAGES


@pytest.fixture(scope="module")
def read_corpus():
    """[(scan, what extraction made of it)], each file read once by the real pipeline's extractor."""
    return [(scan, extract(scan.content, _mime(scan.filename), budget=Budget(ocr_languages=LANGUAGES)))
            for scan in corpus()]


@pytest.fixture(params=["tantivy", "opensearch"])
def engine(request, search_index):
    if request.param == "tantivy":
        yield search_index
        return
    from indexing.backends.opensearch import OpenSearchBackend

    cluster = request.getfixturevalue("opensearch_node")  # started on first use, never skipped
    backend = OpenSearchBackend(cluster.search_url(f"dossier-ocr-{uuid.uuid4().hex[:10]}"))
    yield backend
    backend.drop()
    backend.close()


def test_scanned_chinese_and_english_words_are_found_by_search(people, read_corpus, engine):
    # given the scans uploaded, their text recognised by OCR and indexed
    owner, _, _ = people
    scans = []
    for number, (scan, reading) in enumerate(read_corpus, start=1):
        doc = factories.document(owner, title=f"Scan {number}", content=scan.content, filename=scan.filename)
        state, _ = VersionIndexState.objects.get_or_create(version_id=doc.valid_version_id)
        extraction.version_record_extracted(state, reading)
        scans.append((scan, doc))
    documents_sync([doc.pk for _, doc in scans], backend=engine)

    # when each known word is searched for
    def found(word: str, doc) -> bool:
        page = search_documents(user=owner, q=word, backend=engine)
        return any(row.version.document_id == doc.pk and row.ocr for row in page.results)

    chinese = [found(word, doc) for scan, doc in scans for word in scan.chinese]
    english = [found(word, doc) for scan, doc in scans for word in scan.english]

    # then at least 90% of the 2-character Chinese words and of the English words are found, marked as OCR
    assert sum(chinese) / len(chinese) >= RECALL, f"Chinese recall {sum(chinese)}/{len(chinese)}"
    assert sum(english) / len(english) >= RECALL, f"English recall {sum(english)}/{len(english)}"


def test_the_turned_and_the_noisy_scan_are_each_read(read_corpus):
    # given the corpus read once: a noisy skewed PNG and a PDF page turned 90 degrees
    readings = {scan.filename: reading for scan, reading in read_corpus}

    # then both were read by OCR, one page each, with a high confidence (the turned page upright)
    assert readings["scan-noisy.png"].extractor == "ocr"
    assert readings["scan-turned.pdf"].extractor == "ocr"  # the PDF had no text layer at all
    for reading in readings.values():
        assert (reading.ocr_pages, reading.ocr_pages_wanted) == (1, 1)
        assert reading.ocr_confidence is not None and reading.ocr_confidence > 75
        assert not reading.truncated


def test_an_uploaded_scan_is_read_by_ocr_and_its_hit_says_so(people, committed, search_index, ocr_on, client):
    # given a scanned signed contract uploaded as a picture
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, title="Signed copy", content=small_scan("供货合同 Zenith Trading"),
                                 filename="signed.png")

    # then the worker read it by OCR and recorded how
    state = state_of(doc)
    assert state.status == IndexStatus.INDEXED and state.extractor == "ocr"
    assert (state.ocr_pages, state.ocr_pages_wanted) == (1, 1) and state.ocr_confidence > 60
    assert engine_hits(search_index, owner, "供货 zenith") == {doc.pk}

    # when the owner searches on the page and through the API, the hit says its text came from OCR
    client.force_login(owner)
    page = client.get("/search/", {"q": "zenith"}).content.decode()
    api = client.get("/api/search/", {"q": "合同"}).json()
    assert 'data-testid="hit-ocr"' in page and "OCR" in page
    assert [(hit["document_id"], hit["ocr"]) for hit in api["results"]] == [(doc.pk, True)]


def test_a_hit_in_extracted_text_does_not_say_ocr(people, committed, search_index, ocr_on, client):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, title="Typed", content=files.pdf_with_text("供货合同 Zenith terms"),
                                 filename="typed.pdf")

    assert state_of(doc).extractor == "pdf" and state_of(doc).ocr_pages == 0
    client.force_login(owner)
    assert [(hit["document_id"], hit["ocr"]) for hit in client.get("/api/search/", {"q": "zenith"}).json()["results"]] \
        == [(doc.pk, False)]
    assert 'data-testid="hit-ocr"' not in client.get("/search/", {"q": "zenith"}).content.decode()


def test_search_reindex_ocr_reads_the_images_stored_before_ocr_was_on(people, committed, search_index, settings):
    # given a scan and a text file uploaded while OCR was off: the scan has no text
    owner, _, _ = people
    settings.SEARCH_OCR_LANGUAGES = ""
    with committed():
        scan = factories.document(owner, title="Old scan", content=small_scan("报价单 Quorum"), filename="old.png")
        typed = factories.document(owner, title="Notes", content=b"plain words", filename="notes.txt")
    assert state_of(scan).status == IndexStatus.UNSUPPORTED
    typed_extracted_at = state_of(typed).extracted_at

    # when OCR is turned on and the images and PDFs are read again
    settings.SEARCH_OCR_LANGUAGES = LANGUAGES
    out, err = io.StringIO(), io.StringIO()
    call_command("search_reindex", "--re-extract", "--ocr", stdout=out, stderr=err)

    # then the scan is searchable by its recognised words, with progress and a summary; the text file was not read again
    assert state_of(scan).extractor == "ocr" and engine_hits(search_index, owner, "报价 quorum") == {scan.pk}
    assert "Reindexing 1 documents with images or PDFs (OCR)" in out.getvalue()
    assert "OCR: 1 of 1 scanned pages read in 1 versions" in out.getvalue()
    assert "100.0% 1/1 documents" in err.getvalue() and "1 pages read by OCR" in err.getvalue()
    assert state_of(typed).extracted_at == typed_extracted_at
    assert engine_hits(search_index, owner, "plain") == {typed.pk}


def test_search_reindex_ocr_says_when_tesseract_cannot_run(settings):
    from django.core.management.base import CommandError

    settings.SEARCH_OCR_LANGUAGES = ""
    with pytest.raises(CommandError, match="OCR is not available"):
        call_command("search_reindex", "--ocr", stdout=io.StringIO(), stderr=io.StringIO())


# --- the extractor's parts, without tesseract's seconds -------------------------------------------


def test_a_page_turned_a_few_degrees_is_levelled():
    page = text_image(["供货合同 客户名称 上海华东机械", "The signed contract with Acme Trading"])

    assert abs(ocr.skew_angle(page.rotate(4, expand=True, fillcolor=255)) - (-4)) <= 0.5
    assert abs(ocr.skew_angle(page.rotate(-2.5, expand=True, fillcolor=255)) - 2.5) <= 0.5
    assert ocr.skew_angle(page) == 0


def test_tesseract_words_become_lines_with_han_runs_unbroken():
    tsv = "\n".join([
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
        "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t95.1\t供货",
        "5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t91.0\t合同",
        "5\t1\t1\t1\t1\t3\t0\t0\t1\t1\t88.0\tAcme",
        "5\t1\t1\t1\t1\t4\t0\t0\t1\t1\t90.0\tTrading",
        "5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t5.0\t#~",  # a speck read as text: dropped
        "5\t1\t2\t1\t1\t1\t0\t0\t1\t1\t80.0\t第二",
    ])

    page = ocr._parse_tsv(tsv)

    assert page.text == "供货合同 Acme Trading\n\n第二"
    assert page.words == 5 and round(page.mean_confidence, 1) == 88.8


def test_a_pdf_with_a_text_layer_is_not_read_by_ocr():
    result = extract(files.pdf_with_text("供货合同 supply terms"), "application/pdf",
                     budget=Budget(ocr_languages=LANGUAGES))

    assert result.extractor == "pdf" and "supply terms" in result.text
    assert (result.ocr_pages, result.ocr_pages_wanted, result.ocr_confidence) == (0, 0, None)


def test_a_scan_that_does_not_fit_the_time_budget_keeps_the_file_and_says_how_far_ocr_got(people):
    # given a budget with less time than one tesseract run needs
    result = extract(small_scan(), "image/png", budget=Budget(ocr_languages=LANGUAGES, timeout_seconds=0.5))

    # then the file is not failed: OCR read 0 of its 1 page, and the version's state says so
    assert (result.ocr_pages, result.ocr_pages_wanted, result.truncated) == (0, 1, True)
    owner, _, _ = people
    doc = factories.document(owner, content=small_scan(), filename="late.png")
    state, _ = VersionIndexState.objects.get_or_create(version_id=doc.valid_version_id)
    extraction.version_record_extracted(state, result)
    assert state.reason == "OCR read 0 of 1 scanned pages within the time and page limits"


def test_images_need_ocr_turned_on_and_a_broken_image_fails_with_the_reason():
    with pytest.raises(Unsupported):
        extract(small_scan(), "image/png", budget=Budget(ocr_languages=""))
    with pytest.raises(ExtractionFailed, match="image is corrupt"):
        extract(small_scan()[:200], "image/png", budget=Budget(ocr_languages=LANGUAGES))


def test_big_images_are_scaled_to_the_pixel_cap_and_bombs_are_refused_before_decoding():
    from PIL import Image

    from tests.indexing.ocr_corpus import image_bytes

    # a page bigger than the cap is read smaller; one far bigger is refused without decoding it
    scaled = ocr._prepare(Image.new("L", (4000, 3000), 255), Budget(ocr_max_pixels=1_000_000))
    assert scaled.width * scaled.height <= 1_000_000 and abs(scaled.width / scaled.height - 4 / 3) < 0.01
    with pytest.raises(ExtractionFailed, match="too large"):
        extract(image_bytes(Image.new("L", (3000, 3000), 255), "PNG"), "image/png",
                budget=Budget(ocr_languages=LANGUAGES, ocr_max_pixels=1_000_000))
