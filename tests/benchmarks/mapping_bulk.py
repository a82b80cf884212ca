"""Issue 4's bulk-mapping figures: the export of a store's variants (CSV streamed, XLSX write-only) and the dry run
and apply of a mapping import of as many rows, each against a baseline measured in the same run.

- Export baseline: the same rows read with `values_list(...).iterator()` and written with the csv module.
- Import baseline (the issue's): read the same file with the csv module and insert one row per line with
  bulk_create (new variants of another store), in one transaction.
Peak memory is measured with tracemalloc in a second run of each step (tracemalloc slows what it watches), and
the export is also run on a store a tenth the size to show that neither memory nor queries grow with the rows.
"""

from __future__ import annotations

import argparse
import csv
import io
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

TARGET_APPLY_SECONDS = 20.0
TARGET_APPLY_RATIO = 4.0
TARGET_PEAK_MB = 300
TARGET_EXPORT_SECONDS = 5.0


def _seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def _store_with_variants(client: Any, name: str, count: int, per_product: int = 4) -> Any:
    from django.utils import timezone

    from printconnect.catalog.models import StoreProduct, StoreVariant
    from printconnect.storefronts.models import Store

    store = Store.objects.create(client=client, name=name, webhook_token=f"bench-{name}")
    now = timezone.now()
    products = StoreProduct.objects.bulk_create(
        (
            StoreProduct(store=store, external_id=str(n), title=f"Poster {n:06d}", synced_at=now)
            for n in range(count // per_product)
        ),
        batch_size=2000,
    )
    StoreVariant.objects.bulk_create(
        (
            StoreVariant(
                product=product,
                store=store,
                external_id=f"{product.external_id}-{k}",
                sku=f"P-{product.external_id}-{k}",
                attributes={"Size": ["A4", "A3", "A2", "A1"][k % 4], "Paper": "Matte"},
                synced_at=now,
            )
            for product in products
            for k in range(per_product)
        ),
        batch_size=2000,
    )
    return store


def _export_figures(store: Any, rows: int) -> dict[str, float]:
    from printconnect.catalog.resources import csv_export_chunks, export_queryset
    from tests.benchmarks.__main__ import count_queries

    def export() -> int:
        return sum(len(chunk) for chunk in csv_export_chunks(store=store))

    def baseline() -> int:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        fields = ("product__external_id", "external_id", "sku", "product__title", "attributes")
        fields += ("catalog_product__uid", "design_file_url")
        for values in export_queryset(store=store).values_list(*fields).iterator(chunk_size=2000):
            writer.writerow(values)
        return buffer.tell()

    seconds, size = _seconds(export)
    base, _ = _seconds(baseline)
    return {
        "rows": rows,
        "seconds": seconds,
        "baseline": base,
        "bytes": size,
        "queries": count_queries(export),
        "peak_mb": _peak_mb(export),
    }


def _mapping_file(store: Any, uids: list[str]) -> bytes:
    from printconnect.catalog.resources import csv_export_chunks

    exported = b"".join(csv_export_chunks(store=store)).decode("utf-8-sig")
    reader = csv.reader(io.StringIO(exported))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(next(reader))
    for n, row in enumerate(reader):
        row[5] = uids[n % len(uids)]
        row[6] = f"https://files.example.com/designs/{row[1]}.pdf"
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode()


def _import_row(store: Any, data: bytes) -> Any:
    from django.core.files.base import ContentFile

    from printconnect.catalog.models import MappingImport

    row = MappingImport(store=store, original_name="bench.csv", file_format="csv", file_size=len(data))
    row.file.save("bench.csv", ContentFile(data), save=False)
    row.save()
    return row


def _baseline_insert(client: Any, data: bytes, uids: dict[str, int]) -> float:
    """The issue's baseline: csv module + bulk_create of one row per line, in one transaction."""
    from django.db import transaction
    from django.utils import timezone

    from printconnect.catalog.models import StoreProduct, StoreVariant
    from printconnect.storefronts.models import Store

    target = Store.objects.create(client=client, name=f"baseline-{time.monotonic_ns()}")
    now = timezone.now()
    product = StoreProduct.objects.create(store=target, external_id="p", title="Baseline", synced_at=now)

    def insert() -> None:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        batch: list[StoreVariant] = []
        with transaction.atomic():
            for line in reader:
                batch.append(
                    StoreVariant(
                        product=product,
                        store=target,
                        external_id=line["Variant ID"],
                        sku=line["SKU"],
                        catalog_product_id=uids[line["Product UID"].lower()],
                        design_file_url=line["Design file URL"],
                        synced_at=now,
                    )
                )
                if len(batch) == 1000:
                    StoreVariant.objects.bulk_create(batch)
                    batch = []
            StoreVariant.objects.bulk_create(batch)

    seconds, _ = _seconds(insert)
    return seconds


def run(args: argparse.Namespace) -> None:
    from django.db import connection

    from printconnect.catalog import mapping_imports
    from printconnect.catalog.models import CatalogProduct, MappingImport, StoreVariant
    from printconnect.catalog.resources import xlsx_export_file
    from printconnect.clients.models import Client

    rows = args.mapping_rows
    small_rows = max(rows // 10, 1)
    print(f"\nBulk mapping on {connection.vendor}: {rows:,} variants (export, dry run, apply)")
    client = Client.objects.create(name="Bulk bench client")
    setup, (store, small) = _seconds(
        lambda: (
            _store_with_variants(client, "bulk-big", rows),
            _store_with_variants(client, "bulk-small", small_rows),
        )
    )
    products = CatalogProduct.objects.bulk_create(
        CatalogProduct(uid=f"PST-{n:03d}", name=f"Poster {n}") for n in range(50)
    )
    uids = [product.uid for product in products]
    print(f"  (set-up: {rows + small_rows:,} variants in {setup:.1f} s)")

    big = _export_figures(store, rows)
    little = _export_figures(small, small_rows)
    for figures in (little, big):
        print(
            f"  export CSV {figures['rows']:>9,} rows  {figures['seconds']:6.2f} s  "
            f"{figures['rows'] / figures['seconds']:9,.0f} rows/s  baseline {figures['baseline']:5.2f} s  "
            f"ratio {figures['seconds'] / figures['baseline']:4.2f}x  {figures['queries']} queries  "
            f"peak {figures['peak_mb']:5.1f} MB  ({figures['bytes'] / 1024 / 1024:.1f} MB file)"
        )
    print(
        f"    10x the rows: {big['queries'] - little['queries']:+d} queries, peak memory x"
        f"{big['peak_mb'] / little['peak_mb']:.2f}; target: <= {TARGET_EXPORT_SECONDS:.0f} s for 100,000 "
        f"rows -> {'met' if big['seconds'] <= TARGET_EXPORT_SECONDS * rows / 100_000 else 'MISSED'}"
    )

    def xlsx() -> None:
        xlsx_export_file(store=store).close()

    seconds, _ = _seconds(xlsx)
    print(
        f"  export XLSX {rows:>8,} rows  {seconds:6.2f} s  {rows / seconds:9,.0f} rows/s  peak {_peak_mb(xlsx):5.1f} MB"
    )

    data = _mapping_file(store, uids)
    by_uid = {product.uid.lower(): product.pk for product in products}
    baseline = _baseline_insert(client, data, by_uid)
    print(f"  baseline: csv module + bulk_create of {rows:,} rows  {baseline:6.2f} s  {rows / baseline:9,.0f} rows/s")

    def reset() -> None:
        StoreVariant.objects.filter(store=store).update(catalog_product=None, design_file_url="", mapped_at=None)

    def check() -> Any:
        row = _import_row(store, data)
        return mapping_imports.mapping_import_check(mapping_import=row)

    seconds, checked = _seconds(check)
    assert checked.status == MappingImport.Status.CHECKED and checked.rows_create == rows, checked.message
    peak = _peak_mb(check)
    print(
        f"  dry run {rows:>11,} rows  {seconds:6.2f} s  {rows / seconds:9,.0f} rows/s  "
        f"ratio {seconds / baseline:4.2f}x  peak {peak:5.1f} MB"
    )

    def apply() -> Any:
        row = _import_row(store, data)
        row = mapping_imports.mapping_import_check(mapping_import=row)
        row.status, row.mode = MappingImport.Status.APPLYING, MappingImport.Mode.ALL_OR_NOTHING
        row.save()
        apply_seconds, applied = _seconds(lambda: mapping_imports.mapping_import_apply(mapping_import=row))
        assert applied.status == MappingImport.Status.APPLIED, applied.message
        return apply_seconds

    seconds = apply()
    mapped = StoreVariant.objects.filter(store=store, catalog_product__isnull=False).count()
    assert mapped == rows, mapped
    reset()
    tracemalloc.start()
    apply()
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    ratio = seconds / baseline
    met = seconds <= TARGET_APPLY_SECONDS and ratio <= TARGET_APPLY_RATIO and peak < TARGET_PEAK_MB
    print(
        f"  apply (re-check + write) {rows:>6,} rows  {seconds:6.2f} s  {rows / seconds:9,.0f} rows/s  "
        f"ratio {ratio:4.2f}x  peak {peak:5.1f} MB"
    )
    print(
        f"    target: <= {TARGET_APPLY_SECONDS:.0f} s on PostgreSQL, <= {TARGET_APPLY_RATIO:.0f}x baseline, "
        f"< {TARGET_PEAK_MB} MB -> {'met' if met else 'MISSED'}"
    )
