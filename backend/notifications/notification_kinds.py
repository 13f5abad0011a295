"""The notifications app's own kinds (other apps register theirs in their notification_kinds.py)."""
