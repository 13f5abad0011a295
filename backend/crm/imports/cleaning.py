"""Cleaning one value of an old spreadsheet: full-width letters, digits and punctuation to half-width
(NFKC: "ＡＢＣ（上海）" reads "ABC(上海)"), runs of white space (the ideographic space too) to one, control
characters dropped (backend.common.text.clean_line); phone numbers and e-mail addresses checked; and the
keys duplicates are found by, the same for the file and for the database."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from backend.common.text import clean_line

_PHONE_PUNCTUATION = re.compile(r"[\s\-().·/]")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_CN_LANDLINE = re.compile(r"^0\d{9,11}$")  # area code (0 + 2-3 digits) and a 7-8 digit number
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{7,14}$")
_EXTENSION = re.compile(r"(?:ext\.?|x|转|分机)\s*\d{1,6}$", re.IGNORECASE)


def normalised(value) -> str:
    """One line of text, full-width forms folded to half-width, white space tidied."""
    if value is None:
        return ""
    return _normalised(str(value))


@lru_cache(maxsize=1 << 16)  # a file repeats its regions, industries, titles... in every row
def _normalised(value: str) -> str:
    return clean_line(unicodedata.normalize("NFKC", value))


@lru_cache(maxsize=1 << 16)  # a row's value is keyed several times (file, database, commit)
def name_key(value: str) -> str:
    """What two spellings of one name share: normalised, case folded, without any white space."""
    return "".join(normalised(value).casefold().split())


@lru_cache(maxsize=1 << 16)  # a row's value is keyed several times (file, database, commit)
def phone_number(value: str) -> tuple[str, bool]:
    """(the number as stored, valid?) for a typed phone number: separators dropped, +86/0086 before a
    Chinese mobile number dropped, an extension ("转 123", "ext 5") kept apart by a space. Valid: a Chinese
    mobile (11 digits), a Chinese landline with its area code, or an international number with +."""
    text = normalised(value)
    if not text:
        return "", True
    extension = ""
    found = _EXTENSION.search(text)
    if found:
        extension = " " + re.sub(r"\D", "", found.group())
        text = text[:found.start()]
    digits = _PHONE_PUNCTUATION.sub("", text)
    if digits.startswith("0086"):
        digits = "+86" + digits[4:]
    if digits.startswith("+86") and _CN_MOBILE.match(digits[3:]):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13 and _CN_MOBILE.match(digits[2:]):
        digits = digits[2:]
    elif digits.startswith("+86") and digits[3:4] != "0" and 9 <= len(digits[3:]) <= 11:
        digits = "0" + digits[3:]  # +86 21 5555 1234: the landline with its area code
    valid = bool(_CN_MOBILE.match(digits) or _CN_LANDLINE.match(digits) or _INTERNATIONAL.match(digits))
    return (digits + extension if valid else text), valid


def phone_key(value: str) -> str:
    """The number without its extension, for duplicates ("" for no or an invalid number)."""
    number, valid = phone_number(value)
    return number.split(" ")[0] if valid else ""


@lru_cache(maxsize=1 << 16)  # a row's value is keyed several times (file, database, commit)
def email_address(value: str) -> tuple[str, bool]:
    """(the address as stored, valid?): normalised, no spaces, the domain in lower case."""
    text = "".join(normalised(value).split())
    if not text:
        return "", True
    local, _, domain = text.rpartition("@")
    if local:
        text = f"{local}@{domain.lower()}"
    try:
        validate_email(text)
    except ValidationError:
        return text, False
    return text, True


def email_key(value: str) -> str:
    address, valid = email_address(value)
    return address.casefold() if valid else ""
