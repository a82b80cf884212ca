"""Portal URLs of the catalog app (a store's Products tab, mapping, bulk operations), mounted under the `portal`
namespace with the other apps' portal patterns (printconnect/urls.py).

Every pattern here must be listed in tests/access/test_matrix.py.
"""

from django.urls import path

from printconnect.catalog import bulk_views, portal_views

urlpatterns: list = []

urlpatterns += [
    path("stores/<int:pk>/products/", portal_views.store_products, name="store_products"),
    path("stores/<int:pk>/catalog-search/", portal_views.catalog_search, name="catalog_search"),
    path("variants/<int:pk>/connect/", portal_views.variant_connect, name="variant_connect"),
    path("variants/<int:pk>/disconnect/", portal_views.variant_disconnect, name="variant_disconnect"),
]

urlpatterns += [
    path("stores/<int:pk>/bulk/", bulk_views.store_bulk, name="store_bulk"),
    path("stores/<int:pk>/bulk/export/", bulk_views.store_bulk_export, name="store_bulk_export"),
    path("mapping-imports/<int:pk>/", bulk_views.mapping_import_detail, name="mapping_import_detail"),
    path("mapping-imports/<int:pk>/confirm/", bulk_views.mapping_import_confirm, name="mapping_import_confirm"),
    path("mapping-imports/<int:pk>/discard/", bulk_views.mapping_import_discard, name="mapping_import_discard"),
    path("mapping-imports/<int:pk>/file/", bulk_views.mapping_import_file, name="mapping_import_file"),
]
