"""Every audit event type has a short label in English and in Chinese, and readers never see raw codes."""

from __future__ import annotations

import pytest
from django.utils import translation

from backend.audit.events import all_event_types, event_label
from backend.audit.targets import target_display, target_type_label


def test_every_registered_event_type_has_a_label_translated_into_chinese():
    # given every event type registered at start-up (each app's audit_events.py, and backend/audit/events.py)
    types = all_event_types()
    assert len(types) > 50
    # when each label is read in English and in Simplified Chinese
    missing, untranslated = [], []
    for item in types:
        if not item.label:
            missing.append(item.name)
            continue
        with translation.override("en"):
            english = str(item.label)
        with translation.override("zh-hans"):
            chinese = str(item.label)
        if not chinese or chinese == english:
            untranslated.append(f"{item.name}: {english!r}")
    # then none lacks a label, and every label has its own Chinese (add it with /work/tools/po-add)
    assert missing == [], f"register these with label=gettext_lazy(...): {missing}"
    assert untranslated == [], f"add the Chinese for these labels: {untranslated}"


def test_a_label_is_shown_in_the_active_language():
    # given the download event
    # when its label is read in each language
    with translation.override("en"):
        english = event_label("document.version.downloaded")
    with translation.override("zh-hans"):
        chinese = event_label("document.version.downloaded")
    # then it reads as a phrase, not as the dotted name
    assert english == "Downloaded a version"
    assert chinese == "下载了版本"
    # and a name nobody registers (any more) is shown as it is rather than hidden
    assert event_label("legacy.thing.done") == "legacy.thing.done"


def test_the_preview_is_its_own_event_type_with_its_own_label():
    names = {item.name: item for item in all_event_types()}
    assert "document.version.previewed" in names
    with translation.override("zh-hans"):
        assert names["document.version.previewed"].display == "预览了版本"


@pytest.mark.parametrize("label", ["Activity object (3)", "", "   "])
def test_a_target_without_a_meaningful_label_shows_its_type_name_and_id(label):
    # given an event recorded for a model without __str__ (Django's "Activity object (3)") or with no label
    # when the console shows its target in Chinese
    with translation.override("zh-hans"):
        shown = target_display("crm.activity", "3", label)
    # then it names the kind of thing and its id, never Django's default text
    assert shown == "活动 #3"


def test_a_meaningful_target_label_is_kept():
    assert target_display("documents.document", "7", "Framework contract 2026") == "Framework contract 2026"


def test_target_types_have_translated_names():
    with translation.override("zh-hans"):
        assert target_type_label("documents.document") == "文档"
        assert target_type_label("crm.customer") == "客户"
        assert target_type_label("search.query") == "搜索词"
    # and a model nobody listed still gets its verbose name rather than the dotted code
    with translation.override("en"):
        assert "." not in target_type_label("crm.invoice")
