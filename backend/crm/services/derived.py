"""What the rebuilds of the CRM's derived tables share (the reports' rollups, the receivable totals' parts
by due date and per customer, the products quoted per deal, the orders per customer and year): the models to write, current or a migration's, and a table
replaced whole by what its rows say; and the one upsert their writers add increments with."""

from __future__ import annotations

from django.db import connection, transaction


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


def upsert_add(model, key: tuple, rows: list[tuple], measures) -> None:
    """Add each of `rows` (the values of the `key` columns, then of `measures`) to `model`'s row of that
    key (its unique columns), creating it when missing: one INSERT … ON CONFLICT DO UPDATE for all of
    them, so concurrent writers add under the row's lock. Each key at most once in `rows`."""
    if not rows:
        return
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    names = [*key, *measures]
    increments = ", ".join(f"{q(m)} = {table}.{q(m)} + EXCLUDED.{q(m)}" for m in measures)
    one = f"({', '.join(['%s'] * len(names))})"
    sql = (f"INSERT INTO {table} ({', '.join(q(n) for n in names)}) VALUES {', '.join([one] * len(rows))} "
           f"ON CONFLICT ({', '.join(q(k) for k in key)}) DO UPDATE SET {increments}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
