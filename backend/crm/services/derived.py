"""What the rebuilds of the CRM's derived tables share (the reports' rollups, the receivable totals' parts
by due date and per customer, the products quoted per deal, the orders per customer and year): the models to write, current or a migration's, and a table
replaced whole by what its rows say."""

from __future__ import annotations

from django.db import transaction


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


def rebuild_from(apps, derived: str, source: str, key: tuple[str, ...], rows_from) -> int:
    """Replace the derived table `derived` with `rows_from(source's model)` (its key columns `key` → the other
    columns), in one transaction; returns how many rows it holds. 0 and nothing done when `apps` (a
    migration's registry) comes before either model."""
    models = derived_models(apps, derived, source)
    if models is None:
        return 0
    derived_model, source_model = models
    with transaction.atomic():
        found = rows_from(source_model)
        replace_rows(derived_model, found, key)
    return len(found)
