"""Trigram indexes for the order lists' name and email search (PostgreSQL only).

`icontains` compiles on PostgreSQL to UPPER(col::text) LIKE UPPER('%term%'): a GIN index of pg_trgm trigrams over
UPPER(col) answers that without reading every order. The migration creates the pg_trgm extension, which needs the
right to CREATE EXTENSION (a superuser, or the database owner on PostgreSQL 13+ where pg_trgm is trusted). On SQLite
this migration changes nothing; the search there stays a scan.
"""

from django.db import migrations

INDEXES = {
    "orders_order_name_trgm": "customer_name",
    "orders_order_email_trgm": "customer_email",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON orders_order USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_manual_orders_and_imports")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
