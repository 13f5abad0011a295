import pytest

from backend.documents.filenames import display_filename, sanitize_filename


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("合同.pdf", "合同.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("C:\\Users\\rep\\报价单 v2.xlsx", "报价单 v2.xlsx"),
        ("CON.pdf", "_CON.pdf"),
        ("lpt1", "_lpt1"),
        ("a\x00b\x1fc.txt", "abc.txt"),
        ("report.pdf. . ", "report.pdf"),
        (".hidden", "hidden"),
        ('what?<>|*:".doc', "what_______.doc"),
        ("", "file"),
        ("...", "file"),
    ],
)
def test_sanitize_filename(raw, safe):
    assert sanitize_filename(raw) == safe


def test_long_names_are_cut_on_a_character_boundary_and_keep_the_extension():
    # given a 300-character Chinese name
    raw = "合" * 300 + ".docx"

    # when it is sanitised
    safe = sanitize_filename(raw)

    # then it fits 200 UTF-8 bytes, is valid text and still ends with the extension
    assert len(safe.encode()) <= 200
    assert safe.endswith(".docx")
    safe.encode("utf-8")


def test_display_name_keeps_what_the_user_typed_minus_control_characters():
    assert display_filename("..\\报价\x07单.pdf") == "..\\报价单.pdf"
