"""The contract suites run on real servers: S3 (weed mini) and OpenSearch (a node from Maven Central jars),
whose fixtures pytest.ini loads as plugins (tests/fixtures/s3server.py, tests/fixtures/opensearch.py)."""
