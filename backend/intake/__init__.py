"""Mail intake: a mailbox polled by the worker; each message becomes documents linked to its customer."""
