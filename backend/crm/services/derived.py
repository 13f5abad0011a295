"""What the rebuilds of the CRM's derived tables share (the reports' rollups, the receivable totals' parts
by due date, the products quoted per deal): the models to write, current or a migration's, and a table
replaced whole by what its rows say."""

from __future__ import annotations


def derived_models(apps, *names: str) -> tuple | None:
    """The crm models `names`: the current ones (`apps` None), or a migration's historical ones. None when
    that migration comes before one of them: an earlier migration's backfill runs a rebuild that a later
    table joined (crm 0018 calls rollups_rebuild, which now also rebuilds the tables of 0020 and later)."""
    if apps is None:
        from django.apps import apps as registry
    else:
        registry = apps
    try:
        return tuple(registry.get_model("crm", name) for name in names)
    except LookupError:
        return None


def replace_rows(model, found: dict[tuple, dict], key: tuple[str, ...]) -> None:
    """Empty `model`'s table and write `found` (the `key` columns' values → the other columns' values) into
    it, in key order; the caller holds the transaction."""
    model.objects.all().delete()
    model.objects.bulk_create([model(**dict(zip(key, group)), **values) for group, values in sorted(found.items())],
                              batch_size=2000)
