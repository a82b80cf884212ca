"""Connecting one store variant to the catalog: every refusal says what to fix and changes nothing."""

from __future__ import annotations

import pytest

from printconnect.catalog.models import StoreVariant
from printconnect.catalog.selectors import catalog_products_by_uid
from printconnect.catalog.services import (
    MappingData,
    catalog_product_deactivate,
    variant_mapping_clear,
    variant_mapping_save,
)
from printconnect.core.exceptions import ApplicationError
from tests.catalog.mapping_helpers import catalog_product, order, poster, variant
from tests.factories.clients import ClientFactory
from tests.factories.storefronts import make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    store = make_store(ClientFactory())
    poster(store)
    return store


def _mapping_row(store, external_id="101"):
    return (
        StoreVariant.objects.filter(store=store, external_id=external_id)
        .values("catalog_product", "design_file_url", "print_spec_overrides", "attribute_specs", "mapped_at")
        .get()
    )


def test_save_connects_the_variant_by_uid_in_any_case(store):
    product = catalog_product("PST-A4")
    saved = variant_mapping_save(
        variant=variant(store, "101"),
        data=MappingData(
            product_uid=" pst-a4 ",
            design_file_url="https://files.example.com/a4.pdf",
            print_spec_overrides={"paper": "350 g silk"},
            attribute_specs={"Size": "Format", "Paper": ""},
        ),
    )
    row = variant(store, "101")
    assert saved.variant.pk == row.pk and saved.held_orders == 0
    assert row.catalog_product == product
    assert row.design_file_url == "https://files.example.com/a4.pdf"
    assert row.print_spec_overrides == {"paper": "350 g silk"}
    assert row.attribute_specs == {"Size": "format"}  # spec names lower case; an empty choice maps nothing
    assert row.mapped_at is not None
    assert variant(store, "102").catalog_product is None


def test_a_stock_product_may_be_mapped_to_a_printed_variant(store):
    catalog_product("MUG-1", kind="stock", print_specs={})
    saved = variant_mapping_save(variant=variant(store, "101"), data=MappingData(product_uid="MUG-1"))
    assert saved.variant.catalog_product.uid == "MUG-1"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (MappingData(product_uid=""), "product_uid", "Enter the product UID"),
        (MappingData(product_uid="NOPE-1"), "product_uid", "'NOPE-1'"),
        (MappingData(product_uid="has space"), "product_uid", "not valid"),
        (MappingData(product_uid="OLD-1"), "product_uid", "Pick one from the catalog search"),
        (MappingData(product_uid="PST-A4", design_file_url="ftp://x.example/a.pdf"), "design_file_url", "https://"),
        (MappingData(product_uid="PST-A4", design_file_url="not a url"), "design_file_url", "full http"),
        (MappingData(product_uid="PST-A4", print_spec_overrides={"paper": ""}), "print_spec_overrides", "paper"),
        (MappingData(product_uid="PST-A4", print_spec_overrides={"!bad": "x"}), "print_spec_overrides", "!bad"),
        (MappingData(product_uid="PST-A4", attribute_specs={"Colour": "colours"}), "attribute_specs", "“Colour”"),
        (MappingData(product_uid="PST-A4", attribute_specs={"Size": "$$"}), "attribute_specs", "'$$'"),
        (
            MappingData(product_uid="PST-A4", attribute_specs={"Size": "format", "Paper": "FORMAT"}),
            "attribute_specs",
            "“format”",
        ),
        (MappingData(product_uid="PST-A4", attribute_specs=["Size"]), "attribute_specs", "pairs"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(store, data, field, words):
    catalog_product("PST-A4")
    catalog_product_deactivate(product=catalog_product("OLD-1"))
    before = _mapping_row(store)
    with pytest.raises(ApplicationError) as excinfo:
        variant_mapping_save(variant=variant(store, "101"), data=data)
    assert excinfo.value.field == field
    assert words in excinfo.value.message
    assert _mapping_row(store) == before


def test_an_inactive_product_is_refused_even_when_the_variant_is_connected_to_it(store):
    old = catalog_product("OLD-1")
    variant_mapping_save(variant=variant(store, "101"), data=MappingData(product_uid="OLD-1"))
    catalog_product_deactivate(product=old)
    before = _mapping_row(store)
    with pytest.raises(ApplicationError, match="no active catalog product with UID 'OLD-1'"):
        variant_mapping_save(
            variant=variant(store, "101"), data=MappingData(product_uid="OLD-1", design_file_url="https://a.example/x")
        )
    assert _mapping_row(store) == before


def test_held_orders_are_counted_through_the_orders_selector(store):
    catalog_product("PST-A4")
    order(store, "o-1", ("100", "101"))  # held, contains the variant
    order(store, "o-2", ("100", "101"), ("100", "102"))  # held, contains it among others
    order(store, "o-3", ("100", "102"))  # held, another variant
    order(store, "o-4", ("100", "101"), held=False)  # contains it, not held
    saved = variant_mapping_save(variant=variant(store, "101"), data=MappingData(product_uid="PST-A4"))
    assert saved.held_orders == 2


def test_a_simple_product_line_names_the_variant_by_the_product_id(store):
    """A simple product has one variant whose id is the product's; order lines then carry no variant id."""
    catalog_product("CARD-1", print_specs={})
    poster(store, external_id="200", title="Card", variants={"200": {}})
    order(store, "o-9", ("200", ""))
    order(store, "o-10", ("201", ""))  # another product
    saved = variant_mapping_save(variant=variant(store, "200"), data=MappingData(product_uid="card-1"))
    assert saved.held_orders == 1


def test_held_orders_of_another_store_do_not_count(store):
    catalog_product("PST-A4")
    other = make_store(store.client)
    poster(other)
    order(other, "o-1", ("100", "101"))
    assert variant_mapping_save(variant=variant(store, "101"), data=MappingData(product_uid="PST-A4")).held_orders == 0


def test_clear_disconnects_the_variant(store):
    catalog_product("PST-A4")
    variant_mapping_save(
        variant=variant(store, "101"),
        data=MappingData(
            product_uid="PST-A4", design_file_url="https://a.example/x.pdf", attribute_specs={"Size": "f"}
        ),
    )
    variant_mapping_clear(variant=variant(store, "101"))
    row = _mapping_row(store)
    assert row == {
        "catalog_product": None,
        "design_file_url": "",
        "print_spec_overrides": {},
        "attribute_specs": {},
        "mapped_at": None,
    }


def test_catalog_products_by_uid_finds_active_products_in_any_case_in_one_query(django_assert_num_queries):
    a, b = catalog_product("PST-A4"), catalog_product("Card-85x55")
    catalog_product_deactivate(product=catalog_product("OLD-1"))
    with django_assert_num_queries(1):
        found = catalog_products_by_uid(["pst-a4", "CARD-85X55", "old-1", "missing", ""])
    assert found == {"pst-a4": a, "card-85x55": b}
    assert catalog_products_by_uid([]) == {}
