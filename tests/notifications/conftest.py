"""Notification tests send to a real SMTP server when they ask for `smtp_server`."""

from tests.fixtures.smtp import smtp_server  # noqa: F401
