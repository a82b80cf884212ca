"""Staff console: the order list and order pages, a store's Shipping settings and held orders (under /staff/orders/)."""

from django.urls import path

from printconnect.orders import manual_views, order_views, test_order_views, views

app_name = "staff_orders"

urlpatterns = [
    path("", order_views.staff_order_list, name="order_list"),
    path("bulk-status/", order_views.staff_orders_bulk_status, name="orders_bulk_status"),
    path("<int:pk>/", order_views.staff_order_detail, name="order_detail"),
    path("<int:pk>/status/", order_views.staff_order_status, name="order_status"),
    path("<int:pk>/shipments/add/", order_views.staff_order_shipment_add, name="order_shipment_add"),
    path("changes/<int:pk>/decide/", order_views.staff_order_source_change, name="order_source_change"),
    path("stores/<int:pk>/shipping/", views.staff_store_shipping, name="store_shipping"),
    path("<int:pk>/reprocess/", views.staff_order_reprocess, name="order_reprocess"),
    path("items/<int:pk>/print-file/", views.staff_order_item_print_file, name="order_item_print_file"),
    path("print-files/<int:pk>/download/", views.staff_print_file_download, name="print_file_download"),
    path("stores/<int:pk>/test-order/", test_order_views.staff_store_test_order, name="store_test_order"),
    path(
        "stores/<int:pk>/test-orders/delete/",
        test_order_views.staff_store_test_orders_delete,
        name="store_test_orders_delete",
    ),
    path("<int:pk>/delete/", test_order_views.staff_test_order_delete, name="test_order_delete"),
    path("stores/<int:pk>/place/", manual_views.staff_store_order_place, name="store_order_place"),
    path("stores/<int:pk>/import/", manual_views.staff_store_order_import, name="store_order_import"),
    path(
        "stores/<int:pk>/import/template.csv",
        manual_views.staff_store_order_import_template,
        name="store_order_import_template",
    ),
    path("imports/<int:pk>/", manual_views.staff_order_import_detail, name="order_import_detail"),
    path("imports/<int:pk>/confirm/", manual_views.staff_order_import_confirm, name="order_import_confirm"),
    path("imports/<int:pk>/discard/", manual_views.staff_order_import_discard, name="order_import_discard"),
]
