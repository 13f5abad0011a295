"""Dates and times in one style per language (FORMAT_MODULE_PATH): ISO order in English
(2026-12-04 14:05), the Chinese order in Chinese (2026年12月4日 14:05); never the US month-first order,
in pages, exports and e-mails alike. Numbers keep Django's formats of each language."""
