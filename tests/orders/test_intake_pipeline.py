"""The intake pipeline (order_intake / orders_intake_batch): validation, mapping, classification, shipping, holds
and their automatic release, with the store's Errors raised and resolved through the orders -> integrations
signal. Data is made through the services; no mocks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from printconnect.catalog.models import CatalogProduct
from printconnect.catalog.services import variant_mappings_announce
from printconnect.core.exceptions import ApplicationError
from printconnect.integrations.models import IntegrationEvent
from printconnect.orders.models import Order, OrderHold, OrderItem, OrderStatusChange, StoreShippingMethod
from printconnect.orders.services import (
    Ingested,
    order_intake,
    order_reprocess,
    orders_intake_batch,
    store_intake_rules_save,
    store_shipping_methods_save,
)
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.orders import (
    catalog_product,
    line,
    order_data,
    shipping_method,
    store_defaults,
    store_product,
    variant_map,
)
from tests.factories.storefronts import make_store

pytestmark = pytest.mark.django_db
S, R = Order.Status, Order.HoldReason


@pytest.fixture
def store():
    return make_store(ClientFactory())


@pytest.fixture
def shipped(store):
    """A store whose orders get a shipping method (its default), so only the lines decide."""
    store_defaults(store, default_shipping_method=shipping_method())
    return store


def _poster(store):
    return store_product(
        store,
        "100",
        title="Poster",
        variants=(("101", "POS-A3-MATTE", {"Size": "A3", "Finish": "Matte"}), ("102", "POS-A2", {"Size": "A2"})),
    )


def _errors(store, reason):
    return IntegrationEvent.objects.filter(store=store, code=f"order.held.{reason}", resolved_at__isnull=True)


def test_a_mixed_printable_and_stock_order_is_received_with_each_line_classified_and_its_print_specs(shipped):
    variants = _poster(shipped)
    printed = catalog_product("POSTER", specs={"format": "A4", "paper": "170g"})
    variant_map(
        variants["101"],
        printed,
        design_file_url="https://files.example/poster.pdf",
        print_spec_overrides={"paper": "200g matte"},
        attribute_specs={"size": "format"},
    )
    mug = store_product(shipped, "300", title="Mug", sku="MUG")["300"]
    variant_map(mug, catalog_product("MUG-WHITE", kind=CatalogProduct.Kind.STOCK))
    data = order_data(
        "1001",
        line("1", product="100", variant="101", attributes={"Size": "A3"}),
        line("2", product="300"),
    )
    result = order_intake(store=shipped, data=data)
    assert result.outcome == Ingested.CREATED
    order = result.order
    assert (order.status, order.hold_reason, order.client_id) == (S.RECEIVED, "", shipped.client_id)
    poster, mug_line = order.items.order_by("external_id")
    assert (poster.kind, poster.catalog_product_id, poster.store_variant_id) == (
        "printable",
        printed.pk,
        variants["101"].pk,
    )
    # catalog specs, then the variant's overrides, then the attribute the variant maps ("Size: A3" -> format A3)
    assert poster.print_specs == {"format": "A3", "paper": "200g matte"}
    assert poster.design_file_url == "https://files.example/poster.pdf"
    assert mug_line.kind == "stock"
    assert [f.url for f in result.print_files] == ["https://files.example/poster.pdf"]  # the print files step's hook
    assert not OrderHold.objects.exists()


def test_an_unmapped_variant_holds_its_orders_with_one_error_and_connecting_it_releases_them(shipped):
    variants = _poster(shipped)
    first = order_intake(store=shipped, data=order_data("1", line("1", product="100", variant="101"))).order
    assert (first.status, first.hold_reason) == (S.ON_HOLD, R.UNMAPPED_PRODUCT)
    assert "Variant 'Poster - A3, Matte' (SKU POS-A3-MATTE) is not connected to a catalog product" in first.hold_detail
    assert "Products tab" in first.hold_detail
    order_intake(store=shipped, data=order_data("2", line("1", product="100", variant="101")))
    [error] = _errors(shipped, R.UNMAPPED_PRODUCT)
    assert (error.severity, error.object_type, error.object_id) == ("error", "variant", "101")
    assert "2 orders held. Connect it in the store's Products tab." in error.message

    variant_map(variants["101"], catalog_product())
    assert variant_mappings_announce(store=shipped, variant_ids=[variants["101"].pk]) == 2  # the catalog's flash
    first.refresh_from_db()
    assert (first.status, first.hold_reason, first.hold_detail) == (S.RECEIVED, "", "")
    assert first.items.get().kind == "printable"
    change = first.status_changes.get()
    assert (change.from_status, change.to_status, change.source) == (S.ON_HOLD, S.RECEIVED, "pipeline")
    assert not _errors(shipped, R.UNMAPPED_PRODUCT).exists()
    assert IntegrationEvent.objects.get(pk=error.pk).resolved_at is not None


def test_a_line_whose_product_is_not_imported_yet_holds_the_order_saying_to_run_the_product_import(shipped):
    order = order_intake(store=shipped, data=order_data("1", line("1", product="999", title="Tote bag"))).order
    assert order.hold_reason == R.UNMAPPED_PRODUCT and "not among the store's imported products" in order.hold_detail
    store_product(shipped, "999", title="Tote bag", sku="TOTE")
    variant = variant_map(store_product(shipped, "999")["999"], catalog_product())
    variant_mappings_announce(store=shipped, variant_ids=[variant.pk])
    order.refresh_from_db()
    assert order.status == S.RECEIVED


@pytest.mark.parametrize(
    ("rule", "status", "kind"),
    [("stock", S.RECEIVED, "stock"), ("ignore", S.RECEIVED, "ignored"), ("hold", S.ON_HOLD, "")],
)
def test_the_non_printable_rule_decides_stock_lines(shipped, rule, status, kind):
    store_defaults(shipped, non_printable_rule=rule)
    store_product(shipped, "300", title="Mug", sku="MUG", product_type="stock")
    order = order_intake(store=shipped, data=order_data("1", line("1", product="300"))).order
    assert (order.status, order.items.get().kind) == (status, kind)
    if rule == "hold":
        assert order.hold_reason == R.NON_PRINTABLE_LINE and "Shipping settings" in order.hold_detail


def test_changing_the_rule_from_hold_releases_the_orders_it_held(shipped):
    store_defaults(shipped, non_printable_rule="hold")
    store_product(shipped, "300", title="Mug", sku="MUG", product_type="stock")
    order = order_intake(store=shipped, data=order_data("1", line("1", product="300"))).order
    assert _errors(shipped, R.NON_PRINTABLE_LINE).count() == 1
    outcome = store_intake_rules_save(store=shipped, non_printable_rule="stock", fulfilment="merchant", actor=None)
    assert (outcome.released, outcome.still_held) == (1, 0)
    order.refresh_from_db()
    assert (order.status, order.items.get().kind) == (S.RECEIVED, "stock")
    assert not _errors(shipped, R.NON_PRINTABLE_LINE).exists()


def test_an_unknown_shipping_method_is_listed_holds_the_order_and_mapping_it_releases_it(store):
    data = order_data("1", shipping_method="DHL Express")
    order = order_intake(store=store, data=data).order
    assert (order.status, order.hold_reason) == (S.ON_HOLD, R.UNKNOWN_SHIPPING_METHOD)
    assert "Shipping method 'DHL Express' is not mapped" in order.hold_detail
    seen = StoreShippingMethod.objects.get(store=store)
    assert (seen.name, seen.shipping_method) == ("DHL Express", None)
    [error] = _errors(store, R.UNKNOWN_SHIPPING_METHOD)
    assert "1 order held" in error.message and "Shipping settings" in error.message
    # The same name in another case is the same method: still one row.
    order_intake(store=store, data=order_data("2", shipping_method="dhl express"))
    assert StoreShippingMethod.objects.filter(store=store).count() == 1

    express = shipping_method("Express")
    outcome = store_shipping_methods_save(store=store, mappings={seen.pk: express}, default_method=None, actor=None)
    assert (outcome.released, outcome.still_held) == (2, 0)
    order.refresh_from_db()
    assert (order.status, order.psp_shipping_method) == (S.RECEIVED, express)
    assert not _errors(store, R.UNKNOWN_SHIPPING_METHOD).exists()
    # Mapped now: the next order with that method is received at once.
    assert order_intake(store=store, data=order_data("3", shipping_method="DHL Express")).order.status == S.RECEIVED


def test_a_default_shipping_method_releases_orders_held_for_any_method_and_orders_naming_none(store):
    held = [
        order_intake(store=store, data=order_data(str(n), shipping_method=name)).order
        for n, name in enumerate(["A", ""])
    ]
    assert all(o.hold_reason == R.UNKNOWN_SHIPPING_METHOD for o in held)
    assert "names no shipping method" in held[1].hold_detail
    standard = shipping_method()
    outcome = store_shipping_methods_save(store=store, mappings={}, default_method=standard, actor=None)
    assert outcome.released == 2
    assert set(Order.objects.values_list("status", "psp_shipping_method")) == {(S.RECEIVED, standard.pk)}


def test_an_inactive_shipping_method_is_refused_and_nothing_changes(store):
    order_intake(store=store, data=order_data("1", shipping_method="A"))
    method = shipping_method()
    method.active = False
    method.save()
    seen = StoreShippingMethod.objects.get(store=store)
    with pytest.raises(ApplicationError, match="not an active shipping method"):
        store_shipping_methods_save(store=store, mappings={seen.pk: method}, default_method=None, actor=None)
    seen.refresh_from_db()
    assert seen.shipping_method is None


def test_an_order_held_for_two_causes_stays_held_until_both_are_fixed(store):
    variants = _poster(store)
    order = order_intake(
        store=store, data=order_data("1", line("1", product="100", variant="102"), shipping_method="X")
    ).order
    assert set(order.holds.values_list("reason", flat=True)) == {R.UNMAPPED_PRODUCT, R.UNKNOWN_SHIPPING_METHOD}
    variant_map(variants["102"], catalog_product())
    variant_mappings_announce(store=store, variant_ids=[variants["102"].pk])
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (S.ON_HOLD, R.UNKNOWN_SHIPPING_METHOD)
    assert not _errors(store, R.UNMAPPED_PRODUCT).exists() and _errors(store, R.UNKNOWN_SHIPPING_METHOD).exists()


def test_reprocess_by_hand_says_what_still_holds_and_refuses_an_order_not_on_hold(shipped):
    _poster(shipped)
    order = order_intake(store=shipped, data=order_data("1", line("1", product="100", variant="101"))).order
    staff = StaffFactory()
    again = order_reprocess(order=order, actor=staff)
    assert again.status == S.ON_HOLD and "not connected" in again.hold_detail
    Order.objects.filter(pk=order.pk).update(status=S.RECEIVED)
    order.refresh_from_db()
    with pytest.raises(ApplicationError, match="not on hold"):
        order_reprocess(order=order, actor=staff)


def test_the_same_order_twice_is_one_order(shipped):
    data = order_data("1")
    assert order_intake(store=shipped, data=data).outcome == Ingested.CREATED
    assert order_intake(store=shipped, data=data).outcome == Ingested.UNCHANGED
    assert orders_intake_batch(store=shipped, orders=[data])[0].outcome == Ingested.UNCHANGED
    assert Order.objects.count() == 1 and OrderItem.objects.count() == 1


def test_a_new_order_cancelled_in_the_store_is_not_imported_but_one_here_is_cancelled(store):
    skipped = order_intake(store=store, data=order_data("1", store_status="cancelled"))
    assert skipped.outcome == Ingested.SKIPPED and skipped.verdict.severity == "info"
    assert skipped.verdict.code == "order.not_open" and not Order.objects.exists()

    held = order_intake(store=store, data=order_data("2", shipping_method="Unmapped")).order
    assert _errors(store, R.UNKNOWN_SHIPPING_METHOD).exists()
    order_intake(store=store, data=order_data("2", shipping_method="Unmapped", store_status="cancelled"))
    held.refresh_from_db()
    assert (held.status, held.hold_reason) == (S.CANCELLED, "")
    assert held.status_changes.get().source == OrderStatusChange.Source.STORE
    assert not held.holds.exists() and not _errors(store, R.UNKNOWN_SHIPPING_METHOD).exists()


def test_unpaid_orders_are_set_aside_as_retry(store):
    result = order_intake(store=store, data=order_data("1", financial_status="pending"))
    assert (result.outcome, result.verdict.severity, result.verdict.code) == (
        Ingested.SKIPPED,
        "retry",
        "order.awaiting_payment",
    )
    assert not Order.objects.exists()


def test_orders_placed_before_the_activation_date_are_not_imported(shipped):
    shipped.activation_date = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    shipped.save()
    early = order_intake(store=shipped, data=order_data("1", placed_at=datetime(2026, 11, 30, 11, 59, tzinfo=UTC)))
    assert (early.outcome, early.verdict.code) == (Ingested.SKIPPED, "order.before_activation")
    on_time = order_intake(store=shipped, data=order_data("2", placed_at=datetime(2026, 11, 30, 12, 0, tzinfo=UTC)))
    assert on_time.outcome == Ingested.CREATED


def test_orders_of_the_other_fulfilment_channel_are_skipped_with_an_info(shipped):
    result = order_intake(store=shipped, data=order_data("1", fulfilment_channel="marketplace"))
    assert (result.outcome, result.verdict.severity, result.verdict.code) == (
        Ingested.SKIPPED,
        "info",
        "order.other_channel",
    )
    store_defaults(shipped, fulfilment="marketplace")
    assert order_intake(store=shipped, data=order_data("1", fulfilment_channel="marketplace")).outcome == "created"
    assert order_intake(store=shipped, data=order_data("2")).verdict.code == "order.other_channel"


def _batch_queries(store, prefix, orders, lines):
    batch = [
        order_data(
            f"{prefix}-{n}", *(line(str(i), product="100", variant="101" if i % 2 else "102") for i in range(lines))
        )
        for n in range(orders)
    ]
    with CaptureQueriesContext(connection) as captured:
        results = orders_intake_batch(store=store, orders=batch)
    assert all(r.outcome == Ingested.CREATED for r in results)
    # Statement and table ("SELECT catalog_storevariant"); savepoints by kind only.
    return [
        q["sql"].split(" ")[0] + (" " + q["sql"].split('"')[1] if '"' in q["sql"] else "")
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]


@pytest.mark.parametrize("mapped", [True, False])
def test_the_batch_path_reads_and_writes_a_page_in_queries_that_do_not_grow_with_its_lines(shipped, mapped):
    store = shipped
    variants = _poster(store)
    if mapped:
        product = catalog_product()
        for variant in variants.values():
            variant_map(variant, product)
    _batch_queries(store, "warm", 2, 2)  # the shipping method is listed on the first page; later pages only read it
    small = _batch_queries(store, "small", 2, 2)
    large = _batch_queries(store, "large", 40, 6)
    # The same reads and updates whatever the size; only the bulk INSERTs are split, by the database's limit on
    # parameters a statement (SQLite: 999), into more statements of the same three tables.
    assert [q for q in small if not q.startswith("INSERT")] == [q for q in large if not q.startswith("INSERT")]
    assert {q for q in large if q.startswith("INSERT")} == {
        "INSERT orders_order",
        "INSERT orders_orderitem",
        # Mapped: each printed line's design file is queued for download; unmapped: the lines hold the orders.
        *(["INSERT orders_orderhold"] if not mapped else ["INSERT orders_printfile"]),
    }
    assert sum(q == "INSERT orders_orderitem" for q in large) <= 240 * 16 // 999 + 1


def test_many_held_orders_are_released_by_a_task_once_the_mapping_is_committed(
    shipped, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("printconnect.orders.services.REPROCESS_INLINE_MAX", 1)
    variants = _poster(shipped)
    for number in ("1", "2", "3"):
        order_intake(store=shipped, data=order_data(number, line("1", product="100", variant="101")))
    variant_map(variants["101"], catalog_product())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert variant_mappings_announce(store=shipped, variant_ids=[variants["101"].pk]) == 3
    assert Order.objects.filter(status=S.ON_HOLD).count() == 3  # nothing done in the request itself
    for callback in callbacks:
        callback()  # the commit: the task runs (eagerly in tests)
    assert set(Order.objects.values_list("status", flat=True)) == {S.RECEIVED}
    assert not _errors(shipped, R.UNMAPPED_PRODUCT).exists()


def test_cancelling_one_of_two_held_orders_by_hand_leaves_the_error_counting_the_other(store):
    from printconnect.orders.services import order_status_change

    first = order_intake(store=store, data=order_data("1", shipping_method="Courier")).order
    order_intake(store=store, data=order_data("2", shipping_method="Courier"))
    [error] = _errors(store, R.UNKNOWN_SHIPPING_METHOD)
    assert ": 2 orders held. " in error.message
    order_status_change(order=first, to_status=S.CANCELLED, source="staff", note="Customer called")
    error.refresh_from_db()
    assert error.resolved_at is None and ": 1 order held. Map it" in error.message
    assert error.message.startswith("Shipping method 'Courier' is not mapped")
