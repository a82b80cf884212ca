"""Portal URLs of the orders app, mounted under the `portal` namespace with the other apps' portal patterns
(printconnect/urls.py). Every pattern here must be listed in tests/access/test_matrix.py."""

from django.urls import path

from printconnect.orders import manual_views, order_views, test_order_views, views

urlpatterns = [
    path("orders/", order_views.order_list, name="order_list"),
    path("orders/<int:pk>/", order_views.order_detail, name="order_detail"),
    path("orders/<int:pk>/status/", order_views.order_status, name="order_status"),
    path("orders/<int:pk>/shipments/add/", order_views.order_shipment_add, name="order_shipment_add"),
    path("order-changes/<int:pk>/decide/", order_views.order_source_change, name="order_source_change"),
    path("stores/<int:pk>/shipping/", views.store_shipping, name="store_shipping"),
    path("stores/<int:pk>/held-orders/", views.store_held_orders, name="store_held_orders"),
    path("orders/<int:pk>/reprocess/", views.order_reprocess, name="order_reprocess"),
    path("order-items/<int:pk>/print-file/", views.order_item_print_file, name="order_item_print_file"),
    path("print-files/<int:pk>/download/", views.print_file_download, name="print_file_download"),
    path("stores/<int:pk>/test-order/", test_order_views.store_test_order, name="store_test_order"),
    path(
        "stores/<int:pk>/test-orders/delete/",
        test_order_views.store_test_orders_delete,
        name="store_test_orders_delete",
    ),
    path("orders/<int:pk>/delete/", test_order_views.test_order_delete, name="test_order_delete"),
    path("stores/<int:pk>/orders/place/", manual_views.store_order_place, name="store_order_place"),
    path("stores/<int:pk>/orders/import/", manual_views.store_order_import, name="store_order_import"),
    path(
        "stores/<int:pk>/orders/import/template.csv",
        manual_views.store_order_import_template,
        name="store_order_import_template",
    ),
    path("order-imports/<int:pk>/", manual_views.order_import_detail, name="order_import_detail"),
    path("order-imports/<int:pk>/confirm/", manual_views.order_import_confirm, name="order_import_confirm"),
    path("order-imports/<int:pk>/discard/", manual_views.order_import_discard, name="order_import_discard"),
]
