"""Bringing old data in (seed 004): customers, contacts, products and opportunities from a CSV (UTF-8,
GBK/GB18030) or XLSX file, and old quote and contract files from a folder or ZIP with a manifest.

The steps, each its own module:
- `reading.py`: the file as a header and rows of text (the encoding detected, XLSX read streaming);
- `cleaning.py`: full-width/half-width and white-space normalisation, phones, e-mails, the keys duplicates
  are found by;
- `fields.py`: what each kind of record takes, and the columns guessed from the headers (English or Chinese);
- `analysis.py`: the dry run: every row cleaned and checked against the file and the database, with a
  suggested decision (create, merge, skip) and the cleaning report;
- `commit.py`: the decided rows written through the CRM's own services (its duplicate guard, its checks,
  its audit events, under the importing user), with progress; a re-run of the same file changes nothing;
- `documents.py`: the folder of old files (backend.documents.imports stores them) linked to customers and
  quotes by the manifest, resumable;
- `runs.py`: the services the interfaces call (start a dry run, decide rows, commit), and `selectors.py`.
"""
