"""Stamped downloads: a confidential or secret file is downloaded as a PDF with the reader's mark on every
page; the original in the store is never changed; the download's event carries both digests and the mark;
office files are stamped as the PDF their previews already made, pictures as a page; what cannot be
stamped is refused (never sent unstamped), and so is a direct store URL."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader, PdfWriter

from backend.audit.models import AuditEvent
from backend.common.errors import NotFound
from backend.documents import stamping
from backend.documents.downloads import document_version_download, document_version_presign
from backend.documents.models import ViewMark
from backend.documents.stamping import CANNOT_STAMP_FILE, CANNOT_STAMP_TYPE, PresignRefused, StampRefused
from backend.documents.store import object_store
from tests import factories
from tests.documents.stamping_files import StandInMark, docx_of, marked_pages, pdf_of

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def stored_sha256(version) -> str:
    return hashlib.sha256(b"".join(object_store().iter_verified(
        version.object_key, sha256=version.sha256, size=version.size))).hexdigest()


@pytest.fixture(autouse=True)
def preview_cache_dir(settings, tmp_path):
    settings.PREVIEW_CACHE_DIR = tmp_path / "previews"
    return settings.PREVIEW_CACHE_DIR


@pytest.fixture
def owner():
    return factories.UserFactory(username="wang.fang", first_name="芳", last_name="王",
                                 department=factories.DepartmentFactory(code="sales"))


def _download(owner, document) -> tuple[bytes, object]:
    version = document.versions.get(number=1)
    download = document_version_download(actor=owner, version=version)
    return b"".join(download.chunks), download


def _downloads():
    return AuditEvent.objects.filter(event_type="document.version.downloaded")


# --- the stamped copy --------------------------------------------------------------------------------


def test_a_confidential_pdf_is_downloaded_with_the_mark_on_every_page_and_the_original_untouched(owner):
    # given a confidential contract of three pages, one turned a quarter and one in landscape
    original = pdf_of(3, turned=2, landscape=3)
    document = factories.document(owner, classification="confidential", content=original)
    version = document.versions.get(number=1)
    # when its owner downloads it
    body, download = _download(owner, document)
    # then what arrives is a new PDF, not the original
    assert body.startswith(b"%PDF") and body != original and download.stamped is not None
    assert download.content_type == "application/pdf" and download.length == len(body)
    # and every page carries the mark: its code in the page's text, and the mark's form drawn over the page
    event = _downloads().get()
    code = event.detail["mark"]
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]
    assert len(texts) == 3 and all(code in text for text in texts)
    assert all("wang.fang" in text and "CONFIDENTIAL" in text for text in texts)
    assert all("Page %d of the supply contract" % number in text for number, text in enumerate(texts, start=1))
    assert marked_pages(body) == [True, True, True]
    # and the event records both digests: the original's and the stamped copy's
    assert event.outcome == "success" and event.actor == owner
    assert event.detail["sha256"] == version.sha256 == hashlib.sha256(original).hexdigest()
    assert event.detail["stamped_sha256"] == hashlib.sha256(body).hexdigest() == download.sha256
    assert event.detail["stamped_size"] == len(body)
    # and the mark's code finds that very event
    assert ViewMark.objects.get(code=code).event_id == event.pk
    # and the original object in the store is unchanged, byte for byte
    assert stored_sha256(version) == version.sha256


def test_each_download_gets_its_own_mark(owner):
    # given a secret document
    document = factories.document(owner, classification="secret", content=pdf_of(1))
    # when it is downloaded twice
    first, _ = _download(owner, document)
    second, _ = _download(owner, document)
    # then each copy has its own code, each bound to its own event
    codes = [event.detail["mark"] for event in _downloads().order_by("id")]
    assert len(set(codes)) == 2 and first != second
    assert {mark.event_id for mark in ViewMark.objects.filter(code__in=codes)} == set(
        _downloads().values_list("id", flat=True))


def test_an_internal_document_is_downloaded_as_it_is(owner):
    # given an internal document (not stamped by default)
    original = pdf_of(1)
    document = factories.document(owner, classification="internal", content=original)
    # when it is downloaded
    body, download = _download(owner, document)
    # then the original bytes arrive and no mark is made
    assert body == original and download.stamped is None
    assert "mark" not in _downloads().get().detail and not ViewMark.objects.exists()


def test_the_setting_names_the_stamped_classifications(owner, settings):
    # given stamping for secret documents only
    settings.STAMPED_DOWNLOAD_CLASSIFICATIONS = ["secret"]
    original = pdf_of(1)
    document = factories.document(owner, classification="confidential", content=original)
    # then a confidential one is sent as it is
    assert _download(owner, document)[0] == original


def test_a_hundred_page_pdf_is_stamped_on_every_page():
    # given a 100-page PDF
    source = stamping.StampSource(data=pdf_of(100), kind="pdf")
    # when it is stamped
    copy = stamping.stamp_pdf(source, StandInMark())
    # then every page calls the mark's form, and the first and last pages' text carry the code
    assert copy.pages == 100 and marked_pages(copy.data) == [True] * 100
    reader = PdfReader(io.BytesIO(copy.data))
    assert "7K3M9QXD" in reader.pages[0].extract_text() and "7K3M9QXD" in reader.pages[99].extract_text()
    # and the mark is one shared form, not a copy per page
    assert len(copy.data) < len(source.data) + 200_000


def test_the_mark_shows_in_the_pixels_of_every_page():
    import pypdfium2

    # given a blank page stamped
    copy = stamping.stamp_pdf(stamping.StampSource(data=pdf_of(2), kind="pdf"), StandInMark())
    for number in range(2):
        # when it is drawn, next to the same page unstamped
        marked = pypdfium2.PdfDocument(copy.data)[number].render(scale=0.5).to_pil().convert("L")
        plain = pypdfium2.PdfDocument(pdf_of(2))[number].render(scale=0.5).to_pil().convert("L")
        # then the pixels differ in every quarter of the page (tiled: cropping a corner leaves the rest)
        width, height = marked.size
        for box in ((0, 0, width // 2, height // 2), (width // 2, 0, width, height // 2),
                    (0, height // 2, width // 2, height), (width // 2, height // 2, width, height)):
            changed = sum(ImageChops.difference(marked.crop(box), plain.crop(box)).histogram()[1:])
            assert changed > 200


def test_a_picture_is_stamped_as_a_one_page_pdf(owner):
    # given a confidential scan as a PNG
    image = Image.new("RGB", (1240, 1754), (250, 250, 250))
    out = io.BytesIO()
    image.save(out, format="PNG")
    document = factories.document(owner, classification="confidential", content=out.getvalue(), filename="scan.png")
    # when it is downloaded
    body, download = _download(owner, document)
    # then it arrives as a PDF named like the scan, with the mark
    assert body.startswith(b"%PDF") and download.filename == "scan.pdf"
    event = _downloads().get()
    assert event.detail["converted_from"] == "image/png"
    assert marked_pages(body) == [True] and event.detail["mark"] in PdfReader(io.BytesIO(body)).pages[0].extract_text()


# --- other types -------------------------------------------------------------------------------------


def test_a_docx_is_stamped_as_the_pdf_its_preview_made_and_converted_only_once(owner, settings):
    from backend.documents import previews

    # given a confidential Word file of two pages
    document = factories.document(owner, classification="confidential", content=docx_of(2), filename="合同.docx")
    version = document.versions.get(number=1)
    assert version.mime_type == DOCX
    # when it is downloaded
    body, download = _download(owner, document)
    # then it arrives as a stamped PDF with the mark on each page and the text of the document
    assert body.startswith(b"%PDF") and download.filename == "合同.pdf"
    event = _downloads().get()
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]
    assert len(texts) == 2 and all(event.detail["mark"] in text for text in texts)
    assert "Supply contract page 2" in texts[1]
    assert event.detail["converted_from"] == DOCX and event.detail["sha256"] == version.sha256
    # and the conversion is the previews' own, kept in their cache
    assert previews.preview_cache().read(version.sha256, "document.pdf") is not None
    # when LibreOffice is gone and the file is downloaded again (and its preview drawn)
    settings.PREVIEW_SOFFICE = "/nonexistent/soffice"
    again, _ = _download(owner, document)
    # then both still work: nothing was converted a second time
    assert again.startswith(b"%PDF") and again != body
    assert previews.version_preview_open(actor=owner, version=version).kind == "pages"
    assert stored_sha256(version) == version.sha256


def test_with_other_types_refused_a_docx_download_is_refused_with_the_view_only_message(owner, settings):
    # given stamping that refuses what is not a PDF
    settings.STAMPED_DOWNLOAD_OTHER_TYPES = "refuse"
    document = factories.document(owner, classification="secret", content=docx_of(1), filename="plan.docx")
    # when the Word file is downloaded
    with pytest.raises(StampRefused) as refused:
        _download(owner, document)
    # then the refusal says a view-only copy is available, the attempt is recorded, and no mark is left
    assert refused.value.message == CANNOT_STAMP_TYPE and "view-only copy is available" in CANNOT_STAMP_TYPE
    assert refused.value.status_code == 409
    event = _downloads().get()
    assert event.outcome == "failure" and event.detail["error"] == "cannot_be_stamped"
    assert not ViewMark.objects.exists()
    # while a PDF is still stamped
    pdf_document = factories.document(owner, classification="secret", content=pdf_of(1))
    assert marked_pages(_download(owner, pdf_document)[0]) == [True]


def test_a_type_that_cannot_become_a_pdf_is_refused(owner):
    # given a confidential text file
    document = factories.document(owner, classification="confidential", content="价格表 price list\n".encode(),
                                  filename="prices.txt")
    # when it is downloaded, then it is refused, never sent unstamped
    with pytest.raises(StampRefused) as refused:
        _download(owner, document)
    assert refused.value.message == CANNOT_STAMP_TYPE
    assert _downloads().get().outcome == "failure"


def test_a_pdf_that_cannot_be_read_or_needs_a_password_is_refused(owner):
    # given a confidential PDF protected by a password
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_of(1))))
    writer.encrypt(user_password="secret-pw", owner_password="owner-pw")
    locked = io.BytesIO()
    writer.write(locked)
    document = factories.document(owner, classification="confidential", content=locked.getvalue())
    # when it is downloaded, then it is refused with the "could not be stamped" message
    with pytest.raises(StampRefused) as refused:
        _download(owner, document)
    assert refused.value.message == CANNOT_STAMP_FILE
    event = _downloads().get()
    assert event.outcome == "failure" and "password" in event.detail["reason"]
    assert not ViewMark.objects.exists()
    # and so is a PDF that cannot be read at all (the factory's bare PDF has no cross-reference table)
    damaged = factories.document(owner, classification="confidential")
    with pytest.raises(StampRefused):
        _download(owner, damaged)
    assert _downloads().filter(outcome="failure").count() == 2 and not ViewMark.objects.exists()


def test_stamping_that_overruns_its_child_limits_is_refused_not_sent_unstamped():
    # given a child allowed too little memory to even load the PDF library
    limits = stamping.StampLimits(memory_mb=16, timeout_seconds=5)
    # when a PDF is stamped within those limits, then it is refused with the "could not be stamped" message
    with pytest.raises(StampRefused) as refused:
        stamping.stamp_pdf(stamping.StampSource(data=pdf_of(1), kind="pdf"), StandInMark(), limits)
    assert refused.value.message == CANNOT_STAMP_FILE and "limits: 16 MB" in refused.value.extra["reason"]


def test_a_file_above_the_limit_is_refused_before_it_is_read(owner, settings):
    settings.STAMPED_DOWNLOAD_MAX_MB = 0
    document = factories.document(owner, classification="confidential", content=pdf_of(1))
    with pytest.raises(StampRefused):
        _download(owner, document)


# --- direct links ------------------------------------------------------------------------------------


@pytest.mark.s3
def test_a_direct_store_url_is_refused_for_a_stamped_classification(owner):
    # given a confidential document in the S3 store
    document = factories.document(owner, classification="confidential", content=pdf_of(1))
    version = document.versions.get(number=1)
    # when a presigned URL is asked for, then it is refused (it would hand out the original) and recorded
    with pytest.raises(PresignRefused):
        document_version_presign(actor=owner, version=version)
    event = AuditEvent.objects.get(event_type="document.version.download_url_issued")
    assert event.outcome == "denied" and event.detail["reason"] == "stamped_classification"
    # while an internal document still gets one
    internal = factories.document(owner, classification="internal", content=pdf_of(1))
    assert document_version_presign(actor=owner, version=internal.versions.get(number=1)).url.startswith("http")


def test_someone_without_the_right_to_download_gets_no_stamped_copy(owner):
    stranger = factories.UserFactory(username="stranger", department=factories.DepartmentFactory(code="other"))
    document = factories.document(owner, classification="confidential", content=pdf_of(1))
    with pytest.raises(NotFound):
        _download(stranger, document)
    assert not ViewMark.objects.exists()


def test_the_stamped_filename_ends_in_pdf():
    assert stamping.stamp_filename("contract.pdf") == "contract.pdf"
    assert stamping.stamp_filename("合同.DOCX") == "合同.pdf"
    assert stamping.stamp_filename("README") == "README.pdf"
