"""One behavioural contract, run against every SearchBackend: the embedded tantivy index and a real
OpenSearch 2.19 node (tests/fixtures/opensearch.py: assembled from Maven Central jars and started
once per session on a free loopback port; OPENSEARCH_URL names an external cluster instead). Every
test gets an index of its own, dropped afterwards. Neither backend is ever skipped.

Both backends must analyze alike (folded words, CJK bigrams), filter by principals inside the
engine, and return the same hits for the same request.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from indexing import query
from indexing.backends import IndexDoc, SearchFilters, SearchRequest, SearchUnavailable
from indexing.backends.opensearch import OpenSearchBackend
from indexing.backends.tantivy import TantivyBackend

BASE = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["tantivy", "opensearch"])
def backend(request, tmp_path):
    if request.param == "tantivy":
        engine = TantivyBackend(tmp_path / "index")
        yield engine
        engine.close()
        return
    cluster = request.getfixturevalue("opensearch_node")  # started on first use, never skipped
    engine = OpenSearchBackend(cluster.search_url(f"dossier-contract-{uuid.uuid4().hex[:10]}"))
    yield engine
    engine.drop()
    engine.close()


def doc(version_id: int, *, document_id: int | None = None, title: str = "", meta: str = "", body: str = "",
        principals=("staff",), **fields) -> IndexDoc:
    values = dict(
        kind="contract", classification="internal", status="approved", is_valid=True,
        mime_type="application/pdf", uploader_id=1, created_at=BASE + dt.timedelta(days=version_id),
        customer_ids=[], customer_names=[], opportunity_ids=[],
    )
    values.update(fields)
    return IndexDoc(version_id=version_id, document_id=document_id or version_id, title=title, meta=meta,
                    body=body, principals=list(principals), **values)


def search(backend, q: str | None, *, principals=("staff",), **options):
    filters = options.pop("filters", SearchFilters())
    request = SearchRequest(query=query.parse(q) if q else None, principals=tuple(principals), filters=filters,
                            **options)
    return backend.search(request)


def found(backend, q: str | None, **options) -> set[int]:
    return {hit.version_id for hit in search(backend, q, **options).hits}


# -- words -------------------------------------------------------------------------------------


def test_english_words_match_whole_and_case_insensitively(backend):
    backend.index([doc(1, body="Payment Terms: net 60 days."), doc(2, body="The paymaster's terminal.")])

    assert found(backend, "payment terms") == {1}
    assert found(backend, "PAYMENT") == {1}
    # words are not n-grammed: parts of words find nothing, and shared letters match nothing else
    assert found(backend, "pay") == set()
    assert found(backend, "termina") == set()


def test_full_width_and_accented_forms_fold_to_the_same_words(backend):
    backend.index([doc(1, title="ＡＣＭＥ Corp", body="Net ６０"), doc(2, body="Café Zürich ACME")])

    assert found(backend, "acme") == {1, 2}
    assert found(backend, "ＡＣＭＥ") == {1, 2}
    assert found(backend, '"net 60"') == {1}
    assert found(backend, "cafe zurich") == {2}


def test_phrases_need_the_words_next_to_each_other_in_order(backend):
    backend.index([
        doc(1, body="Payment: net 60 days after delivery."),
        doc(2, body="60 net is not the same."),
        doc(3, body="A net price of 60."),
    ])

    assert found(backend, '"net 60"') == {1}
    assert found(backend, "net 60") == {1, 2, 3}


def test_boolean_operators(backend):
    backend.index([doc(1, body="alpha beta"), doc(2, body="alpha gamma"), doc(3, body="delta")])

    assert found(backend, "alpha OR delta") == {1, 2, 3}
    assert found(backend, "alpha -gamma") == {1}
    assert found(backend, "alpha NOT beta") == {2}
    assert found(backend, "(beta OR gamma) alpha") == {1, 2}
    assert found(backend, "-alpha") == {3}


# -- Chinese -------------------------------------------------------------------------------------


def test_chinese_business_words_match(backend):
    backend.index([
        doc(1, title="供货合同", body="甲方与乙方签订本合同。"),
        doc(2, title="报价单", body="本报价有效期三十天。"),
        doc(3, title="投标文件", body="标书正文，技术参数见附件。"),
    ])

    assert found(backend, "合同") == {1}
    assert found(backend, "报价") == {2}
    assert found(backend, "标书") == {3}


def test_chinese_substrings_match_across_word_boundaries(backend):
    backend.index([doc(1, body="五轴数控机床一台"), doc(2, body="数控系统与机床分开报价")])

    assert found(backend, "控机") == {1}
    assert found(backend, "数控机床") == {1}
    assert found(backend, "数控 机床") == {1, 2}


@pytest.mark.parametrize("char", ["数", "控", "机", "床"])
def test_a_single_han_character_matches_wherever_it_stands(backend, char):
    # given a run of four characters (indexed as bigrams), one standing alone, and one without it
    backend.index([doc(1, body="五轴数控机床一台"), doc(2, body=f"A {char} B"), doc(3, body="合同报价")])

    # then the character is found first, inside and last in a run, and alone
    assert found(backend, char) == {1, 2}


def test_a_single_han_character_folds_and_combines_with_operators(backend):
    backend.index([doc(1, title="報價單"), doc(2, body="报价"), doc(3, body="合同 price")])

    assert found(backend, "價") == {1, 2}  # traditional folds to simplified, as everywhere
    assert found(backend, "价 -单") == {2}
    assert found(backend, "价 OR 同") == {1, 2, 3}
    assert found(backend, "同", principals=("nobody",)) == set()  # the ACL filter still applies


def test_a_single_han_character_ranks_title_matches_first_and_is_highlighted(backend):
    backend.index([doc(1, title="其他", body="数控机床"), doc(2, title="机床", body="其他")])

    hits = search(backend, "床").hits

    assert [hit.version_id for hit in hits] == [2, 1]
    assert "<mark>床</mark>" in hits[1].snippet


# -- English inflections ----------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["contracts", "contract", "contracting", "CONTRACTED"])
def test_english_plurals_and_inflections_match_by_stem(backend, q):
    backend.index([doc(1, title="Supply contract"), doc(2, body="The contracts were signed."),
                   doc(3, body="Contracting parties"), doc(4, body="contractor list")])

    assert found(backend, q) == {1, 2, 3}


def test_stemmed_words_keep_phrases_and_exclusions(backend):
    backend.index([doc(1, body="the signed agreements"), doc(2, body="agreement signed"),
                   doc(3, body="agreement draft")])

    assert found(backend, '"signed agreement"') == {1}
    assert found(backend, "agreements -drafts") == {1, 2}
    snippets = {hit.version_id: hit.snippet for hit in search(backend, "agreement").hits}
    assert "<mark>agreements</mark>" in snippets[1]  # the other form is marked too


def test_sorting_by_title_is_alphabetical_after_folding(backend):
    backend.index([doc(1, title="beta plan", body="x"), doc(2, title="Alpha plan", body="x"),
                   doc(3, title="ＣＨＡＲＬＩＥ plan", body="x")])

    assert [h.version_id for h in search(backend, "plan", sort="title").hits] == [2, 1, 3]
    assert [h.version_id for h in search(backend, None, sort="title").hits] == [2, 1, 3]


def test_mixed_chinese_and_english(backend):
    backend.index([doc(1, body="ACME合同 2026版"), doc(2, body="ACME price list")])

    assert found(backend, "ACME合同") == {1}
    assert found(backend, "acme 合同") == {1}
    assert found(backend, "acme") == {1, 2}


def test_traditional_and_simplified_variants_find_each_other(backend):
    backend.index([doc(1, body="報價單與合約"), doc(2, body="报价单")])

    assert found(backend, "报价") == {1, 2}
    assert found(backend, "報價") == {1, 2}
    assert found(backend, "合约") == {1}


def test_full_width_and_half_width_chinese_punctuation_split_runs(backend):
    backend.index([doc(1, body="合同，报价"), doc(2, body="合同报价")])

    assert found(backend, "合同报价") == {2}
    assert found(backend, "合同 报价") == {1, 2}


# -- fields, ranking, snippets -----------------------------------------------------------------------


def test_title_matches_rank_above_body_matches(backend):
    backend.index([doc(1, title="Other", body="contract " * 3), doc(2, title="Contract", body="unrelated")])

    hits = search(backend, "contract").hits

    assert [hit.version_id for hit in hits] == [2, 1]
    assert hits[0].score > hits[1].score > 0


def test_file_names_tags_and_customer_names_are_searchable(backend):
    backend.index([doc(1, meta="supply agreement v2 pdf\nurgent\n上海精工机械")])

    assert found(backend, "agreement") == {1}
    assert found(backend, "urgent") == {1}
    assert found(backend, "精工") == {1}


def test_snippets_mark_matches_and_escape_html(backend):
    body = "Intro. <script>alert(1)</script> The payment terms are net 60 days. " + "filler " * 100
    backend.index([doc(1, body=body)])

    snippet = search(backend, "payment").hits[0].snippet

    assert "<mark>payment</mark>" in snippet
    assert "<script>" not in snippet


def test_chinese_snippets_mark_the_match(backend):
    backend.index([doc(1, body="这是一台五轴数控机床，价格面议。")])

    snippet = search(backend, "数控机床").hits[0].snippet

    assert "<mark>" in snippet and "数" in snippet and "床" in snippet


# -- permissions and filters -----------------------------------------------------------------------


def test_only_versions_whose_principals_intersect_the_callers_are_found(backend):
    backend.index([
        doc(1, body="quote", principals=["user:1"]),
        doc(2, body="quote", principals=["group:5", "role:admin"]),
        doc(3, body="quote", principals=["staff"]),
    ])

    assert found(backend, "quote", principals=["user:1"]) == {1}
    assert found(backend, "quote", principals=["user:2", "group:5"]) == {2}
    assert found(backend, "quote", principals=["role:admin", "staff"]) == {2, 3}
    assert found(backend, "quote", principals=[]) == set()
    assert found(backend, None, principals=["user:1"]) == {1}


def test_the_text_is_searched_only_for_those_who_may_read_it_and_details_for_all_who_may_view(backend):
    # given a contract that user 7 may view (its details) but not read, and the sales department may read
    backend.index([
        doc(1, title="Framework agreement", meta="acme supply", body="penalty clause 违约金 of ten percent",
            principals=["user:7", "dept:sales"], readers=["dept:sales"]),
        doc(2, title="Penalty schedule", body="nothing secret", principals=["user:7"], readers=["user:7"]),
    ])
    viewer, reader = ["user:7", "staff"], ["user:9", "dept:sales"]
    # then the viewer finds it by its title and file name, never by a word of its text, alone or in a phrase,
    # in Chinese (bigrams and a single character) or combined with other words
    assert found(backend, "framework", principals=viewer) == {1}
    assert found(backend, "acme", principals=viewer) == {1}
    assert found(backend, "clause", principals=viewer) == set()
    assert found(backend, '"ten percent"', principals=viewer) == set()
    assert found(backend, "违约金", principals=viewer) == set()
    assert found(backend, "违", principals=viewer) == set()
    assert found(backend, "framework clause", principals=viewer) == set()
    assert found(backend, "framework OR clause", principals=viewer) == {1}
    # a word in the title of one and the text of the other finds only the title's for the viewer
    assert found(backend, "penalty", principals=viewer) == {2}
    # and the counts say no more than the hits do
    assert search(backend, "clause", principals=viewer, facets=("kind",)).facets["kind"] == []
    # while a reader finds it by its text
    assert found(backend, "clause", principals=reader) == {1}
    assert found(backend, "违约金", principals=reader) == {1}
    assert found(backend, "framework clause", principals=reader) == {1}


def test_filters(backend):
    backend.index([
        doc(1, body="x", kind="quote", customer_ids=[7], customer_names=["ACME"], opportunity_ids=[70],
            uploader_id=3, mime_type="text/plain"),
        doc(2, body="x", kind="contract", classification="secret", customer_ids=[8], customer_names=["Beta"]),
        doc(3, body="x", kind="quote", status="expired"),
    ])

    def f(**kwargs):
        return found(backend, "x", filters=SearchFilters(**kwargs))

    assert f(kinds=("quote",)) == {1, 3}
    assert f(classifications=("secret",)) == {2}
    assert f(statuses=("expired",)) == {3}
    assert f(mime_types=("text/plain",)) == {1}
    assert f(customer_ids=(7, 8)) == {1, 2}
    assert f(opportunity_ids=(70,)) == {1}
    assert f(uploader_ids=(3,)) == {1}
    assert f(document_ids=(2, 3)) == {2, 3}
    assert f(kinds=("quote",), customer_ids=(7,)) == {1}


def test_date_range_includes_the_start_and_excludes_the_end(backend):
    backend.index([doc(1, body="x"), doc(2, body="x"), doc(3, body="x")])  # created day 1, 2, 3

    window = SearchFilters(date_from=BASE + dt.timedelta(days=2), date_to=BASE + dt.timedelta(days=3))

    assert found(backend, "x", filters=window) == {2}
    assert found(backend, "x", filters=SearchFilters(date_from=BASE + dt.timedelta(days=2))) == {2, 3}


def test_only_valid_versions_unless_all_versions(backend):
    backend.index([
        doc(1, document_id=10, body="x", is_valid=False, status="superseded"),
        doc(2, document_id=10, body="x", is_valid=True),
    ])

    assert found(backend, "x") == {2}
    assert found(backend, "x", filters=SearchFilters(all_versions=True)) == {1, 2}


def test_facet_counts_respect_permissions_and_filters(backend):
    backend.index([
        doc(1, body="x", kind="quote", customer_ids=[7], customer_names=["ACME"], uploader_id=3,
            opportunity_ids=[70, 71]),
        doc(2, body="x", kind="quote", customer_ids=[7, 8], customer_names=["ACME", "Beta"], uploader_id=3,
            opportunity_ids=[70]),
        doc(3, body="x", kind="contract", uploader_id=14),
        doc(4, body="x", kind="quote", principals=["user:99"], customer_ids=[7], customer_names=["ACME"],
            uploader_id=14, opportunity_ids=[70]),
    ])

    facets = search(backend, "x", facets=("kind", "customer", "uploader", "status", "file_type",
                                           "opportunity")).facets

    assert {(b.value, b.count) for b in facets["kind"]} == {("quote", 2), ("contract", 1)}
    assert {(b.value, b.count) for b in facets["customer"]} == {("7:ACME", 2), ("8:Beta", 1)}
    assert {(b.value, b.count) for b in facets["uploader"]} == {(3, 2), (14, 1)}
    assert {(b.value, b.count) for b in facets["opportunity"]} == {(70, 2), (71, 1)}
    narrowed_uploader = search(backend, "x", facets=("uploader", "opportunity"),
                               filters=SearchFilters(uploader_ids=(14,))).facets
    assert [(b.value, b.count) for b in narrowed_uploader["uploader"]] == [(14, 1)]
    assert narrowed_uploader["opportunity"] == []
    assert {(b.value, b.count) for b in facets["status"]} == {("approved", 3)}
    narrowed = search(backend, "x", facets=("kind",), filters=SearchFilters(kinds=("quote",))).facets
    assert {(b.value, b.count) for b in narrowed["kind"]} == {("quote", 2)}


# -- ordering and paging ----------------------------------------------------------------------------


def test_browse_and_date_sorts(backend):
    backend.index([doc(1, body="x"), doc(3, body="x"), doc(2, body="x")])

    assert [h.version_id for h in search(backend, None).hits] == [3, 2, 1]
    assert [h.version_id for h in search(backend, "x", sort="newest").hits] == [3, 2, 1]
    assert [h.version_id for h in search(backend, "x", sort="oldest").hits] == [1, 2, 3]


def test_pages_and_total(backend):
    backend.index([doc(i, body="x") for i in range(1, 8)])

    first = search(backend, None, limit=3)
    third = search(backend, None, limit=3, offset=6)

    assert first.total == third.total == 7
    assert [h.version_id for h in first.hits] == [7, 6, 5]
    assert [h.version_id for h in third.hits] == [1]


# -- writing ---------------------------------------------------------------------------------------


def test_indexing_a_version_again_replaces_it(backend):
    backend.index([doc(1, body="old words")])
    backend.index([doc(1, body="new words")])

    assert found(backend, "old") == set()
    assert found(backend, "new") == {1}
    assert backend.stats().documents == 1


def test_replace_documents_keeps_exactly_the_given_versions(backend):
    backend.index([doc(1, document_id=10, body="x"), doc(2, document_id=10, body="x"), doc(3, document_id=11, body="x")])

    backend.replace_documents([10], [doc(2, document_id=10, body="x", principals=["user:5"])])

    assert found(backend, "x", filters=SearchFilters(all_versions=True)) == {3}
    assert found(backend, "x", principals=["user:5"]) == {2}
    backend.delete_documents([10, 11])
    assert backend.document_ids() == set()


def test_document_ids_stats_and_clear(backend):
    backend.index([doc(1, document_id=10, body="x"), doc(2, document_id=10, body="y"), doc(3, document_id=11)])

    assert backend.document_ids() == {10, 11}
    assert backend.stats().documents == 3
    assert backend.stats().size_bytes > 0
    backend.clear()
    assert backend.stats().documents == 0
    assert found(backend, None) == set()


def test_bulk_writes_are_searchable_after_the_block(backend):
    with backend.bulk():
        backend.index([doc(i, body="bulk") for i in range(1, 50)])
        backend.commit()
        backend.index([doc(50, body="bulk")])

    assert search(backend, "bulk").total == 50


def test_an_unreachable_engine_raises_search_unavailable(backend, tmp_path):
    if isinstance(backend, TantivyBackend):
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("x")
        broken = TantivyBackend(blocker / "index")
    else:
        broken = OpenSearchBackend("opensearch://127.0.0.1:1/dossier-nowhere?timeout=2&retries=0")
    with pytest.raises(SearchUnavailable):
        broken.index([doc(1, body="x")])
    with pytest.raises(SearchUnavailable):
        search(broken, "x")
