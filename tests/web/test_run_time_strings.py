"""Sentences built at run time reach a person in their language: search syntax errors under the search
box, and dates in one style per language (2026-12-04 14:05 / 2026年12月4日 14:05), never month-first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from indexing import query
from tests.factories import UserFactory
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db

BAD_QUERIES = {
    '"unclosed phrase': "引号没有闭合",
    "contract )": "没有对应的 &quot;(&quot;",
    "contract OR": "OR 的两边都需要搜索内容",
    "contract AND": "AND 的两边都需要搜索内容",
    "contract -": "减号或 NOT 后面必须跟",
    "contract ()": "有一对括号是空的",
    "(contract": "没有闭合：请添加对应的 &quot;)&quot;",
    " ".join(f"w{n}" for n in range(query.MAX_CLAUSES + 1)): f"最多使用 {query.MAX_CLAUSES} 个词或短语",
    "x" * (query.MAX_QUERY_CHARS + 1): f"{query.MAX_QUERY_CHARS} 个字符",  # the form's length check
}


@pytest.mark.parametrize("text, chinese", list(BAD_QUERIES.items()), ids=range(len(BAD_QUERIES)))
def test_a_search_syntax_error_is_shown_in_chinese(text, chinese):
    # given someone reading the interface in Chinese
    client = client_for(UserFactory(), "zh-hans")
    # when the query cannot be read
    with pytest.raises(query.QuerySyntaxError) as raised:
        query.parse(text)
    response = client.get("/search/", {"q": text})
    # then the page says why in Chinese, and not in English
    body = response.content.decode()
    assert chinese in body
    assert str(raised.value).replace('"', "&quot;") not in body


MOMENT = dt.datetime(2026, 12, 4, 14, 5, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("language, date, datetime", [
    ("en", "2026-12-04", "2026-12-04 14:05"),
    ("zh-hans", "2026年12月4日", "2026年12月4日 14:05"),
])
def test_one_date_style_per_language(settings, language, date, datetime):
    settings.TIME_ZONE = "UTC"
    template = Template('{{ m|date:"DATE_FORMAT" }}|{{ m|date:"SHORT_DATE_FORMAT" }}|'
                        '{{ m|date:"DATETIME_FORMAT" }}|{{ m|date:"SHORT_DATETIME_FORMAT" }}|{{ m }}')
    with translation.override(language), timezone.override(dt.timezone.utc):
        rendered = template.render(Context({"m": MOMENT}))
    assert rendered == f"{date}|{date}|{datetime}|{datetime}|{datetime}"


def test_a_form_help_text_with_a_number_is_translated_when_shown_not_at_import():
    from backend.crm.services.service_requests import MAX_ATTACHMENTS
    from portal.forms import ServiceRequestForm

    help_text = ServiceRequestForm.base_fields["attachments"].help_text
    with translation.override("zh-hans"):
        assert str(help_text) == f"最多 {MAX_ATTACHMENTS} 个文件：照片、PDF、文本、Word 或 Excel。"
    with translation.override("en"):
        assert str(help_text).startswith(f"Up to {MAX_ATTACHMENTS} files")
