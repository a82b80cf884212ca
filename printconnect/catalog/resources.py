"""The product mapping export: one row per store variant, with the two columns a client fills in ("Product UID",
"Design file URL") pre-filled with the current mapping.

One django-import-export Resource defines the columns for the portal download (streamed, never a whole tablib
Dataset in memory) and for the staff admin's import-export. Cells a spreadsheet would run as a formula get a
leading apostrophe on export (`formula_neutralise`); the import removes exactly that apostrophe again
(`formula_restore`), so an exported file imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from import_export import fields, resources, widgets
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from printconnect.catalog.models import CatalogProduct, StoreVariant
from printconnect.catalog.selectors import catalog_products_by_uid
from printconnect.catalog.services import catalog_uid_clean, design_file_url_clean, variant_mappings_announce
from printconnect.core.exceptions import ApplicationError
from printconnect.storefronts.models import Store

COL_PRODUCT_ID = "Store product ID"
COL_VARIANT_ID = "Variant ID"
COL_SKU = "SKU"
COL_TITLE = "Title"
COL_ATTRIBUTES = "Variant attributes"
COL_UID = "Product UID"
COL_DESIGN_URL = "Design file URL"
EXPORT_HEADERS = (COL_PRODUCT_ID, COL_VARIANT_ID, COL_SKU, COL_TITLE, COL_ATTRIBUTES, COL_UID, COL_DESIGN_URL)

CLEAR_MARK = "-"  # in "Product UID": disconnect the variant
EXPORT_CHUNK_SIZE = 2000  # rows fetched per database round trip and written per streamed piece

# Spreadsheets read a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_neutralise(value: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet would evaluate. A value already starting with an apostrophe gets
    one too, so `formula_restore` can always tell an added apostrophe from one that was in the data."""
    if value and (value.startswith(_FORMULA_STARTS) or value.startswith("'")):
        return "'" + value
    return value


def formula_restore(value: str) -> str:
    """Undo `formula_neutralise`: drop the one apostrophe it adds, leave anything else as the client typed it."""
    if len(value) > 1 and value[0] == "'" and (value[1] == "'" or value[1:].startswith(_FORMULA_STARTS)):
        return value[1:]
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def attributes_text(attributes: Any) -> str:
    """{"Size": "A4", "Paper": "Matte"} -> "Size: A4; Paper: Matte" (store order)."""
    if not isinstance(attributes, dict):
        return ""
    return "; ".join(f"{name}: {value}" for name, value in attributes.items())


class StoreVariantMappingResource(resources.ModelResource):
    """Columns of the mapping file. Only "Product UID" and "Design file URL" are imported; the others say which
    variant a row is and are read-only (the product feeds own them)."""

    store_product_id = fields.Field(attribute="product__external_id", column_name=COL_PRODUCT_ID, readonly=True)
    variant_id = fields.Field(attribute="external_id", column_name=COL_VARIANT_ID, readonly=True)
    variant_sku = fields.Field(attribute="sku", column_name=COL_SKU, readonly=True)
    title = fields.Field(attribute="product__title", column_name=COL_TITLE, readonly=True)
    variant_attributes = fields.Field(column_name=COL_ATTRIBUTES, readonly=True)
    product_uid = fields.Field(
        attribute="catalog_product",
        column_name=COL_UID,
        widget=widgets.ForeignKeyWidget(CatalogProduct, field="uid"),
    )
    design_file = fields.Field(attribute="design_file_url", column_name=COL_DESIGN_URL)

    class Meta:
        model = StoreVariant
        fields = ("store_product_id", "variant_id", "variant_sku", "title", "variant_attributes")
        fields += ("product_uid", "design_file")
        export_order = fields
        import_id_fields: Sequence[str] = ()
        skip_unchanged = True
        report_skipped = False
        use_transactions = True
        chunk_size = EXPORT_CHUNK_SIZE

    def dehydrate_variant_attributes(self, variant: StoreVariant | ExportRow) -> str:
        return attributes_text(variant.attributes)

    def export_field(self, field: fields.Field, instance: StoreVariant, **kwargs: Any) -> str:
        return formula_neutralise(_text(super().export_field(field, instance, **kwargs)))

    def export_rows(self, queryset: Iterable[StoreVariant | ExportRow]) -> Iterator[list[str]]:
        """One list of cell texts per variant, as `export_resource` gives but with each column's dehydrate method
        or attribute path and widget resolved once instead of on every cell (the export's main cost)."""
        getters = [self._cell_getter(field) for field in self.get_export_fields()]
        for variant in queryset:
            yield [formula_neutralise(getter(variant)) for getter in getters]

    def _cell_getter(self, field: fields.Field) -> Callable[[StoreVariant | ExportRow], str]:
        dehydrate = field.get_dehydrate_method(self.get_field_name(field))
        method = dehydrate if callable(dehydrate) else getattr(self, dehydrate, None)
        if method is not None:
            return lambda variant: _text(method(variant))
        path, render = tuple(field.attribute.split("__")), field.widget.render

        def getter(variant: StoreVariant | ExportRow) -> str:
            value: Any = variant
            for name in path:
                value = getattr(value, name)
                if value is None:
                    return ""
            return _text(render(value))

        return getter


class StaffStoreVariantMappingResource(StoreVariantMappingResource):
    """The same columns for the staff admin, which lists variants of every store: the printconnect id in front
    says which row is which (variant ids are only unique within a store)."""

    id = fields.Field(attribute="id", column_name="printconnect ID", widget=widgets.IntegerWidget())

    class Meta(StoreVariantMappingResource.Meta):
        fields = ("id", *StoreVariantMappingResource.Meta.fields)
        export_order = fields
        import_id_fields = ("id",)

    def get_queryset(self) -> QuerySet[StoreVariant]:
        return export_queryset(store=None)

    # Imports read the two mapping columns as the portal's bulk import does (catalog.mapping_imports): an empty
    # Product UID leaves the row alone, "-" disconnects, the design file URL is checked and set with a UID.

    def init_instance(self, row: Any = None) -> StoreVariant:
        raise ValidationError({"id": "No store variant has this printconnect ID; an import cannot add variants."})

    def import_field(self, field: fields.Field, instance: StoreVariant, row: Any, is_m2m: bool = False, **kwargs: Any):
        if field.attribute not in ("catalog_product", "design_file_url"):
            return super().import_field(field, instance, row, is_m2m, **kwargs)
        uid = formula_restore(str(row.get(COL_UID) or "").strip())
        if not uid or (field.attribute == "design_file_url" and COL_DESIGN_URL not in row):
            return None
        if uid == CLEAR_MARK:
            instance.catalog_product, instance.design_file_url, instance.mapped_at = None, "", None
            instance.print_spec_overrides, instance.attribute_specs = {}, {}
            return None
        try:
            if field.attribute == "design_file_url":
                instance.design_file_url = design_file_url_clean(formula_restore(str(row.get(COL_DESIGN_URL) or "")))
                return None
            product = catalog_products_by_uid([catalog_uid_clean(uid)]).get(uid.lower())
        except ApplicationError as exc:
            raise ValueError(exc.message) from exc
        if product is None:
            raise ValueError(f"Unknown or deactivated Product UID {uid}: check it against the catalog.")
        if product.pk != instance.catalog_product_id:
            instance.catalog_product, instance.mapped_at = product, timezone.now()
        return None

    def after_save_instance(self, instance: StoreVariant, row: Any, **kwargs: Any) -> None:
        if not kwargs.get("dry_run"):
            self._saved.setdefault(instance.store_id, []).append(instance.pk)

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        self._saved: dict[int, list[int]] = {}

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        saved = dict(getattr(self, "_saved", {}))
        if kwargs.get("dry_run") or not saved:
            return

        def announce() -> None:
            for store in Store.objects.filter(pk__in=saved):
                variant_mappings_announce(store=store, variant_ids=saved[store.pk])

        transaction.on_commit(announce)


def export_queryset(*, store: Store | None) -> QuerySet[StoreVariant]:
    """The store's variants in the order a client reads them: by product title, then variant."""
    # Only the exported columns: loading whole rows (timestamps, prices, JSON) costs more than writing the file.
    columns = ("external_id", "sku", "attributes", "design_file_url", "store_id")
    columns += ("product__external_id", "product__title", "catalog_product__uid")
    qs = StoreVariant.objects.select_related("product", "catalog_product").only(*columns)
    if store is not None:
        qs = qs.filter(store=store)
    return qs.order_by("product__title", "product_id", "sku", "pk")


class _Product:
    __slots__ = ("external_id", "title")

    def __init__(self, external_id: str, title: str) -> None:
        self.external_id, self.title = external_id, title


class _CatalogProduct:
    __slots__ = ("uid",)

    def __init__(self, uid: str) -> None:
        self.uid = uid


class ExportRow:
    """A variant with only what the export reads, in the shape of StoreVariant (variant.product.title...), so the
    Resource's fields and widgets read it as they read a model instance, without the cost of building one (the
    export's main cost on 100,000 rows)."""

    __slots__ = ("attributes", "catalog_product", "design_file_url", "external_id", "product", "sku")

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.external_id, self.sku, self.attributes, self.design_file_url = values[:4]
        self.product = _Product(values[4], values[5])
        self.catalog_product = _CatalogProduct(values[6]) if values[6] is not None else None


_EXPORT_VALUES = ("external_id", "sku", "attributes", "design_file_url", "product__external_id", "product__title")
_EXPORT_VALUES += ("catalog_product__uid",)


def _chunked_queryset(store: Store) -> Iterator[ExportRow]:
    # One query (a server-side cursor on PostgreSQL), rows fetched EXPORT_CHUNK_SIZE at a time: flat memory.
    rows = export_queryset(store=store).values_list(*_EXPORT_VALUES)
    return (ExportRow(values) for values in rows.iterator(chunk_size=EXPORT_CHUNK_SIZE))


def csv_export_chunks(*, store: Store) -> Iterator[bytes]:
    """The store's mapping file as CSV pieces: UTF-8 with a BOM (so Excel reads accents right), CRLF, `,`."""
    resource = StoreVariantMappingResource()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(resource.export_rows(_chunked_queryset(store)), start=1):
        writer.writerow(row)
        if count % EXPORT_CHUNK_SIZE == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def xlsx_export_file(*, store: Store) -> IO[bytes]:
    """The store's mapping file as XLSX in a temporary file (openpyxl's write-only mode streams rows to disk),
    rewound and ready to send; closing it deletes it."""
    resource = StoreVariantMappingResource()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Products")
    sheet.append(list(EXPORT_HEADERS))
    for row in resource.export_rows(_chunked_queryset(store)):
        # Control characters cannot be stored in XLSX at all; they never belong in these texts anyway.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (the caller sends then closes it)
    workbook.save(output)
    output.seek(0)
    return output
