"""Demo data for `manage.py seed_demo`: generated files (content.py) and the seeding pass (seed.py)."""
