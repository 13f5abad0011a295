"""The demo world for `manage.py seed_demo`: a machine-tool maker, its people, documents, CRM and portal.

A composition of the other apps: everything is written through their public services, so the demo's
rows, objects and audit trail are exactly what the people in it would have produced themselves.
"""
