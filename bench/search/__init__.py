"""The search benchmark, `python -m bench.search` (what it measures and its options: run.py's docstring,
or `--help`).

    run.py              the options and the run: database, corpus, each backend's indexing, the queries
    corpus.py           the seeded corpus (people, documents, extracted text, grants) and the query sets
    layer.py            our layer: search_reindex's code path, extraction through the pipeline, the API
    raw.py              the same texts and queries straight against tantivy and OpenSearch
    opensearch_node.py  the throwaway OpenSearch node, its merges, index size and heap
    report.py           the tables, the verdicts and the Search section of BENCHMARKS.md
"""
