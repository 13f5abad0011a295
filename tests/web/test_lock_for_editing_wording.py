"""Check-out reads as "lock for editing" wherever the staff UI offers it, in English and Chinese, for the
holder and for everyone else; the Chinese catalogue uses one word per concept: 批准 for approve, 负责人 for
owner, 锁定编辑 / 解锁 for check-out and check-in."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from backend.access.services import document_permission_grant
from backend.documents import services
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db

CHECK_OUT_WORDS = re.compile(r"check(ed)?[- ]?(out|in)\b|签出|签入", re.IGNORECASE)


def _visible_text(html: str) -> str:
    """The page's text and attribute values a person reads, without URLs, names of CSS classes or test ids."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    html = re.sub(r'\s(href|action|src|class|id|name|data-[\w-]+|hx-[\w-]+)="[^"]*"', "", html)
    return html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_document_page_says_lock_and_unlock_to_the_holder(world, language):
    client = client_for(world.rep, language)
    doc = world.quote_doc

    free = client.get(f"/documents/{doc.pk}/").content.decode()
    assert ("Lock for editing" if language == "en" else "锁定编辑") in free
    assert not CHECK_OUT_WORDS.search(_visible_text(free))

    followed = client.post(f"/documents/{doc.pk}/checkout/", follow=True).content.decode()
    assert ("Locked for editing. Nobody else can upload a new version until you unlock it." if language == "en"
            else "已锁定编辑。在您解锁之前，其他人无法上传新版本。") in followed
    assert ("Unlock" if language == "en" else "解锁") in followed
    assert not CHECK_OUT_WORDS.search(_visible_text(followed))

    unlocked = client.post(f"/documents/{doc.pk}/checkin/", follow=True).content.decode()
    assert ("Unlocked: others can edit it again." if language == "en" else "已解锁：其他人可以再次编辑。") in unlocked


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_everyone_else_reads_who_locked_it_for_editing(world, language):
    document_permission_grant(actor=world.rep, document=world.quote_doc, level="change", user=world.colleague)
    services.document_checkout(actor=world.rep, document=world.quote_doc)

    page = client_for(world.colleague, language).get(f"/documents/{world.quote_doc.pk}/").content.decode()

    assert ("Locked for editing by 王芳" if language == "en" else "王芳 已锁定编辑此文档") in page
    assert not CHECK_OUT_WORDS.search(_visible_text(page))


def test_breaking_the_lock_says_so_in_lock_words(world):
    services.document_checkout(actor=world.rep, document=world.quote_doc)

    page = client_for(world.admin, "zh-hans").post(f"/documents/{world.quote_doc.pk}/break-lock/",
                                                   follow=True).content.decode()

    assert "已解除编辑锁定。" in page


# --- the Chinese catalogue: one word per concept ------------------------------------------------------


def _zh_catalogue() -> dict[str, str]:
    with translation.override("zh-hans"):
        catalogue = translation.trans_real.translation("zh-hans")._catalog
        return {key if isinstance(key, str) else key[0]: value for key, value in catalogue.items() if key}


def test_approve_is_always_批准_never_审批():
    wrong = {msgid: text for msgid, text in _zh_catalogue().items()
             if "approv" in msgid.lower() and "审批" in text}
    assert wrong == {}, "use 批准 for approve (the button says 批准)"


def test_owner_is_always_负责人_never_所有者():
    owner = re.compile(r"\bown(s|er|ers|ed|ership)?\b", re.IGNORECASE)
    wrong = {msgid: text for msgid, text in _zh_catalogue().items()
             if owner.search(msgid) and re.search("所有者|所有人|拥有者", text)}
    assert wrong == {}, "use 负责人 for owner (the Owner column says 负责人)"


def test_check_out_is_never_签出_in_chinese():
    wrong = {msgid: text for msgid, text in _zh_catalogue().items() if re.search("签出|签入", text)}
    assert wrong == {}, "use 锁定编辑 / 解锁 for check-out / check-in"
