"""Full-text search: extraction, one analysis for Chinese and English, pluggable engines, the outbox."""
