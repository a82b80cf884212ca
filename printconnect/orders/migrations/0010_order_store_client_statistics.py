"""Tell PostgreSQL's planner that an order's store determines its client (extended statistics, PostgreSQL only).

The portal's order list filters by the client and by the stores the member may see (django-guardian). Without
this, the planner multiplies the two selectivities as if they were independent (1% of 1% of a million orders: about
100 rows), reads all of the client's orders through a bitmap and sorts them: 15 ms at 10,000 orders a client, growing
with the client. Knowing the dependency, it walks the (client, placed_at, id) index and stops after one page
(0.1 ms). Statistics objects exist on PostgreSQL only; on SQLite this migration changes nothing.
"""

from django.db import migrations

NAME = "orders_order_store_client_dep"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {NAME} (dependencies) ON store_id, client_id FROM orders_order"
    )
    schema_editor.execute("ANALYZE orders_order")  # a sample of the table; the planner uses it from now on


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0009_order_search_trigram")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
