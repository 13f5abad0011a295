"""Real S3 server (weed mini) and store fixtures; see tests/fixtures/s3server.py."""

from tests.fixtures.s3server import *  # noqa: F401,F403
