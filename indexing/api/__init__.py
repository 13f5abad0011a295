"""The search API: GET /api/search/ (mounted under /api/ by backend/urls.py)."""
