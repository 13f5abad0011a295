"""Content-Disposition for downloads and presigned URLs."""

import pytest

from storage import content_disposition


def test_ascii_names_get_a_plain_filename():
    # given / when / then
    assert content_disposition("report.pdf") == 'attachment; filename="report.pdf"'
    assert content_disposition("report.pdf", inline=True) == 'inline; filename="report.pdf"'


def test_non_ascii_names_get_an_rfc5987_filename_star():
    # given / when
    value = content_disposition("Bericht über Q3.pdf")

    # then old clients get an ASCII fallback and others the exact UTF-8 name
    assert value == "attachment; filename=\"Bericht uber Q3.pdf\"; filename*=UTF-8''Bericht%20%C3%BCber%20Q3.pdf"


def test_chinese_names_fall_back_to_a_safe_ascii_name():
    # given / when
    value = content_disposition("合同.docx")

    # then
    assert value.startswith('attachment; filename="download.docx"; ')
    assert value.endswith("filename*=UTF-8''%E5%90%88%E5%90%8C.docx")


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ('say "hi".txt', "say _hi_.txt"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\a.txt", "a.txt"),
        ("bad\r\nheader.txt", "badheader.txt"),
        ("", "download"),
    ],
)
def test_quotes_paths_and_control_characters_cannot_break_the_header(name, fallback):
    # given / when
    value = content_disposition(name)

    # then
    assert value.split(";")[1].strip() == f'filename="{fallback}"'
    assert "\r" not in value and "\n" not in value
